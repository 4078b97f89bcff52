package agent

import (
	"testing"

	"github.com/berth-org/berth/internal/api/ecsapi"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

// TestCluster hands this package's real control plane (embedded etcd,
// ECS and agent APIs over HTTP) to its external tests (package
// agent_test), which may import what imports agent, such as simrt.
type TestCluster struct{ c *cluster }

// AwaitTimeout bounds every wait of a test on a TestCluster.
const AwaitTimeout = awaitTimeout

// NewTestCluster starts a control plane for the test; its cluster is
// "default" in us-east-1, and any well-signed registration is accepted.
func NewTestCluster(t *testing.T) TestCluster { return TestCluster{newCluster(t)} }

// URL is the server's address, for agents.
func (tc TestCluster) URL() string { return tc.c.url }

// ECS is the cluster's ECS API, in process.
func (tc TestCluster) ECS() *ecsapi.API { return tc.c.ecs }

// Instance reads a container instance by ARN (nil when it is not there).
func (tc TestCluster) Instance(instanceARN string) *ecs.ContainerInstance {
	return tc.c.instance(instanceARN)
}

// Await polls cond until it holds, failing the test after AwaitTimeout.
func (tc TestCluster) Await(what string, cond func() bool) {
	tc.c.t.Helper()
	tc.c.await(what, cond)
}

// Register registers a task definition of the given containers and
// returns its ARN.
func (tc TestCluster) Register(family string, containers ...wire.ContainerDefinition) string {
	tc.c.t.Helper()
	return tc.c.register(family, containers...)
}
