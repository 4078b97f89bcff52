package controller

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/berth-org/berth/internal/api/ecsapi"
	"github.com/berth-org/berth/internal/arn"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/placement"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// lostFixture is a cluster "c" with lostInstanceTimeout 60 s and two
// instances whose agents are connected, a service "web" of two tasks
// spread over them, and a controller on a clock the test moves.
type lostFixture struct {
	ctx    context.Context
	st     *store.Store
	c      *Services
	now    time.Time
	insts  []string
	leases []int64 // each instance's agent session
}

func newLostFixture(t *testing.T) *lostFixture {
	t.Helper()
	ctx, e := testEtcd(t)
	st := store.New(e.Client())
	cache := placement.NewCache(st, quiet)
	go cache.Run(ctx)
	placer := placement.NewPlacer(cache)
	arns := arn.Builder{Region: "us-east-1", Account: "000000000000"}
	api, err := ecsapi.New(ctx, ecsapi.Config{Store: st, ARNs: arns, Log: quiet, Placer: placer})
	if err != nil {
		t.Fatal(err)
	}
	f := &lostFixture{ctx: ctx, st: st, now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f.c = &Services{Store: st, Placer: placer, ARNs: arns, Log: quiet, Now: func() time.Time { return f.now }}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(api.CreateCluster(ctx, &wire.CreateClusterRequest{ClusterName: ptr("c"), Settings: []wire.ClusterSetting{
		{Name: ecs.ClusterSettingLostInstanceTimeout, Value: ptr("60")},
	}}))
	for range 2 {
		out, err := api.RegisterContainerInstance(ctx, &wire.RegisterContainerInstanceRequest{Cluster: ptr("c"), TotalResources: []wire.Resource{
			{Name: ptr(ecs.ResourceCPU), Type: ptr("INTEGER"), IntegerValue: ptr(int32(2048))},
			{Name: ptr(ecs.ResourceMemory), Type: ptr("INTEGER"), IntegerValue: ptr(int32(2048))},
		}})
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := arn.Parse(*out.ContainerInstance.ContainerInstanceArn)
		if err != nil {
			t.Fatal(err)
		}
		id := parsed.Path()[len("c/"):]
		lease, err := st.OpenAgentSession(ctx, "c", id, "s-"+id, time.Minute, f.now)
		if err != nil {
			t.Fatal(err)
		}
		f.insts, f.leases = append(f.insts, id), append(f.leases, lease)
	}
	must(api.RegisterTaskDefinition(ctx, &wire.RegisterTaskDefinitionRequest{Family: ptr("app"), ContainerDefinitions: []wire.ContainerDefinition{
		{Name: ptr("app"), Image: ptr("nginx:1.27"), Memory: ptr(int32(64))},
	}}))
	must(api.CreateService(ctx, &wire.CreateServiceRequest{
		Cluster: ptr("c"), ServiceName: ptr("web"), TaskDefinition: ptr("app"), DesiredCount: ptr(int32(2)),
		PlacementStrategy: []wire.PlacementStrategy{{Type: wire.PlacementStrategyTypeSpread, Field: ptr("instanceId")}},
	}))
	return f
}

// advance moves the clock by d with the server up: marking the control
// plane alive every store.AliveInterval, as the session layer does.
func (f *lostFixture) advance(t *testing.T, d time.Duration) {
	t.Helper()
	end := f.now.Add(d)
	for {
		if _, err := f.st.MarkAlive(f.ctx, f.now); err != nil {
			t.Fatal(err)
		}
		if !f.now.Before(end) {
			return
		}
		f.now = f.now.Add(min(store.AliveInterval, end.Sub(f.now)))
	}
}

// step steps the service as a session that has just listed the store sees
// it, and returns when it asked to be woken.
func (f *lostFixture) step(t *testing.T) time.Time {
	t.Helper()
	l := &loop{Services: f.c, w: newWorld(), defs: newTaskDefs(f.st)}
	if err := l.list(f.ctx); err != nil {
		t.Fatal(err)
	}
	k := serviceKey{"c", "web"}
	_, wake, err := l.step(f.ctx, k, l.w.services[k])
	if err != nil {
		t.Fatal(err)
	}
	return wake
}

// tasksOn are the service's tasks on the instance, desired RUNNING or not.
func (f *lostFixture) tasksOn(t *testing.T, id string) []*ecs.Task {
	t.Helper()
	tasks, _, err := f.st.ListInstanceTasks(f.ctx, "c", id)
	if err != nil {
		t.Fatal(err)
	}
	return tasks
}

// The controller carries the cluster's lostInstanceTimeout and the time an
// agent left into Step: the service's task on an instance whose agent has
// been away 60 s is stopped as lost and replaced on the other instance; a
// second before, nothing happens, and the step asks to be woken then.
func TestLostInstanceTasksAreStoppedAndReplaced(t *testing.T) {
	f := newLostFixture(t)
	f.advance(t, 0)
	f.step(t)
	a, b := f.insts[0], f.insts[1]
	if na, nb := len(f.tasksOn(t, a)), len(f.tasksOn(t, b)); na != 1 || nb != 1 {
		t.Fatalf("tasks placed %d and %d, want one on each instance", na, nb)
	}
	stale := f.tasksOn(t, b)[0].ID

	left := f.now
	f.st.CloseAgentSession(f.leases[1])
	if _, err := f.st.MarkAgentDisconnected(f.ctx, store.SessionEnd{Cluster: "c", InstanceID: b}, left); err != nil {
		t.Fatal(err)
	}
	f.advance(t, 59*time.Second)
	if wake := f.step(t); !wake.Equal(left.Add(time.Minute)) {
		t.Errorf("wake %s, want %s, when the instance will be lost", wake, left.Add(time.Minute))
	}
	if got := f.tasksOn(t, b)[0]; got.DesiredStatus != ecs.TaskRunning {
		t.Fatalf("task stopped before the timeout: %+v", got)
	}

	f.advance(t, time.Second)
	f.step(t)
	got := f.tasksOn(t, b)[0]
	code, reason := got.StopCodeAndReason()
	const want = "Task stopped because its container instance was lost (agent disconnected for 60 s)."
	if got.ID != stale || got.DesiredStatus != ecs.TaskStopped || code != ecs.StopServiceSchedulerInitiated || reason != want {
		t.Errorf("lost task %s desired %s, %s: %q; want STOPPED, %s: %q", got.ID, got.DesiredStatus, code, reason, ecs.StopServiceSchedulerInitiated, want)
	}
	onA := f.tasksOn(t, a)
	if len(onA) != 2 || !slices.ContainsFunc(onA, func(t *ecs.Task) bool { return t.CreatedAt.Equal(f.now) }) {
		t.Errorf("%d tasks on the connected instance, want the replacement beside the first", len(onA))
	}
}

// What a server restart does to the lost-instance clock (lostInstanceTimeout
// 60 s). Agent B leaves and the server runs 30 s more, then is down ten
// minutes; agent A was connected when it went down, so its session ended
// with the server, and it reconnects 3 s after the restart. Back up, the
// server neither counts its ten minutes of downtime against B (which would
// make it lost at once) nor forgets B's 30 s before the outage (which
// would wait 60 s more): B is lost 25 s after the restart (60 s, less the
// 30 s before the outage and the one alive interval of the outage that
// counts as its time away, see store.Downtime), and its task replaced on
// A. A is never lost. The controller steps before the new server's first
// mark of the control plane alive, as it may.
func TestLostInstanceClockAcrossAServerRestart(t *testing.T) {
	f := newLostFixture(t)
	f.advance(t, 0)
	f.step(t)
	a, b := f.insts[0], f.insts[1]
	leave := func(i int) {
		t.Helper()
		f.st.CloseAgentSession(f.leases[i])
		if _, err := f.st.MarkAgentDisconnected(f.ctx, store.SessionEnd{Cluster: "c", InstanceID: f.insts[i]}, f.now); err != nil {
			t.Fatal(err)
		}
	}
	leave(1)
	f.advance(t, 30*time.Second)

	f.now = f.now.Add(10 * time.Minute) // the outage: nobody marks
	restart := f.now
	lostAt := restart.Add(60*time.Second - 30*time.Second - store.AliveInterval)
	leave(0) // the new server's first scan finds A's session gone
	if wake := f.step(t); !wake.Equal(lostAt) {
		t.Errorf("wake %s after the restart, want %s", wake.Sub(restart), lostAt.Sub(restart))
	}
	if got := f.tasksOn(t, b)[0]; got.DesiredStatus != ecs.TaskRunning {
		t.Fatalf("B's task stopped at the restart, counting the outage as B's time away")
	}
	f.advance(t, 3*time.Second)
	lease, err := f.st.OpenAgentSession(f.ctx, "c", a, "s-a2", time.Minute, f.now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.st.CloseAgentSession(lease) })

	f.advance(t, lostAt.Sub(f.now)-time.Second)
	f.step(t)
	if got := f.tasksOn(t, b)[0]; got.DesiredStatus != ecs.TaskRunning {
		t.Fatalf("B's task stopped %s after the restart, before its 60 s were up", f.now.Sub(restart))
	}
	f.advance(t, time.Second)
	f.step(t)
	if got := f.tasksOn(t, b)[0]; got.DesiredStatus != ecs.TaskStopped {
		t.Errorf("B's task desired %s %s after the restart, want STOPPED: B lost", got.DesiredStatus, f.now.Sub(restart))
	}
	if onA := f.tasksOn(t, a); len(onA) != 2 || onA[0].DesiredStatus != ecs.TaskRunning || onA[1].DesiredStatus != ecs.TaskRunning {
		t.Errorf("A runs %d tasks, want its own and B's replacement, both desired RUNNING", len(onA))
	}
}
