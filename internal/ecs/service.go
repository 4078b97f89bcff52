package ecs

import (
	"time"

	"github.com/berth-org/berth/internal/wire"
)

// ServiceStatus is a service's lifecycle status, persisted by name:
// ACTIVE until DeleteService, DRAINING while its tasks stop, then INACTIVE
// (still describable for a while, never listed).
type ServiceStatus string

// Service statuses.
const (
	ServiceActive   ServiceStatus = "ACTIVE"
	ServiceDraining ServiceStatus = "DRAINING"
	ServiceInactive ServiceStatus = "INACTIVE"
)

// SchedulingStrategy is how a service's tasks are placed: REPLICA keeps
// desiredCount anywhere the constraints allow, DAEMON keeps one task on
// every ACTIVE instance that meets them.
type SchedulingStrategy string

// Scheduling strategies.
const (
	SchedulingReplica SchedulingStrategy = "REPLICA"
	SchedulingDaemon  SchedulingStrategy = "DAEMON"
)

// DeploymentStatus is a deployment's place in its service: PRIMARY is the
// newest, ACTIVE ones still have tasks being replaced, INACTIVE ones are
// fully replaced (and no longer reported).
type DeploymentStatus string

// Deployment statuses.
const (
	DeploymentPrimary  DeploymentStatus = "PRIMARY"
	DeploymentActive   DeploymentStatus = "ACTIVE"
	DeploymentInactive DeploymentStatus = "INACTIVE"
)

// RolloutState is a deployment's progress: IN_PROGRESS until the service
// reaches steady state on it (COMPLETED) or its circuit breaker trips
// (FAILED; a FAILED deployment launches no more tasks).
type RolloutState string

// Rollout states.
const (
	RolloutInProgress RolloutState = "IN_PROGRESS"
	RolloutCompleted  RolloutState = "COMPLETED"
	RolloutFailed     RolloutState = "FAILED"
)

// Deployment controller types. berth runs ECS (rolling) deployments;
// CODE_DEPLOY and EXTERNAL are refused as unsupported features.
const (
	DeploymentControllerECS = "ECS"
)

// Defaults ECS applies at CreateService (API reference, CreateService and
// DeploymentConfiguration).
const (
	DefaultMaximumPercent              = 200
	DefaultMinimumHealthyPercent       = 100
	DefaultDaemonMaximumPercent        = 100
	DefaultDaemonMinimumHealthyPercent = 0
	// MaxServiceEvents is how many events DescribeServices returns, newest
	// first; older ones are dropped.
	MaxServiceEvents = 100
)

// Circuit-breaker threshold types (ThresholdConfiguration.type).
const (
	ThresholdBoundedPercent   = "BOUNDED_PERCENT"
	ThresholdUnboundedPercent = "UNBOUNDED_PERCENT"
	ThresholdCount            = "COUNT"
)

// Service is a service as stored.
//
// Writers: the API writes the specification (everything but Deployments'
// counts and rollout fields, and Events) and appends a new PRIMARY
// deployment when an UpdateService starts one; the service controller
// writes the deployments' counts, statuses and rollout fields, appends a
// rollback deployment when a circuit breaker trips, and writes Events and
// the DRAINING → INACTIVE step.
type Service struct {
	Name              string        `json:"name"`
	ARN               string        `json:"arn"`
	Cluster           string        `json:"cluster"`
	ClusterARN        string        `json:"clusterArn"`
	Status            ServiceStatus `json:"status"`
	TaskDefinitionARN string        `json:"taskDefinitionArn"`
	DesiredCount      int32         `json:"desiredCount"`

	SchedulingStrategy            SchedulingStrategy         `json:"schedulingStrategy"`
	DeploymentConfiguration       DeploymentConfiguration    `json:"deploymentConfiguration"`
	DeploymentController          string                     `json:"deploymentController"`
	PlacementConstraints          []wire.PlacementConstraint `json:"placementConstraints,omitempty"`
	PlacementStrategy             []wire.PlacementStrategy   `json:"placementStrategy,omitempty"`
	HealthCheckGracePeriodSeconds int32                      `json:"healthCheckGracePeriodSeconds,omitempty"`
	LaunchType                    string                     `json:"launchType,omitempty"`
	NetworkConfiguration          *wire.NetworkConfiguration `json:"networkConfiguration,omitempty"`
	LoadBalancers                 []wire.LoadBalancer        `json:"loadBalancers,omitempty"`
	ServiceRegistries             []wire.ServiceRegistry     `json:"serviceRegistries,omitempty"`
	RoleARN                       string                     `json:"roleArn,omitempty"`
	EnableECSManagedTags          bool                       `json:"enableECSManagedTags,omitempty"`
	PropagateTags                 string                     `json:"propagateTags,omitempty"`
	EnableExecuteCommand          bool                       `json:"enableExecuteCommand,omitempty"`
	Tags                          []Tag                      `json:"tags,omitempty"`

	ClientToken string    `json:"clientToken,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	CreatedBy   string    `json:"createdBy,omitempty"`
	DeletedAt   time.Time `json:"deletedAt,omitzero"`

	// Deployments are newest first: Deployments[0] is PRIMARY.
	Deployments []Deployment `json:"deployments"`
	// Events are newest first, at most MaxServiceEvents.
	Events []ServiceEvent `json:"events,omitempty"`
}

// DeploymentConfiguration is a service's rolling-update and circuit-breaker
// settings, with ECS's defaults filled in at CreateService.
type DeploymentConfiguration struct {
	MaximumPercent        int32          `json:"maximumPercent"`
	MinimumHealthyPercent int32          `json:"minimumHealthyPercent"`
	CircuitBreaker        CircuitBreaker `json:"circuitBreaker"`
}

// CircuitBreaker is deploymentCircuitBreaker: off unless Enable.
// ResetOnHealthyTask (ECS's default true) makes the failure count
// consecutive rather than cumulative. ThresholdType and ThresholdValue are
// thresholdConfiguration (default BOUNDED_PERCENT 50).
type CircuitBreaker struct {
	Enable             bool   `json:"enable"`
	Rollback           bool   `json:"rollback"`
	ResetOnHealthyTask bool   `json:"resetOnHealthyTask"`
	ThresholdType      string `json:"thresholdType"`
	ThresholdValue     int32  `json:"thresholdValue"`
}

// Deployment is one entry of a service's deployments[].
//
// Writers: the API (UpdateService) or the controller (rollback) creates
// it; afterwards only the controller changes it.
type Deployment struct {
	ID                string           `json:"id"`
	Status            DeploymentStatus `json:"status"`
	TaskDefinitionARN string           `json:"taskDefinitionArn"`
	DesiredCount      int32            `json:"desiredCount"`
	PendingCount      int32            `json:"pendingCount"`
	RunningCount      int32            `json:"runningCount"`
	// FailedTasks is the circuit breaker's count of tasks that failed: to
	// reach RUNNING (stage 1) or their health checks (stage 2).
	FailedTasks        int32        `json:"failedTasks"`
	RolloutState       RolloutState `json:"rolloutState"`
	RolloutStateReason string       `json:"rolloutStateReason,omitempty"`
	CreatedAt          time.Time    `json:"createdAt"`
	UpdatedAt          time.Time    `json:"updatedAt"`

	LaunchType           string                     `json:"launchType,omitempty"`
	NetworkConfiguration *wire.NetworkConfiguration `json:"networkConfiguration,omitempty"`
}

// ServiceEvent is one entry of a service's events[].
type ServiceEvent struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"createdAt"`
	Message   string    `json:"message"`
}

// Primary is the service's PRIMARY deployment, or nil before its first.
func (s *Service) Primary() *Deployment {
	if len(s.Deployments) == 0 {
		return nil
	}
	return &s.Deployments[0]
}

// AddEvent records an event, newest first, keeping MaxServiceEvents.
func (s *Service) AddEvent(e ServiceEvent) {
	s.Events = append([]ServiceEvent{e}, s.Events...)
	if len(s.Events) > MaxServiceEvents {
		s.Events = s.Events[:MaxServiceEvents]
	}
}

// Threshold is how many failed tasks trip the breaker for a deployment of
// desiredCount tasks.
//
// BOUNDED_PERCENT (the default, value 50) is ECS's documented rule:
// ceil(value% × desiredCount) clamped to [3, 200]. Worked example: desired
// 4 → ceil(2.0) = 2 → clamped up to 3; desired 11 → ceil(5.5) = 6; desired
// 1000 → 500 → clamped down to 200. UNBOUNDED_PERCENT is the same without
// the clamp (but at least 1); COUNT is the value itself.
func (c CircuitBreaker) Threshold(desiredCount int32) int32 {
	value := c.ThresholdValue
	switch c.ThresholdType {
	case ThresholdCount:
		return max(value, 1)
	case ThresholdUnboundedPercent:
		return max(ceilPercent(value, desiredCount), 1)
	default:
		if value == 0 {
			value = 50
		}
		return min(max(ceilPercent(value, desiredCount), 3), 200)
	}
}

// ceilPercent is ceil(percent × n / 100) in integers.
func ceilPercent(percent, n int32) int32 {
	return int32((int64(percent)*int64(n) + 99) / 100)
}
