package reconcile

import (
	"slices"

	"github.com/berth-org/berth/internal/ecs"
)

// replica plans a REPLICA service: desiredCount tasks of the PRIMARY
// deployment, reached from whatever runs now without ever stopping a
// healthy task below the floor or starting one above the ceiling.
//
// In order:
//
//  1. Tasks on an instance they must leave (DRAINING, deregistered) that
//     are not healthy stop at once: ECS stops PENDING tasks of a draining
//     instance immediately.
//  2. Each deployment gets a target (targets).
//  3. Deployments with more kept tasks than their target stop the
//     surplus, oldest deployment first, least useful task first (trim).
//  4. Healthy tasks on instances they must leave stop as the budget
//     allows: at once when minimumHealthyPercent leaves room, else as
//     their replacements turn healthy.
//  5. Unhealthy tasks stop once their deployment has its target of
//     healthy tasks without them: the replacement starts first.
//  6. Deployments below their target start tasks, old ones first (they
//     restore a revision known to work), as the ceiling and the throttle
//     allow. When the ceiling allows none at all, one unhealthy task
//     stops to make room, one at a time, as ECS does.
func (p *plan) replica(gs []*group, insts []Instance) {
	markAway(gs, insts)
	healthyNow, presentNow := 0, 0
	for _, g := range gs {
		healthyNow += g.count(isHealthy)
		presentNow += g.count(isPresent)
	}
	p.setBounds(int(p.svc.DesiredCount), healthyNow, presentNow)

	for _, g := range gs {
		p.stopFor(g, g.pick(func(t *task) bool { return t.active() && t.away && t.state != healthy }))
	}
	p.targets(gs)
	for i := len(gs) - 1; i >= 0; i-- {
		g := gs[i]
		p.trim(g.pick(isKept), g.count(isKept)-g.target, scaling(g.dep))
	}
	for i := len(gs) - 1; i >= 0; i-- {
		away := gs[i].pick(func(t *task) bool { return t.active() && t.away })
		p.stopHealthy(away, len(away), scaling(gs[i].dep))
	}
	for _, g := range gs {
		if g.count(isHealthyKept) >= g.target {
			p.stopFor(g, g.pick(isUnhealthy))
		}
	}
	short := false
	for _, g := range append(slices.Clone(gs[1:]), gs[0]) {
		want := g.target - g.count(isKept)
		if p.launch(g, "", want) < want && g.canLaunch() && !g.dep.NextLaunchAt.After(p.now) {
			short = true
		}
	}
	if short && p.room == 0 {
		p.makeRoom(gs)
	}
}

// markAway marks the tasks on instances they must leave: DRAINING or
// deregistered ones, or ones the cluster no longer has. A task on an
// ACTIVE instance whose agent is disconnected stays: ECS does not
// reschedule tasks it cannot see, they keep running; unless the cluster's
// lostInstanceTimeout has made the instance lost (markLost has stopped
// such tasks already).
func markAway(gs []*group, insts []Instance) {
	status := make(map[string]ecs.InstanceStatus, len(insts))
	for _, i := range insts {
		status[i.ID] = i.Status
	}
	for _, g := range gs {
		for _, t := range g.tasks {
			t.away = t.InstanceID != "" && status[t.InstanceID] != ecs.InstanceActive
		}
	}
}

// targets sets how many kept tasks each deployment should have.
//
// The PRIMARY's is desiredCount, or while it is FAILED what it has (it
// launches nothing more). The old deployments together keep what the
// PRIMARY cannot provide yet: enough healthy tasks to hold the floor, and
// while the PRIMARY is FAILED, desiredCount in all. Each old deployment's
// target never grows (its stored desiredCount only shrinks as the rollout
// proceeds) and is given out healthy tasks first, then tasks not yet
// healthy, then, for a deployment known to work (COMPLETED), tasks it lost
// and must replace with its own revision (ECS since November 2025:
// "unhealthy or terminated tasks are replaced using the same service
// revision they belong to"), newest deployment first at each stage. A
// deployment that never completed is not relaunched: there is no working
// revision to keep.
//
// Worked example: desired 4, minimumHealthyPercent 100 (floor 4), an old
// deployment with 4 healthy tasks. The new PRIMARY has 0 healthy: the old
// one keeps 4. With 3 of the PRIMARY's healthy: it keeps 1, and 3 old
// tasks stop. If one old task dies while the PRIMARY still has 0
// healthy, the old deployment's target stays 4 and it starts a task of
// its own revision to replace it.
func (p *plan) targets(gs []*group) {
	prim := gs[0]
	prim.target = p.desired
	if !prim.canLaunch() {
		prim.target = min(p.desired, prim.count(isKept))
	}
	need := max(p.bounds.floor-prim.count(isHealthyKept), p.desired-prim.target, 0)
	stages := []func(g *group) int{
		func(g *group) int { return g.count(isHealthyKept) },
		func(g *group) int { return g.count(isKept) - g.count(isHealthyKept) },
		func(g *group) int {
			if !g.canLaunch() || g.dep.RolloutState != ecs.RolloutCompleted {
				return 0
			}
			return int(g.dep.DesiredCount) - g.count(isKept)
		},
	}
	for _, avail := range stages {
		for _, g := range gs[1:] {
			limit := 0
			if !g.orphan {
				limit = int(g.dep.DesiredCount)
			}
			n := max(min(need, avail(g), limit-g.target), 0)
			g.target += n
			need -= n
		}
	}
}

// makeRoom stops one unhealthy task when the ceiling leaves no room to
// start its replacement first and nothing else of the service is on its
// way out: "the scheduler stops the unhealthy tasks one-by-one ... to
// clear up capacity to launch replacement tasks" (ECS API reference,
// minimumHealthyPercent). A lost task on its way out frees no room (it
// holds none).
func (p *plan) makeRoom(gs []*group) {
	for _, g := range gs {
		if g.count(func(t *task) bool { return (t.state == stopping || t.stop) && !t.lost }) > 0 {
			return
		}
	}
	for _, g := range gs {
		if bad := g.pick(isUnhealthy); len(bad) > 0 && g.count(isKept) < g.target {
			p.stopFor(g, bad[:1])
			return
		}
	}
}

func isUnhealthy(t *task) bool { return t.active() && t.state == unhealthy }
