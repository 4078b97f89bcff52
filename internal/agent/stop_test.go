package agent

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

// runTask runs one task of taskDef through the ECS API and returns its
// id.
func (c *cluster) runTask(taskDef string) string {
	c.t.Helper()
	out, err := c.ecs.RunTask(context.Background(), &wire.RunTaskRequest{TaskDefinition: &taskDef})
	if err != nil || len(out.Tasks) != 1 {
		c.t.Fatalf("RunTask: %v, %+v", err, out)
	}
	arn := *out.Tasks[0].TaskArn
	return arn[strings.LastIndexByte(arn, '/')+1:]
}

// TestAgentSignalsEveryContainerWithoutWaitingForExits pins ECS behaviour
// T3 on the agent: when an essential container exits, each other
// container gets its stop signal at once, although the engine's stop call
// for the first one signalled does not return until that container has
// exited (up to its stopTimeout later), and without inspecting every
// container again before each step on the way.
func TestAgentSignalsEveryContainerWithoutWaitingForExits(t *testing.T) {
	c := newCluster(t)
	rt := newFakeRuntime()
	release := rt.holdStops()
	t.Cleanup(release)
	c.startAgent(rt, t.TempDir())
	named := func(name string) wire.ContainerDefinition {
		d := appContainer()
		d.Name = &name
		return d
	}
	id := c.runTask(c.register("trio", named("main"), named("left"), named("right")))
	c.awaitStatus(id, ecs.TaskRunning)
	runtimeID := func(name string) string {
		info, _ := rt.byName("berth-" + id + "-" + name)
		return info.ID
	}

	inspected := rt.inspectCount()
	rt.exit(runtimeID("main"), 3)
	want := []string{runtimeID("left"), runtimeID("right")}
	c.await("both other containers are signalled while neither has exited", func() bool {
		got, _ := rt.stopped()
		return len(got) == 2 && slices.Contains(got, want[0]) && slices.Contains(got, want[1])
	})
	// One look at the task's 3 containers finds the exit; the stop
	// signals follow without another (a second round, woken by something
	// else meanwhile, is tolerated).
	if _, before := rt.stopped(); before[1]-inspected > 2*3 {
		t.Errorf("%d inspects between the exit and the last stop signal, want one look at each container", before[1]-inspected)
	}
	release()
	stopped := c.awaitStatus(id, ecs.TaskStopped)
	if code, reason := stopped.StopCodeAndReason(); code != ecs.StopEssentialContainerExited || reason != ecs.ReasonEssentialContainerExited {
		t.Errorf("stop code and reason = %q, %q", code, reason)
	}
	if got, _ := rt.stopped(); len(got) != 2 {
		t.Errorf("stop calls %v, want one for each of %v", got, want)
	}
}
