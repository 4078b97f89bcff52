package placement

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/scheduler"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

const (
	// relistPause spaces out relists after a watch fails (etcd
	// restarting, a compacted revision): quick enough that placement
	// stalls for moments, slow enough not to hammer a struggling etcd.
	relistPause = 500 * time.Millisecond
	// awaitTimeout bounds how long a placement waits for the watch to
	// deliver a record it read in its transaction. The watch trails
	// commits by milliseconds; seconds mean the watch is relisting, and
	// the caller's transaction retries.
	awaitTimeout = 2 * time.Second
	// progressRetry: etcd answers a progress request only from a watch
	// that is in sync, so a request made while one was catching up is
	// asked again after this long.
	progressRetry = 50 * time.Millisecond
)

// caches numbers the caches of this process, each of which watches on an
// etcd stream of its own (see Cache.stream).
var caches atomic.Int64

// errNotReady: the cache has not loaded yet (the server is starting).
var errNotReady = errors.New("placement: the cluster state is still loading")

// Cache keeps one scheduler.Snapshot per cluster current from etcd: it
// lists every instance and task once, then applies the watches' changes.
// Everything the snapshots hold is guarded by one mutex: placement
// decisions are microseconds, and serializing them is what lets each see
// the last one's assumptions.
type Cache struct {
	st  *store.Store
	log *slog.Logger
	// stream names the etcd watch stream the cache's watches and progress
	// requests share, apart from every other watch of the process,
	// another cache's included (see store.OwnWatchStream).
	stream string

	mu       sync.Mutex
	clusters map[string]*scheduler.Snapshot
	ready    bool
	changed  chan struct{} // closed and replaced whenever a change is applied
	// usage is the accounting of each instance that has it apart from its
	// record (store.InstanceUsage), by "<cluster>/<id>": a record's change
	// carries its accounting of the last whole write, and this wins.
	usage map[string]scheduler.Remaining
	// instRev, usageRev and taskRev are how far each watch has delivered;
	// the snapshots reflect every change up to the lowest of the three.
	instRev, usageRev, taskRev int64

	revisions revisionReads // Sync's reads of etcd's revision, shared
}

// NewCache returns a cache; Run loads and maintains it.
func NewCache(st *store.Store, log *slog.Logger) *Cache {
	return &Cache{st: st, log: log, stream: fmt.Sprintf("placement-%d", caches.Add(1)),
		clusters: map[string]*scheduler.Snapshot{}, changed: make(chan struct{})}
}

// Run loads the state and applies changes until ctx ends, relisting when
// a watch fails.
func (c *Cache) Run(ctx context.Context) {
	for ctx.Err() == nil {
		err := c.session(ctx)
		if ctx.Err() != nil {
			return
		}
		c.log.Warn("placement cache relisting", "err", err)
		select {
		case <-time.After(relistPause):
		case <-ctx.Done():
		}
	}
}

// session is one list-then-watch cycle. The revision is taken before the
// list, so the watch replays whatever the list may have missed; replaying
// a change already listed is harmless, as every change is applied as the
// whole new record.
func (c *Cache) session(ctx context.Context) error {
	rev, err := c.st.Revision(ctx)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithCancel(store.OwnWatchStream(ctx, c.stream))
	defer cancel()
	insts, ierr := c.st.WatchInstances(wctx, rev+1)
	usages, uerr := c.st.WatchInstanceUsage(wctx, rev+1)
	tasks, terr := c.st.WatchTaskPlacements(wctx, rev+1)
	fresh := map[string]*scheduler.Snapshot{}
	snap := func(cluster string) *scheduler.Snapshot {
		if fresh[cluster] == nil {
			fresh[cluster] = scheduler.NewSnapshot()
		}
		return fresh[cluster]
	}
	usage := map[string]scheduler.Remaining{}
	err = c.st.ForEachInstance(ctx, func(i *ecs.ContainerInstance) bool {
		snap(i.Cluster).PutInstance(fromRecord(i, rev))
		return true
	})
	if err == nil {
		err = c.st.ForEachInstanceUsage(ctx, func(cluster, id string, u *store.InstanceUsage) bool {
			r := remainingOf(u.Remaining, rev)
			usage[usageKey(cluster, id)] = r
			snap(cluster).PutRemaining(id, r)
			return true
		})
	}
	if err == nil {
		err = c.st.ForEachTaskPlacement(ctx, func(t *store.TaskPlacement) bool {
			snap(t.Cluster).PutTask(taskOf(t))
			return true
		})
	}
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	c.mu.Lock()
	c.clusters, c.usage, c.ready = fresh, usage, true
	c.instRev, c.usageRev, c.taskRev = rev, rev, rev
	c.notify()
	c.mu.Unlock()
	for {
		select {
		case e, ok := <-insts:
			if !ok {
				return watchEnded(ierr)
			}
			c.applyInstance(e)
		case e, ok := <-usages:
			if !ok {
				return watchEnded(uerr)
			}
			c.applyUsage(e)
		case e, ok := <-tasks:
			if !ok {
				return watchEnded(terr)
			}
			c.applyTask(e)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func watchEnded(errc <-chan error) error {
	if err := <-errc; err != nil {
		return err
	}
	return errors.New("watch closed")
}

func (c *Cache) applyInstance(e store.Event[ecs.ContainerInstance]) {
	apply(c, e, &c.instRev, func(s *scheduler.Snapshot, v *ecs.ContainerInstance) {
		inst := fromRecord(v, e.Revision)
		if r, ok := c.usage[usageKey(v.Cluster, v.ID)]; ok {
			inst = withRemaining(inst, r)
		}
		s.PutInstance(inst)
	}, (*scheduler.Snapshot).RemoveInstance)
}

func (c *Cache) applyUsage(e store.Event[store.InstanceUsage]) {
	cluster, id := splitKey(e.Key)
	apply(c, e, &c.usageRev, func(s *scheduler.Snapshot, u *store.InstanceUsage) {
		r := remainingOf(u.Remaining, e.Revision)
		c.usage[usageKey(cluster, id)] = r
		s.PutRemaining(id, r)
	}, func(*scheduler.Snapshot, string) { delete(c.usage, usageKey(cluster, id)) })
}

func (c *Cache) applyTask(e store.Event[store.TaskPlacement]) {
	apply(c, e, &c.taskRev, func(s *scheduler.Snapshot, v *store.TaskPlacement) {
		s.PutTask(taskOf(v))
	}, (*scheduler.Snapshot).RemoveTask)
}

// apply records that a watch delivered e (seen is how far that watch
// has), and applies its change to the snapshot of the key's cluster.
func apply[T any](c *Cache, e store.Event[T], seen *int64,
	put func(*scheduler.Snapshot, *T), remove func(*scheduler.Snapshot, string)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.notify()
	*seen = max(*seen, e.Revision)
	if e.Type == store.EventProgress {
		return
	}
	cluster, id := splitKey(e.Key)
	s := c.snapshot(cluster)
	if e.Type == store.EventDelete {
		remove(s, id)
	} else {
		put(s, e.Value)
	}
}

// splitKey takes "<prefix>/<cluster>/<id>" apart.
func splitKey(key string) (cluster, id string) {
	rest, id, _ := cutLast(key)
	_, cluster, _ = cutLast(rest)
	return cluster, id
}

func cutLast(s string) (before, after string, ok bool) {
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return "", s, false
	}
	return s[:i], s[i+1:], true
}

// snapshot returns the cluster's snapshot; c.mu is held.
func (c *Cache) snapshot(cluster string) *scheduler.Snapshot {
	s := c.clusters[cluster]
	if s == nil {
		s = scheduler.NewSnapshot()
		c.clusters[cluster] = s
	}
	return s
}

// notify wakes waiters; c.mu is held.
func (c *Cache) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// With runs fn on the cluster's snapshot, exclusively.
func (c *Cache) With(cluster string, fn func(*scheduler.Snapshot)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ready {
		return errNotReady
	}
	fn(c.snapshot(cluster))
	return nil
}

// Sync waits until the snapshots reflect every change committed before it
// was called, so a request sees the writes that preceded it (an instance
// registered, an attribute put, a task stopped): read your writes. It
// costs one etcd round trip when the watches are already there, and asks
// etcd for a progress report when they have been quiet.
func (c *Cache) Sync(ctx context.Context) error {
	if err := c.awaitReady(ctx); err != nil {
		return err
	}
	target, err := c.revisions.after(ctx, c.st.Revision)
	if err != nil {
		return err
	}
	return c.reach(ctx, target)
}

// SyncTo waits until the snapshots reflect every change up to revision
// rev, which the caller saw in a watch of its own. Sync cannot serve such
// a caller: its revision is read locally, and etcd tells watchers of a
// write before a local read shows it (see store.Tx.commit), so the read
// can come back one write short of what the caller saw.
func (c *Cache) SyncTo(ctx context.Context, rev int64) error {
	if err := c.awaitReady(ctx); err != nil {
		return err
	}
	return c.reach(ctx, rev)
}

// reach waits, up to awaitTimeout, until every watch has delivered target.
func (c *Cache) reach(ctx context.Context, target int64) error {
	ctx, cancel := context.WithTimeout(ctx, awaitTimeout)
	defer cancel()
	asked := false
	for {
		c.mu.Lock()
		done, wake := min(c.instRev, c.usageRev, c.taskRev) >= target, c.changed
		c.mu.Unlock()
		if done {
			return nil
		}
		if !asked {
			if err := c.st.RequestProgress(store.OwnWatchStream(ctx, c.stream)); err != nil {
				return err
			}
			asked = true
		}
		select {
		case <-wake:
		case <-time.After(progressRetry):
			asked = false // a progress request can go unanswered while a watch catches up
		case <-ctx.Done():
			return fmt.Errorf("placement: waiting for the cluster state to reach revision %d: %w", target, ctx.Err())
		}
	}
}

// awaitReady waits for the first load, up to readyTimeout.
func (c *Cache) awaitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for {
		c.mu.Lock()
		ready, wake := c.ready, c.changed
		c.mu.Unlock()
		if ready {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", errNotReady, ctx.Err())
		}
	}
}

// Await waits until the cluster's snapshot accounts for instance id's
// record at revision rev, or awaitTimeout passes.
func (c *Cache) Await(ctx context.Context, cluster, id string, rev int64) error {
	ctx, cancel := context.WithTimeout(ctx, awaitTimeout)
	defer cancel()
	for {
		c.mu.Lock()
		done := c.ready && c.snapshot(cluster).Accounts(id, rev)
		wake := c.changed
		c.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return fmt.Errorf("placement: waiting for instance %s at revision %d: %w", id, rev, ctx.Err())
		}
	}
}

// fromRecord flattens a stored instance, with the accounting its record
// carries, for the scheduler.
func fromRecord(i *ecs.ContainerInstance, rev int64) scheduler.Instance {
	out := scheduler.Instance{
		ID: i.ID, ARN: i.ARN, Status: i.Status, Connected: i.AgentConnected,
		EC2InstanceID: i.EC2InstanceID, RegisteredAt: i.RegisteredAt,
		Attributes: make(map[string]string, len(i.Attributes)),
	}
	if i.VersionInfo != nil && i.VersionInfo.AgentVersion != nil {
		out.AgentVersion = *i.VersionInfo.AgentVersion
	}
	for _, a := range i.Attributes {
		if a.Name != nil {
			out.Attributes[*a.Name] = deref(a.Value)
		}
	}
	return withRemaining(out, remainingOf(i.Remaining, rev))
}

// remainingOf flattens an instance's remaining resources at revision rev.
func remainingOf(resources []wire.Resource, rev int64) scheduler.Remaining {
	out := scheduler.Remaining{Revision: rev}
	for _, r := range resources {
		switch deref(r.Name) {
		case ecs.ResourceCPU:
			out.CPU = intOf(r)
		case ecs.ResourceMemory:
			out.Memory = intOf(r)
		case ecs.ResourcePorts:
			out.Ports = r.StringSetValue
		case ecs.ResourcePortsUDP:
			out.PortsUDP = r.StringSetValue
		}
	}
	return out
}

// usageKey is an instance's key in Cache.usage.
func usageKey(cluster, id string) string { return cluster + "/" + id }

// withRemaining is inst with the accounting r.
func withRemaining(inst scheduler.Instance, r scheduler.Remaining) scheduler.Instance {
	inst.CPU, inst.Memory, inst.Ports, inst.PortsUDP, inst.Revision = r.CPU, r.Memory, r.Ports, r.PortsUDP, r.Revision
	return inst
}

func intOf(r wire.Resource) int32 {
	if r.IntegerValue != nil {
		return *r.IntegerValue
	}
	return 0
}

func taskOf(t *store.TaskPlacement) scheduler.Task {
	return scheduler.Task{
		ID: t.ID, InstanceID: t.ContainerInstanceID, Group: t.Group,
		Running: t.Known.LastStatus == ecs.TaskRunning,
		Stopped: t.DesiredStatus == ecs.TaskStopped || t.Known.LastStatus == ecs.TaskStopped,
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
