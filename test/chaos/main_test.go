//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/berth-org/berth/test/harness"
)

// berthBin is built once by TestMain, without the race detector: the
// scenarios measure recovery times, and the unit and e2e suites already
// run the same code under it.
var berthBin string

func TestMain(m *testing.M) {
	os.Exit(harness.Main("berth-chaos-", false, func(bin, _ string) int {
		berthBin = bin
		return m.Run()
	}))
}

// scale is n for the full table ('make chaos') and short for the bounded
// run in CI (-short).
func scale(n, short int) int {
	if testing.Short() {
		return short
	}
	return n
}

// figure logs one measured figure of a scenario in a form 'make chaos'
// collects: "FIGURE <scenario> key=value ...".
func figure(t *testing.T, scenario string, kv ...any) {
	t.Helper()
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, " %v=%v", kv[i], kv[i+1])
	}
	t.Logf("FIGURE %s%s", scenario, b.String())
}

// startServer runs a strict berth server with its data in dir; the test's
// end stops it (and shows its log if the test failed).
func startServer(t *testing.T, dir string, args ...string) *harness.Server {
	t.Helper()
	srv, err := harness.StartServer(berthBin, dir, "server", append([]string{"--auth", "strict"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Stop()
		if t.Failed() {
			t.Logf("server log (last start):\n%s", srv.Log.Tail(80))
		}
	})
	return srv
}

// startAgent runs a Docker-backed agent (or, with --simulate, a fleet) in
// cluster; the test's end stops it and removes its containers.
func startAgent(t *testing.T, srv *harness.Server, cluster string, args ...string) *harness.Agent {
	t.Helper()
	a := harness.NewAgent(berthBin, srv, cluster, t.TempDir(), args...)
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = a.Stop()
		harness.RemoveContainers(a.ARN)
		if t.Failed() {
			t.Logf("agent log:\n%s", a.Log.Tail(60))
		}
	})
	return a
}

// ctx is a context bounded for one test.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return c
}

// await polls cond until it holds, failing the test after timeout.
func await(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if err := harness.Await(timeout, what, func() (bool, error) { return cond(), nil }); err != nil {
		t.Fatal(err)
	}
}

var nameSeq atomic.Int64

// uniqueName is a resource name no other test uses.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e6, nameSeq.Add(1))
}

// createCluster makes a cluster and returns its name.
func createCluster(t *testing.T, c *ecs.Client, args ...types.ClusterSetting) string {
	t.Helper()
	name := uniqueName("chaos")
	if _, err := c.CreateCluster(ctx(t), &ecs.CreateClusterInput{ClusterName: aws.String(name), Settings: args}); err != nil {
		t.Fatal(err)
	}
	return name
}

// sleeper is a task definition of one container that sleeps until
// stopped, holding 16 MiB.
func sleeper(family string) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{Family: aws.String(family), ContainerDefinitions: []types.ContainerDefinition{{
		Name: aws.String("app"), Image: aws.String(harness.TestImage), Memory: aws.Int32(16),
		Command: []string{"sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"},
	}}}
}

// register registers in and returns the new revision's ARN.
func register(t *testing.T, c *ecs.Client, in *ecs.RegisterTaskDefinitionInput) string {
	t.Helper()
	out, err := c.RegisterTaskDefinition(ctx(t), in)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

// dataDir is a fresh data directory for a server.
func dataDir(t *testing.T) string { return filepath.Join(t.TempDir(), "server") }

func itoa(n int) string { return fmt.Sprint(n) }
