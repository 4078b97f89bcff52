package reconcile

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/berth-org/berth/internal/ecs"
)

// genWorld draws a service and a cluster: REPLICA (desired 0–6) or DAEMON
// (1–4 instances), ECS's usual minimum and maximum percents, health checks
// or not, a grace period or not, a circuit breaker with or without
// rollback or none, a lostInstanceTimeout or none. Which tasks a
// StopChoice stops is drawn too.
func genWorld(t *rapid.T) *world {
	s := svc(0, nil)
	if rapid.Bool().Draw(t, "daemon") {
		daemonStrategy(&s)
		minMax(rapid.SampledFrom([]int32{0, 50, 100}).Draw(t, "min%"), rapid.SampledFrom([]int32{100, 200}).Draw(t, "max%"))(&s)
	} else {
		s.DesiredCount = int32(rapid.IntRange(0, 6).Draw(t, "desired"))
		minMax(rapid.SampledFrom([]int32{0, 25, 50, 75, 100}).Draw(t, "min%"),
			rapid.SampledFrom([]int32{100, 125, 150, 200}).Draw(t, "max%"))(&s)
	}
	switch rapid.IntRange(0, 2).Draw(t, "breaker") {
	case 1:
		breakerOn(false)(&s)
	case 2:
		breakerOn(true)(&s)
	}
	s.HealthCheckGracePeriodSeconds = rapid.SampledFrom([]int32{0, 30}).Draw(t, "grace")
	w := newWorld(s, instances(rapid.IntRange(1, 4).Draw(t, "instances")))
	w.healthChecked = rapid.Bool().Draw(t, "health checks")
	w.lostAfter = rapid.SampledFrom([]time.Duration{0, 30 * time.Second}).Draw(t, "lostInstanceTimeout")
	w.choose = func(c StopChoice) []string {
		return rapid.Permutation(c.Candidates).Draw(t, "stop choice")[:c.Count]
	}
	return w
}

// pick draws one of the world's tasks that satisfies f, or nil.
func (w *world) pick(t *rapid.T, f func(*Task) bool) *Task {
	var ts []*Task
	for _, x := range w.tasks {
		if f(x) {
			ts = append(ts, x)
		}
	}
	if len(ts) == 0 {
		return nil
	}
	return rapid.SampledFrom(ts).Draw(t, "task")
}

// act draws one thing happening to the world: a step of the controller
// (checked), an agent's report, time passing, an API call, an instance
// draining, joining, losing its agent or getting it back.
func (w *world) act(t *rapid.T) {
	live := func(x *Task) bool { return x.LastStatus != ecs.TaskStopped }
	switch rapid.SampledFrom([]string{
		"step", "step", "step", "run", "run", "health", "exit", "finish", "finish", "tick",
		"update", "scale", "drain", "join", "disconnect", "leave", "return",
	}).Draw(t, "action") {
	case "step":
		w.checkedStep(t)
	case "run":
		if x := w.pick(t, func(x *Task) bool { return x.LastStatus == ecs.TaskPending && x.DesiredStatus == ecs.TaskRunning }); x != nil {
			w.run(x)
		}
	case "health":
		if x := w.pick(t, live); x != nil {
			w.setHealth(x, rapid.SampledFrom([]string{ecs.HealthHealthy, ecs.HealthUnhealthy}).Draw(t, "health"))
		}
	case "exit":
		if x := w.pick(t, live); x != nil {
			w.exit(x)
		}
	case "finish":
		if x := w.pick(t, live); x != nil {
			w.finishStop(x)
		}
	case "tick":
		w.now = w.now.Add(time.Duration(rapid.IntRange(1, 60).Draw(t, "seconds")) * time.Second)
	case "update":
		w.update(fmt.Sprintf("web:%d", w.nextDep+1))
	case "scale":
		if w.svc.SchedulingStrategy == ecs.SchedulingReplica {
			w.svc.DesiredCount = int32(rapid.IntRange(0, 6).Draw(t, "desired"))
			w.svc.Deployments[0].DesiredCount = w.svc.DesiredCount
		}
	case "drain", "disconnect":
		i := &w.insts[rapid.IntRange(0, len(w.insts)-1).Draw(t, "instance")]
		if i.Status == ecs.InstanceActive {
			i.Status = ecs.InstanceDraining
		}
		if !rapid.Bool().Draw(t, "still connected") {
			w.disconnect(i)
		}
	case "leave", "return": // an agent goes away, or comes back, without a drain
		i := &w.insts[rapid.IntRange(0, len(w.insts)-1).Draw(t, "instance")]
		if i.Connected {
			w.disconnect(i)
		} else {
			back(i)
		}
	case "join":
		if len(w.insts) < 6 {
			w.insts = append(w.insts, inst(fmt.Sprintf("i-%d", len(w.insts)+1)))
		}
	}
}

// checkedStep steps the world and checks what Step promises: its starts
// keep the tasks present within the ceiling, its stops keep the healthy
// tasks (DAEMON: covered instances) at the floor, and stepping again at
// the same time decides nothing more.
func (w *world) checkedStep(t *rapid.T) {
	before := w.snapshot()
	d := Step(w.input())
	unplaced := w.applyCounting(d)
	after := w.snapshot()
	b := boundsOfDecided(d.Service)
	daemon := d.Service.SchedulingStrategy == ecs.SchedulingDaemon

	started := after.present - before.present
	if started > 0 && !daemon && before.present+started > b.ceiling {
		t.Fatalf("%d present + %d started > ceiling %d (desired %d)\n%s", before.present, started, b.ceiling, d.Service.DesiredCount, strings.Join(actions(d), "\n"))
	}
	for _, s := range d.Start {
		i := w.instance(s.InstanceID)
		if daemon && (i == nil || i.Status != ecs.InstanceActive || !i.Eligible || !i.Connected) {
			t.Fatalf("daemon task started on %+v", i)
		}
		if daemon && d.Service.DeploymentConfiguration.MaximumPercent <= 100 && before.byInstance[s.InstanceID] > 0 {
			t.Fatalf("daemon task started on %s beside %d present at maximumPercent %d", s.InstanceID,
				before.byInstance[s.InstanceID], d.Service.DeploymentConfiguration.MaximumPercent)
		}
	}
	lost := before.healthy - after.healthy // by the scheduler's stops alone: nothing else changed
	if lost > 0 && after.healthy < b.floor {
		t.Fatalf("stops took healthy from %d to %d, below the floor %d (desired %d)\n%s",
			before.healthy, after.healthy, b.floor, d.Service.DesiredCount, strings.Join(actions(d), "\n"))
	}
	for _, x := range w.tasks {
		if strings.HasPrefix(x.DeploymentID, deploymentIDPrefix) && x.LastStatus != ecs.TaskStopped && x.DesiredStatus == ecs.TaskRunning && w.lost(x) {
			t.Fatalf("task %s on lost instance %s is still desired RUNNING after a step\n%s", x.ID, x.InstanceID, strings.Join(actions(d), "\n"))
		}
	}
	if unplaced == 0 {
		if again := Step(w.input()); !again.Idle() {
			t.Fatalf("a second step at the same time acts:\n%s\nafter:\n%s\ntasks:\n%s", strings.Join(actions(again), "\n"),
				strings.Join(actions(d), "\n"), w.dump())
		}
	}
	if len(d.Service.Deployments) == 0 || d.Service.Deployments[0].Status != ecs.DeploymentPrimary {
		t.Fatalf("no PRIMARY first: %v", deployments(d))
	}
}

// dump renders the world's tasks, for failures.
func (w *world) dump() string {
	var out []string
	for _, x := range w.tasks {
		out = append(out, fmt.Sprintf("%s %s %s %s desired=%s health=%s started=%s",
			x.ID, x.DeploymentID, x.InstanceID, x.LastStatus, x.DesiredStatus, x.Health, relTime(x.StartedAt, w.now)))
	}
	return strings.Join(out, "\n")
}

// snapshot is what the checks count: tasks present (per instance too), and
// healthy tasks (DAEMON: instances with a healthy task, on instances the
// service may use); tasks on lost instances are neither.
type snapshot struct {
	present, healthy int
	byInstance       map[string]int
}

func (w *world) snapshot() snapshot {
	s := snapshot{byInstance: map[string]int{}}
	covered := map[string]bool{}
	daemon := w.svc.SchedulingStrategy == ecs.SchedulingDaemon
	for _, t := range w.tasks {
		if t.LastStatus == ecs.TaskStopped || w.lost(t) {
			continue
		}
		s.present++
		s.byInstance[t.InstanceID]++
		healthy := t.DesiredStatus == ecs.TaskRunning && t.LastStatus == ecs.TaskRunning &&
			(t.HealthChecked && t.Health == ecs.HealthHealthy || !t.HealthChecked && !w.now.Before(t.StartedAt.Add(40*time.Second)))
		switch {
		case !healthy:
		case !daemon:
			s.healthy++
		case w.qualifies(t.InstanceID):
			covered[t.InstanceID] = true
		}
	}
	if daemon {
		s.healthy = len(covered)
	}
	return s
}

// lost says t is on a lost instance: the cluster has a
// lostInstanceTimeout and the instance's agent (ACTIVE or DRAINING) has
// been away at least that long.
func (w *world) lost(t *Task) bool {
	i := w.instance(t.InstanceID)
	return w.lostAfter > 0 && i != nil && i.Status != ecs.InstanceInactive && !i.Connected &&
		!i.DisconnectedAt.IsZero() && !w.now.Before(i.DisconnectedAt.Add(w.lostAfter))
}

func (w *world) qualifies(id string) bool {
	i := w.instance(id)
	return i != nil && i.Status == ecs.InstanceActive && i.Eligible
}

// applyCounting applies d and says how many tasks it could not place.
func (w *world) applyCounting(d Decision) int {
	want := 0
	for _, s := range d.Start {
		want += s.Count
	}
	n := len(w.tasks)
	w.apply(d)
	return want - (len(w.tasks) - n)
}

// boundsOfDecided is the bounds computed again, independently of Step,
// from the service it decided: ceil(min% × desired), floor(max% × desired).
func boundsOfDecided(s ecs.Service) bounds {
	d, cfg := int(s.DesiredCount), s.DeploymentConfiguration
	maxPct := int(cfg.MaximumPercent)
	return bounds{
		floor:   min((d*int(cfg.MinimumHealthyPercent)+99)/100, d),
		ceiling: max(d*maxPct/100, d),
	}
}

// Whatever happens to its tasks and instances, a service's tasks never
// exceed maximumPercent, and its healthy tasks never drop below
// minimumHealthyPercent, through Step's doing; and a step applied leaves
// nothing for the next one at the same time (a restart churns nothing).
func TestPropertyBoundsHoldAndStepsAreIdempotent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := genWorld(t)
		for range rapid.IntRange(1, 60).Draw(t, "actions") {
			w.act(t)
		}
	})
}

// In a world where every task starts and turns healthy, any service whose
// settings allow progress (room to start a task first, or to stop one)
// reaches steady state on its newest deployment: COMPLETED, desired tasks,
// all healthy, one deployment.
func TestPropertyCooperativeWorldConverges(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := genWorld(t)
		for range rapid.IntRange(0, 3).Draw(t, "updates") {
			w.update(fmt.Sprintf("web:%d", w.nextDep+1))
			w.cooperate(t, rapid.IntRange(0, 3).Draw(t, "rounds before the next"))
		}
		if b := boundsOfDecided(w.svc); b.ceiling == int(w.svc.DesiredCount) && b.floor == b.ceiling && b.ceiling > 0 {
			t.Skip("minimumHealthyPercent and maximumPercent leave no room: ECS stalls too")
		}
		// The slowest rollout moves one task per two rounds (start it,
		// then stop an old one), for each deployment still holding tasks.
		rounds := 2*(int(w.svc.DesiredCount)+len(w.insts))*len(w.svc.Deployments) + 4
		w.cooperate(t, rounds)
		d := Step(w.input())
		prim := d.Service.Primary()
		if !d.Idle() || len(d.Service.Deployments) != 1 || prim.RolloutState != ecs.RolloutCompleted ||
			int(prim.RunningCount) != int(d.Service.DesiredCount) {
			t.Fatalf("not steady after %d rounds:\n%s\n%s", rounds, strings.Join(deployments(d), "\n"), strings.Join(actions(d), "\n"))
		}
		// A controller restarting now reads what was stored, and changes
		// nothing at all: no task, no write.
		w.apply(d)
		if again := Step(w.input()); again.Changed || !again.Idle() {
			t.Fatalf("a steady service changes on restart:\n%s", strings.Join(actions(again), "\n"))
		}
	})
}

// cooperate runs rounds of a world where everything works: a checked
// step, every task runs and turns healthy, stops complete, 40 s pass.
func (w *world) cooperate(t *rapid.T, rounds int) {
	for range rounds {
		w.checkedStep(t)
		for _, x := range w.tasks {
			w.run(x)
			w.setHealth(x, ecs.HealthHealthy)
			w.finishStop(x)
		}
		w.now = w.now.Add(40 * time.Second)
	}
}

// The daemon's promise, in a scenario the property tests may not reach
// often: an instance joining a steady service gets exactly one task.
func TestDaemonInstanceJoiningGetsOneTask(t *testing.T) {
	w := newWorld(svc(0, nil, daemonStrategy), instances(3))
	for range 3 {
		w.step()
		for _, x := range w.tasks {
			w.run(x)
		}
		w.now = w.now.Add(time.Minute)
	}
	w.insts = append(w.insts, inst("i-4"))
	w.step()
	var on4 []string
	for _, x := range w.tasks {
		if x.InstanceID == "i-4" {
			on4 = append(on4, x.ID)
		}
	}
	same(t, "tasks on i-4", 1, len(on4))
	same(t, "desiredCount", int32(4), w.svc.DesiredCount)
	same(t, "then nothing", true, Step(w.input()).Idle())
}
