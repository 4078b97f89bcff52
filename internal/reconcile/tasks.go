package reconcile

import (
	"time"

	"github.com/berth-org/berth/internal/ecs"
)

// healthWait is how long a task without health checks must have been
// RUNNING to count as healthy: "If a task has no essential containers
// with a health check defined, the service scheduler will wait for 40
// seconds after a task reaches a RUNNING state before the task is counted
// towards the minimum healthy percent total" (ECS API reference,
// DeploymentConfiguration.minimumHealthyPercent).
const healthWait = 40 * time.Second

// state is where a task stands, for the scheduler.
type state int

const (
	pending   state = iota // not RUNNING yet
	starting               // RUNNING, not yet counted healthy
	healthy                // RUNNING and healthy: counts toward the floor
	unhealthy              // failed its health checks, past any grace period
	stopping               // asked to stop, or past RUNNING on its own way out
	stopped                // STOPPED
)

// task is a task as one step sees it.
type task struct {
	Task
	state state
	// away says the task is on an instance it must leave: DRAINING,
	// deregistered or unknown (for DAEMON also no longer eligible).
	away bool
	// lost says the task is on a lost instance (see lost.go): asked to
	// stop, and counted nowhere, not even as present.
	lost bool
	// stop says this step asks the task to stop.
	stop bool
}

// stateOf classifies a task at now.
//
// "Healthy" is ECS's rule: RUNNING and, when an essential container has a
// health check, HEALTHY; without one, RUNNING for healthWait. The grace
// period (healthCheckGracePeriodSeconds) holds back an UNHEALTHY verdict
// until it has passed since the task reached RUNNING: until then the task
// is merely not healthy yet. Worked example: grace 60 s, a task RUNNING at
// 12:00:00 and UNHEALTHY at 12:00:20 is "starting" until 12:01:00 and
// "unhealthy" from then on, unless it turned HEALTHY meanwhile.
func stateOf(t Task, now time.Time, grace time.Duration) state {
	switch {
	case t.LastStatus == ecs.TaskStopped:
		return stopped
	case t.DesiredStatus == ecs.TaskStopped || ecs.TaskRunning.Before(t.LastStatus):
		return stopping
	case t.LastStatus != ecs.TaskRunning:
		return pending
	case !t.HealthChecked:
		if now.Before(t.StartedAt.Add(healthWait)) {
			return starting
		}
		return healthy
	case t.Health == ecs.HealthHealthy:
		return healthy
	case t.Health == ecs.HealthUnhealthy && !now.Before(t.StartedAt.Add(grace)):
		return unhealthy
	}
	return starting
}

// wakeOf is when t's state changes with time alone (zero if never): a
// task without health checks turns healthy healthWait after RUNNING, an
// UNHEALTHY one turns unhealthy when its grace period ends.
func wakeOf(t *task, grace time.Duration) time.Time {
	if t.state != starting {
		return time.Time{}
	}
	if !t.HealthChecked {
		return t.StartedAt.Add(healthWait)
	}
	if t.Health == ecs.HealthUnhealthy {
		return t.StartedAt.Add(grace)
	}
	return time.Time{}
}

// active says the task is PENDING or RUNNING and nobody asked it to stop:
// it will go on unless the scheduler stops it.
func (t *task) active() bool { return t.state <= unhealthy && !t.stop }

// kept says the task counts toward its deployment's target: active, where
// it may stay, and not failing its health checks. The others are
// replaced.
func (t *task) kept() bool { return t.active() && !t.away && t.state != unhealthy }

// present says the task is not STOPPED: it holds a place against the
// ceiling, even on its way out; unless it is lost, on an instance whose
// agent is away for good, where it cannot even stop.
func (t *task) present() bool { return t.state != stopped && !t.lost }

// group is one deployment's tasks.
type group struct {
	// dep is the deployment in the service being decided; for tasks
	// whose deployment the service no longer lists (orphan), a
	// placeholder that is never stored.
	dep    *ecs.Deployment
	orphan bool
	tasks  []*task // sorted by id
	// target is how many kept tasks the deployment should have.
	target int
}

// count is how many of g's tasks satisfy f.
func (g *group) count(f func(*task) bool) int {
	n := 0
	for _, t := range g.tasks {
		if f(t) {
			n++
		}
	}
	return n
}

// pick is g's tasks that satisfy f, in id order.
func (g *group) pick(f func(*task) bool) []*task {
	var ts []*task
	for _, t := range g.tasks {
		if f(t) {
			ts = append(ts, t)
		}
	}
	return ts
}

// canLaunch says the deployment may start tasks at all: a FAILED one
// launches nothing ever again, and an orphan has nothing to launch.
func (g *group) canLaunch() bool {
	return !g.orphan && g.dep.RolloutState != ecs.RolloutFailed
}

// isKept, isHealthyKept, ... are the predicates the planners count with.
func isKept(t *task) bool        { return t.kept() }
func isHealthyKept(t *task) bool { return t.kept() && t.state == healthy }
func isPresent(t *task) bool     { return t.present() }
func isActive(t *task) bool      { return t.active() }
func isHealthy(t *task) bool     { return t.active() && t.state == healthy }
