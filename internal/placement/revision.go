package placement

import (
	"context"
	"sync"
)

// revisionReads shares reads of etcd's current revision among concurrent
// callers. Sync needs a revision read after it was called (anything
// earlier could miss a write that preceded the call); a read already in
// flight may have started before, so a caller joins the next read, which
// starts as soon as the one in flight ends and serves everyone who
// arrived meanwhile. Under 500 RunTask calls a second, that is a few
// dozen reads instead of 500, each a round trip through etcd's raft loop
// (a linearizable read).
type revisionReads struct {
	mu       sync.Mutex
	next     *revisionRead // the read the next caller joins; nil: none queued
	inFlight bool          // a reader goroutine is running
}

// revisionRead is one read: done is closed once rev or err is set.
type revisionRead struct {
	done chan struct{}
	rev  int64
	err  error
}

// after returns a revision that read returned from a call that began
// after this one did. read must bound itself (store.Revision has its
// opTimeout), so the wait is bounded too.
func (r *revisionReads) after(ctx context.Context, read func(context.Context) (int64, error)) (int64, error) {
	r.mu.Lock()
	var mine *revisionRead
	if r.inFlight {
		if r.next == nil {
			r.next = &revisionRead{done: make(chan struct{})}
		}
		mine = r.next
	} else {
		mine = &revisionRead{done: make(chan struct{})}
		r.inFlight = true
		// Its own goroutine: the reads serve every caller, and must not
		// end with the one who happened to start them.
		go r.run(mine, read)
	}
	r.mu.Unlock()
	select {
	case <-mine.done:
		return mine.rev, mine.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// run performs cur, then whichever read was queued meanwhile, until none
// is.
func (r *revisionReads) run(cur *revisionRead, read func(context.Context) (int64, error)) {
	for cur != nil {
		cur.rev, cur.err = read(context.Background())
		close(cur.done)
		r.mu.Lock()
		cur, r.next = r.next, nil
		r.inFlight = cur != nil
		r.mu.Unlock()
	}
}
