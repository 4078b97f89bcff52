package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/berth-org/berth/internal/ecs"
)

// counterKey is a raw key the grouping tests count in.
const counterKey = root + "test/counter"

// increment adds one to the counter at key: a read-modify-write that
// conflicts with every other increment unless they are grouped.
func increment(key string) func(tx *Tx) error {
	return func(tx *Tx) error {
		n := 0
		raw, err := tx.get(key)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return err
		default:
			if n, err = strconv.Atoi(string(raw)); err != nil {
				return err
			}
		}
		tx.put(key, []byte(strconv.Itoa(n+1)))
		return nil
	}
}

func readCounter(t *testing.T, s *Store, key string) int {
	t.Helper()
	n, err := strconv.Atoi(readValue(t, s, key))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// incrementConcurrently has writers goroutines call UpdateGrouped each
// times, writer w in queueOf(w), to increment counterKey. It returns the
// distinct revisions the calls committed at.
func incrementConcurrently(t *testing.T, s *Store, writers, each int, queueOf func(w int) Queue) map[int64]bool {
	t.Helper()
	ctx := testCtx(t)
	var mu sync.Mutex
	revs := map[int64]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		q := queueOf(w)
		wg.Go(func() {
			for range each {
				rev, err := s.UpdateGrouped(ctx, q, increment(counterKey))
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				revs[rev] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := readCounter(t, s, counterKey); got != writers*each {
		t.Fatalf("counter = %d, want %d: an increment was lost", got, writers*each)
	}
	return revs
}

func TestUpdateGroupedConcurrentIncrementsAddUpInFewerCommits(t *testing.T) {
	const writers, each = 32, 10
	revs := incrementConcurrently(t, newTestStore(t), writers, each, func(int) Queue { return QueuePlacements })
	// 32 writers blocked on one commit at a time cannot all commit alone.
	if len(revs) >= writers*each {
		t.Fatalf("%d increments took %d commits: none were grouped", writers*each, len(revs))
	}
	t.Logf("%d increments in %d commits", writers*each, len(revs))
}

// Writers in both queues increment one counter: the queues' groups commit
// concurrently, the second of two to commit loses its compare and its
// calls run again alone, and every increment lands.
func TestUpdateGroupedIncrementsInBothQueuesAddUp(t *testing.T) {
	incrementConcurrently(t, newTestStore(t), 32, 10, func(w int) Queue { return Queue(w % int(numQueues)) })
}

// job queues fn as UpdateGrouped would, for commitGroup called directly.
func job(fn func(*Tx) error) *groupJob {
	return &groupJob{ctx: context.Background(), fn: fn, done: make(chan groupOutcome, 1)}
}

func put(key, value string) func(*Tx) error {
	return func(tx *Tx) error { tx.put(key, []byte(value)); return nil }
}

func TestCommitGroupAnswersEachFunctionAndRollsBackOnlyTheFailedOne(t *testing.T) {
	s := newTestStore(t)
	errRefused := errors.New("refused")
	cases := []struct {
		name string
		fn   func(*Tx) error
		want error  // the function's answer
		key  string // written only if the function succeeded
	}{
		{name: "succeeds", fn: put(root+"test/a", "1"), key: root + "test/a"},
		{name: "writes then fails", want: errRefused, key: root + "test/b", fn: func(tx *Tx) error {
			tx.put(root+"test/b", []byte("1"))
			tx.put(root+"test/a", []byte("overwritten by a failed function"))
			return errRefused
		}},
		{name: "panics", want: errAny, key: root + "test/c", fn: func(tx *Tx) error {
			tx.put(root+"test/c", []byte("1"))
			panic("bug")
		}},
		{name: "succeeds after the failures", fn: put(root+"test/d", "1"), key: root + "test/d"},
	}
	var batch []*groupJob
	for _, c := range cases {
		batch = append(batch, job(c.fn))
	}
	if rest := s.commitGroup(batch); len(rest) != 0 {
		t.Fatalf("%d functions left over", len(rest))
	}
	var rev int64
	for i, c := range cases {
		out := <-batch[i].done
		switch {
		case c.want == nil && out.err != nil:
			t.Errorf("%s: %v", c.name, out.err)
		case c.want == errAny && out.err == nil, c.want != nil && c.want != errAny && !errors.Is(out.err, c.want):
			t.Errorf("%s: err = %v, want %v", c.name, out.err, c.want)
		case c.want == nil && rev != 0 && out.rev != rev:
			t.Errorf("%s: committed at %d, the group at %d", c.name, out.rev, rev)
		case c.want == nil:
			rev = out.rev
		}
		resp, err := s.cli.Get(testCtx(t), c.key)
		if err != nil {
			t.Fatal(err)
		}
		if written := len(resp.Kvs) == 1; written != (c.want == nil) {
			t.Errorf("%s: %s written = %v", c.name, c.key, written)
		}
	}
	if got := readValue(t, s, root+"test/a"); got != "1" {
		t.Errorf("test/a = %q: the failed function's overwrite was committed", got)
	}
}

// errAny stands for "some error" in a table.
var errAny = errors.New("any error")

func readValue(t *testing.T, s *Store, key string) string {
	t.Helper()
	resp, err := s.cli.Get(testCtx(t), key)
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("read %s: %v", key, err)
	}
	return string(resp.Kvs[0].Value)
}

func TestCommitGroupLeavesWhatExceedsTheTransactionLimits(t *testing.T) {
	s := newTestStore(t).WithMaxTxnOps(4)
	var batch []*groupJob
	for i := range 3 {
		batch = append(batch, job(func(tx *Tx) error { // two operations each
			tx.put(fmt.Sprintf("%stest/limit/%d/a", root, i), []byte("1"))
			tx.put(fmt.Sprintf("%stest/limit/%d/b", root, i), []byte("1"))
			return nil
		}))
	}
	rest := s.commitGroup(batch)
	if len(rest) != 1 || rest[0] != batch[2] {
		t.Fatalf("left over %d functions, want the third alone", len(rest))
	}
	for _, j := range batch[:2] {
		if out := <-j.done; out.err != nil || out.rev == 0 {
			t.Fatalf("a function that fit: %+v", out)
		}
	}
	resp, err := s.cli.Get(testCtx(t), root+"test/limit/2/a")
	if err != nil || len(resp.Kvs) != 0 {
		t.Fatalf("the function left over was committed (%v)", err)
	}
}

func TestUpdateGroupedRunsAloneAfterLosingACompare(t *testing.T) {
	s := newTestStore(t)
	ctx := testCtx(t)
	if _, err := s.UpdateGrouped(ctx, QueuePlacements, increment(counterKey)); err != nil {
		t.Fatal(err)
	}
	// Another writer (another replica) changes the key behind this
	// process's read cache, which still holds the value it wrote.
	if _, err := s.cli.Put(ctx, counterKey, "41"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateGrouped(ctx, QueuePlacements, increment(counterKey)); err != nil {
		t.Fatal(err)
	}
	if got := readCounter(t, s, counterKey); got != 42 {
		t.Fatalf("counter = %d, want 42 (the stale cached 1 must not win)", got)
	}
}

func TestTxRollbackUndoesReadsWritesAndHooksSinceTheSavepoint(t *testing.T) {
	cache := newBoundedMap[cachedKV](16)
	cache.put("k/read-before", cachedKV{value: []byte("v"), modRev: 3})
	cache.put("k/read-after", cachedKV{value: []byte("v"), modRev: 4})
	tx := newTx(context.Background(), nil, cache, true)
	var hooks []string
	if _, err := tx.get("k/read-before"); err != nil {
		t.Fatal(err)
	}
	tx.put("k/a", []byte("1"))
	tx.OnCommit(func(int64) { hooks = append(hooks, "before") })

	sp := tx.savepoint()
	tx.put("k/a", []byte("2"))
	tx.put("k/b", []byte("1"))
	tx.del("k/c")
	if _, err := tx.get("k/read-before"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.get("k/read-after"); err != nil {
		t.Fatal(err)
	}
	tx.OnCommit(func(int64) { hooks = append(hooks, "after") })
	tx.rollback(sp)

	if got := string(tx.pending["k/a"].value); got != "1" {
		t.Errorf("k/a = %q, want its value at the savepoint", got)
	}
	if !slices.Equal(tx.order, []string{"k/a"}) || len(tx.pending) != 1 {
		t.Errorf("writes after rollback: order %v, %d pending", tx.order, len(tx.pending))
	}
	if _, ok := tx.reads["k/read-after"]; ok || tx.reads["k/read-before"] != 3 {
		t.Errorf("reads after rollback: %v", tx.reads)
	}
	tx.runHooks(7)
	if !slices.Equal(hooks, []string{"before"}) {
		t.Errorf("hooks run: %v", hooks)
	}
}

// GetInstanceRev decodes a record once per mod revision and shares it with
// a later reader of what the transaction wrote; each reader gets its own
// copy to set fields on, and a rollback takes the shared write back too.
func TestTxSharesDecodedInstancesCopyOnWrite(t *testing.T) {
	cache := newBoundedMap[cachedKV](16)
	key := instanceKey("c", "i1")
	cache.put(key, cachedKV{value: []byte(`{"id":"i1","cluster":"c"}`), modRev: 5})
	cache.put(instanceUsageKey("c", "i1"), cachedKV{value: []byte(`{"version":1}`), modRev: 6})
	newCachedTx := func() *Tx {
		tx := newTx(context.Background(), nil, cache, true)
		tx.decoded = newBoundedMap[decoded](decodeCacheSize)
		return tx
	}
	get := func(tx *Tx) *ecs.ContainerInstance {
		t.Helper()
		i, rev, err := tx.GetInstanceRev("c", "i1")
		if err != nil || rev != 6 {
			t.Fatalf("GetInstanceRev = rev %d, %v; want rev 6 (its accounting's)", rev, err)
		}
		return i
	}

	tx := newCachedTx()
	first := get(tx)
	first.Version = 99
	if again := get(tx); again == first || again.Version != 1 {
		t.Fatalf("second read = %+v (same pointer: %v); want its own copy at version 1", again, again == first)
	}
	if e, ok := tx.decoded.get(key); !ok || e.modRev != 5 {
		t.Fatal("the record read was not kept decoded at its mod revision")
	}

	sp := tx.savepoint()
	written := get(tx)
	written.Version = 2
	if err := tx.PutInstanceUsage(written); err != nil {
		t.Fatal(err)
	}
	written.Version = 3 // the writer's own copy; what was written stays
	if got := get(tx); got.Version != 2 {
		t.Errorf("read after PutInstanceUsage: version %d, want 2", got.Version)
	}
	if _, written := tx.pending[key]; written {
		t.Error("PutInstanceUsage wrote the record besides its accounting")
	}
	tx.rollback(sp)
	if got := get(tx); got.Version != 1 {
		t.Errorf("read after rollback: version %d, want 1 (the shared write undone)", got.Version)
	}
}

// A group in one queue commits while a group in the other is still
// running its functions: a RunTask does not wait behind agents' reports.
func TestUpdateGroupedQueuesCommitIndependently(t *testing.T) {
	s := newTestStore(t)
	ctx := testCtx(t)
	running, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	reported := make(chan error, 1)
	go func() {
		_, err := s.UpdateGrouped(ctx, QueueReports, func(tx *Tx) error {
			once.Do(func() { close(running) })
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
			tx.put(root+"test/report", []byte("1"))
			return nil
		})
		reported <- err
	}()
	select {
	case <-running:
	case <-ctx.Done():
		t.Fatal("the report's function never ran")
	}
	if _, err := s.UpdateGrouped(ctx, QueuePlacements, put(root+"test/placement", "1")); err != nil {
		t.Fatalf("placement while a report's group is open: %v", err)
	}
	close(release)
	if err := <-reported; err != nil {
		t.Fatalf("report: %v", err)
	}
	for _, key := range []string{root + "test/placement", root + "test/report"} {
		if got := readValue(t, s, key); got != "1" {
			t.Errorf("%s = %q, want 1", key, got)
		}
	}
}
