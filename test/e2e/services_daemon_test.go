package e2e

// Services over a fleet that changes under them: DAEMON services as
// instances join, match a constraint and drain; a REPLICA service's tasks
// leaving a draining instance within the service's bounds; and a server
// restart, graceful or kill -9, that must not start or stop a single task.

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

const (
	// untilStopped runs until its container is asked to stop and then
	// exits at once (sleep as PID 1 would ignore SIGTERM until the stop
	// timeout), so that stops take a moment, not 30 s.
	untilStopped = "trap 'exit 0' TERM; sleep 3600 & wait"
	// censusInterval paces a census probe's samples.
	censusInterval = 100 * time.Millisecond
	// censusCallTimeout bounds each of a probe's API calls.
	censusCallTimeout = 10 * time.Second
)

// runInOrder runs steps as subtests one after another, and stops at the
// first that fails: each builds on the state the previous one left. It
// says whether all passed. (What must outlive a step, such as an agent,
// is started outside it: a subtest's cleanups run when it ends.)
func runInOrder(t *testing.T, steps ...inOrderStep) bool {
	t.Helper()
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			return false
		}
	}
	return true
}

type inOrderStep struct {
	name string
	run  func(t *testing.T)
}

// awaitSeen is awaitf for a condition that says what it saw: the last of
// it is in the failure when the wait times out.
func awaitSeen(t testing.TB, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(convergeTimeout)
	for {
		ok, seen := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s; last saw %s", convergeTimeout, what, seen)
		}
		time.Sleep(pollInterval)
	}
}

// daemonIn is a CreateService request for a DAEMON service of family.
func daemonIn(cluster, name, family string, constraints ...types.PlacementConstraint) *ecs.CreateServiceInput {
	return svcIn(cluster, name, family, func(in *ecs.CreateServiceInput) {
		in.SchedulingStrategy, in.DesiredCount, in.PlacementConstraints = types.SchedulingStrategyDaemon, nil, constraints
	})
}

// memberOf is a memberOf placement constraint.
func memberOf(expr string) types.PlacementConstraint {
	return types.PlacementConstraint{Type: types.PlacementConstraintTypeMemberOf, Expression: aws.String(expr)}
}

// listEveryServiceTask describes all of a service's tasks, desired RUNNING
// and desired STOPPED. RUNNING is listed first: a task whose desired
// status changes between the two listings is then in both (and counted
// once), never in neither.
func listEveryServiceTask(c context.Context, api *ecs.Client, cluster, name string) ([]types.Task, error) {
	var arns []string
	for _, desired := range []types.DesiredStatus{types.DesiredStatusRunning, types.DesiredStatusStopped} {
		p := ecs.NewListTasksPaginator(api, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(name), DesiredStatus: desired})
		for p.HasMorePages() {
			page, err := p.NextPage(c)
			if err != nil {
				return nil, err
			}
			for _, arn := range page.TaskArns {
				if !slices.Contains(arns, arn) {
					arns = append(arns, arn)
				}
			}
		}
	}
	var tasks []types.Task
	for chunk := range slices.Chunk(arns, 100) {
		out, err := api.DescribeTasks(c, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: chunk})
		if err != nil {
			return nil, err
		}
		tasks = append(tasks, out.Tasks...)
	}
	return tasks, nil
}

// everyServiceTask is listEveryServiceTask for the test goroutine.
func everyServiceTask(t testing.TB, api *ecs.Client, cluster, name string) []types.Task {
	t.Helper()
	tasks, err := listEveryServiceTask(ctx(t), api, cluster, name)
	if err != nil {
		t.Fatalf("tasks of service %s: %v", name, err)
	}
	return tasks
}

// onInstance is the tasks placed on the instance.
func onInstance(tasks []types.Task, instanceARN string) []types.Task {
	var out []types.Task
	for _, task := range tasks {
		if aws.ToString(task.ContainerInstanceArn) == instanceARN {
			out = append(out, task)
		}
	}
	return out
}

func taskARNs(tasks []types.Task) []string {
	out := make([]string, len(tasks))
	for i, task := range tasks {
		out[i] = aws.ToString(task.TaskArn)
	}
	slices.Sort(out)
	return out
}

// healthyTask says the task counts toward a service's floor as ECS counts
// it: RUNNING, HEALTHY and not asked to stop.
func healthyTask(task types.Task) bool {
	return aws.ToString(task.LastStatus) == "RUNNING" && aws.ToString(task.DesiredStatus) == "RUNNING" && task.HealthStatus == types.HealthStatusHealthy
}

// awaitDaemon waits until the DAEMON service runs exactly one RUNNING task
// on each of instances and none anywhere else, and is steady with
// desiredCount len(instances); it returns the tasks by instance ARN.
func awaitDaemon(t *testing.T, c *ecs.Client, cluster, name string, instances ...string) map[string]types.Task {
	t.Helper()
	want := slices.Sorted(slices.Values(instances))
	var byInstance map[string]types.Task
	awaitSeen(t, fmt.Sprintf("DAEMON service %s runs one task on each of %d instances", name, len(want)), func() (bool, string) {
		byInstance = map[string]types.Task{}
		var seen []string
		ok := true
		for _, task := range serviceTasks(t, c, cluster, name, types.DesiredStatusRunning) {
			inst := aws.ToString(task.ContainerInstanceArn)
			seen = append(seen, instanceIDOf(inst)+" "+aws.ToString(task.LastStatus))
			_, twice := byInstance[inst]
			ok = ok && !twice && aws.ToString(task.LastStatus) == "RUNNING"
			byInstance[inst] = task
		}
		return ok && slices.Equal(slices.Sorted(maps.Keys(byInstance)), want), fmt.Sprintf("%v (want one RUNNING on each of %v)", seen, instanceIDs(want))
	})
	svc := awaitStable(t, c, cluster, name)
	if svc.DesiredCount != int32(len(want)) || svc.RunningCount != int32(len(want)) {
		t.Fatalf("DAEMON service %s: desiredCount %d, runningCount %d; want %d (its instances)", name, svc.DesiredCount, svc.RunningCount, len(want))
	}
	return byInstance
}

func instanceIDs(arns []string) []string {
	out := make([]string, len(arns))
	for i, a := range arns {
		out[i] = instanceIDOf(a)
	}
	return out
}

// TestServiceDaemonFollowsTheFleet: a DAEMON service runs one task on
// every ACTIVE instance that meets its constraints, follows instances as
// they join and come to match, and leaves a draining instance last, after
// the REPLICA tasks there, without coming back.
func TestServiceDaemonFollowsTheFleet(t *testing.T) {
	t.Parallel()
	c := client(t)
	cluster := taskCluster(t, shared)
	edge1 := startAgent(t, shared, cluster, "--attribute", "role=edge")
	core := startAgent(t, shared, cluster)
	edge2 := startAgent(t, shared, cluster, "--attribute", "role=edge")
	family := uniqueName(t, "daemon")
	registerFamily(t, shared, family, healthy(sh("agent", untilStopped)))
	every, edge, web := uniqueName(t, "every"), uniqueName(t, "edge"), uniqueName(t, "web")
	var everyTasks, edgeTasks map[string]types.Task

	if !runInOrder(t,
		inOrderStep{"a DAEMON service runs one task on each of the 3 instances; desiredCount is 3", func(t *testing.T) {
			created := createSvc(t, c, daemonIn(cluster, every, family))
			if created.SchedulingStrategy != types.SchedulingStrategyDaemon {
				t.Fatalf("schedulingStrategy %s, want DAEMON", created.SchedulingStrategy)
			}
			everyTasks = awaitDaemon(t, c, cluster, every, edge1.ARN, core.ARN, edge2.ARN)
			if svc := awaitCompleted(t, c, cluster, every); !hasEvent(svc, "has started 3 tasks") {
				t.Errorf("no event of the 3 tasks started in %s", dump(svc.Events))
			}
		}},
		inOrderStep{"with memberOf attribute:role == edge it runs only on the 2 instances started with --attribute role=edge", func(t *testing.T) {
			createSvc(t, c, daemonIn(cluster, edge, family, memberOf("attribute:role == edge")))
			edgeTasks = awaitDaemon(t, c, cluster, edge, edge1.ARN, edge2.ARN)
			awaitCompleted(t, c, cluster, edge)
		}},
	) {
		return
	}

	fourth := startAgent(t, shared, cluster)
	runInOrder(t,
		inOrderStep{"a 4th instance joins: it gets the unconstrained service's task, and nothing else starts or stops", func(t *testing.T) {
			now := awaitDaemon(t, c, cluster, every, edge1.ARN, core.ARN, edge2.ARN, fourth.ARN)
			for inst, task := range everyTasks {
				if got := aws.ToString(now[inst].TaskArn); got != aws.ToString(task.TaskArn) {
					t.Errorf("instance %s: task %s, want the one it had, %s", instanceIDOf(inst), got, aws.ToString(task.TaskArn))
				}
			}
			if all := everyServiceTask(t, c, cluster, every); len(all) != 4 {
				t.Errorf("service %s has had %d tasks, want 4 (3 kept, 1 new): %v", every, len(all), taskARNs(all))
			}
			// The instance change stepped both services at once; the
			// constrained one, which the new instance does not match,
			// started nothing.
			if all := everyServiceTask(t, c, cluster, edge); len(all) != 2 {
				t.Errorf("service %s has had %d tasks, want its 2: %v", edge, len(all), taskARNs(all))
			}
			everyTasks = now
		}},
		inOrderStep{"PutAttributes role=edge on the 4th instance gives it the constrained service's task", func(t *testing.T) {
			putAttributes(t, c, cluster, targeted(fourth.ARN, "role", "edge"))
			now := awaitDaemon(t, c, cluster, edge, edge1.ARN, edge2.ARN, fourth.ARN)
			for inst, task := range edgeTasks {
				if got := aws.ToString(now[inst].TaskArn); got != aws.ToString(task.TaskArn) {
					t.Errorf("instance %s: task %s, want the one it had, %s", instanceIDOf(inst), got, aws.ToString(task.TaskArn))
				}
			}
			edgeTasks = now
		}},
		inOrderStep{"draining an instance stops its DAEMON tasks after its REPLICA task, and none starts there again", func(t *testing.T) {
			createSvc(t, c, svcIn(cluster, web, family, func(in *ecs.CreateServiceInput) { in.DesiredCount = aws.Int32(4) }))
			awaitCompleted(t, c, cluster, web)
			// The default strategies spread the 4 tasks over the 4
			// instances: edge1 runs one of each service.
			replica := onInstance(serviceTasks(t, c, cluster, web, types.DesiredStatusRunning), edge1.ARN)
			if len(replica) != 1 {
				t.Fatalf("%d tasks of %s on %s, want 1 (spread over 4 instances)", len(replica), web, instanceIDOf(edge1.ARN))
			}
			daemons := map[string]types.Task{every: everyTasks[edge1.ARN], edge: edgeTasks[edge1.ARN]}

			setInstancesState(t, c, cluster, types.ContainerInstanceStatusDraining, edge1.ARN)
			// The REPLICA task moves: its replacement starts elsewhere and
			// turns healthy, then it stops; only then do the daemons go.
			movedAt := aws.ToTime(awaitTask(t, shared, cluster, aws.ToString(replica[0].TaskArn), "STOPPED").StoppedAt)
			for name, task := range daemons {
				stopped := awaitTask(t, shared, cluster, aws.ToString(task.TaskArn), "STOPPED")
				if stoppingAt := aws.ToTime(stopped.StoppingAt); stoppingAt.Before(movedAt.Truncate(time.Millisecond)) {
					t.Errorf("%s's task on the draining instance was asked to stop at %s, before the REPLICA task there had stopped (%s)",
						name, stoppingAt.Format(time.RFC3339Nano), movedAt.Format(time.RFC3339Nano))
				}
				if stopped.StopCode != types.TaskStopCodeServiceSchedulerInitiated {
					t.Errorf("%s's task on the draining instance: stopCode %s, want ServiceSchedulerInitiated", name, stopped.StopCode)
				}
			}
			awaitDaemon(t, c, cluster, every, core.ARN, edge2.ARN, fourth.ARN)
			awaitDaemon(t, c, cluster, edge, edge2.ARN, fourth.ARN)
			for name, task := range daemons {
				if got := taskARNs(onInstance(everyServiceTask(t, c, cluster, name), edge1.ARN)); !slices.Equal(got, taskARNs([]types.Task{task})) {
					t.Errorf("%s has had tasks %v on the draining instance, want only its first, %s", name, got, aws.ToString(task.TaskArn))
				}
			}
			if svc := awaitStable(t, c, cluster, web); svc.RunningCount != 4 {
				t.Errorf("%s runs %d tasks after the drain, want 4", web, svc.RunningCount)
			}
		}},
	)
}

// census is what a censusProbe saw of a service's tasks.
type census struct {
	samples    int
	minHealthy int // fewest healthy tasks (healthyTask) in one sample
	maxPresent int // most tasks not yet STOPPED in one sample
	// trace is every change of "healthy/present" with when it was seen,
	// for failure messages: "0.0s 4/4, 1.2s 4/6, …".
	trace []string
	err   error
}

// censusProbe counts a service's tasks every censusInterval, in its own
// goroutine, until stopped.
type censusProbe struct {
	once   sync.Once
	first  chan struct{} // closed once the first sample is taken
	stopc  chan struct{}
	done   chan census
	result census
}

// startCensus starts a probe and returns once it has taken its first
// sample: what the test does next is in the trace.
func startCensus(t *testing.T, api *ecs.Client, cluster, name string) *censusProbe {
	t.Helper()
	p := &censusProbe{first: make(chan struct{}), stopc: make(chan struct{}), done: make(chan census, 1)}
	go p.run(api, cluster, name)
	t.Cleanup(func() { p.stop() })
	select {
	case <-p.first:
	case <-time.After(censusCallTimeout):
		t.Fatalf("the census probe took no sample in %s", censusCallTimeout)
	}
	return p
}

func (p *censusProbe) run(api *ecs.Client, cluster, name string) {
	res := census{minHealthy: math.MaxInt}
	defer func() {
		if res.samples == 0 {
			close(p.first)
		}
		p.done <- res
	}()
	began, last := time.Now(), ""
	tick := time.NewTicker(censusInterval)
	defer tick.Stop()
	for stopping := false; ; {
		c, cancel := context.WithTimeout(context.Background(), censusCallTimeout)
		tasks, err := listEveryServiceTask(c, api, cluster, name)
		cancel()
		if err != nil {
			res.err = err
			return
		}
		healthy, present := 0, 0
		for _, task := range tasks {
			if healthyTask(task) {
				healthy++
			}
			if aws.ToString(task.LastStatus) != "STOPPED" {
				present++
			}
		}
		res.samples++
		if res.samples == 1 {
			close(p.first)
		}
		res.minHealthy, res.maxPresent = min(res.minHealthy, healthy), max(res.maxPresent, present)
		if now := fmt.Sprintf("%d/%d", healthy, present); now != last {
			res.trace = append(res.trace, fmt.Sprintf("%.1fs %s", time.Since(began).Seconds(), now))
			last = now
		}
		if stopping {
			return
		}
		select {
		case <-p.stopc:
			stopping = true // one more sample: the state the test awaited
		case <-tick.C:
		}
	}
}

// stop ends the probe and returns what it saw.
func (p *censusProbe) stop() census {
	p.once.Do(func() {
		close(p.stopc)
		p.result = <-p.done
	})
	return p.result
}

// TestServiceDrainMovesReplicaTasksWithinTheBounds: the tasks of a REPLICA
// service on a DRAINING instance move to the other instances, and while
// they do the service never has fewer than ceil(minimumHealthyPercent ×
// desiredCount) healthy tasks nor more than floor(maximumPercent ×
// desiredCount) tasks; a standalone task on the instance stays.
func TestServiceDrainMovesReplicaTasksWithinTheBounds(t *testing.T) {
	t.Parallel()
	c := client(t)
	cluster, agents := serviceFleet(t, shared)
	family := uniqueName(t, "drain")
	registerFamily(t, shared, family, healthy(sh("app", untilStopped)))
	name := uniqueName(t, "web")
	const desired = 4
	createSvc(t, c, svcIn(cluster, name, family, func(in *ecs.CreateServiceInput) { in.DesiredCount = aws.Int32(desired) }))
	svc := awaitCompleted(t, c, cluster, name)
	dc := svc.DeploymentConfiguration
	floor := (desired*int(aws.ToInt32(dc.MinimumHealthyPercent)) + 99) / 100
	ceiling := desired * int(aws.ToInt32(dc.MaximumPercent)) / 100
	if floor != 4 || ceiling != 8 {
		t.Fatalf("bounds %d..%d, want ECS's defaults (100%%, 200%%): 4..8", floor, ceiling)
	}

	// Spread by instance puts 2, 1 and 1 tasks on the 3 instances.
	tasks := serviceTasks(t, c, cluster, name, types.DesiredStatusRunning)
	var drained string
	for _, a := range agents {
		if len(onInstance(tasks, a.ARN)) > len(onInstance(tasks, drained)) {
			drained = a.ARN
		}
	}
	leaving := onInstance(tasks, drained)
	if len(leaving) != 2 {
		t.Fatalf("the busiest instance runs %d of the service's tasks, want 2 (4 spread over 3)", len(leaving))
	}
	soloFamily := uniqueName(t, "solo")
	registerFamily(t, shared, soloFamily, sh("solo", untilStopped))
	started, err := c.StartTask(ctx(t), &ecs.StartTaskInput{Cluster: aws.String(cluster), TaskDefinition: aws.String(soloFamily), ContainerInstances: []string{drained}})
	if err != nil || len(started.Tasks) != 1 {
		t.Fatalf("StartTask on %s: %v %s", instanceIDOf(drained), err, dump(started))
	}
	solo := aws.ToString(started.Tasks[0].TaskArn)
	awaitTask(t, shared, cluster, solo, "RUNNING")

	probe := startCensus(t, c, cluster, name)
	setInstancesState(t, c, cluster, types.ContainerInstanceStatusDraining, drained)
	awaitSeen(t, "the service's tasks leave the draining instance", func() (bool, string) {
		all := everyServiceTask(t, c, cluster, name)
		onDrained, healthyElsewhere := 0, 0
		for _, task := range all {
			switch {
			case aws.ToString(task.ContainerInstanceArn) == drained && aws.ToString(task.LastStatus) != "STOPPED":
				onDrained++
			case aws.ToString(task.ContainerInstanceArn) != drained && healthyTask(task):
				healthyElsewhere++
			}
		}
		return onDrained == 0 && healthyElsewhere == desired, fmt.Sprintf("%d tasks not STOPPED on the draining instance, %d healthy elsewhere", onDrained, healthyElsewhere)
	})
	seen := probe.stop()
	if seen.err != nil {
		t.Fatalf("probe: %v", seen.err)
	}
	t.Logf("%d samples, healthy/present: %s", seen.samples, strings.Join(seen.trace, ", "))
	if seen.minHealthy < floor {
		t.Errorf("healthy tasks fell to %d, below the floor of %d", seen.minHealthy, floor)
	}
	if seen.maxPresent > ceiling {
		t.Errorf("tasks not STOPPED rose to %d, above the ceiling of %d", seen.maxPresent, ceiling)
	}
	// With minimumHealthyPercent 100 nothing may stop first: both
	// replacements start, and the tasks they replace stop once they are
	// healthy.
	if seen.maxPresent != desired+len(leaving) {
		t.Errorf("at most %d tasks were present, want %d: the replacements start before the tasks they replace stop", seen.maxPresent, desired+len(leaving))
	}

	for _, task := range leaving {
		got := describeTask(t, shared, cluster, aws.ToString(task.TaskArn))
		if aws.ToString(got.LastStatus) != "STOPPED" || got.StopCode != types.TaskStopCodeServiceSchedulerInitiated {
			t.Errorf("task %s on the draining instance is %s, stopCode %s; want STOPPED by the scheduler", aws.ToString(task.TaskArn), aws.ToString(got.LastStatus), got.StopCode)
		}
	}
	if svc := awaitStable(t, c, cluster, name); svc.RunningCount != desired {
		t.Errorf("runningCount %d after the drain, want %d", svc.RunningCount, desired)
	}
	if got := describeTask(t, shared, cluster, solo); aws.ToString(got.LastStatus) != "RUNNING" || aws.ToString(got.DesiredStatus) != "RUNNING" {
		t.Errorf("the standalone task on the draining instance is %s (desired %s), want RUNNING: ECS leaves standalone tasks alone", aws.ToString(got.LastStatus), aws.ToString(got.DesiredStatus))
	}
}

// restartReplicas are the desired counts of the REPLICA services that
// live through TestServiceRestartChurnsNothing's restarts: 14 tasks, and
// with the DAEMON service's 3 and the canary's 3, at most 20 in all.
var restartReplicas = []int32{1, 2, 3, 1, 2, 1, 2, 1, 1}

// restartCanary names the service whose scaling proves the controller
// has run after a restart.
const restartCanary = "zz-canary"

// TestServiceRestartChurnsNothing is ECS behaviour R2 scaled down: ten
// COMPLETED services (nine REPLICA with 1–3 tasks, one DAEMON) on three
// agents live through a restart of the server, graceful and then by
// SIGKILL, and after each the controller has stepped every service and
// still no task has started or stopped: every service has the same tasks,
// each with the same container, started at the same time, and no new
// event.
//
// Proof that the controller ran, rather than a settle window (which
// proves nothing about when it ran): a canary service is scaled to a
// task on every instance and then back to none, each waited for. A new
// leader's session steps every service once before it reads its watch, so
// the canary's second change, made after the first took effect, is read
// only after a full round of steps; and its tasks reach RUNNING and
// STOPPED only through the agents, so every agent is back too. (The
// services are also stepped on every change of an instance, such as an
// agent reconnecting, and those changes come before the canary's.)
func TestServiceRestartChurnsNothing(t *testing.T) {
	t.Parallel()
	srv, err := startServer(t.TempDir(), "server", "--auth", "strict")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.stop(); err != nil {
			t.Errorf("stop berth: %v", err)
		}
		if t.Failed() {
			t.Logf("berth log (last start):\n%s", tail(srv.log(), 80))
		}
	})
	c := clientFor(t, srv)
	cluster := taskCluster(t, srv)
	agents := make([]*agentProc, 3)
	for i := range agents {
		agents[i] = startAgent(t, srv, cluster)
	}
	family := uniqueName(t, "calm")
	registerFamily(t, srv, family, healthy(sh("app", untilStopped)))
	var names []string
	for i, n := range restartReplicas {
		name := fmt.Sprintf("web-%d", i+1)
		createSvc(t, c, svcIn(cluster, name, family, func(in *ecs.CreateServiceInput) { in.DesiredCount = aws.Int32(n) }))
		names = append(names, name)
	}
	createSvc(t, c, daemonIn(cluster, "daemon", family))
	names = append(names, "daemon")
	createSvc(t, c, svcIn(cluster, restartCanary, family, func(in *ecs.CreateServiceInput) {
		in.DesiredCount = aws.Int32(0)
		in.PlacementConstraints = []types.PlacementConstraint{{Type: types.PlacementConstraintTypeDistinctInstance}}
	}))
	for _, name := range names {
		awaitCompleted(t, c, cluster, name)
	}

	for _, v := range []struct {
		name    string
		restart func() error
	}{
		{"a graceful restart", func() error {
			if err := srv.stop(); err != nil {
				return err
			}
			return srv.start()
		}},
		{"a restart after kill -9", func() error {
			srv.kill()
			return srv.start()
		}},
	} {
		ok := t.Run(v.name, func(t *testing.T) {
			before := recordServices(t, c, cluster, names)
			if err := v.restart(); err != nil {
				t.Fatalf("restart: %v", err)
			}
			for _, a := range agents {
				awaitf(t, "agent "+instanceIDOf(a.ARN)+" is connected", func() bool { return describeInstance(t, c, cluster, a.ARN).AgentConnected })
			}
			scaleCanary(t, c, cluster, int32(len(agents)))
			scaleCanary(t, c, cluster, 0)
			after := recordServices(t, c, cluster, names)
			for _, name := range names {
				if b, a := before[name], after[name]; b != a {
					t.Errorf("service %s changed across the restart:\nbefore %s\nafter  %s", name, b, a)
				}
			}
		})
		if !ok {
			return // the next restart would start from a state already wrong
		}
	}
}

// scaleCanary sets the canary's desiredCount and waits until it has that
// many RUNNING tasks, on distinct instances, and no other task that has
// not STOPPED.
func scaleCanary(t *testing.T, c *ecs.Client, cluster string, n int32) {
	t.Helper()
	if _, err := c.UpdateService(ctx(t), &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(restartCanary), DesiredCount: aws.Int32(n)}); err != nil {
		t.Fatal(err)
	}
	awaitSeen(t, fmt.Sprintf("the canary runs %d tasks and no other", n), func() (bool, string) {
		running, other := map[string]bool{}, 0
		for _, task := range everyServiceTask(t, c, cluster, restartCanary) {
			switch aws.ToString(task.LastStatus) {
			case "RUNNING":
				running[aws.ToString(task.ContainerInstanceArn)] = true
				if aws.ToString(task.DesiredStatus) != "RUNNING" {
					other++
				}
			case "STOPPED":
			default:
				other++
			}
		}
		return len(running) == int(n) && other == 0, fmt.Sprintf("RUNNING on %d instances, %d other tasks not STOPPED", len(running), other)
	})
}

// recordServices renders what a restart must leave alone of each service:
// its counts and deployments, its events, and every task it has had, with
// each task's statuses and containers (runtime id and Docker's start
// time).
func recordServices(t *testing.T, c *ecs.Client, cluster string, names []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range names {
		svc := describeSvc(t, c, cluster, name)
		var b strings.Builder
		fmt.Fprintf(&b, "desired %d running %d pending %d; deployments %s", svc.DesiredCount, svc.RunningCount, svc.PendingCount, deployments(svc))
		for _, d := range svc.Deployments {
			fmt.Fprintf(&b, " %s", d.RolloutState)
		}
		for _, e := range svc.Events {
			fmt.Fprintf(&b, "\n  event %s %s %s", aws.ToString(e.Id), aws.ToTime(e.CreatedAt).Format(time.RFC3339Nano), aws.ToString(e.Message))
		}
		tasks := everyServiceTask(t, c, cluster, name)
		slices.SortFunc(tasks, func(x, y types.Task) int { return strings.Compare(aws.ToString(x.TaskArn), aws.ToString(y.TaskArn)) })
		for _, task := range tasks {
			fmt.Fprintf(&b, "\n  task %s %s/%s", aws.ToString(task.TaskArn), aws.ToString(task.DesiredStatus), aws.ToString(task.LastStatus))
			if task.StopCode != "" {
				fmt.Fprintf(&b, " %s %q", task.StopCode, aws.ToString(task.StoppedReason))
			}
			for _, ctr := range task.Containers {
				id := aws.ToString(ctr.RuntimeId)
				fmt.Fprintf(&b, " %s started %s", id, inspectContainer(t, id).StartedAt.Format(time.RFC3339Nano))
			}
		}
		out[name] = b.String()
	}
	return out
}
