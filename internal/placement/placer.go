package placement

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/scheduler"
	"github.com/berth-org/berth/internal/scheduler/query"
	"github.com/berth-org/berth/internal/store"
)

const (
	// maxReplans bounds how often one transaction re-plans tasks whose
	// instance changed under it. Each re-plan follows a foreign write to
	// one of its instances; eight in a row means heavy contention, and the
	// task is reported unplaced rather than spinning.
	maxReplans = 8
	// readyTimeout bounds how long a placement waits for the cache's first
	// load at server start (listing 100,000 tasks takes about a second).
	readyTimeout = 30 * time.Second
)

// Placer decides placements on the cache's snapshots (scheduler.Place,
// serialized, each decision assumed at once so the next one sees it) and
// binds them into the caller's etcd transaction, where each touched
// instance's accounting is compared and swapped.
type Placer struct {
	cache *Cache
	rnd   *rand.Rand // used under cache.mu only
}

// NewPlacer returns a placer over cache.
func NewPlacer(cache *Cache) *Placer {
	return &Placer{cache: cache, rnd: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
}

// Plan is a placement decided and assumed, not yet committed.
type Plan struct {
	Cluster string
	Request scheduler.Request
	TaskIDs []string // one per placed task
	Hosts   []string // the instance of each task
	// Failure explains the tasks that could not be placed (Request.Count -
	// len(TaskIDs) of them); nil when all were.
	Failure *scheduler.Failure
	// Registered is how many ACTIVE or DRAINING instances the cluster
	// had when planned.
	Registered int
}

// Plan decides where r.Count tasks go and assumes them in the snapshot.
// newID names each placed task. The caller must bind the plan into a
// transaction that commits (Bind), or Forget it.
func (p *Placer) Plan(ctx context.Context, cluster string, r scheduler.Request, newID func() string) (*Plan, error) {
	if err := p.cache.Sync(ctx); err != nil {
		return nil, err
	}
	plan := &Plan{Cluster: cluster, Request: r}
	err := p.cache.With(cluster, func(s *scheduler.Snapshot) {
		plan.Registered = s.Registered()
		r.Rand = p.rnd
		res := scheduler.Place(s, &r)
		for _, host := range res.Hosts {
			id := newID()
			s.Assume(id, host, r.Group, r.Needs)
			plan.TaskIDs = append(plan.TaskIDs, id)
			plan.Hosts = append(plan.Hosts, host)
		}
		plan.Failure = res.Failure
	})
	return plan, err
}

// committed tells the snapshot the plan's tasks are in etcd at revision
// rev.
func (p *Placer) committed(plan *Plan, rev int64) {
	_ = p.cache.With(plan.Cluster, func(s *scheduler.Snapshot) { s.Committed(plan.TaskIDs, rev) })
}

// Forget undoes the plan's assumptions: its transaction failed.
func (p *Placer) Forget(plan *Plan) {
	_ = p.cache.With(plan.Cluster, func(s *scheduler.Snapshot) { s.Forget(plan.TaskIDs) })
}

// Bind reads each planned host through tx and holds the plan's tasks on
// it, so that the commit writes each instance's accounting only if nobody
// changed it since it was read. It returns the host records to write, by
// instance id. When tx commits, the snapshot learns the plan's revision
// (tx.OnCommit) before the next group of placements runs (hooks run
// before UpdateGrouped hands its queue on), so the next plan bound on the
// same hosts finds their records accounted for.
//
// Within a group of transactions (store.UpdateGrouped), a host an earlier
// member wrote is read as that member left it, with the revision it was
// read at, which the earlier member already checked: the holds add up.
//
// A host whose record the snapshot does not account for (another server's
// placement, a release, a session change) is a conflict: Bind waits for
// the cache to catch up with it and re-plans only the tasks planned there,
// keeping the rest. A record older than the snapshot's (the transaction
// read a stale local copy) is held without checking: the commit's compare
// fails and the transaction runs again on fresh reads.
func (p *Placer) Bind(ctx context.Context, tx *store.Tx, plan *Plan) (map[string]*ecs.ContainerInstance, error) {
	for range maxReplans {
		hosts, conflicts, err := p.hold(tx, plan)
		if err != nil {
			return nil, err
		}
		if len(conflicts) == 0 {
			tx.OnCommit(func(rev int64) { p.committed(plan, rev) })
			return hosts, nil
		}
		for host, rev := range conflicts {
			if err := p.cache.Await(ctx, plan.Cluster, host, rev); err != nil {
				return nil, err
			}
		}
		p.replan(plan, conflicts)
	}
	return nil, fmt.Errorf("placement on cluster %s: %w", plan.Cluster, store.ErrConflict)
}

// hold reads the plan's hosts and holds its tasks on them. conflicts maps
// each host to re-plan to the revision of the record that conflicted (0:
// the instance is gone).
func (p *Placer) hold(tx *store.Tx, plan *Plan) (map[string]*ecs.ContainerInstance, map[string]int64, error) {
	hosts := map[string]*ecs.ContainerInstance{}
	revs := map[string]int64{}
	stale := map[string]bool{}
	conflicts := map[string]int64{}
	needs := plan.Request.Needs
	for _, h := range plan.Hosts {
		if _, bad := conflicts[h]; bad {
			continue
		}
		rec := hosts[h]
		if rec == nil {
			var rev int64
			var err error
			rec, rev, err = tx.GetInstanceRev(plan.Cluster, h)
			switch {
			case errors.Is(err, store.ErrNotFound):
				conflicts[h] = 0
				continue
			case err != nil:
				return nil, nil, err
			}
			var snapRev int64
			var accounted bool
			_ = p.cache.With(plan.Cluster, func(s *scheduler.Snapshot) {
				snapRev, accounted = s.Revision(h), s.Accounts(h, rev)
			})
			if rev < snapRev {
				stale[h] = true
			} else if !accounted {
				conflicts[h] = rev
				continue
			}
			hosts[h], revs[h] = rec, rev
		}
		if ok, _ := rec.Fits(needs); !ok && !stale[h] {
			// The snapshot counted this record and still chose it: only a
			// change it has not seen can make the task not fit.
			conflicts[h] = revs[h]
			delete(hosts, h)
			continue
		}
		rec.Hold(needs)
	}
	if len(conflicts) > 0 {
		return nil, conflicts, nil
	}
	return hosts, nil, nil
}

// replan places again the tasks planned on the conflicting hosts, against
// the snapshot as it is now; tasks that no longer fit anywhere are dropped
// from the plan, and its Failure says why.
func (p *Placer) replan(plan *Plan, conflicts map[string]int64) {
	var redo []string
	keepIDs, keepHosts := plan.TaskIDs[:0:0], plan.Hosts[:0:0]
	for i, h := range plan.Hosts {
		if _, bad := conflicts[h]; bad {
			redo = append(redo, plan.TaskIDs[i])
			continue
		}
		keepIDs, keepHosts = append(keepIDs, plan.TaskIDs[i]), append(keepHosts, h)
	}
	_ = p.cache.With(plan.Cluster, func(s *scheduler.Snapshot) {
		s.Forget(redo)
		r := plan.Request
		r.Count, r.Rand = len(redo), p.rnd
		res := scheduler.Place(s, &r)
		for k, host := range res.Hosts {
			s.Assume(redo[k], host, r.Group, r.Needs)
			keepIDs, keepHosts = append(keepIDs, redo[k]), append(keepHosts, host)
		}
		if res.Failure != nil {
			plan.Failure = res.Failure
		}
	})
	plan.TaskIDs, plan.Hosts = keepIDs, keepHosts
}

// Sync waits until the snapshots reflect every write committed before the
// call (see Cache.Sync). Check and Matches read the snapshot as it is; a
// caller checking several instances syncs once first.
func (p *Placer) Sync(ctx context.Context) error { return p.cache.Sync(ctx) }

// SyncTo waits until the snapshots reflect every change up to revision
// rev, which the caller saw in a watch of its own (see Cache.SyncTo).
func (p *Placer) SyncTo(ctx context.Context, rev int64) error { return p.cache.SyncTo(ctx, rev) }

// Check says whether instance id of cluster can take a task of r now ("")
// or the ECS reason it cannot; StartTask's caller names the instances.
func (p *Placer) Check(cluster, id string, r *scheduler.Request) (string, error) {
	var reason string
	err := p.cache.With(cluster, func(s *scheduler.Snapshot) { reason = s.Check(id, r) })
	return reason, err
}

// Matches reports whether expression e selects instance id of cluster,
// on the snapshot (ListContainerInstances' filter: the snapshot knows each
// instance's task groups and running tasks).
func (p *Placer) Matches(cluster, id string, e *query.Expr) (bool, error) {
	var ok bool
	err := p.cache.With(cluster, func(s *scheduler.Snapshot) { ok = s.Match(id, e) })
	return ok, err
}

// SelectStop chooses k of taskIDs (tasks of group in cluster) to stop when
// a service scales in: the service's strategies run in reverse on the
// snapshot (scheduler.SelectStop). Tasks the snapshot does not know yet
// are not chosen; the caller syncs first when that matters.
func (p *Placer) SelectStop(cluster, group string, taskIDs []string, k int, strategies []scheduler.Strategy) ([]string, error) {
	var chosen []string
	err := p.cache.With(cluster, func(s *scheduler.Snapshot) {
		chosen = scheduler.SelectStop(s, group, taskIDs, k, strategies, p.rnd)
	})
	return chosen, err
}

// Qualifies reports, for each of ids (instances of cluster), whether it
// meets r's attribute requirements and memberOf constraints on the
// snapshot (scheduler.Snapshot.Qualifies): where a DAEMON service's tasks
// belong.
func (p *Placer) Qualifies(cluster string, ids []string, r *scheduler.Request) (map[string]bool, error) {
	out := make(map[string]bool, len(ids))
	err := p.cache.With(cluster, func(s *scheduler.Snapshot) {
		for _, id := range ids {
			out[id] = s.Qualifies(id, r)
		}
	})
	return out, err
}

// Connected reports, for each of ids (instances of cluster), whether its
// agent is connected, as of every write committed before the call; an
// instance the snapshot does not know (deregistered) is not.
func (p *Placer) Connected(ctx context.Context, cluster string, ids []string) (map[string]bool, error) {
	if err := p.cache.Sync(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(ids))
	err := p.cache.With(cluster, func(s *scheduler.Snapshot) {
		for _, id := range ids {
			inst, ok := s.Instance(id)
			out[id] = ok && inst.Connected
		}
	})
	return out, err
}

// TaskCounts are the cluster's RUNNING tasks and its tasks not yet
// RUNNING (still desired RUNNING), as of every write committed before the
// call.
func (p *Placer) TaskCounts(ctx context.Context, cluster string) (running, pending int, err error) {
	if err := p.cache.Sync(ctx); err != nil {
		return 0, 0, err
	}
	err = p.cache.With(cluster, func(s *scheduler.Snapshot) { running, pending = s.TaskCounts() })
	return running, pending, err
}
