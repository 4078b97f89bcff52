package harness

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/berth-org/berth/internal/sdkhttp"
	"github.com/berth-org/berth/internal/syncbuf"
)

const (
	// AccessKey and SecretKey are the one key a strict test server accepts.
	AccessKey = "AKIDE2ETEST"
	SecretKey = "e2e-secret-key"
	Region    = "us-east-1"
	Account   = "000000000000"

	// StartTimeout bounds a server start: embedded etcd elects itself in
	// well under a second; a WAL replay after kill -9 takes a little longer.
	StartTimeout = 30 * time.Second
	// StopTimeout bounds a graceful stop before the harness kills instead.
	StopTimeout = 15 * time.Second
	// healthPoll paces polling /healthz of a process the test does not
	// control.
	healthPoll = 20 * time.Millisecond
)

// Build compiles cmd/berth into dir and returns the binary's path; race
// builds it with the race detector, as tests running under it want.
func Build(dir string, race bool) (string, error) {
	bin := filepath.Join(dir, "berth")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "github.com/berth-org/berth/cmd/berth")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build berth: %w", err)
	}
	return bin, nil
}

// Main is a test binary's TestMain body: it builds berth into a temporary
// directory (with the race detector when race is set), calls run with the
// binary and that directory, and removes the directory after. It returns
// the exit code for os.Exit.
func Main(prefix string, race bool, run func(bin, dir string) int) int {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin, err := Build(dir, race)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return run(bin, dir)
}

// Log collects a process's output; it is safe to read while the process
// writes.
type Log struct{ syncbuf.Buffer }

// Tail is the last n lines of the log.
func (l *Log) Tail(n int) string { return Tail(l.String(), n) }

// Tail is the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}

// Proc is one run of a berth command: the process, its output and a
// channel closed when it has exited.
type Proc struct {
	cmd    *exec.Cmd
	Log    *Log
	Exited chan struct{}
}

// Spawn starts bin with args. Under the race detector a data race kills
// the process, so the test talking to it fails instead of the report
// sitting in its log.
func Spawn(bin string, args ...string) (*Proc, error) {
	p := &Proc{Log: &Log{}, Exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.Log, p.Log
	p.cmd.Env = append(os.Environ(), "GORACE=halt_on_error=1")
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = p.cmd.Wait(); close(p.Exited) }()
	return p, nil
}

// Pid is the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Signal sends sig; a process that has exited ignores it.
func (p *Proc) Signal(sig syscall.Signal) { _ = p.cmd.Process.Signal(sig) }

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Proc) Kill() {
	p.Signal(syscall.SIGKILL)
	<-p.Exited
}

// Stop sends SIGTERM (and SIGCONT, in case a test froze the process) and
// waits for a clean exit, killing it after StopTimeout.
func (p *Proc) Stop() error {
	select {
	case <-p.Exited:
		return nil
	default:
	}
	p.Signal(syscall.SIGCONT)
	p.Signal(syscall.SIGTERM)
	select {
	case <-p.Exited:
		return nil
	case <-time.After(StopTimeout):
		p.Kill()
		return errors.New("berth did not stop on SIGTERM")
	}
}

// Running reports whether the process has not exited.
func (p *Proc) Running() bool {
	select {
	case <-p.Exited:
		return false
	default:
		return true
	}
}

// Server is a berth server (or 'berth dev') under test: it keeps its
// address and data directory across restarts, as a real one does.
type Server struct {
	Bin     string
	DataDir string
	Addr    string
	Args    []string
	*Proc
}

// StartServer starts 'berth <mode> args...' on a free loopback port with
// its data in dataDir, and waits for /healthz. A server accepts the test key
// only.
func StartServer(bin, dataDir, mode string, args ...string) (*Server, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	creds := CredentialsFile(dataDir)
	if err := os.WriteFile(creds, []byte(AccessKey+" "+SecretKey+"\n"), 0o600); err != nil {
		return nil, err
	}
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	full := append([]string{mode, "--listen", addr, "--data-dir", dataDir}, args...)
	if mode == "server" {
		full = append(full, "--credentials", creds)
	}
	s := &Server{Bin: bin, DataDir: dataDir, Addr: addr, Args: full}
	return s, s.Start()
}

// CredentialsFile is the test key's file in a server's data directory,
// which agents are given too.
func CredentialsFile(dataDir string) string { return filepath.Join(dataDir, "test-credentials") }

// Start runs the server process and waits until it is healthy.
func (s *Server) Start() error {
	p, err := Spawn(s.Bin, s.Args...)
	if err != nil {
		return err
	}
	s.Proc = p
	return s.WaitHealthy()
}

// WaitHealthy polls /healthz until it answers 200, the process exits or
// StartTimeout passes.
func (s *Server) WaitHealthy() error {
	deadline := time.Now().Add(StartTimeout)
	for time.Now().Before(deadline) {
		if !s.Running() {
			return fmt.Errorf("berth exited during start-up:\n%s", s.Log)
		}
		resp, err := http.Get(s.URL() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(healthPoll)
	}
	return fmt.Errorf("berth not healthy after %s:\n%s", StartTimeout, s.Log)
}

// URL is the server's API endpoint.
func (s *Server) URL() string { return "http://" + s.Addr }

// Client is an ECS client signing with the test key. With maxAttempts 1,
// retries are off, so each call is one request and errors surface at once.
func (s *Server) Client(maxAttempts int) *ecs.Client {
	var r aws.Retryer = aws.NopRetryer{}
	if maxAttempts > 1 {
		r = retry.AddWithMaxAttempts(retry.NewStandard(), maxAttempts)
	}
	return ecs.New(ecs.Options{
		Region:       Region,
		BaseEndpoint: aws.String(s.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		Retryer:      r,
		HTTPClient:   SDKHTTPClient(),
	})
}

// SDKHTTPClient is the SDK's default transport behind sdkhttp.Transport,
// which avoids a client-side race in smithy-go (see package sdkhttp).
func SDKHTTPClient() *http.Client {
	return &http.Client{Transport: sdkhttp.Transport{Base: awshttp.NewBuildableClient().GetTransport()}}
}

// FreeAddr is a loopback address with a port free at the time of asking.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
