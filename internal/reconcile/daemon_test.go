package reconcile

import (
	"testing"

	"github.com/berth-org/berth/internal/ecs"
)

// daemonV1 is a DAEMON service running web:1.
func daemonV1() ecs.Service { return svc(0, []ecs.Deployment{v1}, daemonStrategy) }

// oneEach is a web:1 task on each of i-1 … i-3.
var oneEach = []Task{tk("t1", "ecs-svc/1", on("i-1")), tk("t2", "ecs-svc/1", on("i-2")), tk("t3", "ecs-svc/1", on("i-3"))}

func TestDaemonPlacesOneTaskPerInstance(t *testing.T) {
	run(t, []stepCase{{
		name: "one task starts on every ACTIVE, connected instance that meets the constraints",
		in:   Input{Service: daemonV1(), Instances: instances(3)},
		want: []string{"start 1 of ecs-svc/1 (web:1) on i-1", "start 1 of ecs-svc/1 (web:1) on i-2", "start 1 of ecs-svc/1 (web:1) on i-3"},
		deps: []string{"ecs-svc/1 PRIMARY COMPLETED desired=3 running=0 pending=0 failed=0"},
	}, {
		name: "an instance that joins gets its task",
		in:   Input{Service: daemonV1(), Instances: instances(4), Tasks: oneEach},
		want: []string{"start 1 of ecs-svc/1 (web:1) on i-4"},
	}, {
		name: "instances that do not meet the constraints, or cannot take a task now, get none",
		in: Input{
			Service:   daemonV1(),
			Instances: []Instance{inst("i-1"), inst("i-2", ineligible), inst("i-3", disconnected), inst("i-4", draining)},
		},
		want: []string{"start 1 of ecs-svc/1 (web:1) on i-1"},
		deps: []string{"ecs-svc/1 PRIMARY COMPLETED desired=1 running=0 pending=0 failed=0"},
	}, {
		name: "a task on an instance whose agent is disconnected stays",
		in:   Input{Service: daemonV1(), Instances: []Instance{inst("i-1"), inst("i-2"), inst("i-3", disconnected)}, Tasks: oneEach},
		want: []string{steadyMsg},
	}, {
		name: "a task on an instance that no longer meets the constraints stops",
		in:   Input{Service: daemonV1(), Instances: []Instance{inst("i-1"), inst("i-2"), inst("i-3", ineligible)}, Tasks: oneEach},
		want: []string{"stop t3: " + scaling1},
	}, {
		name: "on a draining instance a PENDING task stops at once",
		in: Input{
			Service:   daemonV1(),
			Instances: []Instance{inst("i-1"), inst("i-2", draining, replicaTasks(2))},
			Tasks:     []Task{tk("t1", "ecs-svc/1", on("i-1")), tk("t2", "ecs-svc/1", on("i-2"), pendingTask)},
		},
		want: []string{"stop t2: " + scaling1},
	}, {
		name: "on a draining instance a RUNNING task waits for the replica tasks to leave",
		in: Input{
			Service:   daemonV1(),
			Instances: []Instance{inst("i-1"), inst("i-2", draining, replicaTasks(2))},
			Tasks:     []Task{tk("t1", "ecs-svc/1", on("i-1")), tk("t2", "ecs-svc/1", on("i-2"))},
		},
		want: nil,
	}, {
		name: "... and stops once they have",
		in: Input{
			Service:   daemonV1(),
			Instances: []Instance{inst("i-1"), inst("i-2", draining)},
			Tasks:     []Task{tk("t1", "ecs-svc/1", on("i-1")), tk("t2", "ecs-svc/1", on("i-2"))},
		},
		want: []string{"stop t2: " + scaling1},
	}, {
		name: "a second task on one instance stops",
		in: Input{
			Service: daemonV1(), Instances: instances(1),
			Tasks: []Task{tk("t1", "ecs-svc/1"), tk("t2", "ecs-svc/1", pendingTask)},
		},
		want: []string{"stop t2: " + scaling1},
	}})
}

func TestDaemonRollingUpdate(t *testing.T) {
	run(t, []stepCase{{
		name: "min 0%, max 100%: an update stops every old task first",
		in: Input{
			Service:   svc(3, []ecs.Deployment{v2, dep("ecs-svc/1", "web:1", old(3))}, daemonStrategy),
			Instances: instances(3), Tasks: oneEach,
		},
		want: []string{"stop t1: " + scaling1, "stop t2: " + scaling1, "stop t3: " + scaling1},
	}, {
		name: "... then starts the new one where the old one has stopped",
		in: Input{
			Service:   svc(3, []ecs.Deployment{v2, dep("ecs-svc/1", "web:1", old(3))}, daemonStrategy),
			Instances: instances(3),
			Tasks: []Task{tk("t1", "ecs-svc/1", on("i-1"), stoppedTask(ecs.StopServiceSchedulerInitiated, false)),
				tk("t2", "ecs-svc/1", on("i-2"), stopAsked), tk("t3", "ecs-svc/1", on("i-3"), stopAsked)},
		},
		want: []string{"start 1 of ecs-svc/2 (web:2) on i-1"},
	}, {
		name: "min 50% of 3 instances: the floor keeps two covered",
		in: Input{
			Service:   svc(3, []ecs.Deployment{v2, dep("ecs-svc/1", "web:1", old(3))}, daemonStrategy, minMax(50, 100)),
			Instances: instances(3), Tasks: oneEach,
		},
		want: []string{"stop t1: " + scaling1},
	}, {
		name: "max 200%: the new task starts first on every instance",
		in: Input{
			Service:   svc(3, []ecs.Deployment{v2, dep("ecs-svc/1", "web:1", old(3))}, daemonStrategy, minMax(100, 200)),
			Instances: instances(3), Tasks: oneEach,
		},
		want: []string{"start 1 of ecs-svc/2 (web:2) on i-1", "start 1 of ecs-svc/2 (web:2) on i-2", "start 1 of ecs-svc/2 (web:2) on i-3"},
	}, {
		name: "... and the old one stops once the new one is healthy",
		in: Input{
			Service:   svc(3, []ecs.Deployment{v2, dep("ecs-svc/1", "web:1", old(3))}, daemonStrategy, minMax(100, 200)),
			Instances: instances(3),
			Tasks:     append(oneEach, tk("n1", "ecs-svc/2", on("i-1")), tk("n2", "ecs-svc/2", on("i-2"), pendingTask)),
		},
		want: []string{"start 1 of ecs-svc/2 (web:2) on i-3", "stop t1: " + scaling1},
	}})
}
