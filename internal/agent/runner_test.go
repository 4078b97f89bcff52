package agent

import (
	"testing"
	"time"

	"github.com/berth-org/berth/internal/ecs"
)

// driving reports whether a goroutine is running task id's rounds.
func (a *Agent) driving(id string) bool {
	a.mu.Lock()
	r := a.runners[id]
	a.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.active
}

// runnerOf returns task id's runner (nil when the agent has none).
func (a *Agent) runnerOf(id string) *runner {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.runners[id]
}

// runningTask is an agent on a fake runtime with one task RUNNING on it.
type runningTask struct {
	c    *cluster
	rt   *fakeRuntime
	a    *Agent
	stop func() // stops the agent
	id   string
}

// startRunningTask starts an agent (its configuration edited by edit,
// nil for none) and runs one task on it to RUNNING.
func startRunningTask(t *testing.T, edit func(*Config)) runningTask {
	t.Helper()
	f := runningTask{c: newCluster(t), rt: newFakeRuntime()}
	f.a, f.stop = f.c.startAgentWith(f.rt, t.TempDir(), edit)
	f.id = f.c.place(f.a, f.c.register("web", appContainer()))
	f.c.awaitStatus(f.id, ecs.TaskRunning)
	return f
}

// A task at rest holds no goroutine; a container event wakes it, and it
// carries on where it was.
func TestRunnerHoldsNoGoroutineAtRestAndWakesOnAnEvent(t *testing.T) {
	f := startRunningTask(t, nil)
	c, rt, a, id := f.c, f.rt, f.a, f.id
	c.await("the running task's runner leaves its goroutine", func() bool { return !a.driving(id) })

	info, _ := rt.byName("berth-" + id + "-app")
	rt.exit(info.ID, 0)
	stopped := c.awaitStatus(id, ecs.TaskStopped)
	if code, _ := stopped.StopCodeAndReason(); code != ecs.StopEssentialContainerExited {
		t.Errorf("stop code = %q, want %q", code, ecs.StopEssentialContainerExited)
	}
}

// A wake-up while a round runs is not lost: the goroutine running it runs
// another before it leaves, and no second goroutine starts.
func TestRunnerWokenDuringARoundRunsAnother(t *testing.T) {
	f := startRunningTask(t, nil)
	c, rt, a, id := f.c, f.rt, f.a, f.id
	c.await("the runner is at rest", func() bool { return !a.driving(id) })
	r := a.runnerOf(id)

	r.mu.Lock()
	r.active = true // as if a round were running
	r.mu.Unlock()
	r.poke()
	r.mu.Lock()
	again, active := r.again, r.active
	r.mu.Unlock()
	if !again || !active {
		t.Fatalf("after a wake-up during a round: again %v, active %v; want both", again, active)
	}
	inspects := rt.inspectCount()
	r.mu.Lock()
	r.active, r.again = false, false
	r.mu.Unlock()
	r.poke()
	c.await("a wake-up at rest runs a round (it inspects the container)", func() bool {
		return rt.inspectCount() > inspects && !a.driving(id)
	})
}

// Once Run has returned, a wake-up (a runner's timer firing late) starts
// nothing.
func TestRunnerStartsNoRoundAfterTheAgentStops(t *testing.T) {
	f := startRunningTask(t, nil)
	rt, a, id := f.rt, f.a, f.id
	f.stop()

	inspects := rt.inspectCount()
	a.runnerOf(id).poke()
	if a.driving(id) {
		t.Error("a wake-up after the agent stopped left the runner driving")
	}
	if got := rt.inspectCount(); got != inspects {
		t.Errorf("a wake-up after the agent stopped ran a round: %d inspects, want %d", got, inspects)
	}
}

// A stopped task's runner rests until its cleanup time, which its own
// timer wakes it for: it removes the containers and forgets the task.
func TestRunnerWakesItselfToCleanUp(t *testing.T) {
	f := startRunningTask(t, func(cfg *Config) { cfg.CleanupWait = 100 * time.Millisecond })
	c, rt, a, id := f.c, f.rt, f.a, f.id
	c.stop(id)
	c.awaitStatus(id, ecs.TaskStopped)

	c.await("the stopped task's containers are removed and the task forgotten", func() bool {
		_, exists := rt.byName("berth-" + id + "-app")
		return !exists && a.runnerOf(id) == nil
	})
}
