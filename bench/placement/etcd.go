package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// etcdReadyTimeout bounds the external etcd's start: a fresh single-node
// member elects itself in well under a second.
const etcdReadyTimeout = 30 * time.Second

// runEtcd is this command's second role ('placement etcd -dir D -listen
// ADDR'): a single-node etcd serving clients on ADDR until SIGTERM, with
// the embedded store's options (quota, snapshot count, compaction), so
// that a berth server pointed at it with --etcd-endpoints holds only its
// own memory and the benchmark can tell berth's from etcd's.
func runEtcd(args []string) error {
	fs := flag.NewFlagSet("placement etcd", flag.ContinueOnError)
	dir := fs.String("dir", "", "data directory")
	listen := fs.String("listen", "", "client address host:port")
	peer := fs.String("peer", "", "peer address host:port")
	if err := fs.Parse(args); err != nil {
		return err
	}
	clientURL, err := url.Parse("http://" + *listen)
	if err != nil {
		return err
	}
	peerURL, err := url.Parse("http://" + *peer)
	if err != nil {
		return err
	}
	cfg := embed.NewConfig()
	cfg.Name, cfg.Dir = "bench", *dir
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*clientURL}, []url.URL{*clientURL}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*peerURL}, []url.URL{*peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	// As store.StartEmbedded configures berth's own.
	cfg.QuotaBackendBytes = 8 << 30
	cfg.SnapshotCount = 5000
	cfg.AutoCompactionMode, cfg.AutoCompactionRetention = "periodic", "1h"
	cfg.LogLevel = "error"
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return err
	}
	defer e.Close()
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(etcdReadyTimeout):
		return fmt.Errorf("etcd not ready after %s", etcdReadyTimeout)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-ctx.Done():
		return nil
	case err := <-e.Err():
		return err
	}
}
