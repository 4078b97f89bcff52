package reconcile

import (
	"testing"
	"time"

	"github.com/berth-org/berth/internal/ecs"
)

// failedToStart is a task of depID that stopped without reaching RUNNING.
func failedToStart(id, depID string, opts ...func(*Task)) Task {
	return tk(id, depID, append([]func(*Task){stoppedTask(ecs.StopTaskFailedToStart, true)}, opts...)...)
}

// failingToStart is a task of depID its agent is stopping on its own
// before it reached RUNNING: still PENDING, with the agent's stop code,
// and desired STOPPED since the agent reported it.
func failingToStart(id, depID string) Task {
	return tk(id, depID, pendingTask, func(t *Task) { t.DesiredStatus, t.StopCode = ecs.TaskStopped, ecs.StopTaskFailedToStart })
}

const (
	failedMsg   = "event (service web) (deployment ecs-svc/2) deployment failed: tasks failed to start."
	rollbackMsg = "event (service web) rolling back to deployment ecs-svc/1."
)

// update is a rollout from web:1 (4 tasks' worth) to web:2.
func update(opts ...func(*ecs.Deployment)) []ecs.Deployment {
	return []ecs.Deployment{dep("ecs-svc/2", "web:2", opts...), dep("ecs-svc/1", "web:1", old(4))}
}

func TestCircuitBreakerTrips(t *testing.T) {
	// Four old tasks, and a new task exiting before it is healthy: with
	// failedTasks 2, the third failure of a desired-4 deployment.
	thirdFailure := cat(tasks("o", "ecs-svc/1", 4), []Task{tk("n3", "ecs-svc/2", stoppedTask(ecs.StopEssentialContainerExited, false))})
	run(t, []stepCase{{
		name: "tasks that never reach RUNNING count toward the threshold (desired 4: 3), and throttle once a step",
		in: Input{
			Service: svc(4, update(), breakerOn(false)),
			Tasks:   cat(tasks("o", "ecs-svc/1", 4), []Task{failedToStart("n1", "ecs-svc/2"), failedToStart("n2", "ecs-svc/2", createdAt(t0))}),
		},
		want: nil,
		deps: []string{
			"ecs-svc/2 PRIMARY IN_PROGRESS desired=4 running=0 pending=0 failed=2 launchFailures=1 nextLaunch=+10s",
			"ecs-svc/1 ACTIVE COMPLETED desired=4 running=4 pending=0 failed=0",
		},
		wake: "+10s",
	}, {
		name: "at the threshold the deployment fails and launches nothing more; without a COMPLETED one it stalls",
		in: Input{
			Service: svc(4, update(failedTasks(2)), breakerOn(true)),
			Tasks:   thirdFailure,
		},
		want: []string{failedMsg},
		deps: []string{
			"ecs-svc/2 PRIMARY FAILED desired=0 running=0 pending=0 failed=3",
			"ecs-svc/1 ACTIVE COMPLETED desired=4 running=4 pending=0 failed=0",
		},
	}, {
		name: "with rollback, a new PRIMARY returns to the last COMPLETED deployment",
		in: Input{
			Service:         svc(4, update(failedTasks(2)), breakerOn(true), stable("ecs-svc/1", "web:1")),
			Tasks:           thirdFailure,
			NewDeploymentID: "ecs-svc/3",
		},
		want: []string{"start 4 of ecs-svc/3 (web:1)", failedMsg, rollbackMsg},
		deps: []string{
			"ecs-svc/3 PRIMARY IN_PROGRESS desired=4 running=0 pending=0 failed=0",
			"ecs-svc/1 ACTIVE COMPLETED desired=4 running=4 pending=0 failed=0",
		},
	}, {
		name: "a rollback waits for a deployment id",
		in: Input{
			Service: svc(4, update(failedTasks(2)), breakerOn(true), stable("ecs-svc/1", "web:1")),
			Tasks:   thirdFailure,
		},
		want: []string{failedMsg},
	}, {
		name: "a failed rollback is not rolled back again",
		in: Input{
			Service: svc(4, update(failedTasks(2), func(d *ecs.Deployment) { d.Rollback = true }),
				breakerOn(true), stable("ecs-svc/1", "web:1")),
			Tasks:           thirdFailure,
			NewDeploymentID: "ecs-svc/3",
		},
		want: []string{failedMsg},
	}})
}

func TestCircuitBreakerCounts(t *testing.T) {
	// A healthy task after two failures, with resetOnHealthyTask as given.
	healthyAfterTwoFailures := func(reset bool) Input {
		return Input{
			Service: svc(4, update(failedTasks(2)), breakerOn(false),
				func(s *ecs.Service) { s.DeploymentConfiguration.CircuitBreaker.ResetOnHealthyTask = reset }),
			Tasks: cat(tasks("o", "ecs-svc/1", 4), []Task{tk("n1", "ecs-svc/2")}),
		}
	}
	run(t, []stepCase{{
		name: "tasks the scheduler or a user stopped do not count",
		in: Input{
			Service: svc(4, update(failedTasks(2)), breakerOn(false)),
			Tasks: cat(tasks("o", "ecs-svc/1", 4), []Task{
				tk("n1", "ecs-svc/2", stoppedTask(ecs.StopServiceSchedulerInitiated, true)),
				tk("n2", "ecs-svc/2", stoppedTask(ecs.StopUserInitiated, false)),
				tk("n3", "ecs-svc/2", stoppedTask("SpotInterruption", false)),
			}),
		},
		want: []string{"start 4 of ecs-svc/2 (web:2)"},
	}, {
		name: "a task failing its health checks counts (stage 2); without a future, it stops unreplaced",
		in: Input{
			Service: svc(4, update(failedTasks(2)), breakerOn(false)),
			Tasks:   cat(tasks("o", "ecs-svc/1", 4), []Task{tk("n1", "ecs-svc/2", checked(ecs.HealthUnhealthy))}),
		},
		want: []string{"stop n1: Task failed container health checks", "event (service web) (task n1) failed container health checks.", failedMsg},
	}, {
		name: "a healthy task resets the count",
		in:   healthyAfterTwoFailures(true),
		want: []string{"start 3 of ecs-svc/2 (web:2)", "stop 1 of o1 o2 o3 o4: " + scaling1},
		deps: []string{
			"ecs-svc/2 PRIMARY IN_PROGRESS desired=4 running=1 pending=0 failed=0",
			"ecs-svc/1 ACTIVE COMPLETED desired=3 running=4 pending=0 failed=0",
		},
	}, {
		name: "... unless resetOnHealthyTask is off: the count is cumulative",
		in:   healthyAfterTwoFailures(false),
		want: []string{"start 3 of ecs-svc/2 (web:2)", "stop 1 of o1 o2 o3 o4: " + scaling1},
		deps: []string{
			"ecs-svc/2 PRIMARY IN_PROGRESS desired=4 running=1 pending=0 failed=2",
			"ecs-svc/1 ACTIVE COMPLETED desired=3 running=4 pending=0 failed=0",
		},
	}, {
		name: "a task counts once, however often it is seen",
		in: Input{
			Service: svc(4, update(failedTasks(2), settledTasks("n1")), breakerOn(false)),
			Tasks:   cat(tasks("o", "ecs-svc/1", 4), []Task{failedToStart("n1", "ecs-svc/2")}),
		},
		want: []string{"start 4 of ecs-svc/2 (web:2)"},
	}, {
		name: "a disabled breaker counts but never trips",
		in: Input{
			Service: svc(4, update(failedTasks(5))),
			Tasks:   cat(tasks("o", "ecs-svc/1", 4), []Task{tk("n9", "ecs-svc/2", stoppedTask(ecs.StopEssentialContainerExited, false))}),
		},
		want: []string{"start 4 of ecs-svc/2 (web:2)"},
		deps: []string{
			"ecs-svc/2 PRIMARY IN_PROGRESS desired=4 running=0 pending=0 failed=6",
			"ecs-svc/1 ACTIVE COMPLETED desired=4 running=4 pending=0 failed=0",
		},
	}})
}

func TestThrottle(t *testing.T) {
	impaired := "event (service web) is unable to consistently start tasks successfully. " +
		"For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
	run(t, []stepCase{{
		name: "a task that never reached RUNNING holds launches for 10 s",
		in:   Input{Service: svc(1, []ecs.Deployment{v1}), Tasks: []Task{failedToStart("t1", "ecs-svc/1")}},
		want: nil,
		deps: []string{"ecs-svc/1 PRIMARY COMPLETED desired=1 running=0 pending=0 failed=1 launchFailures=1 nextLaunch=+10s"},
		wake: "+10s",
	}, {
		name: "so does one its agent is still stopping: it is not replaced before it is STOPPED",
		in:   Input{Service: svc(1, []ecs.Deployment{v1}), Tasks: []Task{failingToStart("t1", "ecs-svc/1")}},
		want: nil,
		deps: []string{"ecs-svc/1 PRIMARY COMPLETED desired=1 running=0 pending=1 failed=1 launchFailures=1 nextLaunch=+10s"},
		wake: "+10s",
	}, {
		name: "and it counts once, when it is STOPPED too",
		in: Input{
			Service: svc(1, []ecs.Deployment{dep("ecs-svc/1", "web:1", completed, failedTasks(1), settledTasks("t1"), throttled(1, t0.Add(5*time.Second)))}),
			Tasks:   []Task{failedToStart("t1", "ecs-svc/1")},
		},
		want: nil,
		deps: []string{"ecs-svc/1 PRIMARY COMPLETED desired=1 running=0 pending=0 failed=1 launchFailures=1 nextLaunch=+5s"},
	}, {
		name: "once the delay has passed the deployment launches again",
		in: Input{
			Service: svc(1, []ecs.Deployment{dep("ecs-svc/1", "web:1", completed, settledTasks("t1"), throttled(1, t0))}),
			Tasks:   []Task{failedToStart("t1", "ecs-svc/1")},
		},
		want: []string{"start 1 of ecs-svc/1 (web:1)"},
	}, {
		name: "the next failed attempt doubles the delay",
		in: Input{
			Service: svc(1, []ecs.Deployment{dep("ecs-svc/1", "web:1", completed, failedTasks(1), settledTasks("t1"), throttled(1, t0.Add(-5*time.Second)))}),
			Tasks:   []Task{failedToStart("t1", "ecs-svc/1"), failedToStart("t2", "ecs-svc/1", createdAt(t0.Add(-4*time.Second)))},
		},
		want: nil,
		deps: []string{"ecs-svc/1 PRIMARY COMPLETED desired=1 running=0 pending=0 failed=2 launchFailures=2 nextLaunch=+20s"},
	}, {
		name: "tasks of an attempt already counted do not count again",
		in: Input{
			Service: svc(2, []ecs.Deployment{dep("ecs-svc/1", "web:1", completed, settledTasks("t1"), throttled(1, t0.Add(5*time.Second)))}),
			Tasks:   []Task{failedToStart("t1", "ecs-svc/1"), failedToStart("t2", "ecs-svc/1", createdAt(t0.Add(-time.Minute)))},
		},
		want: nil,
		deps: []string{"ecs-svc/1 PRIMARY COMPLETED desired=2 running=0 pending=0 failed=1 launchFailures=1 nextLaunch=+5s"},
	}, {
		name: "the third failed attempt says the service cannot start tasks",
		in: Input{
			Service: svc(1, []ecs.Deployment{dep("ecs-svc/1", "web:1", completed, throttled(2, t0.Add(-time.Second)))}),
			Tasks:   []Task{failedToStart("t3", "ecs-svc/1", createdAt(t0.Add(-time.Second)))},
		},
		want: []string{impaired},
		deps: []string{"ecs-svc/1 PRIMARY COMPLETED desired=1 running=0 pending=0 failed=1 launchFailures=3 nextLaunch=+40s"},
	}, {
		name: "a task that reached RUNNING and exited does not throttle",
		in: Input{
			Service: svc(1, []ecs.Deployment{v1}),
			Tasks:   []Task{tk("t1", "ecs-svc/1", stoppedTask(ecs.StopEssentialContainerExited, false))},
		},
		want: []string{"start 1 of ecs-svc/1 (web:1)"},
		deps: []string{"ecs-svc/1 PRIMARY COMPLETED desired=1 running=0 pending=0 failed=1"},
	}, {
		name: "a healthy task lifts the throttle",
		in: Input{
			Service: svc(2, []ecs.Deployment{dep("ecs-svc/1", "web:1", completed, throttled(5, t0.Add(time.Minute)))}),
			Tasks:   []Task{tk("t1", "ecs-svc/1")},
		},
		want: []string{"start 1 of ecs-svc/1 (web:1)"},
	}, {
		name: "a new deployment starts unthrottled",
		in: Input{
			Service: svc(1, []ecs.Deployment{v2, dep("ecs-svc/1", "web:1", old(1), settledTasks("t1"), throttled(9, t0.Add(20*time.Minute)))}),
			Tasks:   []Task{failedToStart("t1", "ecs-svc/1")},
		},
		want: []string{"start 1 of ecs-svc/2 (web:2)"},
	}})
}
