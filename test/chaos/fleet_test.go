//go:build chaos

package chaos

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/berth-org/berth/test/harness"
)

// startFleet runs n simulated container instances in cluster, one
// 'berth agent --simulate' process over the real agent protocol, and waits
// until all are connected. The test's end stops it.
func startFleet(t *testing.T, srv *harness.Server, cluster string, n int) *harness.Proc {
	t.Helper()
	args := harness.NewAgent(berthBin, srv, cluster, t.TempDir(), "--simulate", itoa(n), "--simulate-start-delay", "100ms").Args
	p, err := harness.Spawn(berthBin, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.Stop()
		if t.Failed() {
			t.Logf("fleet log:\n%s", p.Log.Tail(40))
		}
	})
	awaitFleet(t, srv.Client(1), cluster, n)
	return p
}

// awaitFleet waits until n instances of cluster show agentConnected.
func awaitFleet(t *testing.T, c *ecs.Client, cluster string, n int) {
	t.Helper()
	await(t, harness.ConvergeTimeout, itoa(n)+" connected instances", func() bool {
		out, err := c.ListContainerInstances(ctx(t), &ecs.ListContainerInstancesInput{
			Cluster: aws.String(cluster), Filter: aws.String("agentConnected == true"), MaxResults: aws.Int32(100)})
		return err == nil && len(out.ContainerInstanceArns) == n
	})
}
