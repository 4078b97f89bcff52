package e2e

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// placementCluster starts four real agents: two in zone a (one with less
// memory), one in b and one in c; b is a t2.small with tier=db.
func placementCluster(t *testing.T) (cluster string, byARN map[string]string) {
	cluster = taskCluster(t, shared)
	agents := []struct{ name, zone, memory, itype, tier string }{
		{"a-big", "us-east-1a", "2048", "m5.large", "web"},
		{"a-small", "us-east-1a", "1024", "m5.large", "web"},
		{"b", "us-east-1b", "2048", "t2.small", "db"},
		{"c", "us-east-1c", "2048", "m5.large", "web"},
	}
	byARN = map[string]string{}
	for _, ag := range agents {
		a := startAgent(t, shared, cluster, "--availability-zone", ag.zone, "--memory", ag.memory,
			"--instance-type", ag.itype, "--attribute", "tier="+ag.tier)
		byARN[a.ARN] = ag.name
	}
	return cluster, byARN
}

// hostsOf names the agent each task was placed on, sorted.
func hostsOf(tasks []types.Task, byARN map[string]string) []string {
	var out []string
	for _, task := range tasks {
		out = append(out, byARN[aws.ToString(task.ContainerInstanceArn)])
	}
	slices.Sort(out)
	return out
}

func stopAll(t *testing.T, cluster string, tasks []types.Task) {
	t.Helper()
	for _, task := range tasks {
		if _, err := clientFor(t, shared).StopTask(ctx(t), &ecs.StopTaskInput{Cluster: aws.String(cluster), Task: task.TaskArn}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPlacementThroughTheAPI(t *testing.T) {
	t.Parallel()
	cluster, byARN := placementCluster(t)
	family := registerFamily(t, shared, uniqueName(t, "placed"), types.ContainerDefinition{
		Name: aws.String("app"), Command: []string{"sleep", "300"}, Memory: aws.Int32(128)})
	// 128 MiB each: stopped tasks hold their memory until their containers
	// exit (sleep ignores SIGTERM, so up to the stop timeout), and even if
	// every earlier subtest's task still sits on a-small it has room.

	t.Run("spread across zones, then binpack memory within each", func(t *testing.T) {
		tasks := runTasks(t, shared, cluster, family, 3, func(in *ecs.RunTaskInput) {
			in.Group = aws.String("spread-binpack")
			in.PlacementStrategy = []types.PlacementStrategy{
				{Type: types.PlacementStrategyTypeSpread, Field: aws.String("attribute:ecs.availability-zone")},
				{Type: types.PlacementStrategyTypeBinpack, Field: aws.String("memory")},
			}
		})
		defer stopAll(t, cluster, tasks)
		// One per zone; in zone a, the instance with less memory left.
		if got, want := hostsOf(tasks, byARN), []string{"a-small", "b", "c"}; !slices.Equal(got, want) {
			t.Fatalf("placed on %v, want %v", got, want)
		}
	})

	t.Run("memberOf on the instance type", func(t *testing.T) {
		tasks := runTasks(t, shared, cluster, family, 2, func(in *ecs.RunTaskInput) {
			in.PlacementConstraints = []types.PlacementConstraint{{Type: types.PlacementConstraintTypeMemberOf, Expression: aws.String("attribute:ecs.instance-type =~ t2.*")}}
		})
		defer stopAll(t, cluster, tasks)
		if got, want := hostsOf(tasks, byARN), []string{"b", "b"}; !slices.Equal(got, want) {
			t.Fatalf("placed on %v, want %v", got, want)
		}
	})

	t.Run("memberOf on a custom attribute", func(t *testing.T) {
		tasks := runTasks(t, shared, cluster, family, 3, func(in *ecs.RunTaskInput) {
			in.PlacementConstraints = []types.PlacementConstraint{{Type: types.PlacementConstraintTypeMemberOf, Expression: aws.String("attribute:tier == web and attribute:ecs.availability-zone != us-east-1c")}}
		})
		defer stopAll(t, cluster, tasks)
		for _, h := range hostsOf(tasks, byARN) {
			if h != "a-big" && h != "a-small" {
				t.Fatalf("placed on %s, want only zone a's web instances", h)
			}
		}
	})

	t.Run("distinctInstance with more tasks than instances", func(t *testing.T) {
		out, err := clientFor(t, shared).RunTask(ctx(t), &ecs.RunTaskInput{
			Cluster: aws.String(cluster), TaskDefinition: aws.String(family), Count: aws.Int32(6),
			Group:                aws.String("one-each"),
			PlacementConstraints: []types.PlacementConstraint{{Type: types.PlacementConstraintTypeDistinctInstance}},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer stopAll(t, cluster, out.Tasks)
		if got := hostsOf(out.Tasks, byARN); !slices.Equal(got, []string{"a-big", "a-small", "b", "c"}) {
			t.Fatalf("placed on %v, want one on each of the four instances", got)
		}
		if len(out.Failures) != 2 {
			t.Fatalf("failures %s, want 2 (6 tasks, 4 instances)", dump(out.Failures))
		}
		for _, f := range out.Failures {
			if aws.ToString(f.Reason) != "DistinctInstance placement constraint unsatisfied." {
				t.Fatalf("failure %s", dump(f))
			}
		}
	})

	t.Run("ListContainerInstances filter", func(t *testing.T) {
		out, err := clientFor(t, shared).ListContainerInstances(ctx(t), &ecs.ListContainerInstancesInput{
			Cluster: aws.String(cluster), Filter: aws.String("attribute:ecs.availability-zone in [us-east-1b, us-east-1c]")})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, arn := range out.ContainerInstanceArns {
			got = append(got, byARN[arn])
		}
		slices.Sort(got)
		if !slices.Equal(got, []string{"b", "c"}) {
			t.Fatalf("filtered %v, want [b c]", fmt.Sprint(got))
		}
	})
}
