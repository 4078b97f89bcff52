package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/berth-org/berth/bench/internal/benchkit"
)

const (
	// startTimeout bounds a server start: embedded etcd elects itself in
	// well under a second on an empty data dir.
	startTimeout = 30 * time.Second
	// stopTimeout bounds a graceful stop before the process is killed.
	stopTimeout = 10 * time.Second

	benchRegion = "us-east-1"
)

// benchKey is the only key the server accepts.
var benchKey = benchkit.Key{ID: "AKIDBENCHMARK", Secret: "berth-bench-secret-key"}

// berthProcess is a running 'berth server'.
type berthProcess struct {
	*benchkit.Process
	url string
}

// startBerth runs 'berth server' in strict mode on a free loopback port with
// its data under dataDir and waits until GET /healthz answers 200.
func startBerth(ctx context.Context, bin, dataDir string) (*berthProcess, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	creds, err := benchKey.WriteCredentials(dataDir)
	if err != nil {
		return nil, err
	}
	addr, err := benchkit.FreeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	p, err := benchkit.StartProcess("berth server", nil, bin, "server",
		"--auth", "strict", "--credentials", creds,
		"--listen", addr, "--data-dir", dataDir)
	if err != nil {
		return nil, err
	}
	srv := &berthProcess{Process: p, url: "http://" + addr}
	if err := p.WaitHealthy(ctx, srv.url); err != nil {
		p.Stop()
		return nil, err
	}
	return srv, nil
}

func (p *berthProcess) pid() int { return p.PID() }

// errDiedEarly reports a server that exited while the benchmark ran.
var errDiedEarly = errors.New("berth exited during the benchmark")
