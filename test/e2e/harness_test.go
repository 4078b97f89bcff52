package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/berth-org/berth/test/harness"
)

const (
	testAccessKey = harness.AccessKey
	testSecretKey = harness.SecretKey
	testRegion    = harness.Region
	testAccount   = harness.Account
)

var (
	berthBin string  // built once by TestMain
	shared   *server // the shared strict-mode server
)

func TestMain(m *testing.M) {
	os.Exit(harness.Main("berth-e2e-", raceEnabled, runMain(m)))
}

// runMain runs the tests against a shared strict server in dir.
func runMain(m *testing.M) func(bin, dir string) int {
	return func(bin, dir string) int {
		berthBin = bin
		var err error
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
}

// server is a berth process under test (see harness.Server), with the
// names this package's tests use.
type server struct{ *harness.Server }

// startServer starts 'berth <mode> args...' on a free loopback port with
// its data in dataDir, and waits for /healthz. In strict mode it accepts the
// test key only.
func startServer(dataDir, mode string, args ...string) (*server, error) {
	s, err := harness.StartServer(berthBin, dataDir, mode, args...)
	if s == nil {
		return nil, err
	}
	return &server{Server: s}, err
}

func (s *server) start() error { return s.Start() }
func (s *server) url() string  { return s.URL() }
func (s *server) kill()        { s.Kill() }
func (s *server) stop() error  { return s.Stop() }
func (s *server) log() string  { return s.Log.String() }

func freeAddr() (string, error) { return harness.FreeAddr() }

// client returns an ECS client for the shared server.
func client(t testing.TB) *ecs.Client { return clientFor(t, shared) }

// clientFor returns an ECS client signing with the test key. Retries are
// off so that each call is one request and errors surface at once.
func clientFor(t testing.TB, s *server) *ecs.Client {
	t.Helper()
	return s.Client(1)
}

// retryingClientFor is clientFor with the SDK's standard retries, for
// tests that run across server restarts.
func retryingClientFor(s *server, maxAttempts int) *ecs.Client { return s.Client(maxAttempts) }

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
