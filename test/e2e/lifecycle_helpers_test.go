package e2e

// Helpers for the task lifecycle scenarios (ECS behaviour §6.3, T3–T8):
// what Docker recorded of a container's life, which is where their
// timings are measured. Docker's clock stamps both a container's start
// and exit (docker inspect) and each line it prints (docker logs
// --timestamps), so the scripts below print a line when a signal reaches
// them, and the tests compare those times with the exits they caused.

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Container scripts that say which signal reached them, at once: a trap
// interrupts the shell's wait, not a sleep in the foreground.
const (
	// termExits prints TERM and exits 0 on SIGTERM.
	termExits = "trap 'echo TERM; exit 0' TERM; while true; do sleep 1 & wait; done"
	// termExitsAfter1s prints TERM on SIGTERM and exits 0 a second later.
	termExitsAfter1s = "trap 'echo TERM; sleep 1; exit 0' TERM; while true; do sleep 1 & wait; done"
	// termIgnored prints TERM on SIGTERM and carries on, until SIGKILL.
	termIgnored = "trap 'echo TERM' TERM; while true; do sleep 1 & wait; done"
)

// signalSlack is how late a signal's line may be logged after Docker sent
// the signal: the trap runs as soon as the shell's wait is interrupted,
// and Docker stamps the line as it reads it. It also covers the agent's
// reaction to a container's exit (an event, an inspect, a few fsyncs), on
// a loaded 2-core machine.
const signalSlack = 500 * time.Millisecond

// containerLife is what docker inspect says of a container's run.
type containerLife struct {
	Started, Finished time.Time
	ExitCode          int
	// HealthyAt is the end of the first health check that passed (zero
	// if none has, or the container has no health check).
	HealthyAt time.Time
}

// started says Docker ever started the container.
func (l containerLife) started() bool { return l.Started.Year() > 1 }

// lifeOf inspects a container.
func lifeOf(t testing.TB, id string) containerLife {
	t.Helper()
	out, err := docker("inspect", "--format", "{{json .State}}", id)
	if err != nil {
		t.Fatalf("docker inspect %s: %v: %s", id, err, out)
	}
	var st struct {
		StartedAt, FinishedAt time.Time
		ExitCode              int
		Health                *struct {
			Log []struct {
				End      time.Time
				ExitCode int
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("docker inspect %s: %v: %s", id, err, out)
	}
	l := containerLife{Started: st.StartedAt, Finished: st.FinishedAt, ExitCode: st.ExitCode}
	if st.Health != nil {
		for _, probe := range st.Health.Log {
			if probe.ExitCode == 0 {
				l.HealthyAt = probe.End
				break
			}
		}
	}
	return l
}

// loggedAt is when Docker read the first line the container printed that
// is exactly text; it fails the test when there is none.
func loggedAt(t testing.TB, id, text string) time.Time {
	t.Helper()
	out, err := docker("logs", "--timestamps", id)
	if err != nil {
		t.Fatalf("docker logs %s: %v: %s", id, err, out)
	}
	for line := range strings.Lines(out) {
		stamp, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		if rest != text {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, stamp)
		if err != nil {
			t.Fatalf("docker logs %s: line %q: %v", id, line, err)
		}
		return at
	}
	t.Fatalf("container %s never printed %q; its log:\n%s", id, text, out)
	return time.Time{}
}

// within says d is in [lo, hi].
func within(d, lo, hi time.Duration) bool { return d >= lo && d <= hi }
