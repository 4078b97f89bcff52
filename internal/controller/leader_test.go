package controller

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/berth-org/berth/internal/store"
)

// electionWait bounds each wait for a leadership change: a resigning
// leader hands over at once, far within it.
const electionWait = 10 * time.Second

// TestOneLeaderAtATimeAndHandOver runs two candidates: exactly one leads;
// when it stops (its process shutting down), the other takes over without
// waiting for the lease to expire.
func TestOneLeaderAtATimeAndHandOver(t *testing.T) {
	etcdCtx, e := testEtcd(t)
	ctx, cancel := context.WithCancel(etcdCtx)
	defer cancel()
	st := store.New(e.Client())

	var (
		mu      sync.Mutex
		leading = map[string]bool{}
		changed = make(chan struct{}, 16)
	)
	lead := func(id string) func(context.Context) {
		return func(ctx context.Context) {
			mu.Lock()
			leading[id] = true
			if len(leading) > 1 {
				t.Errorf("two leaders at once: %v", leading)
			}
			mu.Unlock()
			changed <- struct{}{}
			<-ctx.Done()
			mu.Lock()
			delete(leading, id)
			mu.Unlock()
		}
	}
	ctxA, stopA := context.WithCancel(ctx)
	doneA := make(chan struct{})
	go func() { defer close(doneA); RunAsLeader(ctxA, st, quiet, "test", "a", lead("a")) }()
	awaitChange(t, changed)
	doneB := make(chan struct{})
	go func() { defer close(doneB); RunAsLeader(ctx, st, quiet, "test", "b", lead("b")) }()

	stopA()
	<-doneA
	awaitChange(t, changed)
	mu.Lock()
	if !leading["b"] {
		t.Errorf("after a stopped, leaders = %v, want b", leading)
	}
	mu.Unlock()
	cancel()
	<-doneB
}

func awaitChange(t *testing.T, changed <-chan struct{}) {
	t.Helper()
	select {
	case <-changed:
	case <-time.After(electionWait):
		t.Fatal("no leader took office in time")
	}
}
