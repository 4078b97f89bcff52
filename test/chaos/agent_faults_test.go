//go:build chaos

package chaos

// A1: an agent killed -9 again and again re-adopts its containers. A4: an
// agent cut off from its server, for less and for more than the heartbeat
// timeout.

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/berth-org/berth/test/harness"
)

const (
	// a1Reconnect is the scenario's bound from an agent's start to its
	// instance showing agentConnected again.
	a1Reconnect = 5 * time.Second
	// a4Heartbeat is the server's heartbeat timeout in A4, short so that
	// the long partition takes seconds.
	a4Heartbeat = 3 * time.Second
	// a4Heal is the scenario's bound from the partition's end to the
	// agent connected again, and to a StopTask made during it carried out.
	a4Heal = 10 * time.Second
)

// runSleepers runs n sleeper tasks and waits until they run; it returns
// their ARNs and each one's container id.
func runSleepers(t *testing.T, c *ecs.Client, cluster, family string, n int) ([]string, map[string]string) {
	t.Helper()
	out, err := c.RunTask(ctx(t), &ecs.RunTaskInput{Cluster: aws.String(cluster), TaskDefinition: aws.String(family), Count: aws.Int32(int32(n))})
	if err != nil || len(out.Tasks) != n {
		t.Fatalf("RunTask: %v %v", err, out)
	}
	var arns []string
	for _, task := range out.Tasks {
		arns = append(arns, aws.ToString(task.TaskArn))
	}
	ids := map[string]string{}
	await(t, harness.ConvergeTimeout, "the tasks run", func() bool {
		for _, task := range describeTasks(t, c, cluster, arns) {
			if aws.ToString(task.LastStatus) != "RUNNING" {
				return false
			}
			ids[aws.ToString(task.TaskArn)] = aws.ToString(task.Containers[0].RuntimeId)
		}
		return true
	})
	return arns, ids
}

func describeTasks(t *testing.T, c *ecs.Client, cluster string, arns []string) []types.Task {
	t.Helper()
	out, err := c.DescribeTasks(ctx(t), &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: arns})
	if err != nil || len(out.Tasks) != len(arns) {
		t.Fatalf("DescribeTasks: %v %v", err, out)
	}
	return out.Tasks
}

// containers inspects each task's container.
func containers(t *testing.T, ids map[string]string) map[string]harness.ContainerState {
	t.Helper()
	out := map[string]harness.ContainerState{}
	for arn, id := range ids {
		st, err := harness.Inspect(id)
		if err != nil {
			t.Fatal(err)
		}
		out[arn] = st
	}
	return out
}

// unchanged fails the test unless every container is the same process,
// running, never restarted.
func unchanged(t *testing.T, when string, before, after map[string]harness.ContainerState) {
	t.Helper()
	for arn, b := range before {
		a := after[arn]
		if !a.Running || a.Pid != b.Pid || a.RestartCount != b.RestartCount {
			t.Errorf("%s: task %s's container was pid %d restarts %d, is pid %d restarts %d running %v", when, arn, b.Pid, b.RestartCount, a.Pid, a.RestartCount, a.Running)
		}
	}
}

func TestA1AgentKill9Loop(t *testing.T) {
	srv := startServer(t, dataDir(t))
	c := srv.Client(1)
	cluster := createCluster(t, c)
	a := startAgent(t, srv, cluster)
	family := uniqueName("a1")
	register(t, c, sleeper(family))
	arns, ids := runSleepers(t, c, cluster, family, 3)
	before := containers(t, ids)
	var slowest time.Duration
	for i := range scale(10, 3) {
		a.Kill()
		// The server sees the connection close; waiting for it makes the
		// reconnect measured below the new process's, not the old one's.
		if err := a.AwaitConnected(c, false); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := a.Start(); err != nil {
			t.Fatal(err)
		}
		await(t, a1Reconnect, "the restarted agent is connected", func() bool {
			ok, err := a.Connected(c)
			return err == nil && ok
		})
		slowest = max(slowest, time.Since(start))
		unchanged(t, "kill "+itoa(i+1), before, containers(t, ids))
		for _, task := range describeTasks(t, c, cluster, arns) {
			if got := aws.ToString(task.LastStatus); got != "RUNNING" {
				t.Errorf("kill %d: task %s is %s", i+1, aws.ToString(task.TaskArn), got)
			}
		}
	}
	figure(t, "A1", "kills", scale(10, 3), "tasks", len(arns), "slowest_reconnect", slowest.Round(time.Millisecond))
}

func TestA4AgentPartition(t *testing.T) {
	srv := startServer(t, dataDir(t), "--agent-heartbeat-timeout", a4Heartbeat.String())
	c := srv.Client(1)
	cluster := createCluster(t, c)
	p := newPartition(t, srv.Addr)
	a := harness.NewAgent(berthBin, srv, cluster, t.TempDir())
	a.Args[slices.Index(a.Args, "--server")+1] = p.URL()
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Stop(); harness.RemoveContainers(a.ARN) })
	if err := a.AwaitConnected(c, true); err != nil {
		t.Fatal(err)
	}
	family := uniqueName("a4")
	register(t, c, sleeper(family))
	arns, ids := runSleepers(t, c, cluster, family, 2)
	before := containers(t, ids)

	t.Run("shorter than the heartbeat timeout", func(t *testing.T) {
		p.Cut()
		deadline := time.Now().Add(a4Heartbeat / 2)
		for time.Now().Before(deadline) {
			if ok, err := a.Connected(c); err != nil || !ok {
				t.Fatalf("agentConnected %v (%v) during a partition shorter than the heartbeat timeout", ok, err)
			}
			time.Sleep(harness.PollInterval)
		}
		p.Heal()
		unchanged(t, "after the short partition", before, containers(t, ids))
	})

	t.Run("longer than the heartbeat timeout", func(t *testing.T) {
		p.Cut()
		cut := time.Now()
		await(t, a4Heartbeat+2*time.Second, "agentConnected is false", func() bool {
			ok, err := a.Connected(c)
			return err == nil && !ok
		})
		noticed := time.Since(cut)
		if got := describeTasks(t, c, cluster, arns[:1])[0].Connectivity; got != types.ConnectivityDisconnected {
			t.Errorf("a task of the cut-off agent has connectivity %s, want DISCONNECTED", got)
		}
		out, err := c.RunTask(ctx(t), &ecs.RunTaskInput{Cluster: aws.String(cluster), TaskDefinition: aws.String(family)})
		if err != nil || len(out.Tasks) != 0 || len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != "AGENT" {
			t.Errorf("RunTask during the partition: %v %v, want one AGENT failure", err, out)
		}
		if _, err := c.StopTask(ctx(t), &ecs.StopTaskInput{Cluster: aws.String(cluster), Task: aws.String(arns[1]), Reason: aws.String("during the partition")}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(a4Heartbeat) // the partition lasts on, well past the timeout
		p.Heal()
		healed := time.Now()
		await(t, a4Heal, "the agent is connected again", func() bool {
			ok, err := a.Connected(c)
			return err == nil && ok
		})
		reconnect := time.Since(healed)
		await(t, a4Heal, "the task stopped during the partition is STOPPED", func() bool {
			return aws.ToString(describeTasks(t, c, cluster, arns[1:])[0].LastStatus) == "STOPPED"
		})
		stopped := time.Since(healed)
		delete(before, arns[1])
		unchanged(t, "after the long partition", before, containers(t, map[string]string{arns[0]: ids[arns[0]]}))
		if got := describeTasks(t, c, cluster, arns[:1])[0]; aws.ToString(got.LastStatus) != "RUNNING" || got.Connectivity != types.ConnectivityConnected {
			t.Errorf("the untouched task is %s, connectivity %s; want RUNNING and CONNECTED", aws.ToString(got.LastStatus), got.Connectivity)
		}
		figure(t, "A4", "heartbeat_timeout", a4Heartbeat, "disconnect_noticed", noticed.Round(time.Millisecond),
			"reconnect_after_heal", reconnect.Round(time.Millisecond), "stop_done_after_heal", stopped.Round(time.Millisecond))
	})
}
