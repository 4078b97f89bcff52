package agent

import (
	"testing"
	"time"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// taskView builds a view of a task with the given containers, desired
// RUNNING, at lastStatus status; options adjust it.
func taskView(status ecs.TaskStatus, defs []wire.ContainerDefinition, opts ...func(*view)) view {
	k := &ecs.Known{LastStatus: status, PullStartedAt: t0, PullStoppedAt: t0}
	for _, d := range defs {
		k.Containers = append(k.Containers, ecs.Container{Name: *d.Name, LastStatus: ecs.ContainerPending, Essential: d.Essential == nil || *d.Essential})
	}
	v := view{desired: ecs.TaskRunning, def: &wire.TaskDefinition{}, containers: defs, known: k,
		created: map[string]bool{}, startedAt: map[string]time.Time{}, now: t0.Add(time.Second)}
	for _, o := range opts {
		o(&v)
	}
	return v
}

func container(name string, deps ...wire.ContainerDependency) wire.ContainerDefinition {
	return wire.ContainerDefinition{Name: ptr(name), Image: ptr("busybox"), DependsOn: deps}
}

func nonEssential(c wire.ContainerDefinition) wire.ContainerDefinition {
	c.Essential = ptr(false)
	return c
}

// startTimeoutOf sets c's startTimeout in seconds.
func startTimeoutOf(seconds int32, c wire.ContainerDefinition) wire.ContainerDefinition {
	c.StartTimeout = &seconds
	return c
}

func dep(name string, cond wire.ContainerCondition) wire.ContainerDependency {
	return wire.ContainerDependency{ContainerName: ptr(name), Condition: cond}
}

func created(names ...string) func(*view) {
	return func(v *view) {
		for _, n := range names {
			v.created[n] = true
		}
	}
}

func started(names ...string) func(*view) {
	return func(v *view) {
		for _, n := range names {
			v.created[n] = true
			v.startedAt[n] = t0
			knownContainer(v.known, n).LastStatus = ecs.ContainerRunning
		}
	}
}

// startedAt sets when a started container started.
func startedAt(name string, at time.Time) func(*view) {
	return func(v *view) { v.startedAt[name] = at }
}

func exited(name string, code int32) func(*view) {
	return func(v *view) {
		v.created[name] = true
		v.startedAt[name] = t0
		c := knownContainer(v.known, name)
		c.LastStatus, c.ExitCode = ecs.ContainerStopped, &code
	}
}

func healthy(name, status string) func(*view) {
	return func(v *view) { knownContainer(v.known, name).HealthStatus = status }
}

// signalled marks containers as sent their stop signal, not yet exited.
func signalled(names ...string) func(*view) {
	return func(v *view) {
		v.signalled = map[string]bool{}
		for _, n := range names {
			v.signalled[n] = true
		}
	}
}

func desiredStopped(v *view) { v.desired = ecs.TaskStopped }

func at(d time.Duration) func(*view) { return func(v *view) { v.now = t0.Add(d) } }

func notPulled(v *view) { v.known.PullStoppedAt = time.Time{} }

func TestDecide(t *testing.T) {
	app, sidecar := container("app"), nonEssential(container("sidecar"))
	cases := []struct {
		name string
		v    view
		want action
	}{
		{"a pending task pulls first", taskView(ecs.TaskPending, []wire.ContainerDefinition{app}, notPulled), action{kind: actPull}},
		{"once pulled it activates", taskView(ecs.TaskPending, []wire.ContainerDefinition{app}), action{kind: actStatus, status: ecs.TaskActivating}},
		{"activating creates each container", taskView(ecs.TaskActivating, []wire.ContainerDefinition{app}), action{kind: actCreate, container: "app"}},
		{"then starts it", taskView(ecs.TaskActivating, []wire.ContainerDefinition{app}, created("app")), action{kind: actStart, container: "app"}},
		{"all started: RUNNING", taskView(ecs.TaskActivating, []wire.ContainerDefinition{app}, started("app")), action{kind: actStatus, status: ecs.TaskRunning}},
		{"running and steady: wait", taskView(ecs.TaskRunning, []wire.ContainerDefinition{app}, started("app")), action{kind: actWait}},
		{
			"START waits for the dependency to start",
			taskView(ecs.TaskActivating, []wire.ContainerDefinition{container("db"), container("web", dep("db", wire.ContainerConditionStart))}, created("db", "web")),
			action{kind: actStart, container: "db"},
		},
		{
			"START holds once the dependency started",
			taskView(ecs.TaskActivating, []wire.ContainerDefinition{container("db"), container("web", dep("db", wire.ContainerConditionStart))}, started("db"), created("web")),
			action{kind: actStart, container: "web"},
		},
		{
			"COMPLETE waits while the dependency runs, until startTimeout",
			taskView(ecs.TaskActivating, []wire.ContainerDefinition{nonEssential(container("init")), container("web", dep("init", wire.ContainerConditionComplete))}, started("init"), created("web")),
			action{kind: actWait, wakeAt: t0.Add(defaultStartTimeout)},
		},
		{
			"COMPLETE holds after any exit",
			taskView(ecs.TaskActivating, []wire.ContainerDefinition{nonEssential(container("init")), container("web", dep("init", wire.ContainerConditionComplete))}, exited("init", 1), created("web")),
			action{kind: actStart, container: "web"},
		},
		{
			"SUCCESS fails the task on a non-zero exit",
			taskView(ecs.TaskActivating, []wire.ContainerDefinition{nonEssential(container("init")), container("web", dep("init", wire.ContainerConditionSuccess))}, exited("init", 2), created("web")),
			action{kind: actFail, stopCode: ecs.StopTaskFailedToStart, container: "web", reason: "Dependency container init exited with a non-zero code, so web was not started."},
		},
		{
			"HEALTHY holds once the dependency is healthy",
			taskView(ecs.TaskActivating, []wire.ContainerDefinition{container("db"), container("web", dep("db", wire.ContainerConditionHealthy))}, started("db"), healthy("db", ecs.HealthHealthy), created("web")),
			action{kind: actStart, container: "web"},
		},
		{
			"HEALTHY fails on an unhealthy dependency",
			taskView(ecs.TaskActivating, []wire.ContainerDefinition{container("db"), container("web", dep("db", wire.ContainerConditionHealthy))}, started("db"), healthy("db", ecs.HealthUnhealthy), created("web")),
			action{kind: actFail, stopCode: ecs.StopTaskFailedToStart, container: "web", reason: "Dependency container db did not become healthy, so web was not started."},
		},
		{
			"a dependency past its startTimeout fails the task",
			taskView(ecs.TaskActivating, []wire.ContainerDefinition{container("db"), container("web", dep("db", wire.ContainerConditionHealthy))}, started("db"), created("web"), at(defaultStartTimeout)),
			action{kind: actFail, stopCode: ecs.StopTaskFailedToStart, container: "web",
				reason: "Dependency container db did not reach its HEALTHY condition within its startTimeout of 3m0s, so web was not started."},
		},
		{
			"the dependency's startTimeout counts from its own start",
			taskView(ecs.TaskActivating, []wire.ContainerDefinition{startTimeoutOf(5, nonEssential(container("init"))), container("web", dep("init", wire.ContainerConditionComplete))},
				started("init"), startedAt("init", t0.Add(10*time.Second)), created("web"), at(14*time.Second)),
			action{kind: actWait, wakeAt: t0.Add(15 * time.Second)},
		},
		{
			"and fails the task when it has passed",
			taskView(ecs.TaskActivating, []wire.ContainerDefinition{startTimeoutOf(5, nonEssential(container("init"))), container("web", dep("init", wire.ContainerConditionComplete))},
				started("init"), startedAt("init", t0.Add(10*time.Second)), created("web"), at(15*time.Second)),
			action{kind: actFail, stopCode: ecs.StopTaskFailedToStart, container: "web",
				reason: "Dependency container init did not reach its COMPLETE condition within its startTimeout of 5s, so web was not started."},
		},
		{
			"the dependent's own startTimeout plays no part",
			taskView(ecs.TaskActivating, []wire.ContainerDefinition{nonEssential(container("init")), startTimeoutOf(2, container("web", dep("init", wire.ContainerConditionSuccess)))},
				started("init"), created("web"), at(time.Minute)),
			action{kind: actWait, wakeAt: t0.Add(defaultStartTimeout)},
		},
		{
			"an essential exit stops the task",
			taskView(ecs.TaskRunning, []wire.ContainerDefinition{app, sidecar}, exited("app", 3), started("sidecar")),
			action{kind: actFail, stopCode: ecs.StopEssentialContainerExited, reason: ecs.ReasonEssentialContainerExited, container: "app"},
		},
		{"a non-essential exit changes nothing", taskView(ecs.TaskRunning, []wire.ContainerDefinition{app, sidecar}, started("app"), exited("sidecar", 0)), action{kind: actWait}},
		{"stopping a running task first deactivates it", taskView(ecs.TaskRunning, []wire.ContainerDefinition{app}, started("app"), desiredStopped), action{kind: actStatus, status: ecs.TaskDeactivating}},
		{"then reports STOPPING", taskView(ecs.TaskDeactivating, []wire.ContainerDefinition{app}, started("app"), desiredStopped), action{kind: actStatus, status: ecs.TaskStopping}},
		{
			"dependents stop before their dependencies",
			taskView(ecs.TaskStopping, []wire.ContainerDefinition{container("web", dep("db", wire.ContainerConditionStart)), container("db")}, started("db", "web"), desiredStopped),
			action{kind: actStop, container: "web"},
		},
		{
			"a container is signalled without waiting for the exit of one signalled before",
			taskView(ecs.TaskStopping, []wire.ContainerDefinition{app, container("left"), container("right")}, started("app", "left", "right"), signalled("right"), desiredStopped),
			action{kind: actStop, container: "left"},
		},
		{
			"with every running container signalled, wait for the exits",
			taskView(ecs.TaskStopping, []wire.ContainerDefinition{app, container("left")}, started("app", "left"), signalled("app", "left"), desiredStopped),
			action{kind: actWait},
		},
		{
			"a dependency waits for its signalled dependent to exit",
			taskView(ecs.TaskStopping, []wire.ContainerDefinition{container("web", dep("db", wire.ContainerConditionStart)), container("db")}, started("db", "web"), signalled("web"), desiredStopped),
			action{kind: actWait},
		},
		{
			"and is signalled once it has",
			taskView(ecs.TaskStopping, []wire.ContainerDefinition{container("web", dep("db", wire.ContainerConditionStart)), container("db")}, started("db"), exited("web", 0), desiredStopped),
			action{kind: actStop, container: "db"},
		},
		{"with nothing running: DEPROVISIONING", taskView(ecs.TaskStopping, []wire.ContainerDefinition{app}, exited("app", 0), desiredStopped), action{kind: actStatus, status: ecs.TaskDeprovisioning}},
		{"then STOPPED", taskView(ecs.TaskDeprovisioning, []wire.ContainerDefinition{app}, exited("app", 0), desiredStopped), action{kind: actStatus, status: ecs.TaskStopped}},
		{"a stop before any container was created", taskView(ecs.TaskPending, []wire.ContainerDefinition{app}, notPulled, desiredStopped), action{kind: actStatus, status: ecs.TaskStopping}},
		{
			"stopped tasks wait for the cleanup time",
			taskView(ecs.TaskStopped, []wire.ContainerDefinition{app}, func(v *view) { v.cleanupAt = t0.Add(time.Hour) }),
			action{kind: actWait, wakeAt: t0.Add(time.Hour)},
		},
		{"and are then removed", taskView(ecs.TaskStopped, []wire.ContainerDefinition{app}, at(2*time.Hour), func(v *view) { v.cleanupAt = t0.Add(time.Hour) }), action{kind: actRemove}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := decide(tc.v); got != tc.want {
				t.Errorf("decide = %+v, want %+v", got, tc.want)
			}
		})
	}
}
