package agentapi

import (
	"context"
	"sync"
	"time"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
)

// maxPending is how many task changes a session may lag behind the watch.
// Past it the session's queue is dropped and the session resynchronizes
// in place: it reads its instance's tasks afresh and sends them to its
// agent as a snapshot, so a slow agent never stalls the others and loses
// no change. The queue holds only what is waiting, so an idle session
// costs nothing here; a channel of 1,024 changes preallocated for each of
// 5,000 sessions cost 80 MiB.
const maxPending = 1024

// restartDelay paces a watch loop restarting after a failure (etcd
// unreachable): quick enough to resume promptly, slow enough not to spin.
const restartDelay = 500 * time.Millisecond

type instanceKey struct{ cluster, id string }

// subscriber is one session's feed of its instance's task changes.
//
// The hub's watch is the only writer of pending and overflowed (push); the
// session is the only reader (take). Every push rings the bell after
// queueing, so a session that wakes finds in take what was pushed before.
type subscriber struct {
	key  instanceKey
	bell bell
	// lost is closed when the session was superseded or the watch
	// restarted: the session must end, and its agent reconnects and
	// starts again from a snapshot.
	lost     chan struct{}
	lostOnce sync.Once

	mu      sync.Mutex
	pending []change
	// overflowed: more than maxPending changes were pushed since the last
	// take. What was pending is dropped, and so is every push until the
	// next take: all of them were committed before that take, so the
	// snapshot the session reads after it holds them.
	overflowed bool
}

func newSubscriber(key instanceKey) *subscriber {
	return &subscriber{key: key, lost: make(chan struct{})}
}

func (s *subscriber) markLost() {
	s.lostOnce.Do(func() { close(s.lost) })
	s.bell.ring()
}

// push queues a change for the session, or marks the queue overflowed.
// It never blocks on the session.
func (s *subscriber) push(c change) {
	s.mu.Lock()
	switch {
	case s.overflowed:
	case len(s.pending) >= maxPending:
		s.pending, s.overflowed = nil, true
	default:
		s.pending = append(s.pending, c)
	}
	s.mu.Unlock()
	s.bell.ring()
}

// take empties the queue: it returns the changes pushed since the last
// take, in order, or overflowed true (and no changes) when there were too
// many, and the session must resynchronize from a fresh snapshot.
func (s *subscriber) take() (cs []change, overflowed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, overflowed = s.pending, s.overflowed
	s.pending, s.overflowed = nil, false
	return cs, overflowed
}

// hub fans one watch of every task out to the sessions of the instances
// the tasks are placed on.
type hub struct {
	mu   sync.Mutex
	subs map[instanceKey]map[*subscriber]struct{}
	// ready is true while a watch runs that delivers every change after
	// any snapshot a new subscriber can read; a subscriber arriving while
	// it is false is cut off at once and retries.
	ready bool
}

func newHub() *hub { return &hub{subs: map[instanceKey]map[*subscriber]struct{}{}} }

func (h *hub) subscribe(cluster, id string) *subscriber {
	s := newSubscriber(instanceKey{cluster, id})
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[s.key] == nil {
		h.subs[s.key] = map[*subscriber]struct{}{}
	}
	// One session per instance: a newer session ends the older ones, so a
	// stale connection of a restarted agent never receives its tasks.
	for old := range h.subs[s.key] {
		old.markLost()
	}
	h.subs[s.key][s] = struct{}{}
	if !h.ready {
		s.markLost()
	}
	return s
}

func (h *hub) unsubscribe(s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs[s.key], s)
	if len(h.subs[s.key]) == 0 {
		delete(h.subs, s.key)
	}
}

// wakeAll rings every session's bell (the API is closing).
func (h *hub) wakeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.subs {
		for s := range set {
			s.bell.ring()
		}
	}
}

// change is a task as committed at an etcd revision.
type change struct {
	task *store.TaskRoute
	rev  int64
}

func (h *hub) publish(c change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[instanceKey{c.task.Cluster, c.task.ContainerInstanceID}] {
		s.push(c)
	}
}

// setReady marks the watch running or, when false, cuts every session
// off: after a watch failure, changes may have been missed.
func (h *hub) setReady(ready bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ready = ready
	if ready {
		return
	}
	for _, set := range h.subs {
		for s := range set {
			s.markLost()
		}
	}
}

// runHub watches every task and publishes each change, restarting after a
// failure; sessions open before the restart are cut off to resynchronize.
// A session subscribes before it reads its snapshot and skips changes at
// or below the snapshot's revision, so it misses nothing in between.
func (a *API) runHub(ctx context.Context) {
	for ctx.Err() == nil {
		a.watchTasks(ctx)
		a.hub.setReady(false)
		select {
		case <-ctx.Done():
		case <-time.After(restartDelay):
		}
	}
}

// agentMustHear says whether an update of a task goes to the task's agent
// (a new task always does): only if the task is to stop. Any other update
// of a task that is to run is the agent's own report coming back
// (ApplyKnown), which it knows. A session's snapshot (on connecting, and
// after a lag) still carries every task as stored.
func agentMustHear(update *store.TaskRoute) bool {
	return update.DesiredStatus == ecs.TaskStopped
}

func (a *API) watchTasks(ctx context.Context) {
	rev, err := a.store.Revision(ctx)
	if err != nil {
		a.log.Warn("task watch cannot start", "err", err)
		return
	}
	events, errc := a.store.WatchTaskRoutes(ctx, rev+1, agentMustHear)
	a.hub.setReady(true)
	for ev := range events {
		// Deletions are purges of long-stopped tasks, which the agent
		// forgot when it reported them STOPPED.
		if ev.Value != nil {
			a.hub.publish(change{ev.Value, ev.Revision})
		}
	}
	if err := <-errc; err != nil {
		a.log.Warn("task watch failed; restarting", "err", err)
	}
}
