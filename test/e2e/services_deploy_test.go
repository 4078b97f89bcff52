package e2e

// Deployments of REPLICA services through a real server, real agents and
// Docker: a rolling update keeps within minimumHealthyPercent and
// maximumPercent at every instant, the circuit breaker stops a revision
// that cannot run (and rolls back, when asked), forceNewDeployment
// replaces every task, and a desiredCount change scales without a
// deployment.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// failedQuietWindow is how long a FAILED deployment is watched for a task
// it should not launch: the one place where a time window is the
// assertion. A deployment that went on launching would do so at its next
// step, which comes at once when one of its tasks stops, or when the
// launch throttle lifts. Its tasks exit as they start, mostly before they
// are reported RUNNING, so their attempts count: the throttle holds 10 s
// after the first and 20 s after the second, the attempt that trips the
// breaker (2 tasks an attempt, threshold 3). The window covers the latter.
const failedQuietWindow = 22 * time.Second

// deployFamily registers the next revision of family: a container that
// runs until stopped, with a passing health check (its tasks turn healthy
// after one 5 s interval), and APP_REVISION=rev in its environment. It
// returns the revision's ARN.
func deployFamily(t *testing.T, family, rev string) string {
	t.Helper()
	app := healthy(sh("app", untilStopped))
	app.Environment = []types.KeyValuePair{{Name: aws.String("APP_REVISION"), Value: aws.String(rev)}}
	return registerFamily(t, shared, family, app)
}

// deployService creates a service of desired tasks of taskDef, edited by
// opts, on a fleet of three agents, and waits until its first deployment
// has COMPLETED: every task RUNNING and HEALTHY.
func deployService(t *testing.T, c *ecs.Client, taskDef string, desired int32, opts ...func(*ecs.CreateServiceInput)) (cluster, name string, svc types.Service) {
	t.Helper()
	cluster, _ = serviceFleet(t, shared)
	name = uniqueName(t, "svc")
	t.Cleanup(func() {
		if t.Failed() { // before the agents stop
			deployDump(t, c, cluster, name)
		}
	})
	createSvc(t, c, svcIn(cluster, name, taskDef, append([]func(*ecs.CreateServiceInput){func(in *ecs.CreateServiceInput) {
		in.DesiredCount = aws.Int32(desired)
	}}, opts...)...))
	return cluster, name, awaitCompleted(t, c, cluster, name)
}

// deployDump logs what a failed test's service was doing: its
// deployments, events and tasks.
func deployDump(t *testing.T, c *ecs.Client, cluster, name string) {
	t.Helper()
	bg, cancel := context.WithTimeout(context.Background(), censusCallTimeout)
	defer cancel()
	out, err := c.DescribeServices(bg, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
	if err != nil || len(out.Services) != 1 {
		t.Logf("describe service %s: %v", name, err)
		return
	}
	svc := out.Services[0]
	t.Logf("service %s: deployments %s", name, rollouts(svc))
	for _, e := range svc.Events {
		t.Logf("event %s %s", aws.ToTime(e.CreatedAt).Format("15:04:05.000"), aws.ToString(e.Message))
	}
	tasks, err := listEveryServiceTask(bg, c, cluster, name)
	if err != nil {
		t.Logf("tasks of service %s: %v", name, err)
	}
	for _, task := range tasks {
		t.Logf("task %s %s: %s/%s/%s startedBy %s, stop %s %q", arnTail(aws.ToString(task.TaskArn)), arnTail(aws.ToString(task.TaskDefinitionArn)),
			aws.ToString(task.LastStatus), aws.ToString(task.DesiredStatus), task.HealthStatus, aws.ToString(task.StartedBy), task.StopCode, aws.ToString(task.StoppedReason))
	}
	t.Logf("shared server's log about cluster %s, and its warnings:\n%s", cluster, serverLogAbout(shared, cluster))
}

// serverLogAbout is the lines of s's log that name cluster, or that warn
// or err about anything (a controller's trouble names no cluster), the
// last serverLogLines of them.
func serverLogAbout(s *server, cluster string) string {
	var out []string
	for line := range strings.Lines(s.log()) {
		named := strings.Contains(strings.TrimRight(line, "\n")+" ", "cluster="+cluster+" ")
		if named || strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			out = append(out, line)
		}
	}
	return strings.Join(out[max(len(out)-serverLogLines, 0):], "")
}

// serverLogLines bounds a failed test's excerpt of the shared server's
// log: enough for one service's story, not the whole suite's.
const serverLogLines = 200

// deployUpdate calls UpdateService on the service and returns what it
// answers.
func deployUpdate(t *testing.T, c *ecs.Client, cluster, name string, edit func(*ecs.UpdateServiceInput)) types.Service {
	t.Helper()
	in := &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(name)}
	edit(in)
	out, err := c.UpdateService(ctx(t), in)
	if err != nil {
		t.Fatalf("UpdateService(%s): %v", name, err)
	}
	return *out.Service
}

// rollouts is a service's deployments as "STATUS family:rev ROLLOUT",
// PRIMARY first.
func rollouts(s types.Service) string {
	var out []string
	for _, d := range s.Deployments {
		out = append(out, fmt.Sprintf("%s %s %s", aws.ToString(d.Status), arnTail(aws.ToString(d.TaskDefinition)), d.RolloutState))
	}
	return strings.Join(out, ", ")
}

// arnTail is the last part of an ARN: "family:rev" of a task
// definition's, the id of a task's.
func arnTail(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

// deployEvent is the scheduler's event about one deployment, e.g.
// "(service web) (deployment ecs-svc/123…) deployment completed."
func deployEvent(name, deployment, what string) string {
	return fmt.Sprintf("(service %s) (deployment %s) %s", name, deployment, what)
}

// tasksStartedBy describes every task a deployment started, stopped ones
// included.
func tasksStartedBy(t *testing.T, c *ecs.Client, cluster, name, deployment string) []types.Task {
	t.Helper()
	var out []types.Task
	for _, task := range everyServiceTask(t, c, cluster, name) {
		if aws.ToString(task.StartedBy) == deployment {
			out = append(out, task)
		}
	}
	return out
}

// containerEnv is the environment Docker gave a container.
func containerEnv(t *testing.T, runtimeID string) []string {
	t.Helper()
	out, err := docker("inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", runtimeID)
	if err != nil {
		t.Fatalf("docker inspect %s: %v: %s", runtimeID, err, out)
	}
	return strings.Fields(out)
}

// assertWithinBounds stops the census probe and checks what it saw while
// the service rolled out. healthyTask counts the tasks that hold the
// floor: RUNNING, HEALTHY and not asked to stop (a task the scheduler is
// stopping no longer serves, even while its container runs; counting it
// would be looser, and the scheduler promises the stricter count: it never
// asks a healthy task to stop that the floor needs). Present counts every
// task not yet STOPPED. ECS words maximumPercent as "tasks in the RUNNING
// or PENDING state": PROVISIONING and ACTIVATING are on the way to
// RUNNING and ECS reports them as pending, and DEACTIVATING, STOPPING and
// DEPROVISIONING tasks still have their containers, and so their
// instance's memory and ports, until they are STOPPED; berth counts them
// against the ceiling until then, and so does the check: stricter than
// ECS's words, never looser. The rollout must also use all the room the
// bounds give (the fewest healthy is the floor, the most present the
// ceiling), which shows the probe saw the rollout itself, not its ends.
func assertWithinBounds(t *testing.T, probe *censusProbe, floor, ceiling int) {
	t.Helper()
	seen := probe.stop()
	if seen.err != nil {
		t.Fatalf("probe: %v", seen.err)
	}
	t.Logf("%d samples, healthy/present: %s", seen.samples, strings.Join(seen.trace, ", "))
	if seen.minHealthy < floor || seen.maxPresent > ceiling {
		t.Errorf("healthy tasks fell to %d, tasks not STOPPED rose to %d; want at least the floor of %d, at most the ceiling of %d",
			seen.minHealthy, seen.maxPresent, floor, ceiling)
	}
	if seen.minHealthy != floor || seen.maxPresent != ceiling {
		t.Errorf("fewest healthy %d, most present %d; want the rollout to use its room: %d and %d", seen.minHealthy, seen.maxPresent, floor, ceiling)
	}
}

// assertReplaced checks the end of a rollout: the service runs desired
// tasks of taskDef, all started by the deployment, RUNNING and HEALTHY,
// none of them one of the old tasks; and every old task was stopped by
// the scheduler for its own deployment. It returns the new tasks.
func assertReplaced(t *testing.T, c *ecs.Client, cluster, name string, old []types.Task, deployment, taskDef string, desired int) []types.Task {
	t.Helper()
	now := serviceTasks(t, c, cluster, name, types.DesiredStatusRunning)
	if len(now) != desired {
		t.Fatalf("%d tasks desired RUNNING, want %d: %s", len(now), desired, dump(now))
	}
	for _, task := range now {
		if !healthyTask(task) || aws.ToString(task.TaskDefinitionArn) != taskDef || aws.ToString(task.StartedBy) != deployment || slices.Contains(taskARNs(old), aws.ToString(task.TaskArn)) {
			t.Errorf("task %s: %s %s, %s, startedBy %s; want a new RUNNING HEALTHY task of %s started by %s",
				arnTail(aws.ToString(task.TaskArn)), aws.ToString(task.LastStatus), task.HealthStatus, arnTail(aws.ToString(task.TaskDefinitionArn)),
				aws.ToString(task.StartedBy), arnTail(taskDef), deployment)
		}
	}
	for _, task := range old {
		task = describeTask(t, shared, cluster, aws.ToString(task.TaskArn))
		wantReason := "Scaling activity initiated by (deployment " + aws.ToString(task.StartedBy) + ")"
		if aws.ToString(task.LastStatus) != "STOPPED" || task.StopCode != types.TaskStopCodeServiceSchedulerInitiated || aws.ToString(task.StoppedReason) != wantReason {
			t.Errorf("old task %s: %s, stopCode %s, reason %q; want STOPPED by the scheduler: %q",
				arnTail(aws.ToString(task.TaskArn)), aws.ToString(task.LastStatus), task.StopCode, aws.ToString(task.StoppedReason), wantReason)
		}
	}
	return now
}

func TestServiceRollingUpdateKeepsWithinTheBounds(t *testing.T) {
	t.Parallel()
	const desired = 4
	cases := []struct {
		name     string
		min, max *int32 // nil: ECS's defaults, 100 and 200
		floor    int    // minimumHealthyPercent × desired, rounded up
		ceiling  int    // maximumPercent × desired, rounded down
	}{
		// ceil(100% × 4) = 4, floor(200% × 4) = 8: four new tasks start
		// at once, and the old ones stop as the new ones turn healthy.
		{"new tasks start first under the defaults of minimum 100 and maximum 200 percent", nil, nil, 4, 8},
		// ceil(50% × 4) = 2, floor(100% × 4) = 4: no room for a new task
		// until two old ones have stopped.
		{"old tasks stop first under minimum 50 and maximum 100 percent", aws.Int32(50), aws.Int32(100), 2, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := client(t)
			family := uniqueName(t, "roll")
			rev1 := deployFamily(t, family, "1")
			cluster, name, before := deployService(t, c, rev1, desired, func(in *ecs.CreateServiceInput) {
				if tc.min != nil {
					in.DeploymentConfiguration = &types.DeploymentConfiguration{MinimumHealthyPercent: tc.min, MaximumPercent: tc.max}
				}
			})
			old := serviceTasks(t, c, cluster, name, types.DesiredStatusRunning)
			rev2 := deployFamily(t, family, "2") // the same image, another environment

			probe := startCensus(t, c, cluster, name)
			deployUpdate(t, c, cluster, name, func(in *ecs.UpdateServiceInput) { in.TaskDefinition = aws.String(rev2) })
			// A new task turns healthy one 5 s health-check interval after it
			// starts: the rollout has only begun.
			during := describeSvc(t, c, cluster, name)
			if got, want := rollouts(during), fmt.Sprintf("PRIMARY %s:2 IN_PROGRESS, ACTIVE %s:1 COMPLETED", family, family); got != want {
				t.Fatalf("during the rollout: deployments %s, want %s", got, want)
			}
			if aws.ToString(during.Deployments[1].Id) != aws.ToString(before.Deployments[0].Id) {
				t.Fatalf("the ACTIVE deployment is %s, want the old PRIMARY %s", aws.ToString(during.Deployments[1].Id), aws.ToString(before.Deployments[0].Id))
			}
			newDep := aws.ToString(during.Deployments[0].Id)

			after := awaitCompleted(t, c, cluster, name)
			assertWithinBounds(t, probe, tc.floor, tc.ceiling)
			if got, want := rollouts(after), fmt.Sprintf("PRIMARY %s:2 COMPLETED", family); got != want || aws.ToString(after.Deployments[0].Id) != newDep {
				t.Errorf("after the rollout: deployments %s (%s), want %s (%s)", got, aws.ToString(after.Deployments[0].Id), want, newDep)
			}
			if aws.ToString(after.TaskDefinition) != rev2 || after.RunningCount != desired {
				t.Errorf("after the rollout: taskDefinition %s, runningCount %d; want %s, %d", aws.ToString(after.TaskDefinition), after.RunningCount, rev2, desired)
			}
			if want := deployEvent(name, newDep, "deployment completed."); !hasEvent(after, want) {
				t.Errorf("no event %q in %s", want, dump(after.Events))
			}
			for _, task := range assertReplaced(t, c, cluster, name, old, newDep, rev2, desired) {
				if env := containerEnv(t, aws.ToString(task.Containers[0].RuntimeId)); !slices.Contains(env, "APP_REVISION=2") {
					t.Errorf("task %s runs with environment %v, want APP_REVISION=2", aws.ToString(task.TaskArn), env)
				}
			}
		})
	}
}

// The circuit breaker's arithmetic for the services below: desired 2,
// the default threshold BOUNDED_PERCENT 50 (ECS's documented rule).
const (
	breakerDesired = 2
	// breakerThreshold is clamp(ceil(50% × 2), 3, 200) = clamp(1, 3, 200)
	// = 3 failed tasks.
	breakerThreshold = 3
	// breakerMostTasks bounds the failing revision's tasks: the step that
	// counts the threshold-th failure launches nothing, and before it the
	// deployment had at most threshold−1 failures counted and as many
	// tasks in flight as the ceiling leaves beside the old deployment's
	// (minimumHealthyPercent 100 keeps all of its 2 tasks):
	// 2 + (floor(200% × 2) − 2) = 4.
	breakerMostTasks = breakerThreshold - 1 + (2*breakerDesired - breakerDesired)
)

// breakerService is a service whose update trips its circuit breaker.
type breakerService struct {
	cluster, name, family string
	rev1, rev2            string       // its revisions' ARNs: one that runs, one that cannot
	dep1, dep2            string       // the deployments of rev1 and rev2
	old                   []types.Task // rev1's tasks before the update
}

// newBreakerService makes a service of breakerDesired healthy tasks of its
// first revision, with the circuit breaker on (rollback as given), then
// updates it to a second revision whose essential container exits 1 at
// once.
func newBreakerService(t *testing.T, c *ecs.Client, rollback bool) breakerService {
	t.Helper()
	b := breakerService{family: uniqueName(t, "breaker")}
	b.rev1 = deployFamily(t, b.family, "1")
	var first types.Service
	b.cluster, b.name, first = deployService(t, c, b.rev1, breakerDesired, func(in *ecs.CreateServiceInput) {
		in.DeploymentConfiguration = &types.DeploymentConfiguration{
			DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: true, Rollback: rollback},
		}
	})
	b.dep1, b.old = aws.ToString(first.Deployments[0].Id), serviceTasks(t, c, b.cluster, b.name, types.DesiredStatusRunning)
	b.rev2 = registerFamily(t, shared, b.family, sh("app", "exit 1"))
	updated := deployUpdate(t, c, b.cluster, b.name, func(in *ecs.UpdateServiceInput) { in.TaskDefinition = aws.String(b.rev2) })
	b.dep2 = aws.ToString(updated.Deployments[0].Id)
	return b
}

// failedTasksOf waits until every task of the failing deployment has
// stopped and checks how: each exited 1 on its own (EssentialContainerExited),
// or, with a rollback, the scheduler stopped one still starting when the
// breaker tripped (the failed deployment keeps no tasks then). At least
// the threshold failed on their own, and no more than breakerMostTasks
// were launched. It returns how many failed on their own, and how many
// there were.
func failedTasksOf(t *testing.T, c *ecs.Client, cluster, name, deployment string) (failed, launched int) {
	t.Helper()
	var tasks []types.Task
	awaitf(t, "every task of the failed deployment has stopped", func() bool {
		tasks = tasksStartedBy(t, c, cluster, name, deployment)
		return !slices.ContainsFunc(tasks, func(task types.Task) bool { return aws.ToString(task.LastStatus) != "STOPPED" })
	})
	for _, task := range tasks {
		exit := int32(-1) // no exit code
		if len(task.Containers) == 1 && task.Containers[0].ExitCode != nil {
			exit = *task.Containers[0].ExitCode
		}
		switch {
		case task.StopCode == types.TaskStopCodeEssentialContainerExited && exit == 1:
			failed++
		case task.StopCode == types.TaskStopCodeServiceSchedulerInitiated:
		default:
			t.Errorf("failed task %s: stopCode %s, exit code %d; want EssentialContainerExited, 1",
				arnTail(aws.ToString(task.TaskArn)), task.StopCode, exit)
		}
	}
	if failed < breakerThreshold || len(tasks) > breakerMostTasks {
		t.Errorf("the failed deployment launched %d tasks, %d of which failed; want at least %d failed, at most %d launched",
			len(tasks), failed, breakerThreshold, breakerMostTasks)
	}
	return failed, len(tasks)
}

func TestServiceCircuitBreaker(t *testing.T) {
	t.Parallel()

	t.Run("with rollback the service returns to the last completed revision", func(t *testing.T) {
		t.Parallel()
		c := client(t)
		b := newBreakerService(t, c, true)

		var rolling types.Service
		awaitf(t, "the circuit breaker rolls the service back", func() bool {
			rolling = describeSvc(t, c, b.cluster, b.name)
			return aws.ToString(rolling.TaskDefinition) == b.rev1
		})
		rollbackDep := aws.ToString(rolling.Deployments[0].Id)
		// The rollback deployment's tasks need a health-check interval to
		// turn healthy, so it is seen in progress.
		if got, want := rollouts(rolling), fmt.Sprintf("PRIMARY %s:1 IN_PROGRESS", b.family); !strings.HasPrefix(got, want) || rollbackDep == b.dep1 || rollbackDep == b.dep2 {
			t.Fatalf("rolling back: deployments %s, PRIMARY %s; want %s first, a new deployment", got, rollbackDep, want)
		}
		if got, want := aws.ToString(rolling.Deployments[0].RolloutStateReason), "ECS deployment circuit breaker: rolling back to deploymentId "+b.dep1+"."; got != want {
			t.Errorf("rollback rolloutStateReason %q, want %q", got, want)
		}

		after := awaitCompleted(t, c, b.cluster, b.name)
		if got, want := rollouts(after), fmt.Sprintf("PRIMARY %s:1 COMPLETED", b.family); got != want || aws.ToString(after.Deployments[0].Id) != rollbackDep {
			t.Errorf("after the rollback: deployments %s (%s), want %s (%s)", got, aws.ToString(after.Deployments[0].Id), want, rollbackDep)
		}
		if aws.ToString(after.TaskDefinition) != b.rev1 {
			t.Errorf("after the rollback: taskDefinition %s, want %s", arnTail(aws.ToString(after.TaskDefinition)), arnTail(b.rev1))
		}
		for _, want := range []string{
			deployEvent(b.name, b.dep2, "deployment failed: tasks failed to start."),
			fmt.Sprintf("(service %s) rolling back to deployment %s.", b.name, b.dep1),
			deployEvent(b.name, rollbackDep, "deployment completed."),
		} {
			if !hasEvent(after, want) {
				t.Errorf("no event %q in %s", want, dump(after.Events))
			}
		}
		failedTasksOf(t, c, b.cluster, b.name, b.dep2)
		// The rollback is a deployment like any other: new tasks of rev1
		// replace the old ones.
		assertReplaced(t, c, b.cluster, b.name, b.old, rollbackDep, b.rev1, breakerDesired)
	})

	t.Run("without rollback the failed deployment launches nothing more", func(t *testing.T) {
		t.Parallel()
		c := client(t)
		b := newBreakerService(t, c, false)

		var failed types.Service
		awaitf(t, "the circuit breaker fails the deployment", func() bool {
			failed = describeSvc(t, c, b.cluster, b.name)
			return failed.Deployments[0].RolloutState == types.DeploymentRolloutStateFailed
		})
		// The FAILED deployment stays PRIMARY; the old one keeps its tasks.
		if got, want := rollouts(failed), fmt.Sprintf("PRIMARY %s:2 FAILED, ACTIVE %s:1 COMPLETED", b.family, b.family); got != want {
			t.Fatalf("after the trip: deployments %s, want %s", got, want)
		}
		prim := failed.Deployments[0]
		if n := prim.FailedTasks; n < breakerThreshold || n > breakerMostTasks {
			t.Errorf("failedTasks %d, want %d to %d", n, breakerThreshold, breakerMostTasks)
		}
		if got, want := aws.ToString(prim.RolloutStateReason), "ECS deployment circuit breaker: tasks failed to start."; got != want {
			t.Errorf("rolloutStateReason %q, want %q", got, want)
		}
		if want := deployEvent(b.name, b.dep2, "deployment failed: tasks failed to start."); !hasEvent(failed, want) {
			t.Errorf("no event %q in %s", want, dump(failed.Events))
		}
		if hasEvent(failed, "rolling back") || aws.ToString(failed.TaskDefinition) != b.rev2 {
			t.Errorf("a breaker without rollback rolled back: taskDefinition %s, events %s", arnTail(aws.ToString(failed.TaskDefinition)), dump(failed.Events))
		}

		// Every task launched before the trip is stored by now; none may
		// follow.
		launched := taskARNs(tasksStartedBy(t, c, b.cluster, b.name, b.dep2))
		for end := time.Now().Add(failedQuietWindow); time.Now().Before(end); time.Sleep(censusInterval) {
			for _, task := range tasksStartedBy(t, c, b.cluster, b.name, b.dep2) {
				if !slices.Contains(launched, aws.ToString(task.TaskArn)) {
					t.Fatalf("the FAILED deployment launched task %s", aws.ToString(task.TaskArn))
				}
			}
		}
		// Without a rollback the FAILED deployment keeps what it has: its
		// tasks all fail on their own, and each counts once, the ones that
		// failed after the trip included.
		failedN, launchedN := failedTasksOf(t, c, b.cluster, b.name, b.dep2)
		if got := describeSvc(t, c, b.cluster, b.name).Deployments[0].FailedTasks; int(got) != failedN || failedN != launchedN {
			t.Errorf("failedTasks %d; %d of %d tasks failed on their own; want one count for each task", got, failedN, launchedN)
		}
		running := serviceTasks(t, c, b.cluster, b.name, types.DesiredStatusRunning)
		if !slices.Equal(taskARNs(running), taskARNs(b.old)) || slices.ContainsFunc(running, func(task types.Task) bool { return !healthyTask(task) }) {
			t.Errorf("tasks desired RUNNING after the trip: %v; want the old deployment's, still healthy: %v", taskARNs(running), taskARNs(b.old))
		}
	})
}

func TestServiceForceNewDeploymentReplacesEveryTask(t *testing.T) {
	t.Parallel()
	const desired = 4
	c := client(t)
	family := uniqueName(t, "force")
	rev1 := deployFamily(t, family, "1")
	cluster, name, before := deployService(t, c, rev1, desired)
	old := serviceTasks(t, c, cluster, name, types.DesiredStatusRunning)

	// ECS's defaults: ceil(100% × 4) = 4 healthy, floor(200% × 4) = 8 in all.
	probe := startCensus(t, c, cluster, name)
	updated := deployUpdate(t, c, cluster, name, func(in *ecs.UpdateServiceInput) { in.ForceNewDeployment = true })
	newDep := aws.ToString(updated.Deployments[0].Id)
	if got, want := rollouts(updated), fmt.Sprintf("PRIMARY %s:1 IN_PROGRESS, ACTIVE %s:1 COMPLETED", family, family); got != want || newDep == aws.ToString(before.Deployments[0].Id) {
		t.Fatalf("forceNewDeployment: deployments %s, PRIMARY %s; want %s, a new deployment", got, newDep, want)
	}
	after := awaitCompleted(t, c, cluster, name)
	assertWithinBounds(t, probe, 4, 8)
	if got, want := rollouts(after), fmt.Sprintf("PRIMARY %s:1 COMPLETED", family); got != want || aws.ToString(after.Deployments[0].Id) != newDep {
		t.Errorf("after the deployment: deployments %s (%s), want %s (%s)", got, aws.ToString(after.Deployments[0].Id), want, newDep)
	}
	if aws.ToString(after.TaskDefinition) != rev1 {
		t.Errorf("taskDefinition %s, want the same %s", aws.ToString(after.TaskDefinition), rev1)
	}
	if want := deployEvent(name, newDep, "deployment completed."); !hasEvent(after, want) {
		t.Errorf("no event %q in %s", want, dump(after.Events))
	}
	assertReplaced(t, c, cluster, name, old, newDep, rev1, desired)
}

func TestServiceScalesOutAndInWithoutADeployment(t *testing.T) {
	t.Parallel()
	c := client(t)
	family := uniqueName(t, "scale")
	rev1 := deployFamily(t, family, "1")
	cluster, name, before := deployService(t, c, rev1, 4)
	dep := aws.ToString(before.Deployments[0].Id)
	steady := fmt.Sprintf("(service %s) has reached a steady state.", name)

	for _, step := range []struct {
		desired int32
		event   string // the scheduler's event for the change
	}{
		{6, fmt.Sprintf("(service %s) has started 2 tasks:", name)},
		{2, fmt.Sprintf("(service %s) has stopped 4 running tasks:", name)},
	} {
		updated := deployUpdate(t, c, cluster, name, func(in *ecs.UpdateServiceInput) { in.DesiredCount = aws.Int32(step.desired) })
		if updated.DesiredCount != step.desired || updated.Deployments[0].DesiredCount != step.desired {
			t.Fatalf("UpdateService desiredCount %d: service %d, deployment %d", step.desired, updated.DesiredCount, updated.Deployments[0].DesiredCount)
		}
		// Steady by the scheduler's measure: it has scaled (its event for
		// the change) and says it is steady since (the newest event), which
		// it says once every task is healthy. At every look on the way, the
		// service has its one deployment, still COMPLETED: a desiredCount
		// change scales it and starts none.
		var svc types.Service
		awaitSeen(t, fmt.Sprintf("the service is steady at %d tasks", step.desired), func() (bool, string) {
			svc = describeSvc(t, c, cluster, name)
			if got, want := rollouts(svc), fmt.Sprintf("PRIMARY %s:1 COMPLETED", family); got != want || aws.ToString(svc.Deployments[0].Id) != dep {
				t.Fatalf("scaling to %d: deployments %s (%s), want %s (%s)", step.desired, got, aws.ToString(svc.Deployments[0].Id), want, dep)
			}
			newest := aws.ToString(svc.Events[0].Message)
			return hasEvent(svc, step.event) && newest == steady, "newest event " + newest
		})
		// Stable by the SDK waiter's measure too.
		awaitStable(t, c, cluster, name)
		tasks := serviceTasks(t, c, cluster, name, types.DesiredStatusRunning)
		if len(tasks) != int(step.desired) || svc.RunningCount != step.desired {
			t.Fatalf("at desiredCount %d: %d tasks desired RUNNING, runningCount %d", step.desired, len(tasks), svc.RunningCount)
		}
		for _, task := range tasks {
			if !healthyTask(task) || aws.ToString(task.StartedBy) != dep {
				t.Errorf("task %s: %s %s, startedBy %s; want RUNNING HEALTHY, started by %s",
					arnTail(aws.ToString(task.TaskArn)), aws.ToString(task.LastStatus), task.HealthStatus, aws.ToString(task.StartedBy), dep)
			}
		}
	}
}
