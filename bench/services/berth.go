package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berth-org/berth/bench/internal/benchkit"
)

const (
	benchRegion = "us-east-1"
	// cluster is the cluster the server creates at start and the agents join.
	cluster = "default"
	// family is the benchmark's task definition family: revision 1 runs
	// with BENCH_REV=1, revision 2 with BENCH_REV=2.
	family = "bench-services"

	// agentCPUs and agentMemoryMiB are each agent's offered capacity: far
	// more than the 2 × 100 tasks of taskCPU and taskMemoryMiB a rolling
	// update at maximumPercent 200 may run at once, so that placement
	// never refuses one and where tasks go is the scheduler's choice alone.
	agentCPUs      = 64
	agentMemoryMiB = 65536
	// taskCPU and taskMemoryMiB are as small as the scheduler allows; the
	// Swarm service gets the same memory limit (Swarm has no CPU shares).
	taskCPU       = 16
	taskMemoryMiB = 16
	// taskStopTimeoutS is the stop grace period on both sides. The task's
	// shell exits at once on SIGTERM (taskCommand), so it is only a bound.
	taskStopTimeoutS = 2
	// agentCleanupWait replaces the agent's 3-hour default, so that a
	// deleted service's containers are removed at once and the next
	// measurement starts on an engine without them.
	agentCleanupWait = 100 * time.Millisecond

	// callTimeout bounds one ECS API call: a healthy one takes
	// milliseconds, CreateService of 100 tasks on a busy 2-CPU machine
	// perhaps tens.
	callTimeout = 10 * time.Second
	// agentConnectTimeout bounds the wait for the agents to register and
	// open their sessions; each does both in well under a second.
	agentConnectTimeout = 30 * time.Second
	// agentPollInterval paces that wait.
	agentPollInterval = 50 * time.Millisecond
)

// benchKey is the only key the server accepts; the agents sign their
// first registration with it.
var benchKey = benchkit.Key{ID: "AKIDBENCHSERVICES", Secret: "berth-bench-services-secret-key"}

// berthSide is the berth half's world: the server, the agents on the
// shared engine, the client, and the two task definitions.
type berthSide struct {
	e       *engine
	server  *benchkit.Process
	agents  []*benchkit.Process
	ecs     *ecs.Client
	dataDir string
	// instanceARNs are the agents' container instances, whose label
	// (com.berth.instance-arn) marks their containers.
	instanceARNs []string
	// taskDefs[rev-1] is revision rev's ARN.
	taskDefs [2]string
}

// startBerth runs the server and o.agents agents with their data under
// tmp, waits until every agent is connected, and registers the two task
// definitions.
func startBerth(ctx context.Context, o options, e *engine, bin, tmp string) (*berthSide, error) {
	b := &berthSide{e: e, dataDir: tmp}
	creds, err := benchKey.WriteCredentials(tmp)
	if err != nil {
		return b, err
	}
	server, url, err := benchkit.StartServer(ctx, bin, filepath.Join(tmp, "server"), creds)
	if err != nil {
		return b, err
	}
	b.server = server
	b.ecs = benchkit.NewECSClient(url, benchRegion, benchKey, nil)
	for i := range o.agents {
		p, err := benchkit.StartAgent(bin, benchkit.Agent{
			Name: fmt.Sprintf("agent-%d", i+1), Server: url, Cluster: cluster, DataDir: b.agentDir(i),
			Credentials: creds, CPUs: agentCPUs, MemoryMiB: agentMemoryMiB, CleanupWait: agentCleanupWait,
		})
		if err != nil {
			return b, err
		}
		b.agents = append(b.agents, p)
	}
	if b.instanceARNs, err = b.awaitAgentsConnected(ctx); err != nil {
		return b, err
	}
	for rev := 1; rev <= len(b.taskDefs); rev++ {
		if b.taskDefs[rev-1], err = b.registerTaskDefinition(ctx, rev); err != nil {
			return b, err
		}
	}
	return b, nil
}

func (b *berthSide) agentDir(i int) string {
	return filepath.Join(b.dataDir, fmt.Sprintf("agent-%d", i+1))
}

// procs are berth's processes, whose CPU is counted as berth's own.
func (b *berthSide) procs() []*benchkit.Process {
	return append([]*benchkit.Process{b.server}, b.agents...)
}

// alive reports the first berth process that has exited.
func (b *berthSide) alive() error {
	for _, p := range b.procs() {
		if err := p.Alive(); err != nil {
			return err
		}
	}
	return nil
}

// awaitAgentsConnected waits until the cluster has exactly one instance
// per agent and DescribeContainerInstances shows every one connected, and
// returns their ARNs.
func (b *berthSide) awaitAgentsConnected(ctx context.Context) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, agentConnectTimeout)
	defer cancel()
	for {
		arns, err := b.connectedInstances(ctx)
		if err == nil {
			return arns, nil
		}
		if err := b.alive(); err != nil {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("agents not connected after %s (last: %v): %w", agentConnectTimeout, err, ctx.Err())
		case <-time.After(agentPollInterval):
		}
	}
}

// connectedInstances returns the cluster's instances if there is one per
// agent and all are connected, else an error saying what is missing.
func (b *berthSide) connectedInstances(ctx context.Context) ([]string, error) {
	list, err := b.ecs.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster)})
	if err != nil {
		return nil, err
	}
	if n := len(list.ContainerInstanceArns); n != len(b.agents) {
		return nil, fmt.Errorf("%d container instances, want %d", n, len(b.agents))
	}
	out, err := b.ecs.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{
		Cluster: aws.String(cluster), ContainerInstances: list.ContainerInstanceArns})
	if err != nil {
		return nil, err
	}
	for _, ci := range out.ContainerInstances {
		if !ci.AgentConnected {
			return nil, fmt.Errorf("instance %s not connected", aws.ToString(ci.ContainerInstanceArn))
		}
	}
	return list.ContainerInstanceArns, nil
}

// registerTaskDefinition registers revision rev of the family and returns
// its ARN: the test image running taskCommand with BENCH_REV=rev, as small
// as the scheduler allows so that 200 fit the agents.
func (b *berthSide) registerTaskDefinition(ctx context.Context, rev int) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	name, value, _ := strings.Cut(revEnv(rev), "=")
	out, err := b.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family:      aws.String(family),
		NetworkMode: types.NetworkModeBridge,
		ContainerDefinitions: []types.ContainerDefinition{{
			Name:        aws.String("sleep"),
			Image:       aws.String(testImage),
			Essential:   aws.Bool(true),
			Command:     taskCommand,
			Environment: []types.KeyValuePair{{Name: aws.String(name), Value: aws.String(value)}},
			Cpu:         taskCPU,
			Memory:      aws.Int32(taskMemoryMiB),
			StopTimeout: aws.Int32(taskStopTimeoutS),
		}},
	})
	if err != nil {
		return "", fmt.Errorf("RegisterTaskDefinition: %w", err)
	}
	if out.TaskDefinition == nil || out.TaskDefinition.TaskDefinitionArn == nil {
		return "", errors.New("RegisterTaskDefinition: no task definition ARN in the answer")
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn), nil
}

// berthRun times one berth round: CreateService of o.replicas tasks of
// revision 1 to steady, then (if updates) UpdateService to revision 2 to
// steady, then
// deletes the service with force and waits for its containers to be gone
// (not timed). Errors are returned as swarmRun's are.
func (b *berthSide) berthRun(ctx context.Context, o options, name string, updates bool) (res berthResult, measureErr, cleanupErr error) {
	t0, cpu0 := time.Now(), takeCPU(b.procs())
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	_, err := b.ecs.CreateService(cctx, &ecs.CreateServiceInput{
		Cluster:        aws.String(cluster),
		ServiceName:    aws.String(name),
		TaskDefinition: aws.String(b.taskDefs[0]),
		DesiredCount:   aws.Int32(int32(o.replicas)),
		LaunchType:     types.LaunchTypeEc2,
		// No DeploymentConfiguration: ECS's default, maximumPercent 200
		// and minimumHealthyPercent 100.
	})
	cancel()
	if err != nil {
		return res, fmt.Errorf("CreateService: %w", err), b.removeAll(context.WithoutCancel(ctx), o)
	}
	defer func() { cleanupErr = b.deleteService(context.WithoutCancel(ctx), o, name) }()
	if res.create, err = b.await(ctx, o, t0, cpu0, name, 1); err != nil {
		return res, fmt.Errorf("create: %w", err), nil
	}
	if !updates {
		return res, nil, nil
	}
	t0, cpu0 = time.Now(), takeCPU(b.procs())
	cctx, cancel = context.WithTimeout(ctx, callTimeout)
	_, err = b.ecs.UpdateService(cctx, &ecs.UpdateServiceInput{
		Cluster: aws.String(cluster), Service: aws.String(name), TaskDefinition: aws.String(b.taskDefs[1])})
	cancel()
	if err != nil {
		return res, fmt.Errorf("UpdateService: %w", err), nil
	}
	if res.update, err = b.await(ctx, o, t0, cpu0, name, 2); err != nil {
		return res, fmt.Errorf("rolling update: %w", err), nil
	}
	return res, nil, nil
}

// await times the service to steady on revision rev, and checks that
// berth's processes are still alive when it is over.
func (b *berthSide) await(ctx context.Context, o options, t0 time.Time, cpu0 cpuSample, name string, rev int) (phase, error) {
	ph, err := awaitSteady(ctx, t0, cpu0, b.procs(), o.replicas, phaseTimeout(o.replicas), b.observe(name, b.taskDefs[rev-1]))
	return ph, errors.Join(err, b.alive())
}

// observe describes the service. The target revision's tasks are the
// runningCount of the deployment of taskDef; the other deployments'
// runningCounts are the stale ones; done is exactly one deployment and
// its rolloutState COMPLETED. A FAILED rollout is an error.
func (b *berthSide) observe(name, taskDef string) observeFunc {
	return func(ctx context.Context) (observation, error) {
		ctx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		out, err := b.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
		if err != nil {
			return observation{}, fmt.Errorf("DescribeServices: %w", err)
		}
		if len(out.Services) != 1 {
			return observation{}, fmt.Errorf("DescribeServices: %d services and %d failures in the answer, want 1 service", len(out.Services), len(out.Failures))
		}
		svc := out.Services[0]
		var o observation
		parts := []string{fmt.Sprintf("service runningCount %d pendingCount %d", svc.RunningCount, svc.PendingCount)}
		for _, d := range svc.Deployments {
			if d.RolloutState == types.DeploymentRolloutStateFailed {
				return observation{}, fmt.Errorf("deployment %s FAILED: %s", aws.ToString(d.Id), aws.ToString(d.RolloutStateReason))
			}
			if sameRevision(aws.ToString(d.TaskDefinition), taskDef) {
				o.running += int(d.RunningCount)
			} else {
				o.stale += int(d.RunningCount)
			}
			parts = append(parts, fmt.Sprintf("%s %s %s running %d pending %d", aws.ToString(d.Status),
				revisionOf(aws.ToString(d.TaskDefinition)), d.RolloutState, d.RunningCount, d.PendingCount))
		}
		o.done = len(svc.Deployments) == 1 && svc.Deployments[0].RolloutState == types.DeploymentRolloutStateCompleted
		o.detail = strings.Join(parts, "; ")
		return o, nil
	}
}

// revisionOf is a task definition's "family:revision", from its ARN
// (arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION) or as is.
func revisionOf(taskDef string) string {
	return taskDef[strings.LastIndexByte(taskDef, '/')+1:]
}

func sameRevision(a, b string) bool { return revisionOf(a) == revisionOf(b) }

// deleteService deletes the service with force (its tasks are stopped)
// and waits until the agents have removed their containers.
func (b *berthSide) deleteService(ctx context.Context, o options, name string) error {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	_, err := b.ecs.DeleteService(cctx, &ecs.DeleteServiceInput{Cluster: aws.String(cluster), Service: aws.String(name), Force: aws.Bool(true)})
	cancel()
	if err != nil {
		return errors.Join(fmt.Errorf("DeleteService: %w", err), b.removeAll(ctx, o))
	}
	return b.awaitNoContainers(ctx, removeTimeout(o.replicas))
}

// awaitNoContainers waits until no agent has a container left.
func (b *berthSide) awaitNoContainers(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, arn := range b.instanceARNs {
		if err := b.e.awaitNoneLabelled(ctx, instanceLabel, arn, time.Until(deadline)); err != nil {
			return err
		}
	}
	return nil
}

// removeAll force-removes every container of the agents: the clean-up
// when the service could not be deleted through the API (or never made).
// An agent may still be starting tasks, so this is the end of the berth
// side's usefulness for this run; the caller stops.
func (b *berthSide) removeAll(ctx context.Context, o options) error {
	var errs []error
	for i := range o.agents {
		arn := benchkit.SavedInstanceARN(b.agentDir(i))
		if arn != "" {
			errs = append(errs, b.e.removeLabelled(ctx, instanceLabel, arn))
		}
	}
	return errors.Join(errs...)
}

// stop stops the agents, removes whatever containers they left, stops the
// server and writes the logs to logDir if one was given. It runs after
// an interrupt or a timeout too, on a context of its own.
func (b *berthSide) stop(ctx context.Context, o options) error {
	var errs []error
	for _, a := range b.agents {
		if a.Stop() {
			errs = append(errs, a.Alive())
		}
	}
	errs = append(errs, b.removeAll(ctx, o))
	if b.server != nil && b.server.Stop() {
		errs = append(errs, b.server.Alive())
	}
	if o.logDir != "" {
		errs = append(errs, b.saveLogs(o.logDir))
	}
	return errors.Join(errs...)
}

// saveLogs writes the children's output to dir.
func (b *berthSide) saveLogs(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var errs []error
	for _, p := range b.procs() {
		if p != nil {
			errs = append(errs, os.WriteFile(filepath.Join(dir, p.Name+".log"), []byte(p.Log.String()), 0o644))
		}
	}
	return errors.Join(errs...)
}
