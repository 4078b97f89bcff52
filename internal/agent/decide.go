package agent

import (
	"fmt"
	"time"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

// defaultStartTimeout is how long a started container has to reach the
// condition a dependent container waits for (COMPLETE, SUCCESS, HEALTHY)
// when its definition sets no startTimeout: the ECS agent's
// ECS_CONTAINER_START_TIMEOUT default on Linux (3 minutes).
const defaultStartTimeout = 3 * time.Minute

// actionKind is what the runner does next for a task.
type actionKind int

const (
	actWait   actionKind = iota // nothing to do until an event or wakeAt
	actPull                     // pull every image the task needs
	actCreate                   // create container
	actStart                    // start container
	actStop                     // stop container
	actStatus                   // move the task's lastStatus to status
	actFail                     // stop the task on the agent's own account
	actRemove                   // remove the task's containers (cleanup)
)

// action is one step decided for a task.
type action struct {
	kind      actionKind
	container string
	status    ecs.TaskStatus
	stopCode  string
	reason    string
	wakeAt    time.Time // for actWait: when to decide again (zero: on an event only)
}

// changesContainers says the step changes the engine's containers at
// once, so the runner inspects them again before it reports. A status
// change or a failure touches only the agent's own record, and a stop
// only begins (stopContainer): its exit arrives as an engine event.
// Inspecting after those too would put an inspect of every container
// before each of them, between an essential container's exit and the
// other containers' stop signals, which must all go out within a second.
func (a action) changesContainers() bool {
	switch a.kind {
	case actStatus, actFail, actStop:
		return false
	}
	return true
}

// view is everything decide looks at: the task as the server wants it,
// what the agent knows, and when things happened.
type view struct {
	desired    ecs.TaskStatus
	def        *wire.TaskDefinition
	containers []wire.ContainerDefinition // with overrides applied, in definition order
	known      *ecs.Known
	// created and started say which containers exist and have been started
	// (by name); startedAt is when each started.
	created   map[string]bool
	startedAt map[string]time.Time
	// signalled names the containers whose stop is under way: the stop
	// signal is sent, and the engine has not reported the exit yet.
	signalled map[string]bool
	cleanupAt time.Time // when a STOPPED task's containers are removed
	removed   bool
	now       time.Time
}

// decide returns the next step for a task: a pure function of v, so the
// whole lifecycle is table-tested without an engine. The runner applies the
// step and asks again until the answer is actWait.
//
// The transition table, by lastStatus:
//
//	PENDING     pull images, then → ACTIVATING
//	ACTIVATING  create containers, start each once its dependsOn holds,
//	            then → RUNNING when every container has started
//	RUNNING     watch: an essential container's exit stops the task
//	any, stopping (desired STOPPED or the agent's own stop):
//	            → DEACTIVATING (if it had begun activating) → STOPPING,
//	            signal every running container at once, except that a
//	            dependency waits for its dependents to exit, then
//	            → DEPROVISIONING → STOPPED
//	STOPPED     after the cleanup wait, remove the containers
func decide(v view) action {
	k := v.known
	if k.LastStatus == ecs.TaskStopped {
		if v.removed {
			return action{kind: actWait}
		}
		if !v.now.Before(v.cleanupAt) {
			return action{kind: actRemove}
		}
		return action{kind: actWait, wakeAt: v.cleanupAt}
	}
	if v.desired == ecs.TaskStopped || k.StopCode != "" {
		return decideStop(v)
	}
	if c, ok := exitedEssential(v); ok {
		return action{kind: actFail, stopCode: ecs.StopEssentialContainerExited,
			reason: ecs.ReasonEssentialContainerExited, container: c}
	}
	switch k.LastStatus {
	case ecs.TaskProvisioning, ecs.TaskPending:
		if k.PullStoppedAt.IsZero() {
			return action{kind: actPull}
		}
		return action{kind: actStatus, status: ecs.TaskActivating}
	case ecs.TaskActivating:
		return decideActivating(v)
	}
	return action{kind: actWait}
}

// exitedEssential finds an essential container that has stopped.
func exitedEssential(v view) (string, bool) {
	for _, c := range v.known.Containers {
		if c.Essential && c.LastStatus == ecs.ContainerStopped && v.startedAt[c.Name].After(time.Time{}) {
			return c.Name, true
		}
	}
	return "", false
}

func decideActivating(v view) action {
	for _, c := range v.containers {
		if name := str(c.Name); !v.created[name] {
			return action{kind: actCreate, container: name}
		}
	}
	all := true
	var wake time.Time
	for _, c := range v.containers {
		name := str(c.Name)
		if _, started := v.startedAt[name]; started {
			continue
		}
		all = false
		r := dependenciesMet(v, c)
		switch {
		case r.failed != "":
			return action{kind: actFail, stopCode: ecs.StopTaskFailedToStart, reason: r.failed, container: name}
		case r.ok:
			return action{kind: actStart, container: name}
		}
		wake = earliest(wake, r.timeoutAt)
	}
	if all {
		return action{kind: actStatus, status: ecs.TaskRunning}
	}
	return action{kind: actWait, wakeAt: wake}
}

// startTimeout is how long c, once started, has to reach the condition
// a dependent container waits for.
func startTimeout(c *wire.ContainerDefinition) time.Duration {
	if c != nil && c.StartTimeout != nil && *c.StartTimeout > 0 {
		return time.Duration(*c.StartTimeout) * time.Second
	}
	return defaultStartTimeout
}

// readiness is what a container's dependsOn says about starting it.
type readiness struct {
	ok        bool      // every condition holds: start it
	failed    string    // why it can never start ("" if it still may)
	timeoutAt time.Time // when the first dependency still awaited times out
}

// dependenciesMet evaluates a container's dependsOn.
//
// A dependency awaited for COMPLETE, SUCCESS or HEALTHY has its own
// startTimeout, counted from its start, to get there; past it the
// dependent never starts and the task stops (TaskFailedToStart). The
// timeout is the dependency's, not the dependent's, as ECS documents
// it and its agent applies it ("If a startTimeout value is specified for
// containerB and it doesn't reach the desired status within that time
// then containerA gives up"). START has no timeout: a dependency not yet
// started is itself waiting for its own dependencies, whose timeouts
// bound the wait. Worked example: init (startTimeout 3) started at
// 12:00:00 and still running; web depends on it for COMPLETE. web waits
// until 12:00:03, then the task stops; a web startTimeout changes
// nothing.
func dependenciesMet(v view, c wire.ContainerDefinition) readiness {
	r := readiness{ok: true}
	for _, d := range c.DependsOn {
		dep := knownContainer(v.known, str(d.ContainerName))
		if dep == nil {
			return readiness{failed: fmt.Sprintf("Container %s depends on unknown container %s.", str(c.Name), str(d.ContainerName))}
		}
		startedAt, started := v.startedAt[dep.Name]
		exited := started && dep.LastStatus == ecs.ContainerStopped
		var held bool
		switch d.Condition {
		case wire.ContainerConditionStart:
			held = started
		case wire.ContainerConditionComplete:
			held = exited
		case wire.ContainerConditionSuccess:
			if exited && (dep.ExitCode == nil || *dep.ExitCode != 0) {
				return readiness{failed: fmt.Sprintf("Dependency container %s exited with a non-zero code, so %s was not started.", dep.Name, str(c.Name))}
			}
			held = exited
		case wire.ContainerConditionHealthy:
			if exited || dep.HealthStatus == ecs.HealthUnhealthy {
				return readiness{failed: fmt.Sprintf("Dependency container %s did not become healthy, so %s was not started.", dep.Name, str(c.Name))}
			}
			held = dep.HealthStatus == ecs.HealthHealthy
		}
		if held {
			continue
		}
		r.ok = false
		if !started || d.Condition == wire.ContainerConditionStart {
			continue
		}
		timeout := startTimeout(containerDef(v.containers, dep.Name))
		if at := startedAt.Add(timeout); v.now.Before(at) {
			r.timeoutAt = earliest(r.timeoutAt, at)
			continue
		}
		return readiness{failed: fmt.Sprintf("Dependency container %s did not reach its %s condition within its startTimeout of %s, so %s was not started.",
			dep.Name, d.Condition, timeout, str(c.Name))}
	}
	return r
}

// earliest is the earlier of a and b, a zero time being none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}

// containerDef finds a container's definition by name (nil if none).
func containerDef(defs []wire.ContainerDefinition, name string) *wire.ContainerDefinition {
	for i := range defs {
		if str(defs[i].Name) == name {
			return &defs[i]
		}
	}
	return nil
}

// decideStop stops the task's running containers, then completes the
// stop. Shutdown reverses the dependsOn order: a container another one
// depends on stops only once that one has exited. Every other container
// gets its stop signal at once, without waiting for the exits of those
// signalled before it (ECS behaviour T3: the signals all go out within a
// second of an essential container's exit, whatever each one's
// stopTimeout); the runner sends them concurrently.
func decideStop(v view) action {
	k := v.known
	switch {
	case !k.LastStatus.Before(ecs.TaskActivating) && k.LastStatus.Before(ecs.TaskDeactivating):
		// A task that began activating deactivates first (ECS deregisters
		// load balancer targets here); one still PENDING has nothing to undo.
		return action{kind: actStatus, status: ecs.TaskDeactivating}
	case k.LastStatus.Before(ecs.TaskStopping):
		return action{kind: actStatus, status: ecs.TaskStopping}
	}
	running := false
	for i := len(v.containers) - 1; i >= 0; i-- {
		name := str(v.containers[i].Name)
		c := knownContainer(k, name)
		if c == nil || c.LastStatus != ecs.ContainerRunning {
			continue
		}
		running = true
		if !v.signalled[name] && !runningDependent(v, name) {
			return action{kind: actStop, container: name}
		}
	}
	switch {
	case running && len(v.signalled) > 0:
		return action{kind: actWait} // the exits wake the runner
	case running:
		// Nothing signalled, yet every running container has a running
		// dependent: a dependency cycle, which cannot be registered. Stop
		// one anyway rather than wait for ever.
		for _, c := range k.Containers {
			if c.LastStatus == ecs.ContainerRunning {
				return action{kind: actStop, container: c.Name}
			}
		}
	case k.LastStatus.Before(ecs.TaskDeprovisioning):
		return action{kind: actStatus, status: ecs.TaskDeprovisioning}
	}
	return action{kind: actStatus, status: ecs.TaskStopped}
}

// runningDependent reports whether a running container depends on name.
func runningDependent(v view, name string) bool {
	for _, c := range v.containers {
		for _, d := range c.DependsOn {
			if str(d.ContainerName) != name {
				continue
			}
			if kc := knownContainer(v.known, str(c.Name)); kc != nil && kc.LastStatus == ecs.ContainerRunning {
				return true
			}
		}
	}
	return false
}

func knownContainer(k *ecs.Known, name string) *ecs.Container {
	for i := range k.Containers {
		if k.Containers[i].Name == name {
			return &k.Containers[i]
		}
	}
	return nil
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
