package reconcile

import (
	"slices"

	"github.com/berth-org/berth/internal/ecs"
)

// daemon plans a DAEMON service: one task of the PRIMARY deployment on
// every instance that qualifies, none anywhere else.
//
// An instance qualifies when it is ACTIVE, meets the service's placement
// constraints (Instance.Eligible) and either has its agent connected or
// already runs a task of the service (a disconnected agent's tasks keep
// running; ECS does not replace what it cannot see), until the instance
// is lost (lost.go): then its task stops, and it no longer qualifies.
// desiredCount is the number of qualifying instances, and the bounds apply
// to it as to a
// REPLICA service's, counted in instances: the floor is how many must keep
// a healthy task, the ceiling how many tasks may be present on them. An
// instance gets a second task only when maximumPercent is above 100.
//
// Worked example: 3 instances, an update. With DAEMON's defaults
// (minimumHealthyPercent 0, maximumPercent 100: floor 0, ceiling 3) every
// old task stops at once and each instance's new task starts once its old
// one has stopped. With minimumHealthyPercent 50 (floor ceil(1.5) = 2) one
// instance at a time goes through that. With maximumPercent 200 (ceiling
// 6) each new task starts first, beside the old one, which stops once the
// new one is healthy.
//
// A task on an instance that no longer qualifies stops, PENDING or not.
// On a DRAINING instance a RUNNING daemon task stops last, once the
// instance runs no REPLICA service task any more (Instance.ReplicaTasks):
// daemons serve the other tasks.
//
// The circuit breaker and throttle work as for REPLICA services. Tasks of
// old deployments are not replaced by their own revision (there is no
// rollout capacity to keep: each instance gets the PRIMARY's task).
func (p *plan) daemon(gs []*group, insts []Instance) {
	byID := make(map[string]Instance, len(insts))
	hosting := map[string]bool{}
	for _, i := range insts {
		byID[i.ID] = i
	}
	for _, g := range gs {
		for _, t := range g.pick(isActive) {
			hosting[t.InstanceID] = true
		}
	}
	var targets []string
	for _, i := range insts {
		if i.Status == ecs.InstanceActive && i.Eligible && (i.Connected || hosting[i.ID]) {
			targets = append(targets, i.ID)
		}
	}
	slices.Sort(targets)
	p.daemonBounds(gs, targets)

	for _, g := range gs {
		p.stopFor(g, g.pick(func(t *task) bool { return t.active() && t.away && !lingers(t, byID) }))
	}
	here := map[string][]occupant{} // every instance's present tasks, PRIMARY's first, then newest deployment first
	for _, g := range gs {
		for _, t := range g.tasks {
			if t.present() {
				here[t.InstanceID] = append(here[t.InstanceID], occupant{g, t})
			}
		}
	}
	for _, id := range targets {
		p.daemonInstance(gs[0], byID[id], here[id])
	}
	gs[0].target = len(targets)
	for _, g := range gs[1:] {
		g.target = g.count(isKept)
	}
}

// occupant is a task present on an instance, with its deployment.
type occupant struct {
	g *group
	t *task
}

// daemonBounds marks the tasks away from the target instances, sets
// desiredCount to how many there are, and sets the bounds, counting an
// instance healthy when it has a healthy task.
func (p *plan) daemonBounds(gs []*group, targets []string) {
	isTarget := make(map[string]bool, len(targets))
	for _, id := range targets {
		isTarget[id] = true
	}
	covered, present := map[string]bool{}, 0
	for _, g := range gs {
		for _, t := range g.tasks {
			t.away = !isTarget[t.InstanceID]
			if t.away {
				continue
			}
			if isHealthy(t) {
				covered[t.InstanceID] = true
			}
			if t.present() {
				present++
			}
		}
	}
	p.svc.DesiredCount = int32(len(targets))
	p.setBounds(len(targets), len(covered), present)
}

// lingers says t, away from the target instances, is a RUNNING daemon
// task on a DRAINING instance that still runs REPLICA tasks: it stops
// after them.
func lingers(t *task, byID map[string]Instance) bool {
	i, ok := byID[t.InstanceID]
	return ok && i.Status == ecs.InstanceDraining && i.ReplicaTasks > 0 && t.state != pending
}

// daemonInstance brings one target instance to one task of the PRIMARY.
// here are the tasks present on it.
func (p *plan) daemonInstance(prim *group, inst Instance, here []occupant) {
	var mine []*task
	var others []occupant // tasks to go once the PRIMARY's is healthy here
	for _, o := range here {
		switch {
		case o.g == prim && o.t.kept():
			mine = append(mine, o.t)
		case o.g == prim && isUnhealthy(o.t), o.g != prim && o.t.active():
			others = append(others, o)
		}
	}
	if len(mine) > 1 { // keep the most advanced, lowest id first among equals
		best := mine[0]
		for _, t := range mine[1:] {
			if t.state > best.state {
				best = t
			}
		}
		p.stopEach(slices.DeleteFunc(mine, func(t *task) bool { return t == best }), scaling(prim.dep))
		mine = []*task{best}
	}
	switch {
	case len(mine) == 1 && mine[0].state == healthy: // the instance is covered: the rest go
		for _, o := range others {
			p.stopFor(o.g, []*task{o.t})
		}
	case len(mine) == 1: // its replacement is on its way: the rest cover until it is healthy
	case !inst.Connected || !prim.canLaunch():
	case prim.dep.NextLaunchAt.After(p.now):
		p.wakeAt(prim.dep.NextLaunchAt)
	case p.room > 0 && (len(here) == 0 || p.bounds.ceiling > p.desired):
		p.launch(prim, inst.ID, 1)
	default:
		p.clearInstance(others)
	}
}

// clearInstance stops what occupies an instance so that the PRIMARY's task
// can start there next: tasks that are not healthy at once; healthy ones
// (old deployments', the oldest first) all but one freely, since the
// instance stays covered, and the last one only if the floor can spare
// the instance.
func (p *plan) clearInstance(others []occupant) {
	var well []occupant
	for _, o := range others {
		if o.t.state == healthy {
			well = append(well, o)
		} else {
			p.stopFor(o.g, []*task{o.t})
		}
	}
	keep := 1 // others lists the newest deployment first
	if len(well) > 0 && p.budget > 0 {
		keep = 0
		p.budget--
	}
	for _, o := range well[min(keep, len(well)):] {
		p.stopFor(o.g, []*task{o.t})
	}
}
