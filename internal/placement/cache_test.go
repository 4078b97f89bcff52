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
