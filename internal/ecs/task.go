package ecs

import (
	"time"

	"github.com/berth-org/berth/internal/wire"
)

// TaskStatus is a task's lastStatus or desiredStatus, persisted by name.
type TaskStatus string

// The task lifecycle as ECS reports it (developer guide, "Task lifecycle").
// desiredStatus is only ever RUNNING or STOPPED.
const (
	TaskProvisioning   TaskStatus = "PROVISIONING"
	TaskPending        TaskStatus = "PENDING"
	TaskActivating     TaskStatus = "ACTIVATING"
	TaskRunning        TaskStatus = "RUNNING"
	TaskDeactivating   TaskStatus = "DEACTIVATING"
	TaskStopping       TaskStatus = "STOPPING"
	TaskDeprovisioning TaskStatus = "DEPROVISIONING"
	TaskStopped        TaskStatus = "STOPPED"
)

var taskStatusRank = map[TaskStatus]int{
	TaskProvisioning: 1, TaskPending: 2, TaskActivating: 3, TaskRunning: 4,
	TaskDeactivating: 5, TaskStopping: 6, TaskDeprovisioning: 7, TaskStopped: 8,
}

// Before reports whether s comes earlier in the lifecycle than o. A task's
// lastStatus only ever moves forward.
func (s TaskStatus) Before(o TaskStatus) bool { return taskStatusRank[s] < taskStatusRank[o] }

// Valid reports whether s is a lifecycle status.
func (s TaskStatus) Valid() bool { return taskStatusRank[s] > 0 }

// ContainerStatus is a container's lastStatus.
type ContainerStatus string

// Container statuses ECS reports.
const (
	ContainerPending ContainerStatus = "PENDING"
	ContainerRunning ContainerStatus = "RUNNING"
	ContainerStopped ContainerStatus = "STOPPED"
)

// Stop codes (TaskStopCode) and the stoppedReason texts ECS uses with them.
const (
	StopTaskFailedToStart         = "TaskFailedToStart"
	StopEssentialContainerExited  = "EssentialContainerExited"
	StopUserInitiated             = "UserInitiated"
	StopServiceSchedulerInitiated = "ServiceSchedulerInitiated"

	ReasonEssentialContainerExited = "Essential container in task exited"
	ReasonTaskStoppedByUser        = "Task stopped by user"
)

// Health statuses of a container or task.
const (
	HealthHealthy   = "HEALTHY"
	HealthUnhealthy = "UNHEALTHY"
	HealthUnknown   = "UNKNOWN"
)

// MaxStopReasonLength is StopTask's reason limit ("up to 255 characters").
const MaxStopReasonLength = 255

// Task is one task as stored.
//
// Writers: the control plane writes DesiredStatus, StoppingAt and, with a
// StopTask, StopCode and StoppedReason; the owning agent writes everything
// under Known (lastStatus, containers, timestamps it observes). Version is
// bumped by every write, as ECS bumps it on every state change.
type Task struct {
	ID                   string             `json:"id"`
	ARN                  string             `json:"arn,omitempty"`
	Cluster              string             `json:"cluster"`
	ClusterARN           string             `json:"clusterArn,omitempty"`
	TaskDefinitionARN    string             `json:"taskDefinitionArn"`
	Family               string             `json:"family"`
	ContainerInstanceID  string             `json:"containerInstanceId"`
	ContainerInstanceARN string             `json:"containerInstanceArn,omitempty"`
	AvailabilityZone     string             `json:"availabilityZone,omitempty"`
	Group                string             `json:"group"`
	StartedBy            string             `json:"startedBy,omitempty"`
	CPU                  string             `json:"cpu,omitempty"`
	Memory               string             `json:"memory,omitempty"`
	Overrides            *wire.TaskOverride `json:"overrides,omitempty"`
	EnableExecuteCommand bool               `json:"enableExecuteCommand,omitempty"`
	Tags                 []Tag              `json:"tags,omitempty"`
	CreatedAt            time.Time          `json:"createdAt"`
	Version              int64              `json:"version"`

	// Held is what the task holds on its instance until Released.
	Held     Requirements `json:"held"`
	Released bool         `json:"released,omitempty"`

	DesiredStatus TaskStatus `json:"desiredStatus"`
	StoppingAt    time.Time  `json:"stoppingAt,omitzero"`
	StopCode      string     `json:"stopCode,omitempty"`
	StoppedReason string     `json:"stoppedReason,omitempty"`

	Known Known `json:"known"`
}

// Known is the part of a task its agent observes and reports.
type Known struct {
	// Seq orders an agent's reports of this task; a report with a Seq not
	// above the stored one is a duplicate or stale and changes nothing.
	Seq                int64       `json:"seq"`
	LastStatus         TaskStatus  `json:"lastStatus"`
	HealthStatus       string      `json:"healthStatus,omitempty"`
	Containers         []Container `json:"containers"`
	PullStartedAt      time.Time   `json:"pullStartedAt,omitzero"`
	PullStoppedAt      time.Time   `json:"pullStoppedAt,omitzero"`
	StartedAt          time.Time   `json:"startedAt,omitzero"`
	ExecutionStoppedAt time.Time   `json:"executionStoppedAt,omitzero"`
	StoppedAt          time.Time   `json:"stoppedAt,omitzero"`
	// StopCode and StoppedReason are the agent's when it stops a task on
	// its own (an essential container exited, a start failed); a StopTask's
	// own code and reason win.
	StopCode      string `json:"stopCode,omitempty"`
	StoppedReason string `json:"stoppedReason,omitempty"`
}

// Container is one container of a task as its agent reports it.
type Container struct {
	Name              string                `json:"name"`
	ARN               string                `json:"arn"`
	Image             string                `json:"image"`
	ImageDigest       string                `json:"imageDigest,omitempty"`
	RuntimeID         string                `json:"runtimeId,omitempty"`
	LastStatus        ContainerStatus       `json:"lastStatus"`
	ExitCode          *int32                `json:"exitCode,omitempty"`
	Reason            string                `json:"reason,omitempty"`
	NetworkBindings   []wire.NetworkBinding `json:"networkBindings,omitempty"`
	HealthStatus      string                `json:"healthStatus,omitempty"`
	CPU               string                `json:"cpu,omitempty"`
	Memory            string                `json:"memory,omitempty"`
	MemoryReservation string                `json:"memoryReservation,omitempty"`
	Essential         bool                  `json:"essential"`
}

// StopCodeAndReason are the stopCode and stoppedReason to report: a
// StopTask's own, else the agent's.
func (t *Task) StopCodeAndReason() (string, string) {
	if t.StopCode != "" {
		return t.StopCode, t.StoppedReason
	}
	return t.Known.StopCode, t.Known.StoppedReason
}

// RequestStop sets the desired status to STOPPED with a code and reason.
// It reports false when the task was already asked to stop, and then
// changes nothing: the first stop's code and reason stand.
func (t *Task) RequestStop(code, reason string, now time.Time) bool {
	if t.DesiredStatus == TaskStopped {
		return false
	}
	t.DesiredStatus = TaskStopped
	t.StopCode, t.StoppedReason = code, reason
	t.StoppingAt = now
	t.Version++
	return true
}

// ApplyKnown merges an agent's report into the task. It reports false,
// changing nothing, for a stale or duplicate report (Seq not above the
// stored one) and for one that would move lastStatus backwards.
func (t *Task) ApplyKnown(k Known) bool {
	if k.Seq <= t.Known.Seq || !k.LastStatus.Valid() {
		return false
	}
	if k.LastStatus.Before(t.Known.LastStatus) {
		return false
	}
	t.Known = k
	t.Version++
	return true
}

// TaskHealth aggregates the essential containers' health as ECS does:
// UNHEALTHY if any is unhealthy, UNKNOWN if any is unknown or has no
// health check, HEALTHY otherwise.
func TaskHealth(cs []Container) string {
	health := HealthHealthy
	any := false
	for _, c := range cs {
		if !c.Essential {
			continue
		}
		any = true
		switch c.HealthStatus {
		case HealthUnhealthy:
			return HealthUnhealthy
		case HealthHealthy:
		default:
			health = HealthUnknown
		}
	}
	if !any {
		return HealthUnknown
	}
	return health
}
