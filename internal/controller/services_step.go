package controller

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/launch"
	"github.com/berth-org/berth/internal/placement"
	"github.com/berth-org/berth/internal/reconcile"
	"github.com/berth-org/berth/internal/scheduler"
	"github.com/berth-org/berth/internal/store"
)

const (
	// maxStartsPerStep and maxStopsPerStep bound one step's transaction.
	// An external etcd allows 128 operations per transaction by default;
	// a task start is two (the task and its instance index) plus its
	// instance's accounting, a stop one. What a step leaves is decided
	// again by the next step, as soon as the world has this one's write.
	maxStartsPerStep = 32
	maxStopsPerStep  = 64
)

// errStale: the service changed since the world's picture of it (an
// UpdateService); the step is decided again when the watch brings it.
var errStale = errors.New("the service changed since it was read")

// step decides and applies one service's reconciliation. It returns the
// revision it wrote at (0 when it wrote nothing) and when the service
// wants to be looked at again (zero: only when something changes).
func (l *loop) step(ctx context.Context, k serviceKey, svc *ecs.Service) (int64, time.Time, error) {
	in, err := l.input(ctx, k, svc)
	if err != nil {
		return 0, time.Time{}, err
	}
	d := reconcile.Step(in)
	if !d.Changed && d.Idle() {
		return 0, d.Wake, nil
	}
	a, err := l.prepare(ctx, k, d)
	if err != nil {
		return 0, time.Time{}, err
	}
	if !d.Changed && !a.wouldWrite(&d.Service) {
		// The tasks to start cannot be placed and the service says so
		// already. Writing it again would step it again as soon as the
		// write comes back, and again, for as long as they stay
		// unplaceable: a busy loop. An instance's change, or the retry,
		// steps it next.
		a.forget(l.Placer)
		return 0, earliest(d.Wake, in.Now.Add(unplacedRetry)), nil
	}
	rev, err := l.commit(ctx, k, d, a)
	if err != nil {
		a.forget(l.Placer)
		if errors.Is(err, errStale) || errors.Is(err, store.ErrNotFound) {
			return 0, time.Time{}, nil
		}
		return 0, time.Time{}, err
	}
	wake := d.Wake
	if a.unplaced != nil {
		wake = earliest(wake, in.Now.Add(unplacedRetry))
	}
	return rev, wake, nil
}

// input builds Step's input from the world.
func (l *loop) input(ctx context.Context, k serviceKey, svc *ecs.Service) (reconcile.Input, error) {
	in := reconcile.Input{Service: *svc, Now: l.now(), NewDeploymentID: ecs.NewDeploymentID(),
		LostInstanceTimeout: l.w.lostAfter[k.cluster]}
	for _, t := range l.w.tasks[k] {
		td, err := l.defs.get(ctx, t.TaskDefinitionARN)
		if err != nil {
			return in, err
		}
		in.Tasks = append(in.Tasks, reconcile.TaskOf(t, healthChecked(td)))
	}
	slices.SortFunc(in.Tasks, func(a, b reconcile.Task) int { return cmp.Compare(a.ID, b.ID) })
	instances, err := l.instances(ctx, k, svc, in.Now)
	in.Instances = instances
	return in, err
}

// instances are the cluster's instances as Step sees them at now; for a
// DAEMON service, with whether each qualifies for its task and how many
// REPLICA tasks it still runs.
func (l *loop) instances(ctx context.Context, k serviceKey, svc *ecs.Service, now time.Time) ([]reconcile.Instance, error) {
	out := l.w.stepInstances(k.cluster, now)
	slices.SortFunc(out, func(a, b reconcile.Instance) int { return cmp.Compare(a.ID, b.ID) })
	if svc.SchedulingStrategy != ecs.SchedulingDaemon || svc.Primary() == nil {
		return out, nil
	}
	td, err := l.defs.get(ctx, svc.Primary().TaskDefinitionARN)
	if err != nil {
		return nil, err
	}
	spec, err := launch.ForService(svc, svc.Primary(), td)
	if err != nil {
		return nil, err
	}
	// The placement cache must know every instance the world knows.
	if err := l.Placer.SyncTo(ctx, l.rev); err != nil {
		return nil, err
	}
	ids := make([]string, len(out))
	for i, inst := range out {
		ids[i] = inst.ID
	}
	r := spec.Request(1)
	qualifies, err := l.Placer.Qualifies(k.cluster, ids, &r)
	if err != nil {
		return nil, err
	}
	replicas := l.w.replicaTasks(k.cluster)
	for i := range out {
		out[i].Eligible, out[i].ReplicaTasks = qualifies[out[i].ID], replicas[out[i].ID]
	}
	return out, nil
}

// actions are a decision's stops and planned starts, ready to commit.
type actions struct {
	stops  []reconcile.Stop
	starts []start
	// unplaced explains tasks the placement engine could not place.
	unplaced *scheduler.Failure
}

type start struct {
	spec *launch.Spec
	plan *placement.Plan
}

// wouldWrite says whether committing the actions of a decision that left
// the service as it was would still write something, when some of its
// tasks could not be placed: a stop, a task placed elsewhere, or the event
// that tasks could not be placed, unless that is the service's newest
// event already (see addOnce). Without an unplaced task it says yes, and
// the commit goes ahead as always.
func (a *actions) wouldWrite(svc *ecs.Service) bool {
	if len(a.stops) > 0 || a.unplaced == nil {
		return true
	}
	for _, s := range a.starts {
		if len(s.plan.TaskIDs) > 0 {
			return true
		}
	}
	return len(svc.Events) == 0 || svc.Events[0].Message != unplacedMessage(svc.Name, a.unplaced)
}

func (a *actions) forget(p *placement.Placer) {
	for _, s := range a.starts {
		p.Forget(s.plan)
	}
}

// prepare chooses the tasks StopSome leaves to placement and plans the
// starts (assumed in the placement snapshot until committed or forgotten).
func (l *loop) prepare(ctx context.Context, k serviceKey, d reconcile.Decision) (*actions, error) {
	a := &actions{stops: d.Stop}
	if len(d.StopSome) > 0 || len(d.Start) > 0 {
		// Choosing and placing read the placement cache, which must have
		// what the world has: the instance or the task that made this
		// step.
		if err := l.Placer.SyncTo(ctx, l.rev); err != nil {
			return nil, err
		}
	}
	strategies, err := scheduler.ParseStrategies(d.Service.PlacementStrategy)
	if err != nil {
		return nil, fmt.Errorf("service %s: placement strategy: %w", k.name, err)
	}
	if len(strategies) == 0 {
		strategies = scheduler.DefaultServiceStrategies
	}
	for _, sc := range d.StopSome {
		ids, err := l.Placer.SelectStop(k.cluster, ecs.ServiceGroup(k.name), sc.Candidates, sc.Count, strategies)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			a.stops = append(a.stops, reconcile.Stop{TaskID: id, Code: sc.Code, Reason: sc.Reason})
		}
	}
	a.stops = a.stops[:min(len(a.stops), maxStopsPerStep)]
	budget := maxStartsPerStep
	for _, s := range d.Start {
		if budget == 0 {
			break
		}
		st, err := l.plan(ctx, k, d, s, min(s.Count, budget))
		if err != nil {
			a.forget(l.Placer)
			return nil, err
		}
		budget -= len(st.plan.TaskIDs)
		if st.plan.Failure != nil {
			a.unplaced = st.plan.Failure
		}
		a.starts = append(a.starts, st)
	}
	return a, nil
}

// plan places count tasks of one Start.
func (l *loop) plan(ctx context.Context, k serviceKey, d reconcile.Decision, s reconcile.Start, count int) (start, error) {
	i := slices.IndexFunc(d.Service.Deployments, func(dep ecs.Deployment) bool { return dep.ID == s.DeploymentID })
	if i < 0 {
		return start{}, fmt.Errorf("service %s: no deployment %s to start tasks of", k.name, s.DeploymentID)
	}
	td, err := l.defs.get(ctx, s.TaskDefinitionARN)
	if err != nil {
		return start{}, err
	}
	spec, err := launch.ForService(&d.Service, &d.Service.Deployments[i], td)
	if err != nil {
		return start{}, err
	}
	r := spec.Request(count)
	if s.InstanceID != "" {
		r.Instances = []string{s.InstanceID}
	}
	p, err := l.Placer.Plan(ctx, k.cluster, r, launch.NewID)
	if err != nil {
		return start{}, err
	}
	return start{spec: spec, plan: p}, nil
}

// commit writes the decision in one transaction that holds only if the
// service is still the version Step decided on: the stops, the starts
// (bound to their instances' accounting), and the service with the
// events that name them.
func (l *loop) commit(ctx context.Context, k serviceKey, d reconcile.Decision, a *actions) (int64, error) {
	now := l.now()
	gone := false
	rev, err := l.Store.Update(ctx, func(tx *store.Tx) error {
		_, rev, err := tx.GetServiceRev(k.cluster, k.name)
		// Not found may be a read of the store's cache from before the
		// service was created (CreateService's transaction reads the name
		// first): write nothing, so that the commit compares that read
		// alone, and retries on a fresh read if it was stale.
		gone = errors.Is(err, store.ErrNotFound)
		if gone {
			return nil
		}
		if err != nil {
			return err
		}
		// Newer than the world's: a change (an UpdateService) the step did
		// not see; it runs again when the watch brings it. Older: the
		// transaction's first read came from the store's cache, and the
		// commit's compare fails and retries it on a fresh read.
		if rev > l.w.serviceRev[k] {
			return errStale
		}
		svc := d.Service
		svc.Events = slices.Clone(svc.Events)
		stopped, err := stopTasks(tx, k.cluster, a.stops, now)
		if err != nil {
			return err
		}
		placed, err := l.startTasks(ctx, tx, a.starts, now)
		if err != nil {
			return err
		}
		if len(placed) > 0 {
			svc.AddEvent(reconcile.NewEvent(svc.ARN, now, reconcile.StartedMessage(svc.Name, placed)))
		}
		if len(stopped) > 0 {
			svc.AddEvent(reconcile.NewEvent(svc.ARN, now, reconcile.StoppedMessage(svc.Name, stopped)))
		}
		if a.unplaced != nil {
			addOnce(&svc, reconcile.NewEvent(svc.ARN, now, unplacedMessage(svc.Name, a.unplaced)))
		}
		return tx.PutService(&svc)
	})
	if err == nil && gone {
		return 0, store.ErrNotFound
	}
	return rev, err
}

// stopTasks asks each task still desired RUNNING to stop.
func stopTasks(tx *store.Tx, cluster string, stops []reconcile.Stop, now time.Time) ([]string, error) {
	var stopped []string
	for _, s := range stops {
		t, err := tx.GetTask(cluster, s.TaskID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !t.RequestStop(s.Code, s.Reason, now) {
			continue
		}
		if err := tx.PutTask(t); err != nil {
			return nil, err
		}
		stopped = append(stopped, t.ID)
	}
	return stopped, nil
}

// startTasks binds each planned start to its instances and creates its
// tasks.
func (l *loop) startTasks(ctx context.Context, tx *store.Tx, starts []start, now time.Time) ([]string, error) {
	var placed []string
	for _, s := range starts {
		if len(s.plan.TaskIDs) == 0 {
			continue
		}
		records, err := l.Placer.Bind(ctx, tx, s.plan)
		if err != nil {
			return nil, err
		}
		hosts := make([]*ecs.ContainerInstance, len(s.plan.Hosts))
		for i, id := range s.plan.Hosts {
			hosts[i] = records[id]
		}
		tasks, err := launch.Create(tx, l.ARNs, s.spec, s.plan.TaskIDs, hosts, now)
		if err != nil {
			return nil, err
		}
		for _, t := range tasks {
			placed = append(placed, t.ID)
		}
	}
	return placed, nil
}

// healthChecked says whether an essential container of td has a health
// check: then a task counts as healthy only once it reports HEALTHY.
func healthChecked(td *ecs.TaskDefinition) bool {
	for _, c := range td.Def.ContainerDefinitions {
		if (c.Essential == nil || *c.Essential) && c.HealthCheck != nil {
			return true
		}
	}
	return false
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}
