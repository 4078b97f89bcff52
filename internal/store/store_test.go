package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

// newTestStore starts a real embedded etcd in a temporary directory.
func newTestStore(t testing.TB) *Store {
	t.Helper()
	return New(newTestEtcd(t).Client())
}

// newTestEtcd starts a real embedded etcd in a temporary directory.
func newTestEtcd(t testing.TB) *Embedded {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := StartEmbedded(ctx, t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func taskDef(family string, rev int, status wire.TaskDefinitionStatus) *ecs.TaskDefinition {
	r := int32(rev)
	return &ecs.TaskDefinition{Def: wire.TaskDefinition{Family: &family, Revision: &r, Status: status}}
}

func TestNextRevisionIsGapFreeUnderConcurrentWriters(t *testing.T) {
	s := newTestStore(t)
	ctx := testCtx(t)
	const writers, each = 16, 20
	var mu sync.Mutex
	var got []int
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				var rev int
				_, err := s.Update(ctx, func(tx *Tx) error {
					var err error
					if rev, err = tx.NextRevision("web"); err != nil {
						return err
					}
					return tx.PutTaskDefinition(taskDef("web", rev, wire.TaskDefinitionStatusActive))
				})
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				got = append(got, rev)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	sort.Ints(got)
	for i, rev := range got {
		if rev != i+1 {
			t.Fatalf("revisions = %v..., want 1..%d each exactly once", got[:i+1], writers*each)
		}
	}
	page, err := s.ListTaskDefinitions(ctx, "web", false, "", 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != writers*each {
		t.Fatalf("stored %d revisions, want %d", len(page.Items), writers*each)
	}
}

func TestUpdateRetriesOnConflictAndSeesFreshReads(t *testing.T) {
	s := newTestStore(t)
	ctx := testCtx(t)
	if _, err := s.Update(ctx, func(tx *Tx) error { return tx.PutCluster(&ecs.Cluster{Name: "c", Status: ecs.ClusterActive}) }); err != nil {
		t.Fatal(err)
	}
	attempts := 0
	_, err := s.Update(ctx, func(tx *Tx) error {
		attempts++
		c, err := tx.GetCluster("c")
		if err != nil {
			return err
		}
		if attempts == 1 {
			// Another writer commits between our read and our commit.
			if _, err := s.Update(ctx, func(tx2 *Tx) error {
				return tx2.PutCluster(&ecs.Cluster{Name: "c", Status: ecs.ClusterActive, Tags: []ecs.Tag{{Key: "by", Value: "other"}}})
			}); err != nil {
				return err
			}
		}
		c.Tags = append(c.Tags, ecs.Tag{Key: "by", Value: fmt.Sprint("me-", len(c.Tags))})
		return tx.PutCluster(c)
	})
	if err != nil {
		t.Fatal(err)
	}
	if attempts != 2 {
		t.Fatalf("attempts = %d, want 2 (one conflict, one retry)", attempts)
	}
	c, err := s.GetCluster(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Tags) != 2 || c.Tags[0].Value != "other" || c.Tags[1].Value != "me-1" {
		t.Fatalf("tags = %v, want the other writer's tag kept and ours added on top", c.Tags)
	}
}

func TestUpdateAbsentKeyConflict(t *testing.T) {
	// Two creators of the same absent key: exactly one create wins, the
	// other sees the key on retry.
	s := newTestStore(t)
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Update(ctx, func(tx *Tx) error {
				if _, err := tx.GetCluster("once"); !errors.Is(err, ErrNotFound) {
					return err
				}
				return tx.PutCluster(&ecs.Cluster{Name: "once", Status: ecs.ClusterActive})
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	rev, err := s.Update(ctx, func(tx *Tx) error { _, err := tx.GetCluster("once"); return err })
	if err != nil || rev != 0 {
		t.Fatalf("read-only update: rev %d err %v, want 0 and nil", rev, err)
	}
	page, err := s.ListClusters(ctx, "", 10, nil)
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("clusters = %d (err %v), want 1", len(page.Items), err)
	}
}

func TestErrorsForMissingKeys(t *testing.T) {
	s := newTestStore(t)
	ctx := testCtx(t)
	if _, err := s.GetCluster(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetCluster = %v, want ErrNotFound", err)
	}
	if _, err := s.LatestActiveTaskDefinition(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LatestActiveTaskDefinition = %v, want ErrNotFound", err)
	}
}

func TestListTaskDefinitionsOrderAndPaging(t *testing.T) {
	s := newTestStore(t)
	ctx := testCtx(t)
	// Families chosen so that naive "family/" keys would sort wrongly:
	// '-' (0x2D) sorts before '/' (0x2F), so "a-b/…" would precede "a/…".
	families := []string{"a", "a-b", "a_b", "ab"}
	for _, f := range families {
		for range 3 {
			if _, err := s.Update(ctx, func(tx *Tx) error {
				rev, err := tx.NextRevision(f)
				if err != nil {
					return err
				}
				return tx.PutTaskDefinition(taskDef(f, rev, wire.TaskDefinitionStatusActive))
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var want []string
	for _, f := range families {
		for r := 1; r <= 3; r++ {
			want = append(want, fmt.Sprintf("%s:%d", f, r))
		}
	}
	tests := []struct {
		name  string
		desc  bool
		limit int
	}{
		{"ascending one page", false, 100},
		{"ascending pages of 5", false, 5},
		{"descending pages of 4", true, 4},
		{"ascending pages of 1", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			after := ""
			for pages := 0; ; pages++ {
				if pages > 20 {
					t.Fatal("pagination does not end")
				}
				page, err := s.ListTaskDefinitions(ctx, "", tt.desc, after, tt.limit, nil)
				if err != nil {
					t.Fatal(err)
				}
				for _, td := range page.Items {
					got = append(got, fmt.Sprintf("%s:%d", td.Family(), td.Revision()))
				}
				if page.Next == "" {
					break
				}
				after = page.Next
			}
			exp := append([]string(nil), want...)
			if tt.desc {
				for i, j := 0, len(exp)-1; i < j; i, j = i+1, j-1 {
					exp[i], exp[j] = exp[j], exp[i]
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(exp) {
				t.Fatalf("got %v, want %v", got, exp)
			}
		})
	}
}

func TestLatestActiveSkipsInactiveRevisions(t *testing.T) {
	s := newTestStore(t)
	ctx := testCtx(t)
	statuses := []wire.TaskDefinitionStatus{wire.TaskDefinitionStatusActive, wire.TaskDefinitionStatusActive, wire.TaskDefinitionStatusInactive}
	for i, st := range statuses {
		if _, err := s.Update(ctx, func(tx *Tx) error { return tx.PutTaskDefinition(taskDef("f", i+1, st)) }); err != nil {
			t.Fatal(err)
		}
	}
	td, err := s.LatestActiveTaskDefinition(ctx, "f")
	if err != nil || td.Revision() != 2 {
		t.Fatalf("latest active = %v (err %v), want revision 2", td, err)
	}
}

func TestWatchDeliversCommitsInOrderFromARevision(t *testing.T) {
	s := newTestStore(t)
	ctx := testCtx(t)
	put := func(name string, status ecs.ClusterStatus) int64 {
		t.Helper()
		rev, err := s.Update(ctx, func(tx *Tx) error { return tx.PutCluster(&ecs.Cluster{Name: name, Status: status}) })
		if err != nil {
			t.Fatal(err)
		}
		return rev
	}
	first := put("a", ecs.ClusterActive) // before the watch starts
	events, errc := s.WatchClusters(ctx, first)
	put("b", ecs.ClusterActive)
	put("a", ecs.ClusterInactive)

	want := []string{"a ACTIVE", "b ACTIVE", "a INACTIVE"}
	for i, w := range want {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("watch closed after %d events: %v", i, <-errc)
			}
			if got := e.Value.Name + " " + string(e.Value.Status); got != w || e.Type != EventPut {
				t.Fatalf("event %d = %s %s, want PUT %s", i, e.Type, got, w)
			}
			if i == 0 && e.Revision != first {
				t.Fatalf("first event at revision %d, want %d", e.Revision, first)
			}
		case <-ctx.Done():
			t.Fatalf("no event %d (%s)", i, w)
		}
	}
}

func TestReadsShareDecodedValuesUntilTheKeyChanges(t *testing.T) {
	s := newTestStore(t)
	ctx := testCtx(t)
	put := func(status ecs.ClusterStatus) {
		t.Helper()
		if _, err := s.Update(ctx, func(tx *Tx) error { return tx.PutCluster(&ecs.Cluster{Name: "c", Status: status}) }); err != nil {
			t.Fatal(err)
		}
	}
	get := func() *ecs.Cluster {
		t.Helper()
		c, err := s.GetCluster(ctx, "c")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	put(ecs.ClusterActive)
	first, again := get(), get()
	if first != again {
		t.Fatal("two reads of an unchanged key decoded twice; want one shared value")
	}
	put(ecs.ClusterInactive)
	if after := get(); after == first || after.Status != ecs.ClusterInactive {
		t.Fatalf("read after a write = %+v (shared with before: %v), want the new value", after, after == first)
	}
	var inTx *ecs.Cluster
	if _, err := s.Update(ctx, func(tx *Tx) error {
		var err error
		inTx, err = tx.GetCluster("c")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if inTx == get() {
		t.Fatal("a transaction's read is shared with plain reads; want its own copy to modify")
	}
}

// With local reads (a single-member etcd), a read that starts after a
// write was acknowledged sees it, whoever wrote it.
func TestLocalReadsSeeEveryAcknowledgedWrite(t *testing.T) {
	e := newTestEtcd(t)
	writer, reader := New(e.Client()), New(e.Client()).WithLocalReads()
	ctx := testCtx(t)
	for i := range 200 {
		name := fmt.Sprintf("c%d", i%7)
		status := []ecs.ClusterStatus{ecs.ClusterActive, ecs.ClusterInactive}[i%2]
		rev, err := writer.Update(ctx, func(tx *Tx) error { return tx.PutCluster(&ecs.Cluster{Name: name, Status: status}) })
		if err != nil {
			t.Fatal(err)
		}
		got, err := reader.GetCluster(ctx, name)
		if err != nil || got.Status != status {
			t.Fatalf("write %d: read %+v, %v; want %s", i, got, err, status)
		}
		if seen, err := reader.Revision(ctx); err != nil || seen < rev {
			t.Fatalf("write %d at revision %d: Revision() = %d, %v; want at least the write's", i, rev, seen, err)
		}
	}
}

// TestTransactionsSeeOtherReplicasWrites runs two Stores on one etcd, as
// two server replicas do: each caches what it last read or wrote, and must
// never act on a value the other has since changed.
func TestTransactionsSeeOtherReplicasWrites(t *testing.T) {
	e := newTestEtcd(t)
	a, b := New(e.Client()), New(e.Client())
	ctx := testCtx(t)
	next := func(s *Store) int {
		t.Helper()
		var rev int
		if _, err := s.Update(ctx, func(tx *Tx) error {
			var err error
			rev, err = tx.NextRevision("shared")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return rev
	}
	// a caches the family record at revision 1; b then moves it on twice.
	got := []int{next(a), next(b), next(b), next(a), next(a), next(b)}
	if fmt.Sprint(got) != "[1 2 3 4 5 6]" {
		t.Fatalf("revisions issued alternately by two replicas = %v, want [1 2 3 4 5 6]", got)
	}

	// A read-only transaction on a's stale cache still sees b's write.
	if _, err := a.Update(ctx, func(tx *Tx) error { return tx.PutCluster(&ecs.Cluster{Name: "c", Status: ecs.ClusterActive}) }); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Update(ctx, func(tx *Tx) error { return tx.PutCluster(&ecs.Cluster{Name: "c", Status: ecs.ClusterInactive}) }); err != nil {
		t.Fatal(err)
	}
	var seen ecs.ClusterStatus
	if _, err := a.Update(ctx, func(tx *Tx) error {
		c, err := tx.GetCluster("c")
		if err == nil {
			seen = c.Status
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if seen != ecs.ClusterInactive {
		t.Fatalf("read-only transaction on a saw %s, want b's INACTIVE", seen)
	}
}

// TestTransactionsOnAWatchEventSeeTheEventsWrite: etcd tells watchers of a
// write before a local read shows it, so a reader that acts on a watch
// event, as the service controller does, may read the state from before
// the event. Its transaction must not return that: a read-only one is
// checked linearizably at commit and runs again on fresh reads. Here the
// reader has the key cached as absent (it looked before the write) and
// reads it again in a transaction on each event for it; every one must
// find it. Run with -race, the unchecked version failed within a few
// hundred writes.
func TestTransactionsOnAWatchEventSeeTheEventsWrite(t *testing.T) {
	e := newTestEtcd(t)
	writer, reader := New(e.Client()), New(e.Client()).WithLocalReads()
	ctx := testCtx(t)
	const writes = 300
	name := func(i int) string { return fmt.Sprintf("c%03d", i) }
	for i := range writes {
		if _, err := reader.Update(ctx, func(tx *Tx) error {
			if _, err := tx.GetCluster(name(i)); !errors.Is(err, ErrNotFound) {
				return fmt.Errorf("cluster %s before it was written: %v", name(i), err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	rev, err := reader.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	events, errc := watch[ecs.Cluster](ctx, reader, clustersPrefix, rev+1)
	written := make(chan error, 1)
	go func() {
		for i := range writes {
			if _, err := writer.Update(ctx, func(tx *Tx) error { return tx.PutCluster(&ecs.Cluster{Name: name(i), Status: ecs.ClusterActive}) }); err != nil {
				written <- err
				return
			}
		}
		written <- nil
	}()
	for i := range writes {
		var ev Event[ecs.Cluster]
		select {
		case ev = <-events:
		case err := <-errc:
			t.Fatalf("watch: %v", err)
		}
		// As the controller reads a service: absent is an answer, which
		// the commit must check, not an error that ends the transaction.
		var found bool
		if _, err := reader.Update(ctx, func(tx *Tx) error {
			_, err := tx.GetCluster(ev.Value.Name)
			found = err == nil
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if !found {
			t.Fatalf("event %d (cluster %s at revision %d): the reader's transaction found no cluster", i, ev.Value.Name, ev.Revision)
		}
	}
	if err := <-written; err != nil {
		t.Fatal(err)
	}
}
