package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// stableTimeout bounds the wait for a service to reach steady state: its
// tasks start in about a second and pass their first health check one
// interval (5 s) later; tens of seconds mean something is wrong.
const stableTimeout = 60 * time.Second

// healthy gives c a health check that passes, so that its tasks count as
// healthy after one interval (5 s, ECS's least) instead of ECS's 40 s wait
// for tasks without one. A generous timeout and three retries keep a
// check that is merely slow on a loaded 2-core machine from turning a task
// UNHEALTHY (and the scheduler replacing it).
func healthy(c types.ContainerDefinition) types.ContainerDefinition {
	c.HealthCheck = &types.HealthCheck{Command: []string{"CMD-SHELL", "true"}, Interval: aws.Int32(5), Retries: aws.Int32(3), Timeout: aws.Int32(5)}
	return c
}

// serviceFleet is a cluster of three agents on srv.
func serviceFleet(t *testing.T, srv *server) (string, []*agentProc) {
	t.Helper()
	cluster := taskCluster(t, srv)
	agents := make([]*agentProc, 3)
	for i := range agents {
		agents[i] = startAgent(t, srv, cluster)
	}
	return cluster, agents
}

// awaitStable waits with the SDK's own ServicesStable waiter, as tools do.
func awaitStable(t *testing.T, c *ecs.Client, cluster, name string) types.Service {
	t.Helper()
	w := ecs.NewServicesStableWaiter(c, func(o *ecs.ServicesStableWaiterOptions) {
		o.MinDelay, o.MaxDelay = 200*time.Millisecond, time.Second
	})
	if err := w.Wait(ctx(t), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}}, stableTimeout); err != nil {
		t.Fatalf("service %s not stable: %v\n%s", name, err, dump(describeSvc(t, c, cluster, name)))
	}
	return describeSvc(t, c, cluster, name)
}

// awaitCompleted waits until the service has one deployment, COMPLETED.
func awaitCompleted(t *testing.T, c *ecs.Client, cluster, name string) types.Service {
	t.Helper()
	var svc types.Service
	awaitf(t, "service "+name+" completes its rollout", func() bool {
		svc = describeSvc(t, c, cluster, name)
		return len(svc.Deployments) == 1 && svc.Deployments[0].RolloutState == types.DeploymentRolloutStateCompleted
	})
	return svc
}

// serviceTasks describes the service's tasks with the given desired
// status.
func serviceTasks(t *testing.T, c *ecs.Client, cluster, name string, desired types.DesiredStatus) []types.Task {
	t.Helper()
	list, err := c.ListTasks(ctx(t), &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(name), DesiredStatus: desired})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.TaskArns) == 0 {
		return nil
	}
	out, err := c.DescribeTasks(ctx(t), &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: list.TaskArns})
	if err != nil {
		t.Fatal(err)
	}
	return out.Tasks
}

func hasEvent(s types.Service, substr string) bool {
	return slices.ContainsFunc(s.Events, func(e types.ServiceEvent) bool { return strings.Contains(aws.ToString(e.Message), substr) })
}

func TestServiceReachesSteadyStateAndReplacesAKilledTask(t *testing.T) {
	t.Parallel()
	c := client(t)
	cluster, _ := serviceFleet(t, shared)
	family := uniqueName(t, "svc")
	registerFamily(t, shared, family, healthy(sh("app", untilStopped)))
	name := uniqueName(t, "web")
	createSvc(t, c, svcIn(cluster, name, family, func(in *ecs.CreateServiceInput) { in.DesiredCount = aws.Int32(4) }))

	awaitStable(t, c, cluster, name)
	// The waiter is satisfied by one deployment running desiredCount; the
	// rollout completes once the tasks pass their health checks.
	svc := awaitCompleted(t, c, cluster, name)
	if svc.RunningCount != 4 {
		t.Fatalf("completed service: running %d, want 4", svc.RunningCount)
	}
	for _, want := range []string{"has started 4 tasks", "deployment completed.", "has reached a steady state."} {
		if !hasEvent(svc, want) {
			t.Errorf("no event %q in %s", want, dump(svc.Events))
		}
	}
	clusters, err := c.DescribeClusters(ctx(t), &ecs.DescribeClustersInput{Clusters: []string{cluster}})
	if err != nil || len(clusters.Clusters) != 1 {
		t.Fatalf("DescribeClusters: %v", err)
	}
	if cl := clusters.Clusters[0]; cl.RunningTasksCount != 4 || cl.PendingTasksCount != 0 || cl.ActiveServicesCount != 1 {
		t.Errorf("cluster counts running %d, pending %d, services %d; want 4, 0, 1", cl.RunningTasksCount, cl.PendingTasksCount, cl.ActiveServicesCount)
	}
	tasks := serviceTasks(t, c, cluster, name, types.DesiredStatusRunning)
	if len(tasks) != 4 {
		t.Fatalf("%d tasks desired RUNNING, want 4", len(tasks))
	}
	for _, task := range tasks {
		if aws.ToString(task.Group) != "service:"+name || aws.ToString(task.StartedBy) != aws.ToString(svc.Deployments[0].Id) {
			t.Errorf("task group %q startedBy %q; want service:%s and the deployment's id", aws.ToString(task.Group), aws.ToString(task.StartedBy), name)
		}
	}

	// Killing a task's container stops the task; the service replaces it.
	victim := tasks[0]
	if _, err := docker("kill", aws.ToString(victim.Containers[0].RuntimeId)); err != nil {
		t.Fatal(err)
	}
	awaitTask(t, shared, cluster, aws.ToString(victim.TaskArn), "STOPPED")
	awaitf(t, "the service replaces the killed task", func() bool {
		now := serviceTasks(t, c, cluster, name, types.DesiredStatusRunning)
		running := 0
		for _, task := range now {
			if aws.ToString(task.LastStatus) == "RUNNING" && aws.ToString(task.TaskArn) != aws.ToString(victim.TaskArn) {
				running++
			}
		}
		return running == 4
	})
	awaitStable(t, c, cluster, name)
}
