package reconcile

import (
	"slices"
	"testing"
	"time"

	"github.com/berth-org/berth/internal/ecs"
)

// failLatency is how long each task of the throttle tests below takes to
// fail: a launch attempt's own time, added to each gap between attempts.
const failLatency = time.Second

// launchAttempts drives w's service through n launch attempts whose task
// never reaches RUNNING, each failing failLatency after it was placed as
// its agent reports it: first the stop it has decided on (desired
// STOPPED, stopCode TaskFailedToStart, still PENDING), at the next step
// STOPPED. In between the clock jumps to each decision's Wake. It returns
// when each attempt was made and the events each step added.
func launchAttempts(t *testing.T, w *world, n int) (at []time.Time, events []ecs.ServiceEvent) {
	t.Helper()
	var failing *Task
	for len(at) < n {
		d := w.step()
		events = append(events, d.Events...)
		switch {
		case len(d.Start) > 0:
			at = append(at, w.now)
			w.now = w.now.Add(failLatency)
			failing = w.tasks[len(w.tasks)-1]
			failing.DesiredStatus, failing.StopCode = ecs.TaskStopped, ecs.StopTaskFailedToStart
		case failing != nil:
			w.exit(failing)
			failing = nil
		case d.Wake.IsZero() || !d.Wake.After(w.now):
			t.Fatalf("attempt %d: no launch and no later wake (%v): %v", len(at)+1, d.Wake, deployments(d))
		default:
			w.now = d.Wake
		}
	}
	return at, events
}

// TestThrottleGapsNeverShrinkAndStopAt27Minutes is ECS behaviour T7's
// arithmetic over a long failure: the gaps between launch attempts of a
// task that never reaches RUNNING never shrink and stop growing at 27
// minutes, berth's choice of ECS's "incrementally increased up to a
// maximum of 27 minutes": 10 s doubling (10, 20, 40, … 1280 s), then
// 1620 s, each after the failed attempt's own second. The third failed
// attempt says, in ECS's words, that the service cannot start tasks.
func TestThrottleGapsNeverShrinkAndStopAt27Minutes(t *testing.T) {
	w := newWorld(svc(1, nil), instances(1))
	at, events := launchAttempts(t, w, 14)
	var gaps []time.Duration
	for i := 1; i < len(at); i++ {
		gaps = append(gaps, at[i].Sub(at[i-1]))
	}
	s := time.Second
	want := []time.Duration{10 * s, 20 * s, 40 * s, 80 * s, 160 * s, 320 * s, 640 * s, 1280 * s, 1620 * s, 1620 * s, 1620 * s, 1620 * s, 1620 * s}
	for i := range want {
		want[i] += failLatency
	}
	same(t, "gaps between launch attempts", want, gaps)
	for i := 1; i < len(gaps); i++ {
		if gaps[i] < gaps[i-1] || gaps[i] > throttleMax+failLatency {
			t.Errorf("gap %d is %s after %s: want never shorter, at most 27 min after the attempt", i+1, gaps[i], gaps[i-1])
		}
	}
	impaired := "(service web) is unable to consistently start tasks successfully. " +
		"For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
	first := slices.IndexFunc(events, func(e ecs.ServiceEvent) bool { return e.Message == impaired })
	if first < 0 || !events[first].CreatedAt.Equal(at[2].Add(failLatency)) {
		t.Errorf("events %v: want %q when the third attempt fails, at %s", events, impaired, at[2].Add(failLatency))
	}
}

// TestThrottleIgnoresTasksThatRan is T7's other two rules: a task that
// reaches RUNNING and then exits 1 neither delays the next launch nor
// grows the delay of the next failed attempt; and UpdateService to a new
// task definition launches at once, however long the old one's delay.
func TestThrottleIgnoresTasksThatRan(t *testing.T) {
	t.Run("a task that ran and exited 1 neither delays nor grows the delay", func(t *testing.T) {
		w := newWorld(svc(1, nil), instances(1))
		launchAttempts(t, w, 3)
		if d := w.step(); d.Wake.Sub(w.now) != 40*time.Second {
			t.Fatalf("after the third failed attempt the launch is held %s, want 40s", d.Wake.Sub(w.now))
		}
		w.now = w.now.Add(40 * time.Second)
		if d := w.step(); len(d.Start) != 1 {
			t.Fatalf("40 s after the third failure: %v, want a launch", actions(d))
		}
		ran := w.tasks[len(w.tasks)-1]
		w.run(ran)
		w.now = w.now.Add(5 * time.Second)
		w.exit(ran) // EssentialContainerExited, exit code 1
		d := w.step()
		if len(d.Start) != 1 || d.Service.Primary().LaunchFailures != 3 {
			t.Fatalf("after a task that ran exited: %v, %v; want a launch at once, still 3 failed attempts", actions(d), deployments(d))
		}
		w.now = w.now.Add(failLatency)
		w.exit(w.tasks[len(w.tasks)-1]) // never RUNNING: the fourth failed attempt
		if d := w.step(); d.Wake.Sub(w.now) != 80*time.Second {
			t.Errorf("after the fourth failed attempt the launch is held %s, want 1m20s (the fourth attempt's delay, not the fifth's)", d.Wake.Sub(w.now))
		}
	})
	t.Run("a new task definition launches at once, at any delay", func(t *testing.T) {
		w := newWorld(svc(1, nil), instances(1))
		launchAttempts(t, w, 10)
		d := w.step()
		if held := d.Wake.Sub(w.now); held != throttleMax {
			t.Fatalf("after 10 failed attempts the launch is held %s, want 27m0s", held)
		}
		w.update("web:2")
		d = w.step()
		if got, want := actions(d), "start 1 of ecs-svc/2 (web:2)"; len(got) == 0 || got[0] != want {
			t.Errorf("at the update: %v, want %q at once", got, want)
		}
	})
}
