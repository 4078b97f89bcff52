package reconcile

import (
	"time"

	"github.com/berth-org/berth/internal/ecs"
)

// Input is what one Step sees: a service as stored, its tasks, the
// cluster's instances, and the time.
type Input struct {
	// Service is the service as stored. Step never changes it (nor
	// anything it points to); the service to store is Decision.Service.
	Service ecs.Service
	// Tasks are the service's tasks (group "service:<name>"), in any
	// order: every one not yet STOPPED, and the STOPPED ones the store
	// still retains. Stopped tasks are how Step learns of failures; it
	// counts each once (ecs.Deployment.SettledTasks), so passing the same
	// stopped task again and again is harmless, and a task that ages out
	// of the input is simply forgotten. Tasks whose startedBy is not a
	// deployment id ("ecs-svc/...") are not the scheduler's: Step leaves
	// them alone.
	Tasks []Task
	// Instances are all the cluster's container instances, DRAINING ones
	// included, in any order. A task on an instance missing from the list
	// is taken to be on a deregistered one, and replaced.
	Instances []Instance
	// Now is the time of the decision. Step reads no clock.
	Now time.Time
	// LostInstanceTimeout is the cluster's lostInstanceTimeout setting:
	// how long an instance's agent may stay disconnected before the
	// instance is lost and the service's tasks on it are stopped and
	// replaced elsewhere (see lost.go). Zero means disabled, ECS's
	// behaviour: the tasks of a disconnected instance stay, and count.
	LostInstanceTimeout time.Duration
	// NewDeploymentID is a fresh deployment id ("ecs-svc/" and 19 digits)
	// for the deployment a circuit breaker's rollback creates. Step uses
	// it at most once, and says so in Decision.UsedDeploymentID; without
	// one, a due rollback waits for a step that has one.
	NewDeploymentID string
}

// Task is what Step needs of one task.
type Task struct {
	ID           string
	DeploymentID string // the task's startedBy: the deployment that started it
	InstanceID   string

	LastStatus    ecs.TaskStatus
	DesiredStatus ecs.TaskStatus
	// Health is the task's healthStatus (HEALTHY, UNHEALTHY or UNKNOWN).
	Health string
	// HealthChecked says some essential container of the task definition
	// has a health check. Without one, a task counts as healthy 40 s
	// after it reached RUNNING.
	HealthChecked bool

	CreatedAt time.Time // set by the control plane when it placed the task
	StartedAt time.Time // when it reached RUNNING; zero if it never did
	StoppedAt time.Time

	// StopCode is the control plane's stop code when it asked the task to
	// stop (ServiceSchedulerInitiated, UserInitiated), else the agent's
	// (TaskFailedToStart, EssentialContainerExited, ...).
	StopCode      string
	StoppedReason string
}

// TaskOf is the view of t that Step takes. healthChecked says whether an
// essential container of t's task definition has a health check.
func TaskOf(t *ecs.Task, healthChecked bool) Task {
	code, reason := t.StopCodeAndReason()
	return Task{
		ID: t.ID, DeploymentID: t.StartedBy, InstanceID: t.ContainerInstanceID,
		LastStatus: t.Known.LastStatus, DesiredStatus: t.DesiredStatus,
		Health: t.Known.HealthStatus, HealthChecked: healthChecked,
		CreatedAt: t.CreatedAt, StartedAt: t.Known.StartedAt, StoppedAt: t.Known.StoppedAt,
		StopCode: code, StoppedReason: reason,
	}
}

// Instance is what Step needs of one container instance.
type Instance struct {
	ID        string
	Status    ecs.InstanceStatus
	Connected bool // the agent is connected: only then can a task be placed there
	// DisconnectedAt is when the agent left, moved later by any time the
	// control plane itself was down since (store.Downtime.AwaySince): Now
	// − DisconnectedAt is how long the agent has been away. Zero while it
	// is connected or when the time is not known; such an instance is
	// never lost.
	DisconnectedAt time.Time
	// Eligible says the instance meets the service's placement
	// constraints, as the placement engine evaluates them. Only DAEMON
	// services read it: their tasks run on every eligible instance.
	Eligible bool
	// ReplicaTasks counts the tasks of REPLICA services on the instance
	// that are not STOPPED yet. Only DAEMON services read it: on a
	// DRAINING instance their task stops last, once this is 0, so that
	// what it serves (logs, metrics) outlives the tasks it serves.
	ReplicaTasks int
}

// Decision is what one Step decided. Applying it is the controller's job:
//
//  1. Store Service, conditional on the stored revision Step read (skip
//     the write when Changed is false). Stops and the service go in the
//     same transaction, so that the bookkeeping in the service (counts,
//     settled tasks, the throttle) never disagrees with the tasks.
//  2. Stop each of Stop: desiredStatus STOPPED with its code and reason.
//  3. For each StopSome, choose Count of Candidates with the placement
//     engine's scheduler.SelectStop (the service's placement strategies,
//     run in reverse) and stop them likewise.
//  4. Place each Start: Count tasks of the deployment's task definition,
//     startedBy DeploymentID, group "service:<name>"; on InstanceID when
//     it is set (DAEMON), anywhere placement allows when it is not.
//  5. Record what 2–4 did with NewEvent: StartedMessage for the tasks
//     placed, StoppedMessage for the tasks stopped.
//  6. Run Step again when anything changes (a task, an instance, the
//     service), and at Wake at the latest when it is not zero.
type Decision struct {
	// Service is the service to store: deployments with their counts,
	// statuses and rollout state, a rollback deployment if one was
	// created, the circuit breaker's and throttle's bookkeeping, the
	// events below, and the service status.
	Service ecs.Service
	// Changed says Service differs from Input.Service.
	Changed bool
	Start   []Start
	Stop    []Stop
	// StopSome are stops where which tasks go is a placement choice.
	StopSome []StopChoice
	// Events are the events Step added to Service.Events, oldest first.
	Events []ecs.ServiceEvent
	// UsedDeploymentID says Input.NewDeploymentID now names a deployment.
	UsedDeploymentID bool
	// Wake is the earliest time at which Step, given the same input,
	// would decide something else (a task's 40 s wait or grace period
	// ends, the throttle lifts, a steady-state event is due, an instance
	// running the service's tasks becomes lost). Zero when only a change
	// can.
	Wake time.Time
}

// Idle says the decision starts and stops nothing.
func (d Decision) Idle() bool {
	return len(d.Start) == 0 && len(d.Stop) == 0 && len(d.StopSome) == 0
}

// Start asks for Count new tasks of a deployment.
type Start struct {
	DeploymentID      string
	TaskDefinitionARN string
	// InstanceID is the instance a DAEMON task goes to; empty for REPLICA
	// tasks, which the placement engine places.
	InstanceID string
	Count      int
}

// Stop asks for one task to stop.
type Stop struct {
	TaskID string
	Code   string // always ServiceSchedulerInitiated
	Reason string
}

// StopChoice asks for Count of Candidates to stop, chosen by placement
// strategy. Candidates are all of one deployment and one kind (pending,
// not yet healthy, healthy), sorted by id.
type StopChoice struct {
	Candidates []string
	Count      int
	Code       string
	Reason     string
}
