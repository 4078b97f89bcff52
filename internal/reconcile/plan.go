package reconcile

import (
	"fmt"
	"time"

	"github.com/berth-org/berth/internal/ecs"
)

// plan is one step's work in progress: the service being decided, the
// room left under the bounds, and the decisions so far.
type plan struct {
	svc   *ecs.Service // a copy of the input's, changed in place
	now   time.Time
	grace time.Duration

	desired int
	bounds  bounds
	// budget is how many healthy tasks may still stop without the healthy
	// count falling below the floor: healthy − floor at the start of the
	// step, less every healthy task stopped since. Stopping a task that is
	// not healthy costs nothing.
	budget int
	// room is how many tasks may still start without the tasks present
	// exceeding the ceiling: ceiling − present at the start of the step,
	// less every task started since. A stop frees no room until the task
	// has STOPPED.
	room int

	start    []Start
	stop     []Stop
	stopSome []StopChoice
	messages []string
	// verdicts are the circuit breaker's messages, said after the others
	// as ECS says them: a task's failure, then the deployment's.
	verdicts []string
	wake     time.Time
	usedID   bool
}

// setBounds fixes desired and the bounds, and the budget and room they
// leave given how many tasks are healthy and present.
func (p *plan) setBounds(desired, healthyNow, presentNow int) {
	p.desired = desired
	p.bounds = boundsOf(desired, p.svc.DeploymentConfiguration, p.svc.SchedulingStrategy)
	p.budget = max(healthyNow-p.bounds.floor, 0)
	p.room = max(p.bounds.ceiling-presentNow, 0)
}

// scaling is the stop reason for a task of deployment dep stopped to scale
// or roll out.
func scaling(dep *ecs.Deployment) string { return fmt.Sprintf(reasonScaling, dep.ID) }

// stopEach asks each of ts to stop, for reason. It neither checks nor
// charges the budget: callers stop healthy tasks through stopHealthy.
func (p *plan) stopEach(ts []*task, reason string) {
	for _, t := range ts {
		t.stop = true
		p.stop = append(p.stop, Stop{TaskID: t.ID, Code: ecs.StopServiceSchedulerInitiated, Reason: reason})
	}
}

// stopFor asks each of ts, tasks of g, to stop: the unhealthy ones for
// failing their health checks, which the service's events say as ECS does
// (the event and the stop together), the others for scaling.
func (p *plan) stopFor(g *group, ts []*task) {
	for _, t := range ts {
		if t.state != unhealthy {
			p.stopEach([]*task{t}, scaling(g.dep))
			continue
		}
		p.stopEach([]*task{t}, reasonUnhealthy)
		p.say(msgUnhealthy, p.svc.Name, t.ID)
	}
}

// stopAny asks k of ts to stop, ts being tasks of one deployment and one
// state, so that which of them go is the placement strategies' choice: all
// of them when k covers them, else a StopChoice. Within this step the last
// k stand for the ones chosen (the counts are what matter here).
func (p *plan) stopAny(ts []*task, k int, reason string) {
	switch {
	case k <= 0:
		return
	case k >= len(ts):
		p.stopEach(ts, reason)
		return
	}
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	for _, t := range ts[len(ts)-k:] {
		t.stop = true
	}
	p.stopSome = append(p.stopSome, StopChoice{
		Candidates: ids, Count: k, Code: ecs.StopServiceSchedulerInitiated, Reason: reason,
	})
}

// stopHealthy asks up to k of ts (healthy tasks) to stop, as the budget
// allows, and reports how many.
func (p *plan) stopHealthy(ts []*task, k int, reason string) int {
	k = min(k, p.budget, len(ts))
	p.stopAny(ts, k, reason)
	p.budget -= max(k, 0)
	return max(k, 0)
}

// trim stops n of ts, the least useful first: PENDING before RUNNING,
// RUNNING-but-not-yet-healthy before healthy (healthy ones as the budget
// allows). ts are one deployment's kept tasks.
func (p *plan) trim(ts []*task, n int, reason string) {
	for _, s := range []state{pending, starting, healthy} {
		if n <= 0 {
			return
		}
		var of []*task
		for _, t := range ts {
			if t.state == s && t.kept() {
				of = append(of, t)
			}
		}
		if s == healthy {
			n -= p.stopHealthy(of, n, reason)
			continue
		}
		k := min(n, len(of))
		p.stopAny(of, k, reason)
		n -= k
	}
}

// launch starts up to want tasks of g (on instance, for DAEMON) as room,
// the deployment's state and its throttle allow, and reports how many.
func (p *plan) launch(g *group, instance string, want int) int {
	if want <= 0 || !g.canLaunch() {
		return 0
	}
	if g.dep.NextLaunchAt.After(p.now) {
		p.wakeAt(g.dep.NextLaunchAt)
		return 0
	}
	n := min(want, p.room)
	if n <= 0 {
		return 0
	}
	p.room -= n
	p.start = append(p.start, Start{
		DeploymentID: g.dep.ID, TaskDefinitionARN: g.dep.TaskDefinitionARN, InstanceID: instance, Count: n,
	})
	return n
}

// say records an event message.
func (p *plan) say(format string, args ...any) {
	p.messages = append(p.messages, fmt.Sprintf(format, args...))
}

// wakeAt asks for a step at t, if t is later than now and earlier than
// any other wake asked for.
func (p *plan) wakeAt(t time.Time) {
	if t.After(p.now) && (p.wake.IsZero() || t.Before(p.wake)) {
		p.wake = t
	}
}

// acting says the step has started or stopped something.
func (p *plan) acting() bool {
	return len(p.start) > 0 || len(p.stop) > 0 || len(p.stopSome) > 0
}
