package e2e

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// stopSignalImage is testImage with STOPSIGNAL SIGUSR1. It is built from
// testImage by buildStopSignalImage, without a registry, and kept:
// other runs of the test may be using it.
const stopSignalImage = "berth-test/busybox-stopsignal:latest"

// exitSlack is T4's tolerance on when a container exits after its stop
// signal: ±1 s. Docker stamps the exit when it has reaped the process,
// late by as much as a few hundred milliseconds on a loaded machine.
const exitSlack = time.Second

func buildStopSignalImage(t *testing.T) {
	t.Helper()
	build := exec.Command("docker", "build", "--quiet", "--tag", stopSignalImage, "-")
	build.Stdin = strings.NewReader("FROM " + testImage + "\nSTOPSIGNAL SIGUSR1\n")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("docker build %s: %v: %s", stopSignalImage, err, out)
	}
}

// TestStopTaskSignalsThenKills is ECS behaviour T4: StopTask sends each
// container its stop signal (the image's STOPSIGNAL, else SIGTERM) and
// SIGKILL only at its stopTimeout. A container that handles the signal
// and exits 1 s later is not killed (the default stopTimeout is 30 s);
// one that ignores it is killed at its stopTimeout (3 s here), ±1 s.
// Each is measured from the line the container logs on the signal to its
// exit, both on Docker's clock.
func TestStopTaskSignalsThenKills(t *testing.T) {
	t.Parallel()
	cluster := taskCluster(t, shared)
	startAgent(t, shared, cluster)
	buildStopSignalImage(t)
	graceful := sh("app", termExitsAfter1s)
	stubborn := sh("app", termIgnored)
	stubborn.StopTimeout = aws.Int32(3)
	usr1 := sh("app", "trap 'echo USR1; exit 0' USR1; trap 'echo TERM; exit 7' TERM; while true; do sleep 1 & wait; done")
	usr1.Image = aws.String(stopSignalImage)
	usr1.StopTimeout = aws.Int32(10)
	cases := []struct {
		name     string
		def      types.ContainerDefinition
		signal   string // the line the container logs on the signal it gets
		exitCode int32
		// exitAfter bounds the exit after the signal: 1 s for the graceful
		// one's own sleep, its stopTimeout for the stubborn one.
		exitMin, exitMax time.Duration
	}{
		{"a container that handles SIGTERM and exits 1 s later gets no SIGKILL", graceful, "TERM", 0, time.Second, time.Second + exitSlack},
		{"one that ignores SIGTERM gets SIGKILL at its stopTimeout", stubborn, "TERM", 137, 3*time.Second - signalSlack, 3*time.Second + exitSlack},
		{"the STOPSIGNAL of the image is sent instead of SIGTERM", usr1, "USR1", 0, 0, exitSlack},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			td := registerFamily(t, shared, uniqueName(t, "stop"), tc.def)
			arn := aws.ToString(runTasks(t, shared, cluster, td, 1)[0].TaskArn)
			awaitTask(t, shared, cluster, arn, "RUNNING")

			stopTask(t, shared, cluster, arn, "test stop")
			task := awaitTask(t, shared, cluster, arn, "STOPPED")
			if task.StopCode != types.TaskStopCodeUserInitiated || aws.ToString(task.StoppedReason) != "test stop" || task.StoppingAt == nil {
				t.Errorf("stopCode %q, reason %q, stoppingAt %v; want UserInitiated, %q and a time", task.StopCode, aws.ToString(task.StoppedReason), task.StoppingAt, "test stop")
			}
			c := containerNamed(t, task, "app")
			if aws.ToInt32(c.ExitCode) != tc.exitCode {
				t.Errorf("exit code = %d, want %d", aws.ToInt32(c.ExitCode), tc.exitCode)
			}
			id := aws.ToString(c.RuntimeId)
			exitAfter := lifeOf(t, id).Finished.Sub(loggedAt(t, id, tc.signal))
			t.Logf("exited %s after its %s", exitAfter, tc.signal)
			if !within(exitAfter, tc.exitMin, tc.exitMax) {
				t.Errorf("exited %s after its %s, want %s to %s", exitAfter, tc.signal, tc.exitMin, tc.exitMax)
			}
		})
	}
}

// TestStopTaskStopsDependentsFirst is T4's last criterion: shutdown
// reverses dependsOn. app depends on db; on StopTask, db gets its stop
// signal only after app has exited, although app takes a second over it
// and db would exit at once.
func TestStopTaskStopsDependentsFirst(t *testing.T) {
	t.Parallel()
	cluster := taskCluster(t, shared)
	startAgent(t, shared, cluster)
	app := sh("app", termExitsAfter1s)
	app.DependsOn = []types.ContainerDependency{{ContainerName: aws.String("db"), Condition: types.ContainerConditionStart}}
	td := registerFamily(t, shared, uniqueName(t, "order"), sh("db", termExits), app)
	arn := aws.ToString(runTasks(t, shared, cluster, td, 1)[0].TaskArn)
	awaitTask(t, shared, cluster, arn, "RUNNING")

	stopTask(t, shared, cluster, arn, "test stop")
	task := awaitTask(t, shared, cluster, arn, "STOPPED")
	appID, dbID := aws.ToString(containerNamed(t, task, "app").RuntimeId), aws.ToString(containerNamed(t, task, "db").RuntimeId)
	appExited, dbSignalled, dbExited := lifeOf(t, appID).Finished, loggedAt(t, dbID, "TERM"), lifeOf(t, dbID).Finished
	t.Logf("app signalled at +0, exited at %s; db signalled at %s, exited at %s", appExited.Sub(loggedAt(t, appID, "TERM")),
		dbSignalled.Sub(loggedAt(t, appID, "TERM")), dbExited.Sub(loggedAt(t, appID, "TERM")))
	if dbSignalled.Before(appExited) || !dbExited.After(appExited) {
		t.Errorf("db signalled at %s and exited at %s, app exited at %s; want db signalled after app exited",
			dbSignalled.Format(time.StampMicro), dbExited.Format(time.StampMicro), appExited.Format(time.StampMicro))
	}
	if d := dbSignalled.Sub(appExited); d > time.Second {
		t.Errorf("db signalled %s after app exited, want within 1 s", d)
	}
	for _, name := range []string{"app", "db"} {
		if code := aws.ToInt32(containerNamed(t, task, name).ExitCode); code != 0 {
			t.Errorf("%s exit code = %d, want 0 (it exited on its stop signal)", name, code)
		}
	}
}
