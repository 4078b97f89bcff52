package placement

import (
	"context"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestSyncIsNotBlockedByOtherWatchesOfTheProcess: a write the cache does
// not watch (a task definition registered) moves etcd's revision on, and
// then another part of the server starts a watch from the next revision,
// as a session does after listing, on the stream every store watch shares
// (they all require a leader). etcd refuses progress for a stream
// holding a watch that has not started yet; Sync must not depend on it.
func TestSyncIsNotBlockedByOtherWatchesOfTheProcess(t *testing.T) {
	ctx := testCtx(t)
	r := newReplicas(t, 1)[0]
	if err := r.placer.Sync(ctx); err != nil { // loaded
		t.Fatal(err)
	}
	cli := r.st.Client()
	resp, err := cli.Put(ctx, "/berth/v1/task-definitions/web/1", "{}")
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_ = cli.Watch(clientv3.WithRequireLeader(wctx), "/berth/v1/other/", clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1))
	if err := r.placer.Sync(ctx); err != nil {
		t.Fatalf("Sync after an unrelated write: %v", err)
	}
}

// TestSyncToReachesTheRevisionTheCallerSaw: SyncTo returns once every
// watch of the cache has delivered the revision given (here an unrelated
// write's, which only a progress report brings), and gives up after
// awaitTimeout on a revision etcd has not reached.
func TestSyncToReachesTheRevisionTheCallerSaw(t *testing.T) {
	ctx := testCtx(t)
	r := newReplicas(t, 1)[0]
	resp, err := r.st.Client().Put(ctx, "/berth/v1/task-definitions/web/1", "{}")
	if err != nil {
		t.Fatal(err)
	}
	rev := resp.Header.Revision
	if err := r.placer.SyncTo(ctx, rev); err != nil {
		t.Fatalf("SyncTo(%d): %v", rev, err)
	}
	c := r.placer.cache
	c.mu.Lock()
	reached := min(c.instRev, c.usageRev, c.taskRev)
	c.mu.Unlock()
	if reached < rev {
		t.Fatalf("after SyncTo(%d) the watches have delivered up to %d", rev, reached)
	}
	if err := r.placer.SyncTo(ctx, rev+1000); err == nil {
		t.Fatalf("SyncTo(%d), a revision etcd has not reached, returned; want it to give up", rev+1000)
	}
}
