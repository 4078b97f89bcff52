package e2e

// Scenario A5 (ecs-behaviour.md §6.2): a container instance whose agent is
// gone for good. ECS leaves its tasks where they are, RUNNING in the API
// and counted by their service (containers-roadmap#2040), and so does
// berth by default. With berth's own cluster setting lostInstanceTimeout,
// the instance is lost once its agent has been away that long: its
// service tasks are replaced on the other instances, and the old copies
// stop when the agent comes back.

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

const (
	// lostTimeout is the lostInstanceTimeout the opt-in cases set, the
	// least berth accepts, to keep the tests short.
	lostTimeout = 10 * time.Second
	// lostReplaceSlack is how long after the timeout A5 allows for the
	// replacement to be RUNNING: lostAfter + 30 s.
	lostReplaceSlack = 30 * time.Second
	// lostHealBound is A5's bound on the old copies once the agent is back:
	// stopped within 10 s.
	lostHealBound = 10 * time.Second
	// lostQuietWindow is how long a settled service is watched for a start
	// or a stop that must not come: several of the controller's steps and
	// the agents' reports fit in it.
	lostQuietWindow = 10 * time.Second
	// lostObservePace paces the samples of an observation window.
	lostObservePace = 250 * time.Millisecond
	// lostRestartTimeout is the lostInstanceTimeout of the server-restart
	// case, and lostRestartOutage how long its server stays down: longer
	// than the timeout, so that counting the outage as the agents' time
	// away would lose them all at the restart.
	lostRestartTimeout = 20 * time.Second
	lostRestartOutage  = 25 * time.Second
)

// lostSetting is the lostInstanceTimeout cluster setting; the SDK knows
// only containerInsights by name, and sends any other.
func lostSetting(value string) types.ClusterSetting {
	return types.ClusterSetting{Name: "lostInstanceTimeout", Value: aws.String(value)}
}

// lostFleet is a cluster of two agents on srv and a REPLICA service of two
// tasks spread over them, one on each.
type lostFleet struct {
	srv           *server
	c             *ecs.Client
	cluster, name string
	agents        []*agentProc
	// first is the task each agent ran once the service was steady, by
	// instance ARN.
	first map[string]types.Task
}

func newLostFleet(t *testing.T, srv *server, settings ...types.ClusterSetting) *lostFleet {
	t.Helper()
	f := &lostFleet{srv: srv, c: clientFor(t, srv), cluster: uniqueName(t, "lost"), name: uniqueName(t, "web")}
	if _, err := f.c.CreateCluster(ctx(t), &ecs.CreateClusterInput{ClusterName: aws.String(f.cluster), Settings: settings}); err != nil {
		t.Fatal(err)
	}
	f.agents = []*agentProc{startAgent(t, srv, f.cluster), startAgent(t, srv, f.cluster)}
	family := uniqueName(t, "lost")
	registerFamily(t, srv, family, sh("app", untilStopped))
	createSvc(t, f.c, svcIn(f.cluster, f.name, family, func(in *ecs.CreateServiceInput) {
		in.DesiredCount = aws.Int32(2)
		in.PlacementStrategy = []types.PlacementStrategy{{Type: types.PlacementStrategyTypeSpread, Field: aws.String("instanceId")}}
	}))
	awaitSeen(t, "one RUNNING task on each agent", func() (bool, string) {
		f.first = map[string]types.Task{}
		for _, task := range serviceTasks(t, f.c, f.cluster, f.name, types.DesiredStatusRunning) {
			if aws.ToString(task.LastStatus) == "RUNNING" {
				f.first[aws.ToString(task.ContainerInstanceArn)] = task
			}
		}
		return len(f.first) == 2, fmt.Sprintf("RUNNING on %v", instanceIDs(slices.Collect(maps.Keys(f.first))))
	})
	return f
}

// state is what the service looks like: its runningCount, and every task
// it ever had with its desired and last status and instance.
func (f *lostFleet) state(t *testing.T) (int32, map[string]string) {
	t.Helper()
	svc := describeSvc(t, f.c, f.cluster, f.name)
	tasks := map[string]string{}
	for _, task := range everyServiceTask(t, f.c, f.cluster, f.name) {
		tasks[arnTail(aws.ToString(task.TaskArn))] = fmt.Sprintf("%s/%s on %s", aws.ToString(task.DesiredStatus),
			aws.ToString(task.LastStatus), instanceIDOf(aws.ToString(task.ContainerInstanceArn)))
	}
	return svc.RunningCount, tasks
}

// holdFor fails the test if the service's state changes, or its
// runningCount is not running, at any sample within d.
func (f *lostFleet) holdFor(t *testing.T, d time.Duration, what string, running int32) {
	t.Helper()
	_, want := f.state(t)
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(lostObservePace) {
		n, got := f.state(t)
		if n != running || !maps.Equal(got, want) {
			t.Fatalf("%s: runningCount %d (want %d), tasks %v; want unchanged from %v", what, n, running, got, want)
		}
	}
}

// awaitBy polls cond until it holds, failing the test at deadline: for the
// waits A5 bounds, measured from an event the test caused.
func awaitBy(t *testing.T, what string, deadline time.Time, cond func() bool) {
	t.Helper()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not so by its bound", what)
		}
		time.Sleep(pollInterval)
	}
}

// TestServiceOnALostInstanceStaysByDefault: without lostInstanceTimeout,
// as on ECS, a killed agent's task is not replaced however long the agent
// stays away, and the service goes on counting it.
func TestServiceOnALostInstanceStaysByDefault(t *testing.T) {
	t.Parallel()
	f := newLostFleet(t, shared)
	f.agents[1].kill()
	f.agents[1].awaitConnected(false)
	// As long as the opt-in case takes to replace it, and 15 s more.
	f.holdFor(t, lostTimeout+15*time.Second, "with the agent away and the policy off", 2)
}

// TestServiceReplacesTheTasksOfALostInstance: with lostInstanceTimeout 10,
// a killed agent's task is replaced on the other instance within 10 + 30 s
// of the kill; when the agent comes back, the old copy is stopped within
// 10 s of its reconnecting, without being restarted, and the service
// stays at exactly two tasks.
func TestServiceReplacesTheTasksOfALostInstance(t *testing.T) {
	t.Parallel()
	f := newLostFleet(t, shared, lostSetting("10"))
	keeper, victim := f.agents[0], f.agents[1]
	stale := f.first[victim.ARN]
	staleARN, staleContainer := aws.ToString(stale.TaskArn), aws.ToString(stale.Containers[0].RuntimeId)

	killed := time.Now()
	victim.kill()
	var replacement types.Task
	awaitBy(t, "a replacement RUNNING on the other agent within lostInstanceTimeout + 30 s of the kill", killed.Add(lostTimeout+lostReplaceSlack), func() bool {
		for _, task := range serviceTasks(t, f.c, f.cluster, f.name, types.DesiredStatusRunning) {
			arn := aws.ToString(task.TaskArn)
			if arn != staleARN && arn != aws.ToString(f.first[keeper.ARN].TaskArn) && aws.ToString(task.LastStatus) == "RUNNING" {
				replacement = task
				return true
			}
		}
		return false
	})
	replacedIn := time.Since(killed)
	t.Logf("kill → replacement RUNNING: %s", replacedIn.Round(time.Millisecond))
	if replacedIn < lostTimeout {
		t.Errorf("replaced %s after the kill, before the instance could be lost (%s)", replacedIn, lostTimeout)
	}
	if got := aws.ToString(replacement.ContainerInstanceArn); got != keeper.ARN {
		t.Errorf("replacement on %s, want the connected agent's instance %s", instanceIDOf(got), instanceIDOf(keeper.ARN))
	}
	awaitSeen(t, "runningCount 2 with 2 tasks desired RUNNING", func() (bool, string) {
		svc := describeSvc(t, f.c, f.cluster, f.name)
		running := serviceTasks(t, f.c, f.cluster, f.name, types.DesiredStatusRunning)
		return svc.RunningCount == 2 && len(running) == 2, fmt.Sprintf("runningCount %d, %d desired RUNNING", svc.RunningCount, len(running))
	})
	old := describeTask(t, f.srv, f.cluster, staleARN)
	const reason = "Task stopped because its container instance was lost (agent disconnected for 10 s)."
	if aws.ToString(old.DesiredStatus) != "STOPPED" || old.StopCode != types.TaskStopCodeServiceSchedulerInitiated || aws.ToString(old.StoppedReason) != reason {
		t.Errorf("the lost task: desired %s, %s: %q; want STOPPED, ServiceSchedulerInitiated: %q",
			aws.ToString(old.DesiredStatus), old.StopCode, aws.ToString(old.StoppedReason), reason)
	}

	restarted := time.Now()
	victim.start() // the same data dir: it re-adopts its container, then learns it must stop
	reconnected := time.Now()
	awaitBy(t, "the old copy STOPPED within 10 s of the agent reconnecting", reconnected.Add(lostHealBound), func() bool {
		return aws.ToString(describeTask(t, f.srv, f.cluster, staleARN).LastStatus) == "STOPPED"
	})
	t.Logf("agent restart → reconnected: %s; reconnected → old copy STOPPED: %s",
		reconnected.Sub(restarted).Round(time.Millisecond), time.Since(reconnected).Round(time.Millisecond))
	if inspectContainer(t, staleContainer).Running {
		t.Errorf("the old copy's container %s still runs after its task STOPPED", staleContainer)
	}

	want := taskARNs([]types.Task{f.first[keeper.ARN], replacement})
	awaitSeen(t, "the service settles at the two tasks", func() (bool, string) {
		svc := describeSvc(t, f.c, f.cluster, f.name)
		running := taskARNs(serviceTasks(t, f.c, f.cluster, f.name, types.DesiredStatusRunning))
		return svc.RunningCount == 2 && slices.Equal(running, want), fmt.Sprintf("runningCount %d, desired RUNNING %v", svc.RunningCount, running)
	})
	f.holdFor(t, lostQuietWindow, "once the agent is back", 2)
	if inspectContainer(t, staleContainer).Running {
		t.Errorf("the agent restarted the old copy's container %s", staleContainer)
	}
}

// TestServiceLostInstanceClockSkipsServerDowntime: the server stopping
// ends every agent's session, and a server that stays down longer than
// lostInstanceTimeout must not, once back, take agents that reconnect
// within seconds for lost: nothing is stopped or started.
func TestServiceLostInstanceClockSkipsServerDowntime(t *testing.T) {
	t.Parallel()
	srv, err := startServer(t.TempDir(), "server", "--auth", "strict")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.stop()
		if t.Failed() {
			t.Logf("berth log:\n%s", tail(srv.log(), 80))
		}
	})
	f := newLostFleet(t, srv, lostSetting(fmt.Sprint(int(lostRestartTimeout.Seconds()))))
	_, before := f.state(t)
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(lostRestartOutage) // the outage itself: there is no server to observe
	if err := srv.start(); err != nil {
		t.Fatal(err)
	}
	for _, a := range f.agents {
		a.awaitConnected(true)
	}
	if _, after := f.state(t); !maps.Equal(after, before) {
		t.Fatalf("tasks after the restart %v, want unchanged from %v", after, before)
	}
	f.holdFor(t, lostRestartTimeout+5*time.Second, "after a server outage longer than lostInstanceTimeout", 2)
}

// TestLostInstanceTimeoutSetting: the setting through the Go SDK, shown by
// DescribeClusters only once set; invalid names and values are refused
// with InvalidParameterException and change nothing.
func TestLostInstanceTimeoutSetting(t *testing.T) {
	t.Parallel()
	c := client(t)
	describe := func(t *testing.T, cluster string) map[string]string {
		t.Helper()
		out, err := c.DescribeClusters(ctx(t), &ecs.DescribeClustersInput{Clusters: []string{cluster}, Include: []types.ClusterField{types.ClusterFieldSettings}})
		if err != nil || len(out.Clusters) != 1 {
			t.Fatalf("DescribeClusters(%s): %v %s", cluster, err, dump(out))
		}
		return settingsMap(out.Clusters[0].Settings)
	}
	t.Run("shown only once set and disabled again", func(t *testing.T) {
		t.Parallel()
		cluster := uniqueName(t, "lost")
		if _, err := c.CreateCluster(ctx(t), &ecs.CreateClusterInput{ClusterName: aws.String(cluster)}); err != nil {
			t.Fatal(err)
		}
		if got := describe(t, cluster); len(got) != 1 || got["containerInsights"] == "" {
			t.Fatalf("settings of a new cluster %v, want containerInsights alone", got)
		}
		for _, v := range []string{"300", "disabled"} {
			if _, err := c.UpdateClusterSettings(ctx(t), &ecs.UpdateClusterSettingsInput{Cluster: aws.String(cluster), Settings: []types.ClusterSetting{lostSetting(v)}}); err != nil {
				t.Fatal(err)
			}
			if got := describe(t, cluster); got["lostInstanceTimeout"] != v || got["containerInsights"] == "" {
				t.Fatalf("settings %v, want lostInstanceTimeout %s beside containerInsights", got, v)
			}
		}
	})
	const badValue = "Cluster setting lostInstanceTimeout must be disabled or a whole number of seconds from 10 to 86400; got %q."
	for _, tc := range []struct {
		name    string
		setting types.ClusterSetting
		msg     string
	}{
		{"9 s", lostSetting("9"), fmt.Sprintf(badValue, "9")},
		{"more than a day", lostSetting("86401"), fmt.Sprintf(badValue, "86401")},
		{"a duration with a unit", lostSetting("5m"), fmt.Sprintf(badValue, "5m")},
		{"a misspelt name", types.ClusterSetting{Name: "lostInstanceTimeOut", Value: aws.String("300")},
			`Cluster setting name "lostInstanceTimeOut" is not valid. Valid names: containerInsights, lostInstanceTimeout.`},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			t.Parallel()
			cluster := uniqueName(t, "lost")
			if _, err := c.CreateCluster(ctx(t), &ecs.CreateClusterInput{ClusterName: aws.String(cluster), Settings: []types.ClusterSetting{lostSetting("60")}}); err != nil {
				t.Fatal(err)
			}
			before := describe(t, cluster)
			_, err := c.UpdateClusterSettings(ctx(t), &ecs.UpdateClusterSettingsInput{Cluster: aws.String(cluster), Settings: []types.ClusterSetting{lostSetting("120"), tc.setting}})
			wantAPIError[*types.InvalidParameterException](t, err, tc.msg)
			if after := describe(t, cluster); !maps.Equal(after, before) {
				t.Errorf("settings after the refused update %v, want %v", after, before)
			}
			refused := uniqueName(t, "lost")
			_, err = c.CreateCluster(ctx(t), &ecs.CreateClusterInput{ClusterName: aws.String(refused), Settings: []types.ClusterSetting{tc.setting}})
			wantAPIError[*types.InvalidParameterException](t, err, tc.msg)
			out, err := c.DescribeClusters(ctx(t), &ecs.DescribeClustersInput{Clusters: []string{refused}})
			if err != nil || len(out.Clusters) != 0 {
				t.Errorf("the refused CreateCluster made a cluster: %v %s", err, dump(out))
			}
		})
	}
}
