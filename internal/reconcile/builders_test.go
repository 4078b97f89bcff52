package reconcile

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-org/berth/internal/ecs"
)

// t0 is "now" in the table tests.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// svc builds a REPLICA service "web" with minimumHealthyPercent 100 and
// maximumPercent 200 (ECS's defaults) and the given deployments, the first
// being PRIMARY.
func svc(desired int32, deps []ecs.Deployment, opts ...func(*ecs.Service)) ecs.Service {
	s := ecs.Service{
		Name: "web", ARN: "arn:aws:ecs:us-east-1:000000000000:service/c/web",
		Status: ecs.ServiceActive, DesiredCount: desired, SchedulingStrategy: ecs.SchedulingReplica,
		DeploymentConfiguration: ecs.DeploymentConfiguration{MaximumPercent: 200, MinimumHealthyPercent: 100},
		Deployments:             deps,
	}
	if len(deps) > 0 {
		s.TaskDefinitionARN = deps[0].TaskDefinitionARN
	}
	for _, o := range opts {
		o(&s)
	}
	return s
}

func minMax(minPct, maxPct int32) func(*ecs.Service) {
	return func(s *ecs.Service) {
		s.DeploymentConfiguration.MinimumHealthyPercent, s.DeploymentConfiguration.MaximumPercent = minPct, maxPct
	}
}

func daemonStrategy(s *ecs.Service) {
	s.SchedulingStrategy = ecs.SchedulingDaemon
	s.DeploymentConfiguration.MinimumHealthyPercent, s.DeploymentConfiguration.MaximumPercent = 0, 100
}

func grace(seconds int32) func(*ecs.Service) {
	return func(s *ecs.Service) { s.HealthCheckGracePeriodSeconds = seconds }
}

func breakerOn(rollback bool) func(*ecs.Service) {
	return func(s *ecs.Service) {
		s.DeploymentConfiguration.CircuitBreaker = ecs.CircuitBreaker{Enable: true, Rollback: rollback, ResetOnHealthyTask: true}
	}
}

func stable(id, taskDef string) func(*ecs.Service) {
	return func(s *ecs.Service) {
		s.Stable = &ecs.Deployment{ID: id, TaskDefinitionARN: taskDef, RolloutState: ecs.RolloutCompleted}
	}
}

func status(st ecs.ServiceStatus) func(*ecs.Service) {
	return func(s *ecs.Service) { s.Status = st }
}

func withEvents(es ...ecs.ServiceEvent) func(*ecs.Service) {
	return func(s *ecs.Service) { s.Events = es }
}

// dep builds a deployment: PRIMARY IN_PROGRESS unless told otherwise.
func dep(id, taskDef string, opts ...func(*ecs.Deployment)) ecs.Deployment {
	d := ecs.Deployment{ID: id, Status: ecs.DeploymentPrimary, TaskDefinitionARN: taskDef, RolloutState: ecs.RolloutInProgress}
	for _, o := range opts {
		o(&d)
	}
	return d
}

// old makes a deployment ACTIVE (replaced) with desired tasks, COMPLETED.
func old(desired int32) func(*ecs.Deployment) {
	return func(d *ecs.Deployment) {
		d.Status, d.DesiredCount, d.RolloutState = ecs.DeploymentActive, desired, ecs.RolloutCompleted
	}
}

func completed(d *ecs.Deployment) { d.RolloutState = ecs.RolloutCompleted }

func failedTasks(n int32) func(*ecs.Deployment) {
	return func(d *ecs.Deployment) { d.FailedTasks = n }
}

func settledTasks(ids ...string) func(*ecs.Deployment) {
	return func(d *ecs.Deployment) { d.SettledTasks = ids }
}

func throttled(failures int32, until time.Time) func(*ecs.Deployment) {
	return func(d *ecs.Deployment) { d.LaunchFailures, d.NextLaunchAt = failures, until }
}

// tk builds a task of deployment depID on i-1, healthy (RUNNING for a
// minute, no health check) unless told otherwise.
func tk(id, depID string, opts ...func(*Task)) Task {
	t := Task{
		ID: id, DeploymentID: depID, InstanceID: "i-1",
		LastStatus: ecs.TaskRunning, DesiredStatus: ecs.TaskRunning, Health: ecs.HealthUnknown,
		CreatedAt: t0.Add(-2 * time.Minute), StartedAt: t0.Add(-time.Minute),
	}
	for _, o := range opts {
		o(&t)
	}
	return t
}

func on(instance string) func(*Task) { return func(t *Task) { t.InstanceID = instance } }

func pendingTask(t *Task) { t.LastStatus, t.StartedAt = ecs.TaskPending, time.Time{} }

// runningFor makes the task RUNNING since d before t0.
func runningFor(d time.Duration) func(*Task) {
	return func(t *Task) { t.LastStatus, t.StartedAt = ecs.TaskRunning, t0.Add(-d) }
}

// checked gives the task a health check with the given status.
func checked(health string) func(*Task) {
	return func(t *Task) { t.HealthChecked, t.Health = true, health }
}

func createdAt(at time.Time) func(*Task) { return func(t *Task) { t.CreatedAt = at } }

// stoppedTask makes the task STOPPED with code; never RUNNING when
// neverRan.
func stoppedTask(code string, neverRan bool) func(*Task) {
	return func(t *Task) {
		t.LastStatus, t.DesiredStatus, t.StopCode, t.StoppedAt = ecs.TaskStopped, ecs.TaskStopped, code, t0.Add(-time.Second)
		if neverRan {
			t.StartedAt = time.Time{}
		} else {
			t.StartedAt = t0.Add(-10 * time.Second)
		}
	}
}

// stopAsked makes the task asked to stop, still RUNNING.
func stopAsked(t *Task) {
	t.DesiredStatus, t.StopCode = ecs.TaskStopped, ecs.StopServiceSchedulerInitiated
}

// inst builds an ACTIVE, connected, eligible instance.
func inst(id string, opts ...func(*Instance)) Instance {
	i := Instance{ID: id, Status: ecs.InstanceActive, Connected: true, Eligible: true}
	for _, o := range opts {
		o(&i)
	}
	return i
}

func draining(i *Instance)     { i.Status = ecs.InstanceDraining }
func disconnected(i *Instance) { i.Connected = false }
func ineligible(i *Instance)   { i.Eligible = false }

func replicaTasks(n int) func(*Instance) { return func(i *Instance) { i.ReplicaTasks = n } }

// instances builds ACTIVE instances i-1 … i-n.
func instances(n int) []Instance {
	var is []Instance
	for k := 1; k <= n; k++ {
		is = append(is, inst(fmt.Sprintf("i-%d", k)))
	}
	return is
}

// tasks builds n healthy tasks of depID named prefix1 … prefixN, spread
// over instances i-1 … i-3.
func tasks(prefix, depID string, n int, opts ...func(*Task)) []Task {
	var ts []Task
	for k := 1; k <= n; k++ {
		t := tk(fmt.Sprintf("%s%d", prefix, k), depID, on(fmt.Sprintf("i-%d", (k-1)%3+1)))
		for _, o := range opts {
			o(&t)
		}
		ts = append(ts, t)
	}
	return ts
}

// actions renders what a decision does, one line each: starts, stops,
// choices, then the events it adds. It is what the table tests compare.
func actions(d Decision) []string {
	var out []string
	for _, s := range d.Start {
		line := fmt.Sprintf("start %d of %s (%s)", s.Count, s.DeploymentID, s.TaskDefinitionARN)
		if s.InstanceID != "" {
			line += " on " + s.InstanceID
		}
		out = append(out, line)
	}
	for _, s := range d.Stop {
		out = append(out, fmt.Sprintf("stop %s: %s", s.TaskID, s.Reason))
	}
	for _, c := range d.StopSome {
		out = append(out, fmt.Sprintf("stop %d of %s: %s", c.Count, strings.Join(c.Candidates, " "), c.Reason))
	}
	for _, e := range d.Events {
		out = append(out, "event "+e.Message)
	}
	return out
}

// deployments renders the decided service's deployments, one line each.
func deployments(d Decision) []string {
	var out []string
	for _, dp := range d.Service.Deployments {
		line := fmt.Sprintf("%s %s %s desired=%d running=%d pending=%d failed=%d",
			dp.ID, dp.Status, dp.RolloutState, dp.DesiredCount, dp.RunningCount, dp.PendingCount, dp.FailedTasks)
		if dp.LaunchFailures > 0 {
			line += fmt.Sprintf(" launchFailures=%d nextLaunch=%s", dp.LaunchFailures, relTime(dp.NextLaunchAt, t0))
		}
		out = append(out, line)
	}
	return out
}

// relTime renders at relative to base: "+40s", "-1m0s", "none".
func relTime(at, base time.Time) string {
	if at.IsZero() {
		return "none"
	}
	d := at.Sub(base)
	if d >= 0 {
		return "+" + d.String()
	}
	return d.String()
}

// same fails t with a diff when got is not want.
func same[T any](t *testing.T, what string, want, got T) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}
