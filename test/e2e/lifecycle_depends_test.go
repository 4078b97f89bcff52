package e2e

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// dependsReaction bounds how long after its last condition holds a
// dependent container starts. Docker reports the dependency's start, exit
// or health at once and the agent starts the container on that event,
// typically within half a second; but each engine call on the way (an
// inspect of every container, the start itself, which sets up a network
// namespace) takes seconds when Docker is busy with other tests. The
// bound tells an agent that acts on the event from one that would notice
// only at its next timer, the dependency's startTimeout (3 min here).
const dependsReaction = 10 * time.Second

// TestDependsOnConditionsHoldAtStart is ECS behaviour T5's orderings, from
// Docker's own timestamps: a container waiting on START starts after its
// dependency started, on COMPLETE after it exited (whatever the code), on
// SUCCESS after it exited 0, on HEALTHY after its first passing health
// check; and it starts promptly once the last of its conditions holds.
func TestDependsOnConditionsHoldAtStart(t *testing.T) {
	t.Parallel()
	cluster := taskCluster(t, shared)
	startAgent(t, shared, cluster)
	setup := sh("init", "sleep 1; exit 0")
	setup.Essential = aws.Bool(false)
	failing := sh("failing", "sleep 1; exit 1")
	failing.Essential = aws.Bool(false)
	db := sh("db", "sleep 1; touch /tmp/ready; "+untilStopped)
	db.HealthCheck = &types.HealthCheck{Command: []string{"CMD-SHELL", "test -f /tmp/ready"}, Interval: aws.Int32(5), Retries: aws.Int32(3), Timeout: aws.Int32(5)}
	sidecar := sh("sidecar", untilStopped)
	sidecar.DependsOn = []types.ContainerDependency{{ContainerName: aws.String("db"), Condition: types.ContainerConditionStart}}
	web := sh("web", untilStopped)
	web.DependsOn = []types.ContainerDependency{
		{ContainerName: aws.String("init"), Condition: types.ContainerConditionSuccess},
		{ContainerName: aws.String("failing"), Condition: types.ContainerConditionComplete},
		{ContainerName: aws.String("db"), Condition: types.ContainerConditionHealthy},
	}
	td := registerFamily(t, shared, uniqueName(t, "deps"), setup, failing, db, sidecar, web)
	task := runTasks(t, shared, cluster, td, 1)[0]
	task = awaitTask(t, shared, cluster, aws.ToString(task.TaskArn), "RUNNING")
	life := map[string]containerLife{}
	for _, name := range []string{"init", "failing", "db", "sidecar", "web"} {
		life[name] = lifeOf(t, aws.ToString(containerNamed(t, task, name).RuntimeId))
	}
	if life["init"].ExitCode != 0 || life["failing"].ExitCode != 1 || life["db"].HealthyAt.IsZero() {
		t.Fatalf("init exited %d, failing %d, db healthy at %s; want 0, 1 and a passing check", life["init"].ExitCode, life["failing"].ExitCode, life["db"].HealthyAt)
	}

	cases := []struct {
		condition, dependent, dependency string
		held                             time.Time // when the condition came to hold
	}{
		{"START", "sidecar", "db", life["db"].Started},
		{"SUCCESS", "web", "init", life["init"].Finished},
		{"COMPLETE", "web", "failing", life["failing"].Finished},
		{"HEALTHY", "web", "db", life["db"].HealthyAt},
	}
	last := map[string]time.Time{} // by dependent: when its last condition held
	for _, tc := range cases {
		t.Run(tc.condition, func(t *testing.T) {
			started := life[tc.dependent].Started
			t.Logf("%s started %s after %s's %s held", tc.dependent, started.Sub(tc.held), tc.dependency, tc.condition)
			if started.Before(tc.held) {
				t.Errorf("%s started at %s, before %s's %s condition held at %s", tc.dependent, started.Format(time.StampMicro), tc.dependency, tc.condition, tc.held.Format(time.StampMicro))
			}
		})
		if tc.held.After(last[tc.dependent]) {
			last[tc.dependent] = tc.held
		}
	}
	for dependent, held := range last {
		if d := life[dependent].Started.Sub(held); d > dependsReaction {
			t.Errorf("%s started %s after its last condition held, want within %s", dependent, d, dependsReaction)
		}
	}
}

// TestDependsOnThatCannotHoldStopsTheTask is the rest of ECS behaviour T5:
// a dependency that does not reach its condition within its startTimeout
// (±1 s, counted from its start), or a SUCCESS dependency that exits 1,
// stops the task before the dependent ever starts.
func TestDependsOnThatCannotHoldStopsTheTask(t *testing.T) {
	t.Parallel()
	const startTimeout = 3 * time.Second
	cluster := taskCluster(t, shared)
	engine := watchEngine(t, startAgent(t, shared, cluster))
	cases := []struct {
		name      string
		init      types.ContainerDefinition // what web waits for
		condition types.ContainerCondition
		reason    string
		timeout   time.Duration // when init's start to its stop signal is the measure; 0: not timed
	}{
		{
			name: "a dependency past its startTimeout", init: sh("init", termExits), condition: types.ContainerConditionComplete,
			reason:  "Dependency container init did not reach its COMPLETE condition within its startTimeout of 3s, so web was not started.",
			timeout: startTimeout,
		},
		{
			name: "a SUCCESS dependency exiting 1", init: sh("init", "sleep 1; exit 1"), condition: types.ContainerConditionSuccess,
			reason: "Dependency container init exited with a non-zero code, so web was not started.",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.init.Essential = aws.Bool(false)
			tc.init.StartTimeout = aws.Int32(int32(startTimeout / time.Second))
			web := sh("web", untilStopped)
			web.DependsOn = []types.ContainerDependency{{ContainerName: aws.String("init"), Condition: tc.condition}}
			td := registerFamily(t, shared, uniqueName(t, "deps"), tc.init, web)
			task := runTasks(t, shared, cluster, td, 1)[0]
			task = awaitTask(t, shared, cluster, aws.ToString(task.TaskArn), "STOPPED")

			if task.StopCode != types.TaskStopCodeTaskFailedToStart || aws.ToString(task.StoppedReason) != tc.reason {
				t.Errorf("stopCode %q, stoppedReason %q; want TaskFailedToStart, %q", task.StopCode, aws.ToString(task.StoppedReason), tc.reason)
			}
			w := containerNamed(t, task, "web")
			if w.ExitCode != nil || lifeOf(t, aws.ToString(w.RuntimeId)).started() {
				t.Errorf("web: %s, started by Docker: %v; want never started", dump(w), lifeOf(t, aws.ToString(w.RuntimeId)).started())
			}
			if tc.timeout == 0 {
				return
			}
			evs := engine.exits(aws.ToString(task.TaskArn), "init")["init"]
			gaveUp := evs.at(t, "kill", sigTERM).Sub(evs.at(t, "start", 0))
			t.Logf("the task gave up on init %s after it started (startTimeout %s)", gaveUp, tc.timeout)
			if !within(gaveUp, tc.timeout, tc.timeout+time.Second) {
				t.Errorf("the task gave up on init %s after it started, want at its startTimeout %s (+1 s at most, never before)", gaveUp, tc.timeout)
			}
		})
	}
}
