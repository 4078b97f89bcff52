//go:build chaos

package chaos

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// serviceTasks describes every task of a service that has not been purged,
// running or stopped.
func serviceTasks(t *testing.T, c *ecs.Client, cluster, service string) []types.Task {
	t.Helper()
	var arns []string
	for _, desired := range []types.DesiredStatus{types.DesiredStatusRunning, types.DesiredStatusStopped} {
		p := ecs.NewListTasksPaginator(c, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(service), DesiredStatus: desired})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			arns = append(arns, page.TaskArns...)
		}
	}
	var tasks []types.Task
	for chunk := range slices.Chunk(arns, 100) {
		out, err := c.DescribeTasks(ctx(t), &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: chunk})
		if err != nil {
			t.Fatal(err)
		}
		tasks = append(tasks, out.Tasks...)
	}
	slices.SortFunc(tasks, func(a, b types.Task) int { return strings.Compare(aws.ToString(a.TaskArn), aws.ToString(b.TaskArn)) })
	return tasks
}

// census counts a service's tasks by what they are doing: running (and
// meant to), and present (not yet STOPPED, whatever they are meant to do).
func census(tasks []types.Task) (running, present int) {
	for _, task := range tasks {
		last := aws.ToString(task.LastStatus)
		if last == "RUNNING" && aws.ToString(task.DesiredStatus) == "RUNNING" {
			running++
		}
		if last != "STOPPED" {
			present++
		}
	}
	return running, present
}

// fingerprint is what must survive a restart untouched of a service's
// tasks: each task's ARN, statuses and containers' runtime ids.
func fingerprint(tasks []types.Task) string {
	var b strings.Builder
	for _, task := range tasks {
		fmt.Fprintf(&b, "%s %s/%s", aws.ToString(task.TaskArn), aws.ToString(task.LastStatus), aws.ToString(task.DesiredStatus))
		for _, ctr := range task.Containers {
			fmt.Fprintf(&b, " %s", aws.ToString(ctr.RuntimeId))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// createService makes a REPLICA service of desired tasks of family.
func createService(t *testing.T, c *ecs.Client, cluster, name, family string, desired int32, edit ...func(*ecs.CreateServiceInput)) {
	t.Helper()
	in := &ecs.CreateServiceInput{Cluster: aws.String(cluster), ServiceName: aws.String(name), TaskDefinition: aws.String(family), DesiredCount: aws.Int32(desired)}
	for _, e := range edit {
		e(in)
	}
	if _, err := c.CreateService(ctx(t), in); err != nil {
		t.Fatal(err)
	}
}

// awaitRunning waits until a service runs exactly n tasks and has no other
// task present.
func awaitRunning(t *testing.T, c *ecs.Client, cluster, service string, n int, timeout time.Duration) {
	t.Helper()
	await(t, timeout, fmt.Sprintf("service %s runs %d tasks and no other", service, n), func() bool {
		running, present := census(serviceTasks(t, c, cluster, service))
		return running == n && present == n
	})
}

// awaitCompleted waits until a service's only deployment is COMPLETED: its
// tasks have been healthy (ECS's 40 s rule without health checks), so the
// controller will not write to it again unless something changes.
func awaitCompleted(t *testing.T, c *ecs.Client, cluster, service string) {
	t.Helper()
	await(t, 2*time.Minute, "service "+service+" has one COMPLETED deployment", func() bool {
		out, err := c.DescribeServices(ctx(t), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}})
		if err != nil || len(out.Services) != 1 {
			return false
		}
		d := out.Services[0].Deployments
		return len(d) == 1 && d[0].RolloutState == types.DeploymentRolloutStateCompleted
	})
}
