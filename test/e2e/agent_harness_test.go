package e2e

import (
	"errors"
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
	testImage       = harness.TestImage
	convergeTimeout = harness.ConvergeTimeout
	pollInterval    = harness.PollInterval
)

// agentProc is a 'berth agent' process under test (see harness.Agent),
// failing its test instead of returning errors.
type agentProc struct {
	*harness.Agent
	t   testing.TB
	srv *server
}

// startAgent runs an agent joined to cluster on srv, offering 2 cores and
// 2 GiB unless args say otherwise. The test's end stops it and removes
// every container it made.
func startAgent(t testing.TB, srv *server, cluster string, args ...string) *agentProc {
	t.Helper()
	a := &agentProc{Agent: harness.NewAgent(berthBin, srv.Server, cluster, t.TempDir(), args...), t: t, srv: srv}
	a.start()
	t.Cleanup(func() {
		a.stop()
		removeContainers(a.ARN)
		if t.Failed() {
			t.Logf("agent log:\n%s", a.Log.Tail(60))
		}
	})
	return a
}

// start runs the agent and waits until it is registered and connected.
func (a *agentProc) start() {
	a.t.Helper()
	if err := a.Start(); err != nil {
		a.t.Fatal(err)
	}
	a.awaitConnected(true)
}

func (a *agentProc) instance() types.ContainerInstance {
	a.t.Helper()
	parts := strings.Split(a.ARN, "/")
	out, err := clientFor(a.t, a.srv).DescribeContainerInstances(ctx(a.t), &ecs.DescribeContainerInstancesInput{
		Cluster: aws.String(parts[1]), ContainerInstances: []string{a.ARN}})
	if err != nil || len(out.ContainerInstances) != 1 {
		a.t.Fatalf("describe instance %s: %v %+v", a.ARN, err, out)
	}
	return out.ContainerInstances[0]
}

func (a *agentProc) awaitConnected(want bool) {
	a.t.Helper()
	if err := a.AwaitConnected(clientFor(a.t, a.srv), want); err != nil {
		a.t.Fatal(err)
	}
}

func (a *agentProc) kill() { a.Kill() }

func (a *agentProc) stop() { _ = a.Stop() }

func (a *agentProc) signal(sig syscall.Signal) {
	if !a.Running() {
		a.t.Fatalf("signal %v: the agent has exited", sig)
	}
	a.Signal(sig)
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
func docker(args ...string) (string, error) { return harness.Docker(args...) }

// removeContainers removes every container labelled for an instance.
func removeContainers(instanceARN string) { harness.RemoveContainers(instanceARN) }

// containerState is what docker inspect says about a container.
type containerState = harness.ContainerState

func inspectContainer(t testing.TB, id string) containerState {
	t.Helper()
	st, err := harness.Inspect(id)
	if err != nil {
		t.Fatal(err)
	}
	return st
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
func tail(s string, n int) string { return harness.Tail(s, n) }
