package benchkit

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/berth-org/berth/internal/syncbuf"
)

const (
	// StartTimeout bounds a server start: embedded etcd elects itself in
	// well under a second on an empty data dir.
	StartTimeout = 30 * time.Second
	// stopTimeout bounds a graceful stop before the process is killed.
	stopTimeout = 10 * time.Second
	// healthPollInterval is how often start-up polls GET /healthz of a
	// process we do not control.
	healthPollInterval = 20 * time.Millisecond
)

// Process is a running child of a benchmark: 'berth server', 'berth
// agent', or the benchmark itself in another role.
type Process struct {
	Name   string // "server", "agent", ...: for messages
	Log    *syncbuf.Buffer
	cmd    *exec.Cmd
	exited chan struct{}
}

// StartProcess runs bin with args, and env added to this process's
// environment, in its own process group, so that a Ctrl-C in the terminal
// reaches only the benchmark, which then stops its children in order.
func StartProcess(name string, env []string, bin string, args ...string) (*Process, error) {
	p := &Process{Name: name, Log: &syncbuf.Buffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.Log, p.Log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	return p, nil
}

// PID is the process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Alive returns an error carrying the process's log if it has exited.
func (p *Process) Alive() error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s exited during the benchmark:\n%s", p.Name, p.Log.String())
	default:
		return nil
	}
}

// Stop sends SIGTERM, and SIGKILL if the process has not exited after
// stopTimeout. It reports whether the process had already died by itself.
func (p *Process) Stop() (diedEarly bool) {
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

// WaitHealthy polls url/healthz (berth's health check) until it answers
// 200, the process exits, StartTimeout passes or ctx ends.
func (p *Process) WaitHealthy(ctx context.Context, url string) error {
	return p.WaitOK(ctx, url+"/healthz")
}

// WaitOK polls url until it answers 200, the process exits, StartTimeout
// passes or ctx ends.
func (p *Process) WaitOK(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := p.Alive(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not healthy after %s: %w\n%s", p.Name, StartTimeout, ctx.Err(), p.Log.String())
		case <-time.After(healthPollInterval):
		}
	}
}

// MemInfo is a process's memory from /proc/PID/status, in KiB: VmRSS is
// the resident set (RssAnon, mostly the Go heap and stacks, plus RssFile,
// the pages of the executable and other files in use, etcd's mapped
// database among them), VmHWM the peak VmRSS since the process started.
type MemInfo struct {
	RSS, Anon, File, HWM int64
}

// ReadMem reads pid's MemInfo.
func ReadMem(pid int) (MemInfo, error) {
	path := "/proc/" + strconv.Itoa(pid) + "/status"
	raw, err := os.ReadFile(path)
	if err != nil {
		return MemInfo{}, err
	}
	var m MemInfo
	fields := map[string]*int64{"VmRSS": &m.RSS, "RssAnon": &m.Anon, "RssFile": &m.File, "VmHWM": &m.HWM}
	for line := range strings.SplitSeq(string(raw), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		dst := fields[name]
		if !ok || dst == nil {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return MemInfo{}, fmt.Errorf("%s: unexpected %s line %q", path, name, line)
		}
		if *dst, err = strconv.ParseInt(f[0], 10, 64); err != nil {
			return MemInfo{}, fmt.Errorf("%s: %w", path, err)
		}
		delete(fields, name)
	}
	if len(fields) > 0 {
		return MemInfo{}, fmt.Errorf("%s: %d of VmRSS, RssAnon, RssFile, VmHWM missing", path, len(fields))
	}
	return m, nil
}

// MiB converts KiB to MiB.
func MiB(kib int64) float64 { return float64(kib) / 1024 }
