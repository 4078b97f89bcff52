package e2e

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// unpullable is a container whose image no registry has: its tasks stop
// (TaskFailedToStart) without reaching RUNNING, in milliseconds, since
// the name does not resolve.
// A registry on a loopback port nothing listens on refuses the pull at
// once. (A name that does not resolve asks the machine's DNS resolver,
// which took 5 s to answer on a CI machine and so moved every failure,
// and the throttle's clock with it, by that much.)
func unpullable() types.ContainerDefinition {
	return types.ContainerDefinition{Name: aws.String("app"), Image: aws.String(unpullableImage)}
}

const unpullableImage = "127.0.0.1:1/nothing:1"

// firstLaunchDelay is berth's throttle after one failed launch attempt:
// 10 s, doubling for each attempt after (reconcile's backoff).
const firstLaunchDelay = 10 * time.Second

// launchSlack is how late a launch may come after its throttle delay:
// the failed task's report and the controller's step, on a loaded
// 2-core machine.
const launchSlack = 3 * time.Second

// failureReportSlack is how much earlier than a failed task's
// executionStoppedAt the controller may count its failure: the agent
// reports the stop code first, then the stopped containers.
const failureReportSlack = time.Second

// TestServiceCircuitBreakerStallsAFailingServiceOfTen is ECS behaviour T6
// with an image that cannot be pulled at desiredCount 10: the threshold
// is clamp(ceil(0.5 × 10), 3, 200) = 5, so at every sample a deployment
// with 5 or more failed tasks is FAILED and one with fewer is not; and
// with rollback on but no COMPLETED deployment to return to (the
// service's first), the rollout stalls: no launch after the trip.
// (Exactly at the 5th when the failures come one by one:
// reconcile.TestCircuitBreakerFailsADeploymentOfTenAtExactlyFiveFailures;
// here the 10 fail at once and may be counted together.)
func TestServiceCircuitBreakerStallsAFailingServiceOfTen(t *testing.T) {
	t.Parallel()
	const (
		desired, threshold = 10, 5
		// stallWindow is how long the FAILED deployment is watched for a
		// launch: a deployment that was not stalled would launch again
		// when the throttle lifts, firstLaunchDelay after its first
		// failed attempt (all 10 tasks are one attempt).
		stallWindow = firstLaunchDelay + launchSlack
	)
	c := client(t)
	cluster, _ := serviceFleet(t, shared)
	family := uniqueName(t, "unpullable")
	td := registerFamily(t, shared, family, unpullable())
	name := uniqueName(t, "svc")
	t.Cleanup(func() {
		if t.Failed() {
			deployDump(t, c, cluster, name)
		}
	})
	createSvc(t, c, svcIn(cluster, name, family, func(in *ecs.CreateServiceInput) {
		in.DesiredCount = aws.Int32(desired)
		in.DeploymentConfiguration = &types.DeploymentConfiguration{
			DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: true, Rollback: true},
		}
	}))

	var svc types.Service
	var mostInProgress int32
	awaitf(t, "the circuit breaker fails the deployment", func() bool {
		svc = describeSvc(t, c, cluster, name)
		d := svc.Deployments[0]
		if d.RolloutState == types.DeploymentRolloutStateInProgress {
			mostInProgress = max(mostInProgress, d.FailedTasks)
		}
		return d.RolloutState == types.DeploymentRolloutStateFailed
	})
	prim := svc.Deployments[0]
	t.Logf("FAILED with failedTasks %d; at most %d while IN_PROGRESS", prim.FailedTasks, mostInProgress)
	if mostInProgress >= threshold || prim.FailedTasks < threshold || prim.FailedTasks > desired {
		t.Errorf("IN_PROGRESS with up to %d failed tasks, FAILED with %d; want FAILED from the %dth on, never before", mostInProgress, prim.FailedTasks, threshold)
	}
	if len(svc.Deployments) != 1 || aws.ToString(svc.TaskDefinition) != td || hasEvent(svc, "rolling back") {
		t.Errorf("after the trip: deployments %s, taskDefinition %s; want the FAILED one alone, no rollback (none COMPLETED)", rollouts(svc), aws.ToString(svc.TaskDefinition))
	}
	if want := deployEvent(name, aws.ToString(prim.Id), "deployment failed: tasks failed to start."); !hasEvent(svc, want) {
		t.Errorf("no event %q in %s", want, dump(svc.Events))
	}

	launched := taskARNs(everyServiceTask(t, c, cluster, name))
	for end := time.Now().Add(stallWindow); time.Now().Before(end); time.Sleep(censusInterval) {
		for _, task := range everyServiceTask(t, c, cluster, name) {
			if !slices.Contains(launched, aws.ToString(task.TaskArn)) {
				t.Fatalf("the stalled deployment launched task %s", aws.ToString(task.TaskArn))
			}
		}
	}
	if len(launched) != desired {
		t.Errorf("%d tasks launched, want the first attempt's %d", len(launched), desired)
	}
}

// TestServiceThrottleBacksOffLaunchesThatNeverRun is ECS behaviour T7's
// first gaps, end to end: a service whose tasks never reach RUNNING
// launches again 10 s after the first failed attempt, 20 s after the
// second, says after the third, in ECS's words, that it cannot start
// tasks; and UpdateService to a new task definition launches at once,
// not 40 s later.
func TestServiceThrottleBacksOffLaunchesThatNeverRun(t *testing.T) {
	t.Parallel()
	const impaired = "is unable to consistently start tasks successfully. " +
		"For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
	c := client(t)
	cluster := taskCluster(t, shared)
	startAgent(t, shared, cluster)
	family := uniqueName(t, "unpullable")
	registerFamily(t, shared, family, unpullable())
	name := uniqueName(t, "svc")
	t.Cleanup(func() {
		if t.Failed() {
			deployDump(t, c, cluster, name)
		}
	})
	createSvc(t, c, svcIn(cluster, name, family))

	var tasks []types.Task
	for n := 2; n <= 3; n++ { // each awaited attempt within one throttle delay
		awaitf(t, "the next launch attempt", func() bool {
			tasks = everyServiceTask(t, c, cluster, name)
			return len(tasks) >= n
		})
	}
	slices.SortFunc(tasks, func(a, b types.Task) int { return aws.ToTime(a.CreatedAt).Compare(aws.ToTime(b.CreatedAt)) })
	for i, want := range []time.Duration{firstLaunchDelay, 2 * firstLaunchDelay} {
		// The throttle counts from the failure, not from the launch: a
		// pull that takes 5 s to fail moves the next attempt by 5 s.
		gap := aws.ToTime(tasks[i+1].CreatedAt).Sub(aws.ToTime(tasks[i].ExecutionStoppedAt))
		t.Logf("launch attempt %d came %s after attempt %d failed", i+2, gap, i+1)
		if !within(gap, want-failureReportSlack, want+launchSlack) {
			t.Errorf("launch attempt %d came %s after attempt %d failed, want %s (-%s, +%s at most)", i+2, gap, i+1, want, failureReportSlack, launchSlack)
		}
		if task := tasks[i]; task.StopCode != types.TaskStopCodeTaskFailedToStart || task.StartedAt != nil {
			t.Errorf("attempt %d: stopCode %s, startedAt %v; want TaskFailedToStart, never RUNNING", i+1, task.StopCode, task.StartedAt)
		}
	}
	awaitf(t, "the service says it cannot start tasks", func() bool {
		return slices.ContainsFunc(describeSvc(t, c, cluster, name).Events, func(e types.ServiceEvent) bool {
			return aws.ToString(e.Message) == "(service "+name+") "+impaired
		})
	})

	good := registerFamily(t, shared, family, sh("app", untilStopped))
	updated := time.Now()
	dep := aws.ToString(deployUpdate(t, c, cluster, name, func(in *ecs.UpdateServiceInput) { in.TaskDefinition = aws.String(good) }).Deployments[0].Id)
	awaitf(t, "the new task definition launches", func() bool { return len(tasksStartedBy(t, c, cluster, name, dep)) > 0 })
	took := time.Since(updated)
	t.Logf("the new task definition launched %s after UpdateService (the old one's delay was %s)", took, 4*firstLaunchDelay)
	if took > launchSlack {
		t.Errorf("the new task definition launched %s after UpdateService, want at once (within %s)", took, launchSlack)
	}
}

// pendingStopWithin is ECS behaviour T8's bound on stopping a service's
// PENDING tasks once their instance is DRAINING.
const pendingStopWithin = 5 * time.Second

// neverReady is a task definition whose tasks stay short of RUNNING (in
// ACTIVATING, which ECS reports among the pending): web waits for db to
// be HEALTHY, and db's first health check comes only after 300 s, ECS's
// longest interval. db exits on SIGTERM, once its shell has set its trap;
// a stop before then ends in SIGKILL at its stopTimeout, 2 s.
func neverReady() []types.ContainerDefinition {
	db := sh("db", untilStopped)
	db.StopTimeout = aws.Int32(2)
	db.HealthCheck = &types.HealthCheck{Command: []string{"CMD-SHELL", "true"}, Interval: aws.Int32(300), Timeout: aws.Int32(5), Retries: aws.Int32(1)}
	web := sh("web", untilStopped)
	web.DependsOn = []types.ContainerDependency{{ContainerName: aws.String("db"), Condition: types.ContainerConditionHealthy}}
	return []types.ContainerDefinition{db, web}
}

// TestDrainStopsPendingServiceTasksAndPlacesNothingThere is ECS behaviour
// T8's criteria that TestServiceDrainMovesReplicaTasksWithinTheBounds
// (RUNNING tasks replaced within minimumHealthyPercent, sampled every
// 100 ms) does not cover: a service's PENDING tasks on an instance set to
// DRAINING are stopped within 5 s; nothing new is placed there, though
// the service has no other instance and says it cannot place its tasks;
// its replacements go to the next ACTIVE instance to join; a standalone
// task on the instance runs on untouched. (DRAINING on a deregistered
// instance is refused: TestUpdateContainerInstancesState.)
func TestDrainStopsPendingServiceTasksAndPlacesNothingThere(t *testing.T) {
	t.Parallel()
	const desired = 2
	c := client(t)
	cluster := taskCluster(t, shared)
	first := startAgent(t, shared, cluster)
	family := uniqueName(t, "never-ready")
	registerFamily(t, shared, family, neverReady()...)
	name := uniqueName(t, "svc")
	t.Cleanup(func() {
		if t.Failed() {
			deployDump(t, c, cluster, name)
		}
	})
	createSvc(t, c, svcIn(cluster, name, family, func(in *ecs.CreateServiceInput) { in.DesiredCount = aws.Int32(desired) }))
	var pending []types.Task
	awaitf(t, "the service's tasks are ACTIVATING on the first instance, db running", func() bool {
		pending = serviceTasks(t, c, cluster, name, types.DesiredStatusRunning)
		return len(pending) == desired && !slices.ContainsFunc(pending, func(task types.Task) bool {
			return aws.ToString(task.LastStatus) != "ACTIVATING" || aws.ToString(task.ContainerInstanceArn) != first.ARN ||
				aws.ToString(containerNamed(t, task, "db").LastStatus) != "RUNNING"
		})
	})
	solo := registerFamily(t, shared, uniqueName(t, "solo"), sh("solo", untilStopped))
	standalone := aws.ToString(runTasks(t, shared, cluster, solo, 1)[0].TaskArn)
	awaitTask(t, shared, cluster, standalone, "RUNNING")

	drainedAt := time.Now()
	setInstancesState(t, c, cluster, types.ContainerInstanceStatusDraining, first.ARN)
	for _, task := range pending {
		stopped := awaitTask(t, shared, cluster, aws.ToString(task.TaskArn), "STOPPED")
		took := aws.ToTime(stopped.StoppedAt).Sub(drainedAt)
		t.Logf("pending task %s STOPPED %s after DRAINING", arnTail(aws.ToString(task.TaskArn)), took)
		if took > pendingStopWithin || stopped.StopCode != types.TaskStopCodeServiceSchedulerInitiated {
			t.Errorf("pending task %s: STOPPED %s after DRAINING, stopCode %s; want within %s, by the scheduler", arnTail(aws.ToString(task.TaskArn)), took, stopped.StopCode, pendingStopWithin)
		}
	}
	unplaced := "(service " + name + ") was unable to place a task because no container instance met all of its requirements."
	awaitf(t, "the service says it cannot place its tasks", func() bool { return hasEvent(describeSvc(t, c, cluster, name), unplaced) })

	second := startAgent(t, shared, cluster)
	awaitf(t, "the replacements are placed on the instance that joined", func() bool {
		return len(onInstance(serviceTasks(t, c, cluster, name, types.DesiredStatusRunning), second.ARN)) == desired
	})
	for _, task := range everyServiceTask(t, c, cluster, name) {
		if aws.ToTime(task.CreatedAt).After(drainedAt) && aws.ToString(task.ContainerInstanceArn) != second.ARN {
			t.Errorf("task %s was placed on %s after the drain, want only on %s", arnTail(aws.ToString(task.TaskArn)), aws.ToString(task.ContainerInstanceArn), second.ARN)
		}
	}
	if got := describeTask(t, shared, cluster, standalone); aws.ToString(got.LastStatus) != "RUNNING" || aws.ToString(got.DesiredStatus) != "RUNNING" {
		t.Errorf("the standalone task on the draining instance is %s (desired %s), want RUNNING", aws.ToString(got.LastStatus), aws.ToString(got.DesiredStatus))
	}
}
