//go:build chaos

package chaos

// A7: the Docker Engine under an agent restarts. The test runs an engine
// of its own (its own data root, exec root, socket and bridge) so that
// restarting it disturbs no other test's containers.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/berth-org/berth/test/harness"
)

const (
	// engineTimeout bounds a private engine's start and stop: dockerd 20.10
	// starts in a second or two, and stops its containers with a 10 s
	// grace when live-restore is off.
	engineTimeout = 45 * time.Second
	// a7Report is the scenario's bound for the agent to be back on the
	// engine and to have reported what the restart did to its tasks.
	a7Report = 10 * time.Second
)

// engine is a private Docker Engine.
type engine struct {
	dir  string
	args []string
	proc *harness.Proc
}

// startEngine runs a private dockerd under dir, with the test image loaded
// into it; the test's end stops it.
func startEngine(t *testing.T, liveRestore bool) *engine {
	t.Helper()
	dir := t.TempDir()
	bridge := privateBridge(t)
	e := &engine{dir: dir, args: []string{"--data-root", filepath.Join(dir, "root"), "--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "pid"), "-H", "unix://" + filepath.Join(dir, "sock"), "--bridge", bridge, "--iptables=false", "--ip-masq=false"}}
	if liveRestore {
		e.args = append(e.args, "--live-restore")
	}
	e.start(t)
	t.Cleanup(func() {
		if out, err := e.docker("ps", "-aq"); err == nil && out != "" {
			_, _ = e.docker(append([]string{"rm", "-f"}, strings.Fields(out)...)...)
		}
		e.stop(t)
		unmountUnder(dir)
	})
	load := exec.Command("sh", "-c", fmt.Sprintf("docker save %s | docker -H %s load", harness.TestImage, e.host()))
	if out, err := load.CombinedOutput(); err != nil {
		t.Fatalf("load the test image into the private engine: %v: %s", err, out)
	}
	return e
}

// a7Bridge is the private engine's bridge, on a subnet of its own. It
// must not be "none": dockerd started with --bridge=none deletes the
// machine's docker0, which the main engine's containers need.
const (
	a7Bridge = "berth-a7"
	a7Subnet = "10.213.7.1/24"
)

// privateBridge makes the private engine's bridge; the test's end removes
// it.
func privateBridge(t *testing.T) string {
	t.Helper()
	_ = exec.Command("ip", "link", "del", a7Bridge).Run() // left by a killed run
	for _, args := range [][]string{{"link", "add", a7Bridge, "type", "bridge"}, {"addr", "add", a7Subnet, "dev", a7Bridge}, {"link", "set", a7Bridge, "up"}} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", a7Bridge).Run() })
	return a7Bridge
}

func (e *engine) host() string { return "unix://" + filepath.Join(e.dir, "sock") }

func (e *engine) docker(args ...string) (string, error) {
	return harness.Docker(append([]string{"-H", e.host()}, args...)...)
}

func (e *engine) start(t *testing.T) {
	t.Helper()
	p, err := harness.Spawn("dockerd", e.args...)
	if err != nil {
		t.Fatal(err)
	}
	e.proc = p
	await(t, engineTimeout, "the private engine answers", func() bool {
		_, err := e.docker("info")
		return err == nil
	})
}

func (e *engine) stop(t *testing.T) {
	t.Helper()
	if !e.proc.Running() {
		return
	}
	e.proc.Signal(syscall.SIGTERM)
	select {
	case <-e.proc.Exited:
	case <-time.After(engineTimeout):
		e.proc.Kill()
		t.Errorf("the private engine did not stop within %s", engineTimeout)
	}
}

// unmountUnder detaches whatever dockerd left mounted under dir (its
// data root's overlay mounts, netns files), deepest first, so that the
// test's temporary directory can be removed.
func unmountUnder(dir string) {
	raw, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return
	}
	var points []string
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) > 1 && strings.HasPrefix(f[1], dir) {
			points = append(points, f[1])
		}
	}
	slices.SortFunc(points, func(a, b string) int { return len(b) - len(a) })
	for _, p := range points {
		_ = syscall.Unmount(p, syscall.MNT_DETACH)
	}
}

// pids maps each running container of the engine to its main process.
func (e *engine) pids(t *testing.T) map[string]string {
	t.Helper()
	out, err := e.docker("ps", "-q")
	if err != nil {
		t.Fatal(err)
	}
	pids := map[string]string{}
	for _, id := range strings.Fields(out) {
		pid, err := e.docker("inspect", "--format", "{{.State.Pid}} {{.RestartCount}}", id)
		if err != nil {
			t.Fatal(err)
		}
		pids[id] = pid
	}
	return pids
}

func TestA7DockerEngineRestart(t *testing.T) {
	for _, liveRestore := range []bool{true, false} {
		t.Run(fmt.Sprintf("live-restore %v", liveRestore), func(t *testing.T) {
			e := startEngine(t, liveRestore)
			srv := startServer(t, dataDir(t))
			c := srv.Client(1)
			cluster := createCluster(t, c)
			startAgent(t, srv, cluster, "--docker-host", e.host())
			family := uniqueName("a7")
			in := sleeper(family)
			register(t, c, in)
			createService(t, c, cluster, "web", family, 2)
			awaitRunning(t, c, cluster, "web", 2, harness.ConvergeTimeout)
			before := serviceTasks(t, c, cluster, "web")
			pids := e.pids(t)

			down := time.Now()
			e.stop(t)
			e.start(t)
			if liveRestore {
				a7LiveRestore(t, e, c, cluster, family, pids, before, time.Now())
			} else {
				a7Restarted(t, c, cluster, before, down, time.Now())
			}
		})
	}
}

// a7LiveRestore: the containers kept running through the restart, the
// tasks are untouched, and the agent runs a new task on the engine.
func a7LiveRestore(t *testing.T, e *engine, c *ecs.Client, cluster, family string, pids map[string]string, before []types.Task, back time.Time) {
	t.Helper()
	after := e.pids(t)
	for id, pid := range pids {
		if after[id] != pid {
			t.Errorf("container %s was pid/restarts %q, is %q after the engine's restart", id, pid, after[id])
		}
	}
	run, err := c.RunTask(ctx(t), &ecs.RunTaskInput{Cluster: aws.String(cluster), TaskDefinition: aws.String(family)})
	if err != nil || len(run.Tasks) != 1 {
		t.Fatalf("RunTask after the engine's restart: %v %v", err, run)
	}
	arn := aws.ToString(run.Tasks[0].TaskArn)
	await(t, a7Report, "a task run after the engine's restart is RUNNING", func() bool {
		return aws.ToString(describeTasks(t, c, cluster, []string{arn})[0].LastStatus) == "RUNNING"
	})
	newTask := time.Since(back)
	if got := fingerprint(serviceTasks(t, c, cluster, "web")); got != fingerprint(before) {
		t.Errorf("the service's tasks changed:\nbefore %s\nafter  %s", fingerprint(before), got)
	}
	figure(t, "A7", "live_restore", true, "containers_kept", len(pids), "new_task_running_after", newTask.Round(time.Millisecond))
}

// a7Restarted: without live-restore the engine stopped the containers as
// it went down; the agent reports their tasks STOPPED within the bound of
// the restart's start, and the service replaces them.
func a7Restarted(t *testing.T, c *ecs.Client, cluster string, before []types.Task, down, back time.Time) {
	t.Helper()
	var arns []string
	for _, task := range before {
		arns = append(arns, aws.ToString(task.TaskArn))
	}
	await(t, engineTimeout+a7Report, "the tasks whose containers the restart stopped are STOPPED", func() bool {
		for _, task := range describeTasks(t, c, cluster, arns) {
			if aws.ToString(task.LastStatus) != "STOPPED" {
				return false
			}
		}
		return true
	})
	reported := time.Since(down)
	if late := time.Since(back); late > a7Report {
		t.Errorf("the stopped tasks were reported %s after the engine was back, over %s", late, a7Report)
	}
	awaitRunning(t, c, cluster, "web", 2, harness.ConvergeTimeout)
	figure(t, "A7", "live_restore", false, "stopped_reported_after_restart_began", reported.Round(time.Millisecond), "replaced_after", time.Since(down).Round(time.Millisecond))
}
