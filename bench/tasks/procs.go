package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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

	// benchAccessKey and benchSecretKey are the only key the server accepts;
	// the agent signs its first registration with them.
	benchAccessKey = "AKIDBENCHTASKS"
	benchSecretKey = "berth-bench-tasks-secret-key"
	benchRegion    = "us-east-1"
)

// process is a running berth child: 'berth server' or 'berth agent'.
type process struct {
	name   string // "server" or "agent", for messages
	cmd    *exec.Cmd
	log    *benchkit.LockedBuffer
	exited chan struct{}
}

// startProcess runs bin with args, and env added to this process's
// environment, in its own process group, so that a Ctrl-C in the terminal
// reaches only the benchmark, which then stops its children in order
// (agent, containers, server).
func startProcess(name string, env []string, bin string, args ...string) (*process, error) {
	p := &process{name: name, log: &benchkit.LockedBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start berth %s: %w", name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// alive returns an error carrying the process's log if it has exited.
func (p *process) alive() error {
	select {
	case <-p.exited:
		return fmt.Errorf("berth %s exited during the benchmark:\n%s", p.name, p.log.String())
	default:
		return nil
	}
}

// stop sends SIGTERM, and SIGKILL if the process has not exited after
// stopTimeout. It reports whether the process had already died by itself.
func (p *process) stop() (diedEarly bool) {
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

// writeCredentials writes the server's credentials file ("ACCESS_KEY_ID
// SECRET" per line), which the agent also reads for its first registration.
func writeCredentials(dir string) (string, error) {
	path := filepath.Join(dir, "credentials")
	return path, os.WriteFile(path, []byte(benchAccessKey+" "+benchSecretKey+"\n"), 0o600)
}

// startServer runs 'berth server' in strict mode on a free loopback port
// with its data under dataDir and waits until GET /healthz answers 200.
func startServer(ctx context.Context, bin, dataDir, creds string) (*process, string, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, "", err
	}
	addr, err := benchkit.FreeLoopbackAddr()
	if err != nil {
		return nil, "", err
	}
	p, err := startProcess("server", nil, bin, "server",
		"--auth", "strict", "--credentials", creds,
		"--listen", addr, "--data-dir", dataDir)
	if err != nil {
		return nil, "", err
	}
	url := "http://" + addr
	if err := waitHealthy(ctx, url, p); err != nil {
		p.stop()
		return nil, "", err
	}
	return p, url, nil
}

// startAgent runs 'berth agent' against url with the capacity for the
// 50-task scenario. agentCleanupWait (see there) replaces the 3-hour
// default so that every measurement starts on an engine without the
// previous ones' stopped containers. env is added to its environment.
func startAgent(bin, url, dataDir, creds string, env []string) (*process, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	return startProcess("agent", env, bin, "agent",
		"--server", url, "--cluster", "default", "--data-dir", dataDir,
		"--credentials", creds, "--cpu", strconv.Itoa(agentCPUs), "--memory", strconv.Itoa(agentMemoryMiB),
		"--host-ip", "127.0.0.1", "--cleanup-wait", agentCleanupWait.String())
}

// waitHealthy polls url/healthz until it answers 200, the process exits,
// startTimeout passes or ctx ends.
func waitHealthy(ctx context.Context, url string, p *process) error {
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
		if err := p.alive(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("berth server not healthy after %s: %w\n%s", startTimeout, ctx.Err(), p.log.String())
		case <-time.After(healthPollInterval):
		}
	}
}
