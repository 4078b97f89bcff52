package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func TestAgentRegistersItsMachine(t *testing.T) {
	t.Parallel()
	cluster := taskCluster(t, shared)
	a := startAgent(t, shared, cluster, "--availability-zone", "us-east-1b", "--instance-type", "m5.large", "--attribute", "team=web")
	inst := a.instance()

	resources := map[string]types.Resource{}
	for _, r := range inst.RegisteredResources {
		resources[aws.ToString(r.Name)] = r
	}
	if cpu := resources["CPU"].IntegerValue; cpu != 2048 {
		t.Errorf("registered CPU = %d, want 2048 (2 cores × 1024)", cpu)
	}
	if mem := resources["MEMORY"].IntegerValue; mem != 2048 {
		t.Errorf("registered MEMORY = %d, want 2048", mem)
	}
	if ports := resources["PORTS"].StringSetValue; strings.Join(ports, ",") != "22,2375,2376,51678,51679" {
		t.Errorf("reserved PORTS = %v", ports)
	}
	attrs := map[string]string{}
	for _, at := range inst.Attributes {
		attrs[aws.ToString(at.Name)] = aws.ToString(at.Value)
	}
	for name, want := range map[string]string{
		"ecs.availability-zone": "us-east-1b", "ecs.instance-type": "m5.large", "ecs.os-type": "linux",
		"ecs.os-family": "LINUX", "team": "web",
	} {
		if attrs[name] != want {
			t.Errorf("attribute %s = %q, want %q", name, attrs[name], want)
		}
	}
	// The capabilities of what the agent runs; privileged containers only
	// with --allow-privileged.
	for _, name := range []string{"com.amazonaws.ecs.capability.docker-remote-api.1.17", "com.amazonaws.ecs.capability.docker-remote-api.1.29",
		"com.amazonaws.ecs.capability.logging-driver.json-file", "ecs.capability.container-health-check", "ecs.capability.container-ordering"} {
		if _, ok := attrs[name]; !ok {
			t.Errorf("capability %s is not advertised", name)
		}
	}
	for _, name := range []string{"com.amazonaws.ecs.capability.privileged-container", "com.amazonaws.ecs.capability.task-iam-role", "com.amazonaws.ecs.capability.ecr-auth"} {
		if _, ok := attrs[name]; ok {
			t.Errorf("capability %s is advertised, but this agent does not implement it", name)
		}
	}
	if !strings.HasPrefix(aws.ToString(inst.VersionInfo.DockerVersion), "DockerVersion: ") {
		t.Errorf("versionInfo.dockerVersion = %q", aws.ToString(inst.VersionInfo.DockerVersion))
	}

	a.stop()
	a.start()
	if a.ARN != aws.ToString(inst.ContainerInstanceArn) {
		t.Errorf("restarted agent is instance %s, want %s", a.ARN, aws.ToString(inst.ContainerInstanceArn))
	}
}

func TestHTTPServerTaskAnswersOnItsDynamicPort(t *testing.T) {
	t.Parallel()
	cluster := taskCluster(t, shared)
	startAgent(t, shared, cluster)
	web := sh("web", `mkdir -p /www && echo "$GREETING from $ORIGIN" > /www/index.html && exec httpd -f -p 8080 -h /www`)
	web.Environment = []types.KeyValuePair{{Name: aws.String("GREETING"), Value: aws.String("hello")}, {Name: aws.String("ORIGIN"), Value: aws.String("definition")}}
	web.PortMappings = []types.PortMapping{{ContainerPort: aws.Int32(8080)}}
	td := registerFamily(t, shared, uniqueName(t, "web"), web)

	task := runTasks(t, shared, cluster, td, 1, func(in *ecs.RunTaskInput) {
		in.Overrides = &types.TaskOverride{ContainerOverrides: []types.ContainerOverride{{
			Name: aws.String("web"), Environment: []types.KeyValuePair{{Name: aws.String("ORIGIN"), Value: aws.String("override")}},
		}}}
	})[0]
	if aws.ToString(task.LastStatus) != "PENDING" || aws.ToString(task.DesiredStatus) != "RUNNING" {
		t.Errorf("RunTask returned lastStatus %s, desiredStatus %s; want PENDING, RUNNING", aws.ToString(task.LastStatus), aws.ToString(task.DesiredStatus))
	}
	task = awaitTask(t, shared, cluster, aws.ToString(task.TaskArn), "RUNNING")
	c := containerNamed(t, task, "web")
	port, err := hostPort(c)
	if err != nil {
		t.Fatalf("%v: %s", err, dump(c))
	}
	if b := c.NetworkBindings[0]; aws.ToString(b.BindIP) != "127.0.0.1" || aws.ToInt32(b.ContainerPort) != 8080 || port < 49153 {
		t.Errorf("binding = %s, want 127.0.0.1:<49153–65535> → 8080", dump(b))
	}
	if aws.ToString(c.RuntimeId) == "" || task.StartedAt == nil || task.PullStartedAt == nil || task.PullStoppedAt == nil {
		t.Errorf("running task lacks runtimeId or timestamps: %s", dump(task))
	}
	var body string
	awaitf(t, "httpd answers", func() bool {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		body = string(raw)
		return resp.StatusCode == http.StatusOK
	})
	if body != "hello from override\n" {
		t.Errorf("page = %q, want the overridden environment", body)
	}
}

func TestEssentialContainerExitStopsTheTask(t *testing.T) {
	t.Parallel()
	cluster := taskCluster(t, shared)
	startAgent(t, shared, cluster)
	td := registerFamily(t, shared, uniqueName(t, "exit"), sh("main", "sleep 1; exit 3"))
	task := runTasks(t, shared, cluster, td, 1)[0]

	task = awaitTask(t, shared, cluster, aws.ToString(task.TaskArn), "STOPPED")
	if task.StopCode != types.TaskStopCodeEssentialContainerExited || aws.ToString(task.StoppedReason) != "Essential container in task exited" {
		t.Errorf("stopCode %q, stoppedReason %q", task.StopCode, aws.ToString(task.StoppedReason))
	}
	if c := containerNamed(t, task, "main"); aws.ToInt32(c.ExitCode) != 3 || aws.ToString(c.LastStatus) != "STOPPED" {
		t.Errorf("container: %s, want STOPPED with exit code 3", dump(c))
	}
	if task.StoppedAt == nil || task.ExecutionStoppedAt == nil || task.StoppingAt == nil || aws.ToString(task.DesiredStatus) != "STOPPED" {
		t.Errorf("stopped task lacks desiredStatus STOPPED or stoppingAt/stoppedAt/executionStoppedAt: %s", dump(task))
	}
}

func TestTaskFailuresBeforeRunning(t *testing.T) {
	t.Parallel()
	cluster := taskCluster(t, shared)
	startAgent(t, shared, cluster)
	cases := []struct {
		name         string
		def          types.ContainerDefinition
		reasonPrefix string
	}{
		{"an image that cannot be pulled", types.ContainerDefinition{Name: aws.String("app"), Image: aws.String(unpullableImage)}, "CannotPullContainerError: "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			td := registerFamily(t, shared, uniqueName(t, "fail"), tc.def)
			task := runTasks(t, shared, cluster, td, 1)[0]
			task = awaitTask(t, shared, cluster, aws.ToString(task.TaskArn), "STOPPED")
			if task.StopCode != types.TaskStopCodeTaskFailedToStart || !strings.HasPrefix(aws.ToString(task.StoppedReason), tc.reasonPrefix) {
				t.Errorf("stopCode %q, stoppedReason %q; want TaskFailedToStart, %s…", task.StopCode, aws.ToString(task.StoppedReason), tc.reasonPrefix)
			}
			if c := containerNamed(t, task, "app"); !strings.HasPrefix(aws.ToString(c.Reason), tc.reasonPrefix) {
				t.Errorf("container reason %q, want %s…", aws.ToString(c.Reason), tc.reasonPrefix)
			}
		})
	}
}

// A privileged container needs the privileged-container capability, which
// an agent advertises only with --allow-privileged: RunTask refuses it
// (ATTRIBUTE) on any other rather than start a task that would fail.
func TestPrivilegedContainersGoOnlyToAgentsThatAllowThem(t *testing.T) {
	t.Parallel()
	cluster := taskCluster(t, shared)
	plain := startAgent(t, shared, cluster)
	privileged := sh("app", "sleep 600")
	privileged.Privileged = aws.Bool(true)
	td := registerFamily(t, shared, uniqueName(t, "priv"), privileged)
	out, err := clientFor(t, shared).RunTask(ctx(t), &ecs.RunTaskInput{Cluster: aws.String(cluster), TaskDefinition: aws.String(td)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Tasks) != 0 || len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != "ATTRIBUTE" || aws.ToString(out.Failures[0].Arn) != plain.ARN {
		t.Fatalf("RunTask on an agent without --allow-privileged: %d tasks, failures %s; want one ATTRIBUTE failure naming %s", len(out.Tasks), dump(out.Failures), plain.ARN)
	}

	allowing := startAgent(t, shared, cluster, "--allow-privileged")
	task := runTasks(t, shared, cluster, td, 1)[0]
	if aws.ToString(task.ContainerInstanceArn) != allowing.ARN {
		t.Errorf("privileged task placed on %s, want the agent started with --allow-privileged, %s", aws.ToString(task.ContainerInstanceArn), allowing.ARN)
	}
	stopTask(t, shared, cluster, aws.ToString(task.TaskArn), "done")
}

func TestContainersShareATaskVolume(t *testing.T) {
	t.Parallel()
	cluster := taskCluster(t, shared)
	startAgent(t, shared, cluster)
	writer := sh("writer", "echo shared > /data/note; sleep 600")
	writer.MountPoints = []types.MountPoint{{SourceVolume: aws.String("scratch"), ContainerPath: aws.String("/data")}}
	reader := sh("reader", "while [ ! -f /data/note ]; do sleep 0.1; done; exit $(grep -c shared /data/note | sed 's/1/7/')")
	reader.MountPoints = []types.MountPoint{{SourceVolume: aws.String("scratch"), ContainerPath: aws.String("/data"), ReadOnly: aws.Bool(true)}}
	reader.Essential = aws.Bool(false)
	family := uniqueName(t, "vol")
	out, err := clientFor(t, shared).RegisterTaskDefinition(ctx(t), &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(family), ContainerDefinitions: []types.ContainerDefinition{withDefaults(writer), withDefaults(reader)},
		Volumes: []types.Volume{{Name: aws.String("scratch"), DockerVolumeConfiguration: &types.DockerVolumeConfiguration{Scope: types.ScopeTask}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	task := runTasks(t, shared, cluster, aws.ToString(out.TaskDefinition.TaskDefinitionArn), 1)[0]
	arn := aws.ToString(task.TaskArn)
	awaitf(t, "the reader finds the writer's file", func() bool {
		task = describeTask(t, shared, cluster, arn)
		return aws.ToString(containerNamed(t, task, "reader").LastStatus) == "STOPPED"
	})
	if code := aws.ToInt32(containerNamed(t, task, "reader").ExitCode); code != 7 {
		t.Errorf("reader exit code = %d, want 7 (it read the writer's file through the task volume)", code)
	}
}

func TestNonEssentialExitLeavesTheTaskRunning(t *testing.T) {
	t.Parallel()
	cluster := taskCluster(t, shared)
	startAgent(t, shared, cluster)
	helper := sh("helper", "exit 0")
	helper.Essential = aws.Bool(false)
	td := registerFamily(t, shared, uniqueName(t, "sidecar"), sh("main", "sleep 600"), helper)
	task := runTasks(t, shared, cluster, td, 1)[0]
	arn := aws.ToString(task.TaskArn)

	awaitf(t, "the helper has exited and the task runs", func() bool {
		task = describeTask(t, shared, cluster, arn)
		if aws.ToString(task.LastStatus) == "STOPPED" {
			t.Fatalf("the task stopped after a non-essential exit: %s", dump(task))
		}
		return aws.ToString(containerNamed(t, task, "helper").LastStatus) == "STOPPED" && aws.ToString(task.LastStatus) == "RUNNING"
	})
	if c := containerNamed(t, task, "helper"); aws.ToInt32(c.ExitCode) != 0 {
		t.Errorf("helper exit code = %d, want 0", aws.ToInt32(c.ExitCode))
	}
}

func TestFailingHealthCheckMakesTheTaskUnhealthy(t *testing.T) {
	t.Parallel()
	cluster := taskCluster(t, shared)
	startAgent(t, shared, cluster)
	app := sh("app", "sleep 600")
	app.HealthCheck = &types.HealthCheck{Command: []string{"CMD-SHELL", "exit 1"}, Interval: aws.Int32(5), Retries: aws.Int32(1), Timeout: aws.Int32(2)}
	td := registerFamily(t, shared, uniqueName(t, "unhealthy"), app)
	task := runTasks(t, shared, cluster, td, 1)[0]
	arn := aws.ToString(task.TaskArn)
	awaitTask(t, shared, cluster, arn, "RUNNING")

	// Docker runs the first check one interval after start; with one retry
	// the container is UNHEALTHY after about 5 s.
	began := time.Now()
	awaitf(t, "the task is UNHEALTHY", func() bool {
		task = describeTask(t, shared, cluster, arn)
		return task.HealthStatus == types.HealthStatusUnhealthy
	})
	if took := time.Since(began); took > 12*time.Second {
		t.Errorf("UNHEALTHY after %s, want within about interval × retries (5 s) plus a margin", took)
	}
	if aws.ToString(task.LastStatus) != "RUNNING" {
		t.Errorf("an unhealthy standalone task is %s, want still RUNNING", aws.ToString(task.LastStatus))
	}
}

func TestMemoryLimitIsEnforced(t *testing.T) {
	t.Parallel()
	cluster := taskCluster(t, shared)
	startAgent(t, shared, cluster)
	hog := sh("hog", `x=$(head -c 100000000 /dev/zero | tr '\0' x); sleep 600`)
	hog.Memory = aws.Int32(16)
	td := registerFamily(t, shared, uniqueName(t, "oom"), hog)
	task := runTasks(t, shared, cluster, td, 1)[0]

	task = awaitTask(t, shared, cluster, aws.ToString(task.TaskArn), "STOPPED")
	c := containerNamed(t, task, "hog")
	if !strings.HasPrefix(aws.ToString(c.Reason), "OutOfMemoryError") || aws.ToInt32(c.ExitCode) != 137 {
		t.Errorf("container = %s, want exit 137 with an OutOfMemoryError reason", dump(c))
	}
}

func TestAgentKill9ReadoptsItsContainers(t *testing.T) {
	t.Parallel()
	cluster := taskCluster(t, shared)
	a := startAgent(t, shared, cluster, "--cpu", "4", "--memory", "4096")
	td := registerFamily(t, shared, uniqueName(t, "long"), sh("app", "sleep 600"))
	var arns []string
	for range 2 {
		for _, task := range runTasks(t, shared, cluster, td, 10) {
			arns = append(arns, aws.ToString(task.TaskArn))
		}
	}
	before := map[string]containerState{}
	for _, arn := range arns {
		task := awaitTask(t, shared, cluster, arn, "RUNNING")
		id := aws.ToString(containerNamed(t, task, "app").RuntimeId)
		before[id] = inspectContainer(t, id)
	}

	a.kill()
	restarted := time.Now()
	a.start()
	if took := time.Since(restarted); took > 5*time.Second {
		t.Errorf("agentConnected true again after %s, want within 5 s", took)
	}
	for id, was := range before {
		if now := inspectContainer(t, id); now != was {
			t.Errorf("container %s changed across the agent's kill -9: %+v → %+v", id, was, now)
		}
	}
	if ids, _ := docker("ps", "-aq", "--filter", "label=com.berth.instance-arn="+a.ARN); len(strings.Fields(ids)) != len(before) {
		t.Errorf("%d containers after restart, want %d (no duplicates)", len(strings.Fields(ids)), len(before))
	}
	for _, arn := range arns {
		if got := aws.ToString(describeTask(t, shared, cluster, arn).LastStatus); got != "RUNNING" {
			t.Errorf("task %s is %s after the agent restart, want RUNNING", arn, got)
		}
	}
}

func TestAgentPartition(t *testing.T) {
	t.Parallel()
	srv, err := startServer(t.TempDir(), "server", "--auth", "strict", "--agent-heartbeat-timeout", "3s")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.stop() })
	cluster := taskCluster(t, srv)
	a := startAgent(t, srv, cluster)
	// sleep as PID 1 ignores SIGTERM; a short stopTimeout keeps the test
	// quick.
	app := sh("app", "sleep 600")
	app.StopTimeout = aws.Int32(1)
	td := registerFamily(t, srv, uniqueName(t, "part"), app)
	arns := []string{aws.ToString(runTasks(t, srv, cluster, td, 1)[0].TaskArn), aws.ToString(runTasks(t, srv, cluster, td, 1)[0].TaskArn)}
	task := awaitTask(t, srv, cluster, arns[0], "RUNNING")
	awaitTask(t, srv, cluster, arns[1], "RUNNING")
	id := aws.ToString(containerNamed(t, task, "app").RuntimeId)

	// Freeze the agent: its connection stays open but it goes silent, as
	// behind a partition.
	a.signal(syscall.SIGSTOP)
	a.awaitConnected(false)
	out, err := clientFor(t, srv).RunTask(ctx(t), &ecs.RunTaskInput{Cluster: aws.String(cluster), TaskDefinition: aws.String(td)})
	if err != nil || len(out.Tasks) != 0 || len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != "AGENT" {
		t.Errorf("RunTask on a disconnected instance: %v %s, want one AGENT failure", err, dump(out))
	}
	if !inspectContainer(t, id).Running {
		t.Error("the task's container stopped while its agent was away")
	}
	stopTask(t, srv, cluster, arns[1], "while away")

	a.signal(syscall.SIGCONT)
	a.awaitConnected(true)
	stopped := awaitTask(t, srv, cluster, arns[1], "STOPPED")
	if aws.ToString(stopped.StoppedReason) != "while away" {
		t.Errorf("stoppedReason = %q", aws.ToString(stopped.StoppedReason))
	}
	if got := aws.ToString(describeTask(t, srv, cluster, arns[0]).LastStatus); got != "RUNNING" {
		t.Errorf("untouched task is %s after reconnecting, want RUNNING", got)
	}
}

func TestConcurrentRunTaskNeverOversubscribes(t *testing.T) {
	t.Parallel()
	cluster := taskCluster(t, shared)
	startAgent(t, shared, cluster, "--cpu", "1", "--memory", "1024")
	startAgent(t, shared, cluster, "--cpu", "1", "--memory", "1024")
	app := sh("app", "sleep 600")
	app.Cpu = 256
	app.Memory = aws.Int32(128)
	td := registerFamily(t, shared, uniqueName(t, "storm"), app)

	// 2 instances × 4 tasks (CPU 1024 / 256) fit; 2 storms × 4 calls × 2
	// tasks ask for 16.
	var mu sync.Mutex
	placed := 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := clientFor(t, shared).RunTask(ctx(t), &ecs.RunTaskInput{Cluster: aws.String(cluster), TaskDefinition: aws.String(td), Count: aws.Int32(2)})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			placed += len(out.Tasks)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if placed != 8 {
		t.Errorf("placed %d tasks, want exactly 8 (the capacity)", placed)
	}
	out, err := clientFor(t, shared).ListContainerInstances(ctx(t), &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster)})
	if err != nil {
		t.Fatal(err)
	}
	desc, err := clientFor(t, shared).DescribeContainerInstances(ctx(t), &ecs.DescribeContainerInstancesInput{Cluster: aws.String(cluster), ContainerInstances: out.ContainerInstanceArns})
	if err != nil {
		t.Fatal(err)
	}
	for _, inst := range desc.ContainerInstances {
		for _, r := range inst.RemainingResources {
			if aws.ToString(r.Name) == "CPU" && r.IntegerValue != 0 {
				t.Errorf("instance %s has CPU %d remaining, want 0", aws.ToString(inst.ContainerInstanceArn), r.IntegerValue)
			}
		}
	}
}
