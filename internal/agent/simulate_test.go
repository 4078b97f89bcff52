package agent_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/berth-org/berth/internal/agent"
	"github.com/berth-org/berth/internal/agent/simrt"
	"github.com/berth-org/berth/internal/agentproto"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

// simStartDelay is short, to keep the test fast, and not zero, so that
// tasks go through the simulated start.
const simStartDelay = 50 * time.Millisecond

// startFleet runs n simulated instances against c, the way berth agent
// --simulate does, until the test ends, and waits until every one is
// registered and connected.
func startFleet(t *testing.T, c agent.TestCluster, n int) *simrt.Fleet {
	t.Helper()
	fleet, err := simrt.NewFleet(simrt.FleetConfig{
		Instances: n, Server: c.URL(), Cluster: "default",
		Credentials: &agentproto.BootstrapCredentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret", Region: "us-east-1"},
		Zones:       []string{"us-east-1a", "us-east-1b", "us-east-1c"}, InstanceType: "berth.sim",
		CPUs: 4, MemoryMiB: 8192, HostIP: "127.0.0.1", StartDelay: simStartDelay,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fleet.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("fleet: %v", err)
			}
		case <-time.After(agent.AwaitTimeout):
			t.Error("the fleet did not stop")
		}
	})
	select {
	case <-fleet.Registered():
	case err := <-done:
		t.Fatalf("the fleet stopped before registering: %v", err)
	case <-time.After(agent.AwaitTimeout):
		t.Fatal("the fleet did not register")
	}
	c.Await("every simulated instance is connected", func() bool {
		for _, arn := range fleet.InstanceARNs() {
			if inst := c.Instance(arn); inst == nil || !inst.AgentConnected {
				return false
			}
		}
		return true
	})
	return fleet
}

// webContainer publishes container port 80 on host port 8080, which a
// container instance has once, so that tasks land on distinct instances,
// and container port 9090 on a dynamic host port.
func webContainer() wire.ContainerDefinition {
	return wire.ContainerDefinition{Name: new("web"), Image: new("nginx"), Memory: new(int32(64)),
		PortMappings: []wire.PortMapping{{ContainerPort: new(int32(80)), HostPort: new(int32(8080))}, {ContainerPort: new(int32(9090))}}}
}

func runTasks(t *testing.T, c agent.TestCluster, taskDef string, n int) []string {
	t.Helper()
	var arns []string
	for len(arns) < n {
		count := int32(min(n-len(arns), ecs.MaxRunTaskCount))
		out, err := c.ECS().RunTask(context.Background(), &wire.RunTaskRequest{TaskDefinition: &taskDef, Count: &count})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Failures) > 0 {
			t.Fatalf("RunTask failures: %s: %s", *out.Failures[0].Reason, *out.Failures[0].Detail)
		}
		for _, task := range out.Tasks {
			arns = append(arns, *task.TaskArn)
		}
	}
	return arns
}

func describe(t *testing.T, c agent.TestCluster, arns []string) []wire.Task {
	t.Helper()
	out, err := c.ECS().DescribeTasks(context.Background(), &wire.DescribeTasksRequest{Tasks: arns})
	if err != nil {
		t.Fatal(err)
	}
	return out.Tasks
}

func awaitTasks(t *testing.T, c agent.TestCluster, arns []string, status ecs.TaskStatus) []wire.Task {
	t.Helper()
	var tasks []wire.Task
	c.Await(fmt.Sprintf("all %d tasks are %s", len(arns), status), func() bool {
		tasks = describe(t, c, arns)
		for _, task := range tasks {
			if *task.LastStatus != string(status) {
				return false
			}
		}
		return len(tasks) == len(arns)
	})
	return tasks
}

// checkBindings says what is wrong with a running web task's bindings:
// 8080 as asked, 9090 on a port of the ephemeral range.
func checkBindings(task wire.Task) error {
	bs := task.Containers[0].NetworkBindings
	if len(bs) != 2 || *bs[0].ContainerPort != 80 || *bs[0].HostPort != 8080 || *bs[1].ContainerPort != 9090 ||
		*bs[1].HostPort < 49153 || *bs[1].HostPort > 65535 || *bs[0].BindIP != "127.0.0.1" {
		return fmt.Errorf("task %s has bindings %+v, want 8080->80 and an ephemeral port ->9090 on 127.0.0.1", *task.TaskArn, bs)
	}
	return nil
}

func TestSimulatedInstancesRunTasksThroughTheECSAPI(t *testing.T) {
	const instances = 50
	c := agent.NewTestCluster(t)
	startFleet(t, c, instances)
	arns := runTasks(t, c, c.Register("web", webContainer()), instances)

	running := awaitTasks(t, c, arns, ecs.TaskRunning)
	hosts := map[string]bool{}
	for _, task := range running {
		hosts[*task.ContainerInstanceArn] = true
		if err := checkBindings(task); err != nil {
			t.Error(err)
		}
		if task.Containers[0].RuntimeId == nil || len(*task.Containers[0].RuntimeId) != 64 {
			t.Errorf("task %s has runtime id %v, want 64 hex digits", *task.TaskArn, task.Containers[0].RuntimeId)
		}
		if task.Version == nil || *task.Version != 2 {
			t.Errorf("task %s RUNNING at version %v, want 2: created, then one report", *task.TaskArn, task.Version)
		}
	}
	if len(hosts) != instances {
		t.Errorf("tasks ran on %d instances, want all %d (each has host port 8080 once)", len(hosts), instances)
	}

	for _, arn := range arns {
		if _, err := c.ECS().StopTask(context.Background(), &wire.StopTaskRequest{Task: &arn, Reason: new("done")}); err != nil {
			t.Fatal(err)
		}
	}
	for _, task := range awaitTasks(t, c, arns, ecs.TaskStopped) {
		if task.StopCode != wire.TaskStopCodeUserInitiated || task.Containers[0].ExitCode == nil || *task.Containers[0].ExitCode != 0 {
			t.Errorf("stopped task %s: stop code %q, exit code %v; want UserInitiated and 0", *task.TaskArn, task.StopCode, task.Containers[0].ExitCode)
		}
	}
}

func TestSimulatedInstancesRegisterInZonesRoundRobin(t *testing.T) {
	c := agent.NewTestCluster(t)
	fleet := startFleet(t, c, 6)
	zones := map[string]int{}
	for _, arn := range fleet.InstanceARNs() {
		inst := c.Instance(arn)
		zones[attribute(inst.Attributes, "ecs.availability-zone")]++
		if got := attribute(inst.Attributes, "ecs.instance-type"); got != "berth.sim" {
			t.Errorf("instance type %q, want berth.sim", got)
		}
		if got := *inst.VersionInfo.DockerVersion; got != "DockerVersion: "+simrt.EngineVersion {
			t.Errorf("dockerVersion %q, want the simulated engine's", got)
		}
	}
	if want := map[string]int{"us-east-1a": 2, "us-east-1b": 2, "us-east-1c": 2}; fmt.Sprint(zones) != fmt.Sprint(want) {
		t.Errorf("instances by zone = %v, want %v", zones, want)
	}
}

func attribute(attrs []wire.Attribute, name string) string {
	for _, a := range attrs {
		if *a.Name == name && a.Value != nil {
			return *a.Value
		}
	}
	return ""
}

// Simulated instances register through the agent's own attributes, so
// they advertise what a real berth agent does.
func TestSimulatedInstancesPlaceByCapability(t *testing.T) {
	c := agent.NewTestCluster(t)
	startFleet(t, c, 2)

	capable := wire.ContainerDefinition{Name: new("app"), Image: new("nginx"), Memory: new(int32(64)), StopTimeout: new(int32(5)),
		HealthCheck:      &wire.HealthCheck{Command: []string{"CMD-SHELL", "true"}, StartPeriod: new(int32(1))},
		LogConfiguration: &wire.LogConfiguration{LogDriver: wire.LogDriverJsonFile}}
	awaitTasks(t, c, runTasks(t, c, c.Register("capable", capable), 2), ecs.TaskRunning)

	privileged := wire.ContainerDefinition{Name: new("app"), Image: new("nginx"), Memory: new(int32(64)), Privileged: new(true)}
	family := c.Register("privileged", privileged)
	out, err := c.ECS().RunTask(context.Background(), &wire.RunTaskRequest{TaskDefinition: &family})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Tasks) != 0 || len(out.Failures) != 1 || *out.Failures[0].Reason != "ATTRIBUTE" ||
		!strings.Contains(*out.Failures[0].Detail, "(2 considered): ATTRIBUTE on 2.") {
		t.Fatalf("RunTask of a privileged container without --allow-privileged: %d tasks, failures %+v; want one ATTRIBUTE failure", len(out.Tasks), out.Failures)
	}
}
