package store

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
)

// Grouped commits. A busy server runs many small transactions at once:
// RunTask calls, agents' state reports. Each as its own etcd transaction
// costs a raft entry, a WAL write and an fsync, and when several touch the
// same record (binpack sends concurrent RunTasks to the same instance)
// all but one lose the compare and run again. UpdateGrouped instead
// queues its function; one caller at a time, the leader, runs every
// queued function on one Tx, in arrival order, and commits them in one
// transaction. A function sees the writes of the functions before it, so
// two RunTasks holding resources on one instance add up instead of
// conflicting.
//
// Calls are queued by kind (Queue): RunTask's placements in one queue,
// agents' state reports in another. Each queue has its own leader, so a
// group of each can be in etcd at once, where raft can write both in one WAL
// append and fsync; a RunTask no longer waits for a group of reports to
// commit before its own group can start. The queues rarely touch the same
// keys (a report writes its instance only when a task stops and returns
// what it held); when they do, the group that commits second loses its
// compare and its functions run again alone, as for any conflict.
//
// Worked example: 32 clients each calling RunTask for 10 tasks. Alone,
// each commit is one transaction of 23 operations (10 tasks, their 10
// index keys, about 3 instances), and the 32 race on the same 3
// instances. Grouped, the leader commits the first one at once; the 31
// that queued meanwhile go in the next transaction (713 operations, about
// 400 KB), which commits them all or none.

const (
	// maxGroupJobs bounds how many functions one transaction carries, so
	// a leader's own caller does not wait behind an unbounded queue.
	maxGroupJobs = 64
	// maxGroupBytes bounds a group's keys and values. etcd refuses a
	// request over 1.5 MiB (its default --max-request-bytes); a group
	// stops well short of it. A single function's writes may exceed it:
	// they are committed alone, as Update would.
	maxGroupBytes = 1 << 20
)

// Queue names a queue of UpdateGrouped calls: calls in one queue are
// grouped with each other, and the groups of different queues commit
// concurrently.
type Queue int

// Queues.
const (
	// QueuePlacements is for RunTask's placements: new tasks and the
	// resources they hold.
	QueuePlacements Queue = iota
	// QueueReports is for agents' reports of their tasks' states.
	QueueReports
	numQueues
)

// group is the queue of UpdateGrouped calls waiting to be committed.
type group struct {
	mu      sync.Mutex
	queue   []*groupJob
	leading bool // some caller is committing groups
}

type groupJob struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan groupOutcome // receives at most two: lead, then the result
}

// groupOutcome is what a queued call learns: its result, that it leads
// now, or that its group lost a compare and it must run alone.
type groupOutcome struct {
	rev   int64
	err   error
	lead  bool
	alone bool
}

// UpdateGrouped is Update, committed in one etcd transaction with other
// concurrent UpdateGrouped calls (see above). fn must follow Update's
// rules, and more: its effects outside tx belong in tx.OnCommit, since a
// function whose group loses a compare runs again, alone, through Update.
// An error from fn rolls back fn's reads and writes only; the others of
// its group still commit.
func (s *Store) UpdateGrouped(ctx context.Context, q Queue, fn func(tx *Tx) error) (int64, error) {
	j := &groupJob{ctx: ctx, fn: fn, done: make(chan groupOutcome, 1)}
	g := &s.groups[q]
	g.mu.Lock()
	g.queue = append(g.queue, j)
	lead := !g.leading
	g.leading = true
	g.mu.Unlock()
	// A waiter waits for the groups ahead of it: each is bounded by its
	// functions' reads and one commit, all within opTimeout each.
	out := groupOutcome{lead: true}
	if !lead {
		out = <-j.done
	}
	if out.lead {
		s.leadGroup(g) // j heads the queue, so it is in this group
		out = <-j.done
	}
	if out.alone {
		return s.Update(ctx, fn)
	}
	return out.rev, out.err
}

// leadGroup commits the group at the head of g's queue, then hands the
// lead to the first caller still queued, if any.
func (s *Store) leadGroup(g *group) {
	g.mu.Lock()
	batch := g.queue[:min(len(g.queue), maxGroupJobs)]
	g.queue = g.queue[len(batch):]
	g.mu.Unlock()

	rest := s.commitGroup(batch)

	g.mu.Lock()
	g.queue = append(rest, g.queue...)
	if len(g.queue) == 0 {
		g.leading = false
		g.mu.Unlock()
		return
	}
	next := g.queue[0]
	g.mu.Unlock()
	next.done <- groupOutcome{lead: true}
}

// commitGroup runs the functions of batch on one Tx and commits them,
// answering each. It returns the tail of batch that did not fit the
// transaction's limits, unanswered; never the first function.
func (s *Store) commitGroup(batch []*groupJob) (rest []*groupJob) {
	// The transaction outlives any one caller's context: each read and
	// the commit are bounded by opTimeout instead.
	tx := newTx(context.WithoutCancel(batch[0].ctx), s.cli, s.reads, true)
	tx.decoded = s.decode
	var in []*groupJob
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.done <- groupOutcome{err: err}
			continue
		}
		sp := tx.savepoint()
		if err := call(j.fn, tx); err != nil {
			tx.rollback(sp)
			j.done <- groupOutcome{err: err}
			continue
		}
		if len(in) > 0 && tx.exceeds(s.maxTxnOps, maxGroupBytes) {
			tx.rollback(sp)
			rest = batch[i:]
			break
		}
		in = append(in, j)
	}
	if len(in) == 0 {
		return rest
	}
	rev, ok, err := tx.commit()
	var out groupOutcome
	switch {
	case err == nil && ok:
		tx.runHooks(rev)
		out = groupOutcome{rev: rev}
	case err == nil, len(in) > 1 && tooBig(err):
		// Lost a compare (or the limits were wrong): each function runs
		// again alone, with Update's retries on fresh reads.
		out = groupOutcome{alone: true}
	default:
		out = groupOutcome{err: err}
	}
	for _, j := range in {
		j.done <- out
	}
	return rest
}

// undo reverses one change to a Tx: a first read of key (read), or a
// write to key, which replaced prev (had) or was its first (!had).
type undo struct {
	key  string
	read bool
	had  bool
	prev write
}

// savepoint is a point a Tx can be rolled back to.
type savepoint struct{ journal, hooks int }

func (tx *Tx) savepoint() savepoint {
	if tx.journal == nil {
		tx.journal = []undo{}
	}
	return savepoint{journal: len(tx.journal), hooks: len(tx.hooks)}
}

// rollback undoes every read and write since sp, newest first. A key
// first written since sp is the last of order when its undo comes up.
func (tx *Tx) rollback(sp savepoint) {
	for i := len(tx.journal) - 1; i >= sp.journal; i-- {
		u := tx.journal[i]
		switch {
		case u.read:
			delete(tx.reads, u.key)
		case u.had:
			tx.pending[u.key] = u.prev
		default:
			delete(tx.pending, u.key)
			tx.order = tx.order[:len(tx.order)-1]
		}
	}
	tx.journal, tx.hooks = tx.journal[:sp.journal], tx.hooks[:sp.hooks]
}

// exceeds reports whether tx has more operations or compares than etcd
// allows in one transaction, or more bytes than a group may carry.
func (tx *Tx) exceeds(maxOps, maxBytes int) bool {
	if len(tx.order) > maxOps || len(tx.reads) > maxOps {
		return true
	}
	n := 0
	for key, w := range tx.pending {
		n += len(key) + len(w.value)
	}
	for key := range tx.reads {
		n += len(key)
	}
	return n > maxBytes
}

// tooBig reports etcd refusing a transaction for its size.
func tooBig(err error) bool {
	return errors.Is(err, rpctypes.ErrGRPCTooManyOps) || errors.Is(err, rpctypes.ErrTooManyOps) ||
		errors.Is(err, rpctypes.ErrGRPCRequestTooLarge) || errors.Is(err, rpctypes.ErrRequestTooLarge)
}

// call runs fn on tx, turning a panic into an error for fn's caller
// alone: the leader runs other callers' functions, and one of them
// failing must neither take down the leader's request nor leave the
// group without a leader.
func call(fn func(*Tx) error, tx *Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("transaction function panicked: %v\n%s", r, debug.Stack())
		}
	}()
	return fn(tx)
}
