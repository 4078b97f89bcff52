package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/berth-org/berth/bench/internal/benchkit"
)

const (
	// startTimeout bounds a server start: embedded etcd elects itself in
	// well under a second on an empty data dir.
	startTimeout = 30 * time.Second
	// stopTimeout bounds a graceful stop before the process is killed.
	stopTimeout = 10 * time.Second
	// healthPollInterval is how often start-up polls GET /healthz of a
	// process we do not control.
	healthPollInterval = 20 * time.Millisecond

	// benchAccessKey and benchSecretKey are the only key the server accepts.
	benchAccessKey = "AKIDBENCHMARK"
	benchSecretKey = "berth-bench-secret-key"
	benchRegion    = "us-east-1"
)

// berthProcess is a running 'berth server'.
type berthProcess struct {
	url    string
	cmd    *exec.Cmd
	log    *benchkit.LockedBuffer
	exited chan struct{}
}

// startBerth runs 'berth server' in strict mode on a free loopback port with
// its data under dataDir and waits until GET /healthz answers 200.
func startBerth(ctx context.Context, bin, dataDir string) (*berthProcess, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	creds := filepath.Join(dataDir, "credentials")
	if err := os.WriteFile(creds, []byte(benchAccessKey+" "+benchSecretKey+"\n"), 0o600); err != nil {
		return nil, err
	}
	addr, err := benchkit.FreeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	p := &berthProcess{url: "http://" + addr, log: &benchkit.LockedBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, "server",
		"--auth", "strict", "--credentials", creds,
		"--listen", addr, "--data-dir", dataDir)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start berth: %w", err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	if err := waitHealthy(ctx, p.url, p.exited, p.log); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// waitHealthy polls url/healthz until it answers 200, the process exits,
// startTimeout passes or ctx ends.
func waitHealthy(ctx context.Context, url string, exited <-chan struct{}, log *benchkit.LockedBuffer) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/healthz", nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("berth exited during start-up:\n%s", log.String())
		case <-ctx.Done():
			return fmt.Errorf("berth not healthy after %s: %w\n%s", startTimeout, ctx.Err(), log.String())
		case <-time.After(healthPollInterval):
		}
	}
}

func (p *berthProcess) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM, and SIGKILL if the process has not exited after
// stopTimeout. It reports whether the process had already died by itself.
func (p *berthProcess) stop() (diedEarly bool) {
	select {
	case <-p.exited:
		return true
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	return false
}

// errDiedEarly reports a server that exited while the benchmark ran.
var errDiedEarly = errors.New("berth exited during the benchmark")
