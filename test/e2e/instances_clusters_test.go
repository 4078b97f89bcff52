package e2e

import (
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

const clusterHasInstances = "The Cluster cannot be deleted while Container Instances are active or draining."

func TestClusterCountsContainerInstances(t *testing.T) {
	t.Parallel()
	c := client(t)
	cluster := instanceCluster(t)
	wantCount := func(t *testing.T, step string, want int32) {
		t.Helper()
		if got := describeCluster(t, cluster).RegisteredContainerInstancesCount; got != want {
			t.Fatalf("%s: registeredContainerInstancesCount = %d, want %d", step, got, want)
		}
	}
	wantCount(t, "new cluster", 0)
	arns := registerInstances(t, c, cluster, 3)
	wantCount(t, "3 registered", 3)
	setInstancesState(t, c, cluster, types.ContainerInstanceStatusDraining, arns[0])
	wantCount(t, "one DRAINING", 3)
	deregisterInstance(t, c, cluster, arns[1])
	wantCount(t, "one deregistered", 2)
	registerInstance(t, c, cluster, reregistering(arns[2]))
	wantCount(t, "one re-registered", 2)
	// Other clusters' instances do not count.
	registerInstances(t, c, instanceCluster(t), 2)
	wantCount(t, "instances elsewhere", 2)
}

func TestDeleteClusterWithContainerInstances(t *testing.T) {
	t.Parallel()
	c := client(t)
	tests := []struct {
		name   string
		status types.ContainerInstanceStatus // the one instance's
	}{
		{name: "an ACTIVE instance", status: types.ContainerInstanceStatusActive},
		{name: "a DRAINING instance", status: types.ContainerInstanceStatusDraining},
	}
	for _, tt := range tests {
		t.Run(tt.name+" refuses the deletion until it is deregistered", func(t *testing.T) {
			t.Parallel()
			cluster := instanceCluster(t)
			arns := registerInstances(t, c, cluster, 2)
			deregisterInstance(t, c, cluster, arns[1]) // INACTIVE ones do not count
			setInstancesState(t, c, cluster, tt.status, arns[0])
			before := describeFull(t, cluster)

			_, err := c.DeleteCluster(ctx(t), &ecs.DeleteClusterInput{Cluster: aws.String(cluster)})
			wantAPIError[*types.ClusterContainsContainerInstancesException](t, err, clusterHasInstances)
			wantUnchanged(t, before)
			if before.RegisteredContainerInstancesCount != 1 {
				t.Fatalf("registeredContainerInstancesCount = %d, want 1", before.RegisteredContainerInstancesCount)
			}
			if got := listInstances(t, c, cluster, "", 0); len(got) != 1 {
				t.Fatalf("ListContainerInstances = %v, want %s", got, arns[0])
			}

			deregisterInstance(t, c, cluster, arns[0])
			deleted := deleteCluster(t, cluster)
			if aws.ToString(deleted.Status) != "INACTIVE" || deleted.RegisteredContainerInstancesCount != 0 {
				t.Fatalf("deleted cluster %s with %d instances, want INACTIVE with 0", aws.ToString(deleted.Status), deleted.RegisteredContainerInstancesCount)
			}
		})
	}
}

// TestRegisterContainerInstanceRacesDeleteCluster runs a registration and
// the deletion of its cluster at the same moment, round after round. Either
// may win, but never both: a deleted cluster must not hold an ACTIVE
// instance.
func TestRegisterContainerInstanceRacesDeleteCluster(t *testing.T) {
	t.Parallel()
	c := client(t)
	const rounds = 20
	refused := map[string]int{}
	for round := range rounds {
		cluster := instanceCluster(t)
		callCtx := ctx(t)
		var (
			wg             sync.WaitGroup
			reg            *ecs.RegisterContainerInstanceOutput
			regErr, delErr error
		)
		start := make(chan struct{})
		wg.Go(func() {
			<-start
			reg, regErr = c.RegisterContainerInstance(callCtx, registerInput(cluster))
		})
		wg.Go(func() {
			<-start
			_, delErr = c.DeleteCluster(callCtx, &ecs.DeleteClusterInput{Cluster: aws.String(cluster)})
		})
		close(start)
		wg.Wait()

		got := describeCluster(t, cluster)
		switch {
		case regErr == nil && delErr == nil:
			t.Fatalf("round %d: both the registration (%s) and the deletion succeeded; the cluster is %s with %d instances",
				round, aws.ToString(reg.ContainerInstance.ContainerInstanceArn), aws.ToString(got.Status), got.RegisteredContainerInstancesCount)
		case regErr == nil:
			wantAPIError[*types.ClusterContainsContainerInstancesException](t, delErr, clusterHasInstances)
			if aws.ToString(got.Status) != "ACTIVE" || got.RegisteredContainerInstancesCount != 1 {
				t.Fatalf("round %d: deletion refused but the cluster is %s with %d instances", round, aws.ToString(got.Status), got.RegisteredContainerInstancesCount)
			}
			refused["DeleteCluster"]++
		case delErr == nil:
			wantAPIError[*types.ClusterNotFoundException](t, regErr, "Cluster not found.")
			if aws.ToString(got.Status) != "INACTIVE" || got.RegisteredContainerInstancesCount != 0 {
				t.Fatalf("round %d: registration refused but the cluster is %s with %d instances", round, aws.ToString(got.Status), got.RegisteredContainerInstancesCount)
			}
			refused["RegisterContainerInstance"]++
		default:
			t.Fatalf("round %d: both failed: registration %v; deletion %v", round, regErr, delErr)
		}
	}
	t.Logf("refused in %d rounds: %v", rounds, refused)
}

// TestDeregisterContainerInstanceRacesDeleteCluster races a
// deletion against the deregistration of the cluster's last instance: the
// deletion succeeds only if it sees the instance INACTIVE.
func TestDeregisterContainerInstanceRacesDeleteCluster(t *testing.T) {
	t.Parallel()
	c := client(t)
	for round := range 10 {
		cluster := instanceCluster(t)
		arn := aws.ToString(registerInstance(t, c, cluster).ContainerInstanceArn)
		callCtx := ctx(t)
		var (
			wg               sync.WaitGroup
			deregErr, delErr error
		)
		start := make(chan struct{})
		wg.Go(func() {
			<-start
			_, deregErr = c.DeregisterContainerInstance(callCtx, &ecs.DeregisterContainerInstanceInput{Cluster: aws.String(cluster), ContainerInstance: aws.String(arn)})
		})
		wg.Go(func() {
			<-start
			_, delErr = c.DeleteCluster(callCtx, &ecs.DeleteClusterInput{Cluster: aws.String(cluster)})
		})
		close(start)
		wg.Wait()
		if deregErr != nil {
			t.Fatalf("round %d: DeregisterContainerInstance: %v", round, deregErr)
		}
		if delErr != nil {
			wantAPIError[*types.ClusterContainsContainerInstancesException](t, delErr, clusterHasInstances)
			deleteCluster(t, cluster) // the instance is INACTIVE now
		}
		if got := describeCluster(t, cluster); aws.ToString(got.Status) != "INACTIVE" || got.RegisteredContainerInstancesCount != 0 {
			t.Fatalf("round %d: cluster %s with %d instances, want INACTIVE with 0", round, aws.ToString(got.Status), got.RegisteredContainerInstancesCount)
		}
	}
}
