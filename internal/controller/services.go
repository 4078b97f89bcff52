package controller

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/berth-org/berth/internal/arn"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/placement"
	"github.com/berth-org/berth/internal/store"
)

const (
	// serviceElection is the leader election the service controller runs
	// under: one replica reconciles services at a time.
	serviceElection = "service-controller"
	// serviceRelistPause spaces out relists after the watch fails (etcd
	// restarting, a compacted revision).
	serviceRelistPause = 500 * time.Millisecond
	// stepRetry is when a service whose step failed (etcd unreachable, a
	// conflict that kept losing) is tried again, if nothing else changes
	// first.
	stepRetry = 2 * time.Second
	// unplacedRetry is when a service with tasks it could not place tries
	// again, if no instance changes first (an instance's change, such as
	// capacity freed by a stopped task, triggers a step at once).
	unplacedRetry = 30 * time.Second
	// resyncEvery is the longest a service goes without a step. Steps
	// are driven by changes and wake times, and that should be all; this
	// is the backstop for a change that was missed, so that a service
	// converges anyway (level-triggered, as Kubernetes' informers resync).
	// A resync step that finds work logs a warning: it means a bug. An
	// idle step is a fraction of a millisecond, so 1,000 services cost
	// the leader well under 1 % of a core.
	resyncEvery = 15 * time.Second
	// resyncBatch: resyncs due within this of each other share one timer
	// firing, rather than one firing per service.
	resyncBatch = time.Second
)

// Services is the service controller. While its replica leads, it keeps
// a picture of every service, every task a service started, every
// container instance, each cluster's lostInstanceTimeout and the control
// plane's downtime record (world, fed by one etcd watch), and whenever one
// of them changes, or a service asked to be looked at again by a time, it
// runs reconcile.Step on that service and applies the decision: stops
// and the service's new state in one transaction that compares the
// service's revision, starts through the placement engine.
type Services struct {
	Store  *store.Store
	Placer *placement.Placer
	ARNs   arn.Builder
	Log    *slog.Logger
	Now    func() time.Time
	// ID names this replica in the leader election.
	ID string
}

// Run reconciles services while this replica leads, until ctx ends.
func (c *Services) Run(ctx context.Context) {
	RunAsLeader(ctx, c.Store, c.Log, serviceElection, c.ID, c.lead)
}

func (c *Services) lead(ctx context.Context) {
	for ctx.Err() == nil {
		err := c.session(ctx)
		if ctx.Err() != nil {
			return
		}
		c.Log.Warn("service controller relisting", "err", err)
		sleep(ctx, serviceRelistPause)
	}
}

// loop is one list-then-watch session's state.
type loop struct {
	*Services
	w     *world
	defs  *taskDefs
	rev   int64                    // the world reflects every change up to rev
	dirty map[serviceKey]bool      // to step as soon as the world allows
	after map[serviceKey]int64     // a service's own write the world must reflect first
	wake  map[serviceKey]time.Time // to step at this time, if not before
	// stepped is when each service was last stepped; resyncing marks the
	// services stepped again only because resyncEvery passed.
	stepped   map[serviceKey]time.Time
	resyncing map[serviceKey]bool
}

// session lists, then follows the watch, stepping services as they
// change, until the watch fails or ctx ends.
func (c *Services) session(ctx context.Context) error {
	rev, err := c.Store.Revision(ctx)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	changes, errc := c.Store.WatchServiceState(wctx, rev+1)
	l := &loop{Services: c, w: newWorld(), defs: newTaskDefs(c.Store), rev: rev,
		dirty: map[serviceKey]bool{}, after: map[serviceKey]int64{}, wake: map[serviceKey]time.Time{},
		stepped: map[serviceKey]time.Time{}, resyncing: map[serviceKey]bool{}}
	if err := l.list(ctx); err != nil {
		return fmt.Errorf("list: %w", err)
	}
	for k := range l.w.services {
		l.dirty[k] = true
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		l.stepDirty(ctx)
		resetTimer(timer, l.nextWake())
		select {
		case batch, ok := <-changes:
			if !ok {
				return watchEnded(errc)
			}
			l.apply(batch)
			l.drain(changes)
		case <-timer.C:
			l.due(c.now())
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// list loads the world: services, clusters, the downtime record,
// instances and service tasks.
func (l *loop) list(ctx context.Context) error {
	if err := l.Store.ForEachServiceRev(ctx, func(s *ecs.Service, rev int64) bool {
		l.w.putService(s, rev)
		return true
	}); err != nil {
		return err
	}
	if err := l.Store.ForEachCluster(ctx, func(c *ecs.Cluster) bool {
		l.w.putCluster(c)
		return true
	}); err != nil {
		return err
	}
	down, err := l.Store.GetDowntime(ctx)
	if err != nil {
		return err
	}
	l.w.putDowntime(down)
	if err := l.Store.ForEachInstance(ctx, func(i *ecs.ContainerInstance) bool {
		l.w.putInstance(i)
		return true
	}); err != nil {
		return err
	}
	return l.Store.ForEachTask(ctx, func(t *ecs.Task) bool {
		l.w.putTask(t)
		return true
	})
}

// drain applies whatever else the watch has ready, so that a burst of
// changes costs one step per service rather than one per change.
func (l *loop) drain(changes <-chan []store.Change) {
	for {
		select {
		case batch, ok := <-changes:
			if !ok {
				return // the next receive reports the end
			}
			l.apply(batch)
		default:
			return
		}
	}
}

// apply brings a batch of changes into the world and marks the services
// they concern.
func (l *loop) apply(batch []store.Change) {
	for _, ch := range batch {
		for _, k := range l.w.apply(ch) {
			l.dirty[k] = true
		}
		l.rev = max(l.rev, ch.Revision)
	}
}

// stepDirty steps every dirty service the world is current enough for.
func (l *loop) stepDirty(ctx context.Context) {
	for _, k := range slices.SortedFunc(maps.Keys(l.dirty), compareKeys) {
		if l.after[k] > l.rev {
			continue // its last write is not in the world yet
		}
		delete(l.dirty, k)
		delete(l.after, k)
		delete(l.wake, k)
		resync := l.resyncing[k]
		delete(l.resyncing, k)
		svc := l.w.services[k]
		if svc == nil {
			delete(l.stepped, k)
			continue
		}
		l.stepped[k] = l.now()
		wrote, wake, err := l.step(ctx, k, svc)
		if resync && wrote > 0 {
			l.Log.Warn("service had work that no change announced; the periodic resync stepped it",
				"cluster", k.cluster, "service", k.name, "revision", wrote)
		}
		switch {
		case err != nil && ctx.Err() == nil:
			l.Log.Warn("service step failed", "cluster", k.cluster, "service", k.name, "err", err)
			wake = l.now().Add(stepRetry)
		case wrote > 0:
			l.after[k] = wrote
			l.dirty[k] = true // look again once the world has the write
		}
		if !wake.IsZero() {
			l.wake[k] = wake
		}
	}
}

// due marks the services whose wake time has come, and those not
// stepped for resyncEvery.
func (l *loop) due(now time.Time) {
	for k, at := range l.wake {
		if !at.After(now) {
			delete(l.wake, k)
			l.dirty[k] = true
		}
	}
	for k, at := range l.stepped {
		if !at.Add(resyncEvery).After(now.Add(resyncBatch)) && !l.dirty[k] {
			l.dirty[k], l.resyncing[k] = true, true
		}
	}
}

// nextWake is the earliest wake or resync time; an hour away when there
// is none (the timer must be set to something).
func (l *loop) nextWake() time.Time {
	next := l.now().Add(time.Hour)
	for _, at := range l.wake {
		if at.Before(next) {
			next = at
		}
	}
	for _, at := range l.stepped {
		if at := at.Add(resyncEvery); at.Before(next) {
			next = at
		}
	}
	return next
}

func (c *Services) now() time.Time {
	if c.Now == nil {
		return time.Now().UTC().Truncate(time.Millisecond)
	}
	return c.Now()
}

func compareKeys(a, b serviceKey) int {
	return cmp.Or(cmp.Compare(a.cluster, b.cluster), cmp.Compare(a.name, b.name))
}

func resetTimer(t *time.Timer, at time.Time) {
	t.Stop()
	t.Reset(max(time.Until(at), 0))
}

func watchEnded(errc <-chan error) error {
	if err := <-errc; err != nil {
		return err
	}
	return errors.New("watch ended")
}
