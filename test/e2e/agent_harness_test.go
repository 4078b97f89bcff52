package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

const (
	// testImage is built locally by scripts/ensure-docker.sh; no registry
	// is reachable from the test machines.
	testImage = "berth-test/busybox:latest"
	// convergeTimeout bounds every wait for tasks and agents to reach a
	// state: Docker starts a busybox container in well under a second, so
	// seconds mean something is wrong.
	convergeTimeout = 45 * time.Second
	// pollInterval paces polling a process the test does not control.
	pollInterval = 25 * time.Millisecond
)

// agentProc is a 'berth agent' process under test.
type agentProc struct {
	t       testing.TB
	srv     *server
	dataDir string
	args    []string
	cmd     *exec.Cmd
	log     *bytes.Buffer
	exited  chan struct{}
	arn     string
}

// startAgent runs an agent joined to cluster on srv, offering 2 cores and
// 2 GiB unless args say otherwise. The test's end stops it and removes
// every container it made.
func startAgent(t testing.TB, srv *server, cluster string, args ...string) *agentProc {
	t.Helper()
	a := &agentProc{t: t, srv: srv, dataDir: t.TempDir()}
	a.args = append([]string{"agent", "--server", srv.url(), "--cluster", cluster, "--data-dir", a.dataDir,
		"--credentials", filepath.Join(srv.dataDir, "test-credentials"), "--cpu", "2", "--memory", "2048",
		"--host-ip", "127.0.0.1"}, args...)
	a.start()
	t.Cleanup(func() {
		a.stop()
		removeContainers(a.arn)
		if t.Failed() {
			t.Logf("agent log:\n%s", tail(a.log.String(), 60))
		}
	})
	return a
}

func (a *agentProc) start() {
	a.t.Helper()
	a.log = &bytes.Buffer{}
	a.cmd = exec.Command(berthBin, a.args...)
	a.cmd.Stdout, a.cmd.Stderr = a.log, a.log
	a.cmd.Env = append(os.Environ(), "GORACE=halt_on_error=1")
	if err := a.cmd.Start(); err != nil {
		a.t.Fatal(err)
	}
	a.exited = make(chan struct{})
	go func() { _ = a.cmd.Wait(); close(a.exited) }()
	a.arn = a.awaitIdentity()
	a.awaitConnected(true)
}

// awaitIdentity waits for the agent to save its identity and returns its
// instance ARN.
func (a *agentProc) awaitIdentity() string {
	a.t.Helper()
	var arn string
	awaitf(a.t, "the agent registers", func() bool {
		select {
		case <-a.exited:
			a.t.Fatalf("agent exited during start-up:\n%s", a.log)
		default:
		}
		raw, err := os.ReadFile(filepath.Join(a.dataDir, "identity.json"))
		var id struct {
			ARN string `json:"containerInstanceArn"`
		}
		if err != nil || json.Unmarshal(raw, &id) != nil {
			return false
		}
		arn = id.ARN
		return arn != ""
	})
	return arn
}

func (a *agentProc) instance() types.ContainerInstance {
	a.t.Helper()
	parts := strings.Split(a.arn, "/")
	out, err := clientFor(a.t, a.srv).DescribeContainerInstances(ctx(a.t), &ecs.DescribeContainerInstancesInput{
		Cluster: aws.String(parts[1]), ContainerInstances: []string{a.arn}})
	if err != nil || len(out.ContainerInstances) != 1 {
		a.t.Fatalf("describe instance %s: %v %+v", a.arn, err, out)
	}
	return out.ContainerInstances[0]
}

func (a *agentProc) awaitConnected(want bool) {
	a.t.Helper()
	awaitf(a.t, fmt.Sprintf("agentConnected is %v", want), func() bool { return a.instance().AgentConnected == want })
}

func (a *agentProc) kill() {
	_ = a.cmd.Process.Signal(syscall.SIGKILL)
	<-a.exited
}

func (a *agentProc) stop() {
	select {
	case <-a.exited:
		return
	default:
	}
	_ = a.cmd.Process.Signal(syscall.SIGCONT) // in case a test froze it
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.exited:
	case <-time.After(stopTimeout):
		a.kill()
	}
}

func (a *agentProc) signal(sig syscall.Signal) {
	if err := a.cmd.Process.Signal(sig); err != nil {
		a.t.Fatal(err)
	}
}

// awaitf polls cond until it holds, failing the test after
// convergeTimeout.
func awaitf(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(convergeTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", convergeTimeout, what)
		}
		time.Sleep(pollInterval)
	}
}

// docker runs the docker CLI and returns its trimmed output.
func docker(args ...string) (string, error) {
	out, err := exec.Command("docker", args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// removeContainers removes every container labelled for an instance.
func removeContainers(instanceARN string) {
	if instanceARN == "" {
		return
	}
	ids, err := docker("ps", "-aq", "--filter", "label=com.berth.instance-arn="+instanceARN)
	if err != nil || ids == "" {
		return
	}
	_, _ = docker(append([]string{"rm", "-f", "-v"}, strings.Fields(ids)...)...)
}

// containerState is what docker inspect says about a container.
type containerState struct {
	Pid          int
	RestartCount int
	StartedAt    time.Time
	Running      bool
}

func inspectContainer(t testing.TB, id string) containerState {
	t.Helper()
	out, err := docker("inspect", "--format", "{{.State.Pid}} {{.RestartCount}} {{.State.StartedAt}} {{.State.Running}}", id)
	if err != nil {
		t.Fatalf("docker inspect %s: %v: %s", id, err, out)
	}
	f := strings.Fields(out)
	pid, _ := strconv.Atoi(f[0])
	restarts, _ := strconv.Atoi(f[1])
	started, _ := time.Parse(time.RFC3339Nano, f[2])
	return containerState{Pid: pid, RestartCount: restarts, StartedAt: started, Running: f[3] == "true"}
}

// taskCluster makes a cluster for one test on srv and returns its name.
func taskCluster(t testing.TB, srv *server) string {
	t.Helper()
	name := uniqueName(t, "tasks")
	if _, err := clientFor(t, srv).CreateCluster(ctx(t), &ecs.CreateClusterInput{ClusterName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	return name
}

// registerFamily registers a family with the given containers (image
// testImage unless set) and returns its ARN.
func registerFamily(t testing.TB, srv *server, family string, containers ...types.ContainerDefinition) string {
	t.Helper()
	for i := range containers {
		containers[i] = withDefaults(containers[i])
	}
	out, err := clientFor(t, srv).RegisterTaskDefinition(ctx(t), &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(family), ContainerDefinitions: containers})
	if err != nil {
		t.Fatal(err)
	}
	return *out.TaskDefinition.TaskDefinitionArn
}

// sh is a container running a shell command.
func sh(name, script string) types.ContainerDefinition {
	return types.ContainerDefinition{Name: aws.String(name), Command: []string{"sh", "-c", script}}
}

// runTasks runs count tasks and fails the test on any failure.
func runTasks(t testing.TB, srv *server, cluster, taskDef string, count int32, opts ...func(*ecs.RunTaskInput)) []types.Task {
	t.Helper()
	in := &ecs.RunTaskInput{Cluster: aws.String(cluster), TaskDefinition: aws.String(taskDef), Count: aws.Int32(count)}
	for _, o := range opts {
		o(in)
	}
	out, err := clientFor(t, srv).RunTask(ctx(t), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Failures) > 0 || len(out.Tasks) != int(count) {
		t.Fatalf("RunTask placed %d of %d; failures: %s", len(out.Tasks), count, dump(out.Failures))
	}
	return out.Tasks
}

func describeTask(t testing.TB, srv *server, cluster, taskARN string) types.Task {
	t.Helper()
	out, err := clientFor(t, srv).DescribeTasks(ctx(t), &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{taskARN}})
	if err != nil || len(out.Tasks) != 1 {
		t.Fatalf("describe task %s: %v %s", taskARN, err, dump(out))
	}
	return out.Tasks[0]
}

// awaitTask waits until the task's lastStatus is want and returns it.
func awaitTask(t testing.TB, srv *server, cluster, taskARN, want string) types.Task {
	t.Helper()
	var task types.Task
	awaitf(t, "task "+taskARN+" is "+want, func() bool {
		task = describeTask(t, srv, cluster, taskARN)
		if want != "STOPPED" && aws.ToString(task.LastStatus) == "STOPPED" {
			t.Fatalf("task stopped while waiting for %s: %s", want, dump(task))
		}
		return aws.ToString(task.LastStatus) == want
	})
	return task
}

func stopTask(t testing.TB, srv *server, cluster, taskARN, reason string) {
	t.Helper()
	_, err := clientFor(t, srv).StopTask(ctx(t), &ecs.StopTaskInput{Cluster: aws.String(cluster), Task: aws.String(taskARN), Reason: aws.String(reason)})
	if err != nil {
		t.Fatal(err)
	}
}

func containerNamed(t testing.TB, task types.Task, name string) types.Container {
	t.Helper()
	for _, c := range task.Containers {
		if aws.ToString(c.Name) == name {
			return c
		}
	}
	t.Fatalf("task has no container %s: %s", name, dump(task))
	return types.Container{}
}

var errNoBinding = errors.New("no network binding")

// hostPort is the host port a container's first binding published.
func hostPort(c types.Container) (int32, error) {
	if len(c.NetworkBindings) == 0 {
		return 0, errNoBinding
	}
	return aws.ToInt32(c.NetworkBindings[0].HostPort), nil
}

// withDefaults gives a container the test image and 64 MiB unless it says
// otherwise.
func withDefaults(c types.ContainerDefinition) types.ContainerDefinition {
	if c.Image == nil {
		c.Image = aws.String(testImage)
	}
	if c.Memory == nil && c.MemoryReservation == nil {
		c.Memory = aws.Int32(64)
	}
	return c
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}
