package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/berth-org/berth/internal/sdkhttp"
)

const (
	// testAccessKey and testSecretKey are the only key the shared strict
	// server accepts.
	testAccessKey = "AKIDE2ETEST"
	testSecretKey = "e2e-secret-key"
	testRegion    = "us-east-1"
	testAccount   = "000000000000"
	// startTimeout bounds a server start: embedded etcd elects itself in
	// well under a second; a WAL replay after kill -9 takes a little longer.
	startTimeout = 30 * time.Second
	// stopTimeout bounds a graceful stop before the test gives up on it.
	stopTimeout = 15 * time.Second
)

var (
	berthBin string  // built once by TestMain
	shared   *server // the shared strict-mode server
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "berth-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	berthBin = filepath.Join(dir, "berth")
	args := []string{"build", "-o", berthBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "github.com/berth-org/berth/cmd/berth")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build berth:", err)
		return 1
	}
	shared, err = startServer(filepath.Join(dir, "shared"), "server", "--auth", "strict")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if err := shared.stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop shared server:", err)
	}
	return code
}

// server is a berth process under test.
type server struct {
	dataDir string
	addr    string
	args    []string
	cmd     *exec.Cmd
	log     *bytes.Buffer
	exited  chan struct{}
}

// startServer starts 'berth <mode> args...' on a free loopback port with
// its data in dataDir, and waits for /healthz. In strict mode it accepts the
// test key only.
func startServer(dataDir, mode string, args ...string) (*server, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	creds := filepath.Join(dataDir, "test-credentials")
	if err := os.WriteFile(creds, []byte(testAccessKey+" "+testSecretKey+"\n"), 0o600); err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	full := append([]string{mode, "--listen", addr, "--data-dir", dataDir}, args...)
	if mode == "server" {
		full = append(full, "--credentials", creds)
	}
	s := &server{dataDir: dataDir, addr: addr, args: full}
	return s, s.start()
}

// start runs the process and waits until it is healthy.
func (s *server) start() error {
	s.log = &bytes.Buffer{}
	s.cmd = exec.Command(berthBin, s.args...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	// Under the race detector a data race in the server kills it, so the
	// test talking to it fails instead of the report sitting in its log.
	s.cmd.Env = append(os.Environ(), "GORACE=halt_on_error=1")
	if err := s.cmd.Start(); err != nil {
		return err
	}
	s.exited = make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	return s.waitHealthy()
}

func (s *server) waitHealthy() error {
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("berth exited during start-up:\n%s", s.log)
		default:
		}
		resp, err := http.Get(s.url() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond) // polling a process we do not control
	}
	return fmt.Errorf("berth not healthy after %s:\n%s", startTimeout, s.log)
}

func (s *server) url() string { return "http://" + s.addr }

// kill sends SIGKILL and waits for the process to be gone.
func (s *server) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		return nil
	case <-time.After(stopTimeout):
		s.kill()
		return errors.New("berth did not stop on SIGTERM")
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// client returns an ECS client for the shared server.
func client(t testing.TB) *ecs.Client { return clientFor(t, shared) }

// clientFor returns an ECS client signing with the test key. Retries are
// off so that each call is one request and errors surface at once.
func clientFor(t testing.TB, s *server) *ecs.Client {
	t.Helper()
	return ecs.New(ecs.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(s.url()),
		Credentials:  credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   sdkHTTPClient(),
	})
}

// sdkHTTPClient is the SDK's default transport behind sdkhttp.Transport,
// which avoids a client-side race in smithy-go (see package sdkhttp).
func sdkHTTPClient() *http.Client {
	return &http.Client{Transport: sdkhttp.Transport{Base: awshttp.NewBuildableClient().GetTransport()}}
}

// retryingClientFor is clientFor with the SDK's standard retries, for
// tests that run across server restarts.
func retryingClientFor(s *server, maxAttempts int) *ecs.Client {
	return ecs.New(ecs.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(s.url()),
		Credentials:  credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
		Retryer:      retry.AddWithMaxAttempts(retry.NewStandard(), maxAttempts),
		HTTPClient:   sdkHTTPClient(),
	})
}

var nameSeq atomic.Int64

// uniqueName returns a resource name no other test uses.
func uniqueName(t testing.TB, prefix string) string {
	clean := strings.NewReplacer("/", "-", " ", "-", "#", "-").Replace(t.Name())
	if len(clean) > 60 {
		clean = clean[len(clean)-60:]
	}
	return fmt.Sprintf("%s-%s-%d", prefix, clean, nameSeq.Add(1))
}

// ctx returns a context bounded for one test.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// wantAPIError asserts err is the typed SDK exception E with message msg
// (msg "" skips the message check).
func wantAPIError[E interface {
	error
	ErrorMessage() string
}](t testing.TB, err error, msg string) {
	t.Helper()
	var target E
	if !errors.As(err, &target) {
		t.Fatalf("error = %v (%T), want %T", err, err, target)
	}
	if msg != "" && target.ErrorMessage() != msg {
		t.Fatalf("message = %q, want %q", target.ErrorMessage(), msg)
	}
}
