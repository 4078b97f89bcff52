package reconcile

import (
	"fmt"
	"slices"
	"time"

	"github.com/berth-org/berth/internal/ecs"
)

// The launch throttle's schedule. ECS documents only that the time
// between attempts "is incrementally increased up to a maximum of 27
// minutes" (developer guide, "Amazon ECS service throttle logic"); berth
// doubles from 10 s: after 1, 2, 3, ... failed attempts the deployment
// waits 10 s, 20 s, 40 s, 80 s, 160 s, 320 s, 640 s, 1280 s, then 27 min
// (1620 s, the cap) for the 9th and every later one.
const (
	throttleBase = 10 * time.Second
	throttleMax  = 27 * time.Minute
	// impairedAfter is how many failed attempts in a row make the service
	// say it "is unable to consistently start tasks successfully".
	impairedAfter = 3
)

// backoff is how long the throttle holds launches after n failed attempts.
func backoff(n int32) time.Duration {
	if n <= 0 {
		return 0
	}
	if n > 16 { // 10 s × 2^16 is far past the cap
		return throttleMax
	}
	return min(throttleBase<<(n-1), throttleMax)
}

// settle counts the outcome of each of dep's tasks that has not been
// counted yet, once and for good (dep.SettledTasks remembers which were):
//
//   - a success is a task seen healthy, or one without health checks that
//     stopped after being RUNNING for 40 s. It resets the throttle, and
//     the circuit breaker's count when resetOnHealthyTask is set;
//   - a failure is a task that fails its health checks (past any grace
//     period), or one that stopped on its own (not by the scheduler or a
//     user) before it was healthy. It adds one to failedTasks, the
//     circuit breaker's count; one that never reached RUNNING also feeds
//     the throttle. A task that never reached RUNNING is counted as soon
//     as its agent reports its stop code, before it is STOPPED: the step
//     that sees it stopping would otherwise replace it at once, outside
//     the throttle (a second attempt 47 ms after the first, measured
//     end to end) and past the breaker's threshold.
//
// A task has one outcome: one seen healthy that fails its health checks
// later is replaced (its event said when it stops), but does not count
// against its deployment.
//
// This covers both of the breaker's stages as ECS describes them: stage 1
// counts tasks that fail to reach RUNNING, stage 2 (there being a RUNNING
// task) tasks that fail their health checks; a task that reaches RUNNING
// and exits before it is healthy, the usual crash on start, counts too.
// Successes are counted before failures, so that a step seeing both ends
// with the failures counted after the reset.
func (p *plan) settle(dep *ecs.Deployment, ts []*task) {
	seen := map[string]bool{}
	for _, t := range ts {
		seen[t.ID] = true
	}
	settled := map[string]bool{}
	var ids []string
	for _, id := range dep.SettledTasks {
		if seen[id] { // a task purged from the store is forgotten
			settled[id], ids = true, append(ids, id)
		}
	}
	succeeded := false
	for _, t := range ts {
		if !settled[t.ID] && success(t) {
			settled[t.ID], ids, succeeded = true, append(ids, t.ID), true
		}
	}
	if succeeded {
		if p.svc.DeploymentConfiguration.CircuitBreaker.ResetOnHealthyTask {
			dep.FailedTasks = 0
		}
		dep.LaunchFailures, dep.NextLaunchAt = 0, time.Time{}
	}
	var neverRan []*task
	for _, t := range ts {
		if settled[t.ID] || !failure(t) {
			continue
		}
		settled[t.ID], ids = true, append(ids, t.ID)
		dep.FailedTasks++
		if t.StartedAt.IsZero() {
			neverRan = append(neverRan, t)
		}
	}
	p.throttle(dep, neverRan)
	slices.Sort(ids)
	if len(ids) == 0 {
		ids = nil
	}
	dep.SettledTasks = ids
}

// success says t has shown it can run: it is healthy, or it stopped after
// the 40 s that make a task without health checks healthy.
func success(t *task) bool {
	switch t.state {
	case healthy:
		return true
	case stopped:
		return !t.HealthChecked && !t.StartedAt.IsZero() && t.StoppedAt.Sub(t.StartedAt) >= healthWait
	}
	return false
}

// failure says t failed: it fails its health checks, or it stopped on its
// own before it was healthy, or is stopping on its own without ever
// having reached RUNNING (the agent's stop code says so, and no success
// can follow). Tasks the scheduler or a user stopped did not fail, nor
// did tasks stopped for reasons outside the task (a Spot interruption, an
// instance being terminated).
func failure(t *task) bool {
	switch t.state {
	case unhealthy:
		return true
	case stopped:
		switch t.StopCode {
		case "", ecs.StopTaskFailedToStart, ecs.StopEssentialContainerExited:
			return !success(t)
		}
	case stopping:
		switch t.StopCode {
		case ecs.StopTaskFailedToStart, ecs.StopEssentialContainerExited:
			return t.StartedAt.IsZero()
		}
	}
	return false
}

// throttle counts failed, tasks of dep newly seen to have stopped without
// reaching RUNNING, as a failed launch attempt, and holds dep's launches
// for the backoff.
//
// An attempt is the tasks launched together; they tend to fail together,
// and the first of them to fail counts for all. So one step moves the
// throttle once at most, and only for a task created after the throttle
// last moved (the step that did is NextLaunchAt − backoff(LaunchFailures)):
// the others belong to attempts already counted. Worked example:
// four tasks created at 12:00:00 all fail by 12:00:05. The first failure,
// seen at 12:00:03, makes LaunchFailures 1 and NextLaunchAt 12:00:13; the
// other three, created before 12:00:03, change nothing. The four
// relaunched at 12:00:13 fail at 12:00:15: LaunchFailures 2, next launch
// 12:00:35. A task that reaches RUNNING and then exits is not a launch
// failure at all, and a healthy task resets the count (settle).
func (p *plan) throttle(dep *ecs.Deployment, failed []*task) {
	movedAt := dep.NextLaunchAt.Add(-backoff(dep.LaunchFailures))
	if !slices.ContainsFunc(failed, func(t *task) bool { return dep.LaunchFailures == 0 || !t.CreatedAt.Before(movedAt) }) {
		return
	}
	dep.LaunchFailures++
	dep.NextLaunchAt = p.now.Add(backoff(dep.LaunchFailures))
	msg := fmt.Sprintf(msgImpaired, p.svc.Name)
	if dep.LaunchFailures == impairedAfter || dep.LaunchFailures > impairedAfter && !saidWithin(p.svc, msg, p.now) {
		p.say(msgImpaired, p.svc.Name)
	}
}

// breaker trips the circuit breaker of the PRIMARY deployment when its
// failed tasks reach the threshold (CircuitBreaker.Threshold of the
// service's desiredCount): the deployment is FAILED and launches nothing
// more. Then, with rollback on, the service rolls back to the last
// COMPLETED deployment (svc.Stable) by a new PRIMARY deployment of what
// that one ran; without a COMPLETED deployment, or when the failed
// deployment was itself a rollback, it stalls: the FAILED deployment keeps
// its tasks, the older ones keep theirs.
//
// The rollback is decided from the state, not from the trip, so a
// rollback that has to wait for a deployment id happens at the next step
// that has one.
func (p *plan) breaker(newID string) {
	svc := p.svc
	prim, cb := svc.Primary(), svc.DeploymentConfiguration.CircuitBreaker
	if !cb.Enable {
		return
	}
	if inProgress(prim) && prim.FailedTasks >= cb.Threshold(svc.DesiredCount) {
		prim.RolloutState, prim.RolloutStateReason = ecs.RolloutFailed, rolloutFailed
		p.verdicts = append(p.verdicts, fmt.Sprintf(msgFailed, svc.Name, prim.ID))
	}
	if prim.RolloutState != ecs.RolloutFailed || !cb.Rollback || svc.Stable == nil || prim.Rollback || newID == "" {
		return
	}
	to := svc.Stable
	rb := ecs.Deployment{
		ID: newID, Status: ecs.DeploymentPrimary, TaskDefinitionARN: to.TaskDefinitionARN,
		DesiredCount: svc.DesiredCount, RolloutState: ecs.RolloutInProgress,
		RolloutStateReason: fmt.Sprintf(rolloutRollingBack, to.ID),
		CreatedAt:          p.now, UpdatedAt: p.now,
		LaunchType: to.LaunchType, NetworkConfiguration: to.NetworkConfiguration,
		Rollback: true,
	}
	prim.Status = ecs.DeploymentActive
	svc.Deployments = append([]ecs.Deployment{rb}, svc.Deployments...)
	svc.TaskDefinitionARN = to.TaskDefinitionARN
	p.usedID = true
	p.verdicts = append(p.verdicts, fmt.Sprintf(msgRollingBak, svc.Name, to.ID))
}
