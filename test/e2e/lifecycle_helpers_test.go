package e2e

// Helpers for the task lifecycle scenarios (ECS behaviour §6.3, T3–T8),
// which are measured on Docker's own clock: the engine's events say when
// it started a container, sent it a signal (the event "kill", with the
// signal's number) and saw it exit ("die"), and docker inspect when a
// container started, exited and passed a health check. A container's own
// view of when a signal reached it is no use: its trap runs only once
// the command in hand returns, late by a fork on a loaded machine.

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Container scripts for stop signals. A trap interrupts the shell's wait
// at once, where a sleep in the foreground would hold it.
const (
	idle = "while true; do sleep 1 & wait; done"
	// termExits exits 0 on SIGTERM.
	termExits = "trap 'exit 0' TERM; " + idle
	// termExitsAfter1s exits 0 a second after SIGTERM.
	termExitsAfter1s = "trap 'sleep 1; exit 0' TERM; " + idle
	// termIgnored carries on after SIGTERM, until SIGKILL.
	termIgnored = "trap '' TERM; " + idle
)

// Signals as the engine's kill events number them.
const (
	sigTERM = int(syscall.SIGTERM)
	sigKILL = int(syscall.SIGKILL)
	sigUSR1 = int(syscall.SIGUSR1)
)

// engineEvent is one of Docker's events about a container.
type engineEvent struct {
	At        time.Time
	Action    string // create, start, kill, die, stop, ...
	TaskARN   string
	Container string // the ECS container name
	Signal    int    // of a kill
	ExitCode  int    // of a die
}

// engineEvents records Docker's events about one agent's containers.
type engineEvents struct {
	t  testing.TB
	mu sync.Mutex
	// all are the events so far, in Docker's order.
	all []engineEvent
}

// watchEngine records Docker's events about a's containers from now on,
// until the test ends: docker events, replaying from the moment it was
// started, so that nothing is missed while it connects.
func watchEngine(t testing.TB, a *agentProc) *engineEvents {
	t.Helper()
	since := strconv.FormatFloat(float64(time.Now().UnixNano())/1e9, 'f', 3, 64)
	cmd := exec.Command("docker", "events", "--since", since, "--format", "{{json .}}",
		"--filter", "type=container", "--filter", "label=com.berth.instance-arn="+a.ARN)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e := &engineEvents{t: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			e.add(lines.Bytes())
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		_ = cmd.Wait()
	})
	return e
}

func (e *engineEvents) add(line []byte) {
	var raw struct {
		Action   string
		TimeNano int64
		Actor    struct{ Attributes map[string]string }
	}
	if err := json.Unmarshal(line, &raw); err != nil {
		return // not an event; docker events prints nothing else
	}
	attrs := raw.Actor.Attributes
	ev := engineEvent{At: time.Unix(0, raw.TimeNano), Action: raw.Action,
		TaskARN: attrs["com.berth.task-arn"], Container: attrs["com.berth.container-name"]}
	ev.Signal, _ = strconv.Atoi(attrs["signal"])
	ev.ExitCode, _ = strconv.Atoi(attrs["exitCode"])
	e.mu.Lock()
	e.all = append(e.all, ev)
	e.mu.Unlock()
}

// exits waits until Docker has reported the exit of each of the named
// containers of the task, and returns the events of each of the task's
// containers, by name.
func (e *engineEvents) exits(taskARN string, containers ...string) map[string]containerEvents {
	e.t.Helper()
	var byName map[string]containerEvents
	awaitf(e.t, "Docker reports the exits of "+taskARN+"'s containers", func() bool {
		byName = map[string]containerEvents{}
		e.mu.Lock()
		for _, ev := range e.all {
			if ev.TaskARN == taskARN {
				byName[ev.Container] = append(byName[ev.Container], ev)
			}
		}
		e.mu.Unlock()
		for _, name := range containers {
			if _, ok := byName[name].first("die", 0); !ok {
				return false
			}
		}
		return true
	})
	return byName
}

// containerEvents are Docker's events about one container, in order.
type containerEvents []engineEvent

// first is the first event of the action (for a kill, of the signal;
// signal 0 for any).
func (evs containerEvents) first(action string, signal int) (engineEvent, bool) {
	for _, ev := range evs {
		if ev.Action == action && (signal == 0 || ev.Signal == signal) {
			return ev, true
		}
	}
	return engineEvent{}, false
}

// at is when the first event of the action happened; it fails the test
// when there was none.
func (evs containerEvents) at(t testing.TB, action string, signal int) time.Time {
	t.Helper()
	ev, ok := evs.first(action, signal)
	if !ok {
		t.Fatalf("no %s event (signal %d) among %+v", action, signal, evs)
	}
	return ev.At
}

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

// within says d is in [lo, hi].
func within(d, lo, hi time.Duration) bool { return d >= lo && d <= hi }
