package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"
)

const (
	// embeddedStartTimeout bounds how long a single-node etcd may take to
	// replay its WAL and elect itself. A cold start takes well under a
	// second; a large WAL after a crash takes longer, never minutes.
	embeddedStartTimeout = 60 * time.Second
	// externalDialTimeout bounds the first connection to an external etcd
	// cluster, so a wrong --etcd-endpoints fails start-up with an error
	// instead of hanging.
	externalDialTimeout = 10 * time.Second
	// embeddedQuotaBytes is the embedded etcd's backend size limit (etcd's
	// default is 2 GiB). Past it, etcd raises a NOSPACE alarm and refuses
	// writes while still serving reads.
	embeddedQuotaBytes = 8 << 30
	// embeddedSnapshotCount is how many applied entries trigger an etcd
	// snapshot, and embeddedCatchUpEntries how many raft entries the
	// snapshot keeps in memory for a slow follower. etcd holds every entry
	// since the last snapshot in memory, and a grouped commit (see
	// Store.UpdateGrouped) makes entries of up to 1 MiB: with etcd's
	// defaults (10,000 and 5,000) that could pin gigabytes, and even 1,000
	// and 100 pinned 77 MB during a 100,000-task burst. A single-node etcd
	// has no follower to catch up, and etcd's snapshot no longer copies the
	// key space (only the raft state), so taking one every 100 entries is
	// cheap (about one a second at full load) and bounds the log to about
	// 110 entries; it also makes a restart after a crash replay less WAL.
	embeddedSnapshotCount  = 100
	embeddedCatchUpEntries = 10
	// EmbeddedMaxTxnOps is the embedded etcd's limit of operations (and,
	// separately, of compares) in one transaction. etcd's default, 128,
	// allows grouping about five RunTask commits of 10 tasks into one
	// transaction (see Store.UpdateGrouped); 2,048 allows the group limit.
	EmbeddedMaxTxnOps = 2048
)

// Embedded is a single-node etcd server running inside the berth process,
// with its data under a directory of berth's data dir.
type Embedded struct {
	etcd *embed.Etcd
	cli  *clientv3.Client
	// stopMonitor ends the data volume's monitor; monitorDone is closed
	// when it has.
	stopMonitor context.CancelFunc
	monitorDone chan struct{}
}

// StartEmbedded starts a single-node etcd in dir and returns once it serves.
// It listens for peers on a unix socket only: nothing outside this process
// (and this machine's file system) can reach it. Clients use the in-process
// connection returned by Client.
func StartEmbedded(ctx context.Context, dir string, log *slog.Logger) (*Embedded, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create etcd data dir: %w", err)
	}
	cfg := embed.NewConfig()
	cfg.Name = "berth"
	cfg.Dir = dir
	peer, err := url.Parse("unix://" + filepath.Join(dir, "peer.sock"))
	if err != nil {
		return nil, fmt.Errorf("etcd peer url: %w", err)
	}
	cfg.ListenPeerUrls = []url.URL{*peer}
	cfg.AdvertisePeerUrls = []url.URL{*peer}
	cfg.ListenClientUrls = []url.URL{}
	cfg.AdvertiseClientUrls = []url.URL{}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.QuotaBackendBytes = embeddedQuotaBytes
	cfg.SnapshotCount = embeddedSnapshotCount
	cfg.SnapshotCatchUpEntries = embeddedCatchUpEntries
	cfg.MaxTxnOps = EmbeddedMaxTxnOps
	// Keep one hour of history so watchers that fall behind can resume;
	// older revisions are compacted away.
	cfg.AutoCompactionMode = "periodic"
	cfg.AutoCompactionRetention = "1h"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(newZapToSlog(log.With("component", "etcd")))

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("start embedded etcd: %w", err)
	}
	timer := time.NewTimer(embeddedStartTimeout)
	defer timer.Stop()
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("embedded etcd failed: %w", err)
	case <-timer.C:
		e.Close()
		return nil, fmt.Errorf("embedded etcd not ready after %s", embeddedStartTimeout)
	case <-ctx.Done():
		e.Close()
		return nil, ctx.Err()
	}
	emb := &Embedded{etcd: e, cli: v3client.New(e.Server), monitorDone: make(chan struct{})}
	var monitorCtx context.Context
	monitorCtx, emb.stopMonitor = context.WithCancel(context.WithoutCancel(ctx))
	monitor := &spaceMonitor{server: e.Server, free: func() (uint64, error) { return freeSpace(dir) }, log: log.With("component", "store")}
	go func() {
		defer close(emb.monitorDone)
		monitor.run(monitorCtx)
	}()
	return emb, nil
}

// Client is an in-process client of the embedded server.
func (e *Embedded) Client() *clientv3.Client { return e.cli }

// Err reports a fatal error of the running etcd server.
func (e *Embedded) Err() <-chan error { return e.etcd.Err() }

// Close stops the client and the server.
func (e *Embedded) Close() error {
	e.stopMonitor()
	<-e.monitorDone
	err := e.cli.Close()
	e.etcd.Close()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// DialExternal connects to an external etcd cluster and checks that it
// answers before returning.
func DialExternal(ctx context.Context, endpoints []string, log *slog.Logger) (*clientv3.Client, error) {
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: externalDialTimeout,
		Logger:      newZapToSlog(log.With("component", "etcd-client")),
	})
	if err != nil {
		return nil, fmt.Errorf("connect to etcd %v: %w", endpoints, err)
	}
	ctx, cancel := context.WithTimeout(ctx, externalDialTimeout)
	defer cancel()
	if _, err := cli.Get(ctx, "health-check"); err != nil {
		_ = cli.Close()
		return nil, fmt.Errorf("etcd %v does not answer: %w", endpoints, err)
	}
	return cli, nil
}
