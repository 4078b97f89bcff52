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

// stopSlack is T4's tolerance on stop timings: ±1 s.
const stopSlack = time.Second

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
// SIGKILL only at its stopTimeout. A container that handles SIGTERM and
// exits 1 s later gets no SIGKILL (the default stopTimeout is 30 s); one
// that ignores it gets SIGKILL at its stopTimeout (3 s here), ±1 s.
func TestStopTaskSignalsThenKills(t *testing.T) {
	t.Parallel()
	cluster := taskCluster(t, shared)
	engine := watchEngine(t, startAgent(t, shared, cluster))
	buildStopSignalImage(t)
	stubborn := sh("app", termIgnored)
	stubborn.StopTimeout = aws.Int32(3)
	usr1 := sh("app", "trap 'exit 0' USR1; trap 'exit 7' TERM; "+idle)
	usr1.Image = aws.String(stopSignalImage)
	usr1.StopTimeout = aws.Int32(10)
	cases := []struct {
		name     string
		def      types.ContainerDefinition
		signal   int // the stop signal
		exitCode int32
		killAt   time.Duration // when SIGKILL must come after the stop signal; 0: never
	}{
		{"a container that handles SIGTERM and exits 1 s later gets no SIGKILL", sh("app", termExitsAfter1s), sigTERM, 0, 0},
		{"one that ignores SIGTERM gets SIGKILL at its stopTimeout", stubborn, sigTERM, 137, 3 * time.Second},
		{"the STOPSIGNAL of the image is sent instead of SIGTERM", usr1, sigUSR1, 0, 0},
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
			if c := containerNamed(t, task, "app"); aws.ToInt32(c.ExitCode) != tc.exitCode {
				t.Errorf("exit code = %d, want %d", aws.ToInt32(c.ExitCode), tc.exitCode)
			}
			evs := engine.exits(arn, "app")["app"]
			first, _ := evs.first("kill", 0)
			if first.Signal != tc.signal {
				t.Fatalf("the first signal was %d, want %d: %+v", first.Signal, tc.signal, evs)
			}
			t.Logf("exited %s after its stop signal", evs.at(t, "die", 0).Sub(first.At))
			kill, killed := evs.first("kill", sigKILL)
			if killed {
				t.Logf("SIGKILL %s after its stop signal", kill.At.Sub(first.At))
			}
			switch {
			case tc.killAt == 0 && killed:
				t.Errorf("SIGKILL %s after the stop signal, want none", kill.At.Sub(first.At))
			case tc.killAt > 0 && !killed:
				t.Errorf("no SIGKILL, want one at %s", tc.killAt)
			case tc.killAt > 0 && !within(kill.At.Sub(first.At), tc.killAt, tc.killAt+stopSlack):
				t.Errorf("SIGKILL %s after the stop signal, want at stopTimeout %s (+1 s at most, never before)", kill.At.Sub(first.At), tc.killAt)
			}
		})
	}
}

// TestStopTaskStopsDependentsFirst is T4's last criterion: shutdown
// reverses dependsOn. app depends on db; on StopTask, db gets its stop
// signal only once app has exited, although app takes a second over it
// and db would exit at once.
func TestStopTaskStopsDependentsFirst(t *testing.T) {
	t.Parallel()
	cluster := taskCluster(t, shared)
	engine := watchEngine(t, startAgent(t, shared, cluster))
	app := sh("app", termExitsAfter1s)
	app.DependsOn = []types.ContainerDependency{{ContainerName: aws.String("db"), Condition: types.ContainerConditionStart}}
	td := registerFamily(t, shared, uniqueName(t, "order"), sh("db", termExits), app)
	arn := aws.ToString(runTasks(t, shared, cluster, td, 1)[0].TaskArn)
	awaitTask(t, shared, cluster, arn, "RUNNING")

	stopTask(t, shared, cluster, arn, "test stop")
	task := awaitTask(t, shared, cluster, arn, "STOPPED")
	evs := engine.exits(arn, "app", "db")
	appSignalled, appExited := evs["app"].at(t, "kill", sigTERM), evs["app"].at(t, "die", 0)
	dbSignalled, dbExited := evs["db"].at(t, "kill", sigTERM), evs["db"].at(t, "die", 0)
	t.Logf("app SIGTERM at +0, exit at %s; db SIGTERM at %s, exit at %s", appExited.Sub(appSignalled), dbSignalled.Sub(appSignalled), dbExited.Sub(appSignalled))
	if d := dbSignalled.Sub(appExited); !within(d, 0, time.Second) {
		t.Errorf("db got its SIGTERM %s after app exited, want after it, within 1 s", d)
	}
	for _, name := range []string{"app", "db"} {
		if code := aws.ToInt32(containerNamed(t, task, name).ExitCode); code != 0 {
			t.Errorf("%s exit code = %d, want 0 (it exited on its stop signal)", name, code)
		}
	}
}
