package e2e

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// TestEssentialExitSignalsEveryOtherContainerAtOnce is ECS behaviour T3:
// when an essential container exits, every other container of the task
// gets its stop signal within 1 s of that exit, all of them together (one
// that ignores the signal does not hold the others back), and SIGKILL
// only at its own stopTimeout; the task stops with stopCode
// EssentialContainerExited, stoppedReason "Essential container in task
// exited", and the exit code recorded. (A non-essential exit leaves the
// task RUNNING: TestNonEssentialExitLeavesTheTaskRunning.)
func TestEssentialExitSignalsEveryOtherContainerAtOnce(t *testing.T) {
	t.Parallel()
	const (
		signalWithin = time.Second     // T3's bound on the stop signal
		stopTimeout  = 3 * time.Second // the stubborn container's
	)
	cluster := taskCluster(t, shared)
	engine := watchEngine(t, startAgent(t, shared, cluster))
	graceful := sh("graceful", termExits)
	graceful.StopTimeout = aws.Int32(20)
	stubborn := sh("stubborn", termIgnored)
	stubborn.StopTimeout = aws.Int32(int32(stopTimeout / time.Second))
	stubborn.Essential = aws.Bool(false)
	// stubborn is last: an agent that stops one container after another,
	// last first, would signal graceful only once stubborn is dead.
	td := registerFamily(t, shared, uniqueName(t, "essential"), sh("main", "sleep 2; exit 3"), graceful, stubborn)
	arn := aws.ToString(runTasks(t, shared, cluster, td, 1)[0].TaskArn)
	task := awaitTask(t, shared, cluster, arn, "STOPPED")

	if task.StopCode != types.TaskStopCodeEssentialContainerExited || aws.ToString(task.StoppedReason) != "Essential container in task exited" {
		t.Errorf("stopCode %q, stoppedReason %q; want EssentialContainerExited, %q", task.StopCode, aws.ToString(task.StoppedReason), "Essential container in task exited")
	}
	for name, want := range map[string]int32{"main": 3, "graceful": 0, "stubborn": 137} {
		if c := containerNamed(t, task, name); aws.ToString(c.LastStatus) != "STOPPED" || c.ExitCode == nil || *c.ExitCode != want {
			t.Errorf("container %s: %s, want STOPPED with exit code %d", name, dump(c), want)
		}
	}
	evs := engine.exits(arn, "main", "graceful", "stubborn")
	exited := evs["main"].at(t, "die", 0)
	for _, name := range []string{"graceful", "stubborn"} {
		d := evs[name].at(t, "kill", sigTERM).Sub(exited)
		t.Logf("%s: SIGTERM %s after the essential container's exit", name, d)
		if !within(d, 0, signalWithin) {
			t.Errorf("%s got its SIGTERM %s after the essential container exited, want within %s", name, d, signalWithin)
		}
	}
	if kill, ok := evs["graceful"].first("kill", sigKILL); ok {
		t.Errorf("graceful, which exits on SIGTERM, got SIGKILL at %s", kill.At)
	}
	killedAfter := evs["stubborn"].at(t, "kill", sigKILL).Sub(evs["stubborn"].at(t, "kill", sigTERM))
	t.Logf("stubborn: SIGKILL %s after its SIGTERM (stopTimeout %s)", killedAfter, stopTimeout)
	if !within(killedAfter, stopTimeout, stopTimeout+time.Second) {
		t.Errorf("stubborn got SIGKILL %s after its SIGTERM, want at its stopTimeout %s (+1 s at most, never before)", killedAfter, stopTimeout)
	}
}
