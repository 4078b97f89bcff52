package ecsapi

import (
	"testing"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

// TestDescribeTasksConnectivityFollowsTheAgent: a task is CONNECTED while
// its instance's agent is, DISCONNECTED while it is away, and CONNECTED
// again when it is back; a task on another instance is not affected.
func TestDescribeTasksConnectivityFollowsTheAgent(t *testing.T) {
	e := newEnv(t)
	cluster := e.cluster(t)
	e.agents(t, cluster, 2, 256, 512) // room for one task each
	family := e.taskDef(t)
	tasks := []string{e.runOne(t, cluster, family), e.runOne(t, cluster, family)}
	away := e.storedTask(t, cluster, tasks[0]).ContainerInstanceID

	steps := []struct {
		name      string
		connected bool
		want      []wire.Connectivity // tasks[0], tasks[1]
	}{
		{"both agents connected", true, []wire.Connectivity{wire.ConnectivityConnected, wire.ConnectivityConnected}},
		{"the first task's agent away", false, []wire.Connectivity{wire.ConnectivityDisconnected, wire.ConnectivityConnected}},
		{"that agent back", true, []wire.Connectivity{wire.ConnectivityConnected, wire.ConnectivityConnected}},
	}
	for _, step := range steps {
		e.editInstance(t, cluster, away, func(i *ecs.ContainerInstance) { i.AgentConnected = step.connected })
		out, err := e.api.DescribeTasks(e.ctx(), &wire.DescribeTasksRequest{Cluster: ptr(cluster), Tasks: tasks})
		if err != nil || len(out.Tasks) != 2 {
			t.Fatalf("%s: DescribeTasks: %v %v", step.name, err, out)
		}
		for i, task := range out.Tasks {
			if task.Connectivity != step.want[i] {
				t.Fatalf("%s: task %d connectivity %s, want %s", step.name, i, task.Connectivity, step.want[i])
			}
		}
	}
}
