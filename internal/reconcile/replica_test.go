package reconcile

import (
	"slices"
	"testing"
	"time"

	"github.com/berth-org/berth/internal/ecs"
)

// stepCase is one table case: an input and what Step must decide.
type stepCase struct {
	name string
	in   Input
	want []string // actions(decision)
	deps []string // deployments(decision); nil: not checked
	wake string   // relTime(decision.Wake, t0); "": not checked
}

// run steps each case at t0 (over instances i-1 … i-3 unless the case
// has its own) and compares.
func run(t *testing.T, cases []stepCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.in.Now.IsZero() {
				c.in.Now = t0
			}
			if c.in.Instances == nil {
				c.in.Instances = instances(3)
			}
			d := Step(c.in)
			same(t, "actions", c.want, actions(d))
			if c.deps != nil {
				same(t, "deployments", c.deps, deployments(d))
			}
			if c.wake != "" {
				same(t, "wake", c.wake, relTime(d.Wake, t0))
			}
		})
	}
}

var (
	v1 = dep("ecs-svc/1", "web:1", completed)
	v2 = dep("ecs-svc/2", "web:2")
)

const (
	scaling1  = "Scaling activity initiated by (deployment ecs-svc/1)"
	scaling2  = "Scaling activity initiated by (deployment ecs-svc/2)"
	steadyMsg = "event (service web) has reached a steady state."
)

func cat(tss ...[]Task) []Task { return slices.Concat(tss...) }

func TestReplicaHoldsDesiredCount(t *testing.T) {
	run(t, []stepCase{{
		name: "a new service starts desiredCount tasks",
		in:   Input{Service: svc(4, []ecs.Deployment{dep("ecs-svc/1", "web:1")})},
		want: []string{"start 4 of ecs-svc/1 (web:1)"},
		deps: []string{"ecs-svc/1 PRIMARY IN_PROGRESS desired=4 running=0 pending=0 failed=0"},
	}, {
		name: "a steady service does nothing and says so",
		in:   Input{Service: svc(4, []ecs.Deployment{v1}), Tasks: tasks("t", "ecs-svc/1", 4)},
		want: []string{steadyMsg},
		deps: []string{"ecs-svc/1 PRIMARY COMPLETED desired=4 running=4 pending=0 failed=0"},
	}, {
		name: "scale out starts the difference",
		in:   Input{Service: svc(9, []ecs.Deployment{v1}), Tasks: tasks("t", "ecs-svc/1", 4)},
		want: []string{"start 5 of ecs-svc/1 (web:1)"},
	}, {
		name: "scale out starts no more than maximumPercent allows",
		in: Input{
			Service: svc(4, []ecs.Deployment{v1}, minMax(100, 125)),
			Tasks:   cat(tasks("t", "ecs-svc/1", 2), tasks("s", "ecs-svc/1", 3, stopAsked)),
		},
		want: nil,
	}, {
		name: "a stopped task is replaced",
		in: Input{
			Service: svc(3, []ecs.Deployment{v1}),
			Tasks:   cat(tasks("t", "ecs-svc/1", 2), []Task{tk("t3", "ecs-svc/1", stoppedTask(ecs.StopUserInitiated, false))}),
		},
		want: []string{"start 1 of ecs-svc/1 (web:1)"},
	}, {
		name: "scale in stops PENDING tasks first, then tasks not yet healthy",
		in: Input{
			Service: svc(2, []ecs.Deployment{v1}),
			Tasks: cat(tasks("t", "ecs-svc/1", 2),
				[]Task{tk("t3", "ecs-svc/1", pendingTask), tk("t4", "ecs-svc/1", runningFor(10*time.Second))}),
		},
		want: []string{"stop t3: " + scaling1, "stop t4: " + scaling1},
	}, {
		name: "scale in leaves which healthy tasks stop to the placement strategies",
		in:   Input{Service: svc(2, []ecs.Deployment{v1}), Tasks: tasks("t", "ecs-svc/1", 4)},
		want: []string{"stop 2 of t1 t2 t3 t4: " + scaling1},
		deps: []string{"ecs-svc/1 PRIMARY COMPLETED desired=2 running=4 pending=0 failed=0"},
	}, {
		name: "scale to zero stops every task",
		in:   Input{Service: svc(0, []ecs.Deployment{v1}), Tasks: tasks("t", "ecs-svc/1", 2)},
		want: []string{"stop t1: " + scaling1, "stop t2: " + scaling1},
	}, {
		name: "tasks asked to stop hold their place until STOPPED",
		in: Input{
			Service: svc(2, []ecs.Deployment{v1}, minMax(100, 100)),
			Tasks:   cat(tasks("t", "ecs-svc/1", 1), tasks("s", "ecs-svc/1", 1, stopAsked)),
		},
		want: nil,
	}})
}

func TestReplicaRollingUpdate(t *testing.T) {
	oldV1 := dep("ecs-svc/1", "web:1", old(4))
	run(t, []stepCase{{
		name: "min 100%, max 200%: four new tasks start, no old one stops",
		in:   Input{Service: svc(4, []ecs.Deployment{v2, oldV1}), Tasks: tasks("o", "ecs-svc/1", 4)},
		want: []string{"start 4 of ecs-svc/2 (web:2)"},
		deps: []string{
			"ecs-svc/2 PRIMARY IN_PROGRESS desired=4 running=0 pending=0 failed=0",
			"ecs-svc/1 ACTIVE COMPLETED desired=4 running=4 pending=0 failed=0",
		},
	}, {
		name: "min 50%, max 200%: two old tasks stop at once and four new start (desired 4)",
		in:   Input{Service: svc(4, []ecs.Deployment{v2, oldV1}, minMax(50, 200)), Tasks: tasks("o", "ecs-svc/1", 4)},
		want: []string{"start 4 of ecs-svc/2 (web:2)", "stop 2 of o1 o2 o3 o4: " + scaling1},
		deps: []string{
			"ecs-svc/2 PRIMARY IN_PROGRESS desired=4 running=0 pending=0 failed=0",
			"ecs-svc/1 ACTIVE COMPLETED desired=2 running=4 pending=0 failed=0",
		},
	}, {
		name: "min 0%, max 100%: every old task stops first, nothing starts yet",
		in:   Input{Service: svc(4, []ecs.Deployment{v2, oldV1}, minMax(0, 100)), Tasks: tasks("o", "ecs-svc/1", 4)},
		want: []string{"stop o1: " + scaling1, "stop o2: " + scaling1, "stop o3: " + scaling1, "stop o4: " + scaling1},
	}, {
		name: "min 100%, max 150% of 3: one new task starts first",
		in:   Input{Service: svc(3, []ecs.Deployment{v2, dep("ecs-svc/1", "web:1", old(3))}, minMax(100, 150)), Tasks: tasks("o", "ecs-svc/1", 3)},
		want: []string{"start 1 of ecs-svc/2 (web:2)"},
	}, {
		name: "min 100%, max 100%: the update can neither start nor stop, and stalls",
		in:   Input{Service: svc(4, []ecs.Deployment{v2, oldV1}, minMax(100, 100)), Tasks: tasks("o", "ecs-svc/1", 4)},
		want: nil,
	}, {
		name: "as new tasks turn healthy, as many old ones stop",
		in: Input{
			Service: svc(4, []ecs.Deployment{v2, oldV1}),
			Tasks:   cat(tasks("o", "ecs-svc/1", 4), tasks("n", "ecs-svc/2", 2), tasks("p", "ecs-svc/2", 2, pendingTask)),
		},
		want: []string{"stop 2 of o1 o2 o3 o4: " + scaling1},
	}, {
		name: "old tasks not yet healthy stop before healthy ones",
		in: Input{
			Service: svc(4, []ecs.Deployment{v2, oldV1}),
			Tasks: cat(tasks("o", "ecs-svc/1", 3), []Task{tk("o4", "ecs-svc/1", pendingTask)},
				tasks("n", "ecs-svc/2", 1), tasks("p", "ecs-svc/2", 3, pendingTask)),
		},
		want: []string{"stop o4: " + scaling1},
	}, {
		name: "of two old deployments the oldest drains first",
		in: Input{
			Service: svc(4, []ecs.Deployment{
				dep("ecs-svc/3", "web:3"), dep("ecs-svc/2", "web:2", old(2)), dep("ecs-svc/1", "web:1", old(2)),
			}),
			Tasks: cat(tasks("a", "ecs-svc/1", 2), tasks("b", "ecs-svc/2", 2), tasks("n", "ecs-svc/3", 2), tasks("p", "ecs-svc/3", 2, pendingTask)),
		},
		want: []string{"stop a1: " + scaling1, "stop a2: " + scaling1},
	}})
}

func TestReplicaRolloutEnds(t *testing.T) {
	oldV1 := dep("ecs-svc/1", "web:1", old(4))
	run(t, []stepCase{{
		name: "an old task that dies is replaced by its own revision while the floor needs it",
		in: Input{
			Service: svc(4, []ecs.Deployment{v2, oldV1}),
			Tasks: cat(tasks("o", "ecs-svc/1", 3), []Task{tk("o4", "ecs-svc/1", stoppedTask(ecs.StopEssentialContainerExited, false))},
				tasks("p", "ecs-svc/2", 4, pendingTask)),
		},
		want: []string{"start 1 of ecs-svc/1 (web:1)"},
	}, {
		name: "... but not once the new revision holds the floor",
		in: Input{
			Service: svc(4, []ecs.Deployment{v2, oldV1}),
			Tasks: cat(tasks("o", "ecs-svc/1", 3), []Task{tk("o4", "ecs-svc/1", stoppedTask(ecs.StopEssentialContainerExited, false))},
				tasks("n", "ecs-svc/2", 1), tasks("p", "ecs-svc/2", 3, pendingTask)),
		},
		want: nil,
		deps: []string{
			"ecs-svc/2 PRIMARY IN_PROGRESS desired=4 running=1 pending=3 failed=0",
			"ecs-svc/1 ACTIVE COMPLETED desired=3 running=3 pending=0 failed=1",
		},
	}, {
		name: "old tasks on their way out hold the PRIMARY's completion",
		in: Input{
			Service: svc(4, []ecs.Deployment{v2, dep("ecs-svc/1", "web:1", old(0))}),
			Tasks:   cat(tasks("o", "ecs-svc/1", 1, stopAsked), tasks("n", "ecs-svc/2", 4)),
		},
		want: nil,
	}, {
		name: "the PRIMARY completes once it runs desiredCount healthy tasks and the old deployment is gone",
		in: Input{
			Service: svc(4, []ecs.Deployment{v2, dep("ecs-svc/1", "web:1", old(0))}),
			Tasks: cat(tasks("o", "ecs-svc/1", 4, stoppedTask(ecs.StopServiceSchedulerInitiated, false)),
				tasks("n", "ecs-svc/2", 4)),
		},
		want: []string{"event (service web) (deployment ecs-svc/2) deployment completed.", steadyMsg},
		deps: []string{"ecs-svc/2 PRIMARY COMPLETED desired=4 running=4 pending=0 failed=0"},
	}})
}

func TestReplicaReplacesUnhealthyTasks(t *testing.T) {
	healthyHC := checked(ecs.HealthHealthy)
	run(t, []stepCase{{
		name: "the replacement starts first when maximumPercent allows",
		in: Input{
			Service: svc(4, []ecs.Deployment{v1}),
			Tasks:   cat(tasks("t", "ecs-svc/1", 3, healthyHC), []Task{tk("t4", "ecs-svc/1", checked(ecs.HealthUnhealthy))}),
		},
		want: []string{"start 1 of ecs-svc/1 (web:1)"},
		deps: []string{"ecs-svc/1 PRIMARY COMPLETED desired=4 running=4 pending=0 failed=1"},
	}, {
		name: "the unhealthy task stops once its replacement is healthy",
		in: Input{
			Service: svc(4, []ecs.Deployment{dep("ecs-svc/1", "web:1", completed, settledTasks("t4"))}),
			Tasks:   cat(tasks("t", "ecs-svc/1", 3, healthyHC), []Task{tk("t4", "ecs-svc/1", checked(ecs.HealthUnhealthy)), tk("t5", "ecs-svc/1", healthyHC)}),
		},
		want: []string{"stop t4: Task failed container health checks", "event (service web) (task t4) failed container health checks."},
	}, {
		name: "without room, unhealthy tasks stop one at a time",
		in: Input{
			Service: svc(4, []ecs.Deployment{dep("ecs-svc/1", "web:1", completed, settledTasks("t3", "t4"))}, minMax(100, 100)),
			Tasks: cat(tasks("t", "ecs-svc/1", 2, healthyHC),
				[]Task{tk("t3", "ecs-svc/1", checked(ecs.HealthUnhealthy)), tk("t4", "ecs-svc/1", checked(ecs.HealthUnhealthy))}),
		},
		want: []string{"stop t3: Task failed container health checks", "event (service web) (task t3) failed container health checks."},
	}, {
		name: "... and not while another task is still stopping",
		in: Input{
			Service: svc(4, []ecs.Deployment{dep("ecs-svc/1", "web:1", completed, settledTasks("t3", "t4"))}, minMax(100, 100)),
			Tasks: cat(tasks("t", "ecs-svc/1", 2, healthyHC),
				[]Task{tk("t3", "ecs-svc/1", checked(ecs.HealthUnhealthy), stopAsked), tk("t4", "ecs-svc/1", checked(ecs.HealthUnhealthy))}),
		},
		want: nil,
	}, {
		name: "the grace period holds back the verdict until it ends",
		in: Input{
			Service: svc(1, []ecs.Deployment{v1}, grace(60)),
			Tasks:   []Task{tk("t1", "ecs-svc/1", runningFor(20*time.Second), checked(ecs.HealthUnhealthy))},
		},
		want: nil,
		wake: "+40s",
	}, {
		name: "without health checks a task counts as healthy 40 s after RUNNING",
		in: Input{
			Service: svc(1, []ecs.Deployment{v2, dep("ecs-svc/1", "web:1", old(1))}),
			Tasks:   []Task{tk("o1", "ecs-svc/1"), tk("n1", "ecs-svc/2", runningFor(10*time.Second))},
		},
		want: nil,
		wake: "+30s",
	}, {
		name: "with health checks a task counts once HEALTHY, however long it has run",
		in: Input{
			Service: svc(1, []ecs.Deployment{v2, dep("ecs-svc/1", "web:1", old(1))}),
			Tasks:   []Task{tk("o1", "ecs-svc/1"), tk("n1", "ecs-svc/2", runningFor(10*time.Minute), checked(ecs.HealthUnknown))},
		},
		want: nil,
		wake: "none",
	}})
}

func TestReplicaDrainsInstances(t *testing.T) {
	drained := []Instance{inst("i-1"), inst("i-2", draining), inst("i-3")}
	onI1, onI2 := on("i-1"), on("i-2")
	run(t, []stepCase{{
		name: "PENDING tasks on a draining instance stop at once, and are replaced",
		in: Input{
			Service: svc(2, []ecs.Deployment{v1}), Instances: drained,
			Tasks: []Task{tk("t1", "ecs-svc/1"), tk("t2", "ecs-svc/1", onI2, pendingTask)},
		},
		want: []string{"start 1 of ecs-svc/1 (web:1)", "stop t2: " + scaling1},
	}, {
		name: "min 100%: RUNNING tasks there stay until their replacements are healthy",
		in: Input{
			Service: svc(4, []ecs.Deployment{v1}), Instances: drained,
			Tasks: cat(tasks("t", "ecs-svc/1", 2, onI1), tasks("d", "ecs-svc/1", 2, onI2)),
		},
		want: []string{"start 2 of ecs-svc/1 (web:1)"},
	}, {
		name: "min 50%: they stop at once as their replacements start",
		in: Input{
			Service: svc(4, []ecs.Deployment{v1}, minMax(50, 200)), Instances: drained,
			Tasks: cat(tasks("t", "ecs-svc/1", 2, onI1), tasks("d", "ecs-svc/1", 2, onI2)),
		},
		want: []string{"start 2 of ecs-svc/1 (web:1)", "stop d1: " + scaling1, "stop d2: " + scaling1},
	}, {
		name: "replacements healthy: the drained tasks stop",
		in: Input{
			Service: svc(4, []ecs.Deployment{v1}), Instances: drained,
			Tasks: cat(tasks("t", "ecs-svc/1", 4, onI1), tasks("d", "ecs-svc/1", 2, onI2)),
		},
		want: []string{"stop d1: " + scaling1, "stop d2: " + scaling1},
	}, {
		name: "tasks on a deregistered instance are replaced like drained ones",
		in: Input{
			Service: svc(2, []ecs.Deployment{v1}), Instances: instances(1),
			Tasks: []Task{tk("t1", "ecs-svc/1"), tk("t2", "ecs-svc/1", onI2)},
		},
		want: []string{"start 1 of ecs-svc/1 (web:1)"},
	}, {
		name: "tasks on an instance whose agent is disconnected stay",
		in: Input{
			Service: svc(2, []ecs.Deployment{v1}), Instances: []Instance{inst("i-1"), inst("i-2", disconnected)},
			Tasks: []Task{tk("t1", "ecs-svc/1"), tk("t2", "ecs-svc/1", onI2)},
		},
		want: []string{steadyMsg},
	}})
}

func TestDeletedServiceStopsEverythingThenGoesInactive(t *testing.T) {
	run(t, []stepCase{{
		name: "a DRAINING service stops every task, whatever the floor",
		in:   Input{Service: svc(0, []ecs.Deployment{v1}, status(ecs.ServiceDraining)), Tasks: tasks("t", "ecs-svc/1", 2)},
		want: []string{"stop t1: " + scaling1, "stop t2: " + scaling1},
	}})
	in := Input{
		Service: svc(0, []ecs.Deployment{v1}, status(ecs.ServiceDraining)),
		Tasks:   tasks("t", "ecs-svc/1", 2, stoppedTask(ecs.StopServiceSchedulerInitiated, false)),
		Now:     t0,
	}
	d := Step(in)
	same(t, "status once no task is left", ecs.ServiceInactive, d.Service.Status)
	same(t, "actions of an INACTIVE service", []string(nil), actions(Step(Input{Service: d.Service, Now: t0})))
}

func TestTasksOfUnknownDeployments(t *testing.T) {
	run(t, []stepCase{{
		name: "a task of a deployment the service no longer lists drains like an old deployment's",
		in: Input{
			Service: svc(2, []ecs.Deployment{v1}),
			Tasks:   cat(tasks("t", "ecs-svc/1", 2), []Task{tk("x1", "ecs-svc/0")}),
		},
		want: []string{"stop x1: Scaling activity initiated by (deployment ecs-svc/0)"},
	}, {
		name: "a task the scheduler did not start is left alone",
		in: Input{
			Service: svc(2, []ecs.Deployment{v1}),
			Tasks:   cat(tasks("t", "ecs-svc/1", 2), []Task{tk("x1", "deploy-script")}),
		},
		want: []string{steadyMsg},
	}})
}
