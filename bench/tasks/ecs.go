package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berth-org/berth/bench/internal/benchkit"
)

const (
	// callTimeout bounds one ECS API call. A healthy call takes
	// milliseconds; RunTask of 10 on a busy 2-CPU machine takes tens.
	callTimeout = 10 * time.Second
	// agentConnectTimeout bounds the wait for the agent to register and
	// open its session; it does both in well under a second.
	agentConnectTimeout = 30 * time.Second
	// agentPollInterval paces that wait.
	agentPollInterval = 20 * time.Millisecond
	// statusPollInterval paces the unmeasured waits (STOPPED, containers
	// removed): fast enough not to lengthen the run, slow enough not to
	// load the machine.
	statusPollInterval = 20 * time.Millisecond

	// cluster is the cluster the server creates at start and the agent joins.
	cluster = "default"
	// family is the benchmark's task definition family.
	family = "bench-tasks"
	// maxRunTaskCount is RunTask's limit of tasks per call.
	maxRunTaskCount = 10
	// maxDescribeTasks is DescribeTasks' limit of tasks per call.
	maxDescribeTasks = 100

	statusRunning = "RUNNING"
	statusStopped = "STOPPED"
)

// benchTaskDefinition is one busybox container sleeping for an hour, as
// small as the scheduler allows so that 50 fit the agent (cpu 16, 16 MiB).
// It runs exactly what the 'docker run -d' baseline runs; sleep as PID 1
// ignores SIGTERM, so stopTimeout 1 makes a stop take one second (SIGKILL)
// instead of the default 30.
func benchTaskDefinition() *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family:      aws.String(family),
		NetworkMode: types.NetworkModeBridge,
		ContainerDefinitions: []types.ContainerDefinition{{
			Name:        aws.String("sleep"),
			Image:       aws.String(testImage),
			Essential:   aws.Bool(true),
			Command:     []string{"sleep", "3600"},
			Cpu:         taskCPU,
			Memory:      aws.Int32(taskMemoryMiB),
			StopTimeout: aws.Int32(1),
		}},
	}
}

// registerTaskDefinition registers benchTaskDefinition and returns its
// "family:revision".
func registerTaskDefinition(ctx context.Context, c *ecs.Client) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := c.RegisterTaskDefinition(ctx, benchTaskDefinition())
	if err != nil {
		return "", fmt.Errorf("RegisterTaskDefinition: %w", err)
	}
	if out.TaskDefinition == nil || out.TaskDefinition.Revision < 1 {
		return "", errors.New("RegisterTaskDefinition: no revision in the answer")
	}
	return fmt.Sprintf("%s:%d", family, out.TaskDefinition.Revision), nil
}

// awaitAgentConnected waits until the cluster has exactly one instance and
// DescribeContainerInstances shows it agentConnected, and returns its ARN.
func awaitAgentConnected(ctx context.Context, c *ecs.Client, agent *benchkit.Process) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, agentConnectTimeout)
	defer cancel()
	for {
		arn, connected, err := describeOnlyInstance(ctx, c)
		if err == nil && connected {
			return arn, nil
		}
		if err := agent.Alive(); err != nil {
			return "", err
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("agent not connected after %s (last error: %v): %w\n%s", agentConnectTimeout, err, ctx.Err(), agent.Log.String())
		case <-time.After(agentPollInterval):
		}
	}
}

func describeOnlyInstance(ctx context.Context, c *ecs.Client) (arn string, connected bool, err error) {
	list, err := c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster)})
	if err != nil {
		return "", false, err
	}
	if len(list.ContainerInstanceArns) != 1 {
		return "", false, fmt.Errorf("%d container instances, want 1", len(list.ContainerInstanceArns))
	}
	out, err := c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{
		Cluster: aws.String(cluster), ContainerInstances: list.ContainerInstanceArns})
	if err != nil {
		return "", false, err
	}
	if len(out.ContainerInstances) != 1 {
		return "", false, errors.New("DescribeContainerInstances: no instance in the answer")
	}
	return list.ContainerInstanceArns[0], out.ContainerInstances[0].AgentConnected, nil
}

// runTasks calls RunTask once for count (at most 10) tasks of taskDef and
// returns their ARNs. Any placement failure is an error.
func runTasks(ctx context.Context, c *ecs.Client, taskDef string, count int) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := c.RunTask(ctx, &ecs.RunTaskInput{
		Cluster: aws.String(cluster), TaskDefinition: aws.String(taskDef), Count: aws.Int32(int32(count))})
	if err != nil {
		return nil, fmt.Errorf("RunTask: %w", err)
	}
	if len(out.Failures) > 0 {
		f := out.Failures[0]
		return nil, fmt.Errorf("RunTask: %d failure(s), first: %s %s", len(out.Failures), aws.ToString(f.Reason), aws.ToString(f.Detail))
	}
	arns := make([]string, 0, len(out.Tasks))
	for _, t := range out.Tasks {
		arns = append(arns, aws.ToString(t.TaskArn))
	}
	if len(arns) != count {
		return nil, fmt.Errorf("RunTask: %d tasks in the answer, want %d", len(arns), count)
	}
	return arns, nil
}

// describeTasks describes up to 100 tasks and fails on any it does not know.
func describeTasks(ctx context.Context, c *ecs.Client, arns []string) ([]types.Task, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: arns})
	if err != nil {
		return nil, fmt.Errorf("DescribeTasks: %w", err)
	}
	if len(out.Failures) > 0 {
		f := out.Failures[0]
		return nil, fmt.Errorf("DescribeTasks: %s: %s", aws.ToString(f.Arn), aws.ToString(f.Reason))
	}
	return out.Tasks, nil
}

// awaitStatus polls DescribeTasks every interval until every task in arns
// has lastStatus want, and returns each task as first seen in that status
// and when that answer arrived. A task that stops while waiting for
// RUNNING is an error naming its reason; so is timeout passing, naming
// the tasks still pending and their last status.
func awaitStatus(ctx context.Context, c *ecs.Client, arns []string, want string, interval, timeout time.Duration) (map[string]types.Task, map[string]time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	reached := make(map[string]types.Task, len(arns))
	seenAt := make(map[string]time.Time, len(arns))
	last := map[string]types.Task{} // pending tasks as last described
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		var pending []string
		for _, arn := range arns {
			if _, ok := reached[arn]; !ok {
				pending = append(pending, arn)
			}
		}
		if len(pending) == 0 {
			return reached, seenAt, nil
		}
		tasks, err := describeTasks(ctx, c, pending[:min(len(pending), maxDescribeTasks)])
		now := time.Now()
		if err != nil && ctx.Err() == nil {
			return nil, nil, err
		}
		for _, t := range tasks {
			arn, status := aws.ToString(t.TaskArn), aws.ToString(t.LastStatus)
			switch {
			case status == want:
				reached[arn], seenAt[arn] = t, now
			case status == statusStopped:
				return nil, nil, fmt.Errorf("task %s stopped instead of reaching %s: %s %s", arn, want, t.StopCode, stoppedReason(t))
			default:
				last[arn] = t
			}
		}
		select {
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("%d of %d task(s) not %s after %s (%s): %w", len(pending), len(arns), want, timeout, lastSeen(pending, last), ctx.Err())
		case <-tick.C:
		}
	}
}

// lastSeen describes the first few pending tasks as last described.
func lastSeen(pending []string, last map[string]types.Task) string {
	const shown = 3
	var parts []string
	for _, arn := range pending[:min(len(pending), shown)] {
		t, ok := last[arn]
		if !ok {
			parts = append(parts, arn+" never described")
			continue
		}
		parts = append(parts, fmt.Sprintf("%s last %s, desired %s", arn, aws.ToString(t.LastStatus), aws.ToString(t.DesiredStatus)))
	}
	if len(pending) > shown {
		parts = append(parts, "...")
	}
	return strings.Join(parts, "; ")
}

func stoppedReason(t types.Task) string {
	r := aws.ToString(t.StoppedReason)
	for _, c := range t.Containers {
		if c.Reason != nil {
			r += "; " + aws.ToString(c.Name) + ": " + aws.ToString(c.Reason)
		}
	}
	return r
}

// stopTasks calls StopTask for every task in arns.
func stopTasks(ctx context.Context, c *ecs.Client, arns []string) error {
	var errs []error
	for _, arn := range arns {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		_, err := c.StopTask(cctx, &ecs.StopTaskInput{Cluster: aws.String(cluster), Task: aws.String(arn), Reason: aws.String("bench-tasks")})
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("StopTask %s: %w", arn, err))
		}
	}
	return errors.Join(errs...)
}
