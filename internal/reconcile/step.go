package reconcile

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/berth-org/berth/internal/ecs"
)

// Step decides what a service needs next: which tasks to start and stop,
// and what its deployments, events and status become. It is a pure
// function of in: no I/O, no clock, no randomness; the same input always
// gives the same decision. See the package documentation for the rules.
func Step(in Input) Decision {
	svc := cloneService(&in.Service)
	p := &plan{svc: svc, now: in.Now, grace: time.Duration(svc.HealthCheckGracePeriodSeconds) * time.Second}
	if svc.Status == ecs.ServiceInactive || len(svc.Deployments) == 0 {
		return p.decision(&in)
	}
	byDep := p.index(in.Tasks)
	for i := range svc.Deployments {
		p.settle(&svc.Deployments[i], byDep[svc.Deployments[i].ID])
	}
	p.breaker(in.NewDeploymentID)
	gs := groups(svc, byDep)
	p.markLost(gs, in.Instances, in.LostInstanceTimeout)
	switch {
	case svc.Status == ecs.ServiceDraining:
		p.drainService(gs)
	case svc.SchedulingStrategy == ecs.SchedulingDaemon:
		p.daemon(gs, in.Instances)
	default:
		p.replica(gs, in.Instances)
	}
	p.finish(gs)
	return p.decision(&in)
}

// index classifies every task and groups them by deployment id, each
// group sorted by task id.
func (p *plan) index(in []Task) map[string][]*task {
	byDep := map[string][]*task{}
	for _, t := range in {
		tk := &task{Task: t, state: stateOf(t, p.now, p.grace)}
		byDep[t.DeploymentID] = append(byDep[t.DeploymentID], tk)
	}
	for _, ts := range byDep {
		sort.Slice(ts, func(i, j int) bool { return ts[i].ID < ts[j].ID })
	}
	return byDep
}

// deploymentIDPrefix starts every deployment id ("ecs-svc/" and 19
// digits, as ECS makes them).
const deploymentIDPrefix = "ecs-svc/"

// groups are the service's deployments with their tasks, PRIMARY first
// then newest to oldest, and last a group for each deployment id some
// present task names that the service no longer lists (an orphan: drained
// like an old deployment, never stored). A task whose startedBy is not a
// deployment id at all is not the scheduler's (a RunTask that chose the
// group "service:<name>" itself) and is left alone.
func groups(svc *ecs.Service, byDep map[string][]*task) []*group {
	var gs []*group
	listed := map[string]bool{}
	for i := range svc.Deployments {
		d := &svc.Deployments[i]
		listed[d.ID] = true
		gs = append(gs, &group{dep: d, tasks: byDep[d.ID]})
	}
	var orphans []string
	for id, ts := range byDep {
		if !listed[id] && strings.HasPrefix(id, deploymentIDPrefix) && slices.ContainsFunc(ts, (*task).present) {
			orphans = append(orphans, id)
		}
	}
	slices.Sort(orphans)
	for _, id := range orphans {
		gs = append(gs, &group{dep: &ecs.Deployment{ID: id, Status: ecs.DeploymentActive}, orphan: true, tasks: byDep[id]})
	}
	return gs
}

// drainService stops every task of a deleted (DRAINING) service, without
// regard to the bounds, and makes the service INACTIVE once none is left.
func (p *plan) drainService(gs []*group) {
	present := 0
	for _, g := range gs {
		p.stopEach(g.pick(isActive), scaling(g.dep))
		present += g.count(isPresent)
	}
	if present == 0 {
		p.svc.Status = ecs.ServiceInactive
	}
}

// finish writes the deployments' counts, removes drained old deployments,
// completes the PRIMARY when it is done, says when the service is steady,
// and asks to wake when a task's state will change with time.
func (p *plan) finish(gs []*group) {
	svc := p.svc
	for _, g := range gs {
		for _, t := range g.tasks {
			if t.active() {
				p.wakeAt(wakeOf(t, p.grace))
			}
		}
		if g.orphan {
			continue
		}
		g.dep.RunningCount = int32(g.count(func(t *task) bool { return t.present() && t.LastStatus == ecs.TaskRunning }))
		g.dep.PendingCount = int32(g.count(func(t *task) bool { return t.present() && t.LastStatus.Before(ecs.TaskRunning) }))
		g.dep.DesiredCount = int32(g.target)
	}
	if svc.Status != ecs.ServiceActive {
		return
	}
	svc.Deployments = slices.DeleteFunc(svc.Deployments, func(d ecs.Deployment) bool {
		g := groupOf(gs, d.ID)
		return d.Status != ecs.DeploymentPrimary && g.target == 0 && g.count(isPresent) == 0
	})
	if !p.settled(gs) {
		return
	}
	if prim := svc.Primary(); inProgress(prim) {
		prim.RolloutState = ecs.RolloutCompleted
		prim.RolloutStateReason = fmt.Sprintf(rolloutCompleted, prim.ID)
		svc.Stable = stableCopy(prim)
		p.say(msgCompleted, svc.Name, prim.ID)
	}
	p.steady()
}

// settled says the service runs exactly desired tasks, all of the PRIMARY
// deployment, all healthy, with nothing left to do: the end of a
// deployment and the definition of steady state.
func (p *plan) settled(gs []*group) bool {
	if p.acting() || len(p.svc.Deployments) != 1 {
		return false
	}
	present := 0
	for _, g := range gs {
		present += g.count(isPresent)
	}
	return present == p.desired && gs[0].count(isHealthyKept) == p.desired
}

// steady says "(service X) has reached a steady state." on the way into
// steady state, and again every six hours while it lasts.
func (p *plan) steady() {
	msg := fmt.Sprintf(msgSteady, p.svc.Name)
	if len(p.messages)+len(p.verdicts) == 0 && len(p.svc.Events) > 0 {
		last := p.svc.Events[0]
		if last.Message == msg && p.now.Sub(last.CreatedAt) < eventRepeatAfter {
			p.wakeAt(last.CreatedAt.Add(eventRepeatAfter))
			return
		}
	}
	p.say(msgSteady, p.svc.Name)
	p.wakeAt(p.now.Add(eventRepeatAfter))
}

// decision assembles the Decision: events appended to the service, the
// deployments that changed stamped with now.
func (p *plan) decision(in *Input) Decision {
	svc := p.svc
	for i := range svc.Deployments {
		d := &svc.Deployments[i]
		if before := deploymentOf(&in.Service, d.ID); before == nil || changedDeployment(before, d) {
			d.UpdatedAt = p.now
		}
	}
	var events []ecs.ServiceEvent
	for _, m := range append(p.messages, p.verdicts...) {
		e := NewEvent(svc.ARN, p.now, m)
		events = append(events, e)
		svc.AddEvent(e)
	}
	return Decision{
		Service:          *svc,
		Changed:          !reflect.DeepEqual(&in.Service, svc),
		Start:            p.start,
		Stop:             p.stop,
		StopSome:         p.stopSome,
		Events:           events,
		UsedDeploymentID: p.usedID,
		Wake:             p.wake,
	}
}

// changedDeployment says b differs from a in anything but UpdatedAt.
func changedDeployment(a, b *ecs.Deployment) bool {
	x, y := *a, *b
	x.UpdatedAt, y.UpdatedAt = time.Time{}, time.Time{}
	return !reflect.DeepEqual(x, y)
}

func deploymentOf(svc *ecs.Service, id string) *ecs.Deployment {
	for i := range svc.Deployments {
		if svc.Deployments[i].ID == id {
			return &svc.Deployments[i]
		}
	}
	return nil
}

func groupOf(gs []*group, id string) *group {
	for _, g := range gs {
		if g.dep.ID == id {
			return g
		}
	}
	return nil
}

// inProgress says d is being rolled out (a deployment the API created
// without a rollout state counts as IN_PROGRESS).
func inProgress(d *ecs.Deployment) bool {
	return d != nil && (d.RolloutState == ecs.RolloutInProgress || d.RolloutState == "")
}

// cloneService copies s deeply enough that Step can change the copy
// without touching s: the deployments (and their lists) and the stable
// copy; events are only ever replaced, never changed in place.
func cloneService(s *ecs.Service) *ecs.Service {
	c := *s
	c.Deployments = slices.Clone(s.Deployments)
	for i := range c.Deployments {
		c.Deployments[i].SettledTasks = slices.Clone(c.Deployments[i].SettledTasks)
	}
	if s.Stable != nil {
		st := *s.Stable
		c.Stable = &st
	}
	return &c
}

// stableCopy is what the service keeps of a COMPLETED deployment to roll
// back to: what it ran, not its counts or bookkeeping.
func stableCopy(d *ecs.Deployment) *ecs.Deployment {
	return &ecs.Deployment{
		ID: d.ID, Status: d.Status, TaskDefinitionARN: d.TaskDefinitionARN,
		RolloutState: d.RolloutState, CreatedAt: d.CreatedAt,
		LaunchType: d.LaunchType, NetworkConfiguration: d.NetworkConfiguration,
	}
}
