package ecs

import (
	"fmt"
	"math/rand/v2"
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
// counts and rollout fields, and Events): CreateService creates the first
// PRIMARY deployment, an UpdateService that starts a deployment adds a new
// PRIMARY and demotes the previous one to ACTIVE (StartDeployment), a new
// desiredCount is also the PRIMARY's (SetDesiredCount), and DeleteService
// sets DRAINING with desiredCount 0. The service controller writes the
// deployments' counts, statuses and rollout fields, adds a rollback
// deployment when a circuit breaker trips, and writes Events and the
// DRAINING → INACTIVE step. Every write is a compare-and-swap of the whole
// record (store.Tx), so the two never lose each other's changes.
//
// PlacementStrategy is stored as the caller gave it. An empty one on a
// REPLICA service means ECS's documented default, spread across
// Availability Zones then instances (scheduler.DefaultServiceStrategies),
// which the controller applies when it places; DescribeServices reports
// the empty list, as ECS does for a service created through the API
// without strategies.
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
	AvailabilityZoneRebalancing   string                     `json:"availabilityZoneRebalancing,omitempty"`
	Tags                          []Tag                      `json:"tags,omitempty"`

	ClientToken string    `json:"clientToken,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	CreatedBy   string    `json:"createdBy,omitempty"`
	DeletedAt   time.Time `json:"deletedAt,omitzero"`

	// Deployments are newest first: Deployments[0] is PRIMARY.
	Deployments []Deployment `json:"deployments"`
	// Events are newest first, at most MaxServiceEvents.
	Events []ServiceEvent `json:"events,omitempty"`

	// Stable is a copy of the newest deployment that reached COMPLETED,
	// kept after it leaves Deployments: a circuit breaker with rollback
	// returns to it. Written by the service controller only; not on the
	// wire.
	Stable *Deployment `json:"stable,omitempty"`
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

	// The fields below are the service controller's own bookkeeping,
	// persisted so that a restarted (or failed-over) controller carries on
	// where the last one stopped instead of forgetting a crash loop. The
	// API never writes them and never puts them on the wire; a new
	// deployment starts with them zero, which is how an UpdateService
	// resets the launch throttle.

	// SettledTasks are the ids of this deployment's tasks whose outcome
	// the circuit breaker and the throttle have already counted: a task
	// seen healthy (a success), or one that failed (stopped before it was
	// healthy, or failed its health checks). It is what makes each task
	// count once however often the controller runs. An id is dropped once
	// its task is no longer among the tasks the controller reads (purged
	// after retention), so the list stays within the deployment's live and
	// retained stopped tasks.
	SettledTasks []string `json:"settledTasks,omitempty"`
	// LaunchFailures is the throttle's count of consecutive failed launch
	// attempts: launches whose tasks stopped without ever reaching
	// RUNNING. A task of the deployment reaching a healthy state resets it.
	LaunchFailures int32 `json:"launchFailures,omitempty"`
	// NextLaunchAt is when the throttle lets the deployment start tasks
	// again; zero when it is not throttled.
	NextLaunchAt time.Time `json:"nextLaunchAt,omitzero"`
	// Rollback marks a deployment the circuit breaker created to roll back
	// to the last COMPLETED one. When it fails too, it is not rolled back
	// again: the service stalls rather than loop between two deployments.
	Rollback bool `json:"rollback,omitempty"`
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

// ServiceGroup is the task group of a service's tasks, as ECS names it.
func ServiceGroup(name string) string { return "service:" + name }

// Active reports whether s is ACTIVE: listed by ListServices, counted in
// its cluster's activeServicesCount, and open to UpdateService.
func (s *Service) Active() bool { return s.Status == ServiceActive }

// Reported is the deployments DescribeServices shows: the PRIMARY, then
// the ACTIVE ones, newest first. INACTIVE deployments are not reported.
func (s *Service) Reported() []Deployment {
	out := make([]Deployment, 0, len(s.Deployments))
	for _, d := range s.Deployments {
		if d.Status != DeploymentInactive {
			out = append(out, d)
		}
	}
	return out
}

// Counts sums the running and pending tasks of the reported deployments:
// the service's runningCount and pendingCount.
func (s *Service) Counts() (running, pending int32) {
	for _, d := range s.Reported() {
		running += d.RunningCount
		pending += d.PendingCount
	}
	return running, pending
}

// StartDeployment makes d the PRIMARY deployment: it goes first, and the
// previous PRIMARY, if any, becomes ACTIVE (its tasks are replaced by d's).
func (s *Service) StartDeployment(d Deployment) {
	if p := s.Primary(); p != nil && p.Status == DeploymentPrimary {
		p.Status = DeploymentActive
		p.UpdatedAt = d.CreatedAt
	}
	d.Status = DeploymentPrimary
	s.Deployments = append([]Deployment{d}, s.Deployments...)
}

// SetDesiredCount sets the service's desiredCount and its PRIMARY
// deployment's, at now.
func (s *Service) SetDesiredCount(n int32, now time.Time) {
	s.DesiredCount = n
	if p := s.Primary(); p != nil && p.DesiredCount != n {
		p.DesiredCount = n
		p.UpdatedAt = now
	}
}

// NewDeployment is a new deployment of a task definition for desired
// tasks, IN_PROGRESS from now. StartDeployment makes it PRIMARY.
func NewDeployment(id, taskDefinitionARN string, desired int32, launchType string, now time.Time) Deployment {
	return Deployment{
		ID:                 id,
		Status:             DeploymentPrimary,
		TaskDefinitionARN:  taskDefinitionARN,
		DesiredCount:       desired,
		RolloutState:       RolloutInProgress,
		RolloutStateReason: RolloutReason(id, RolloutInProgress),
		CreatedAt:          now,
		UpdatedAt:          now,
		LaunchType:         launchType,
	}
}

// RolloutReason is ECS's rolloutStateReason for a deployment that is in
// progress or completed ("ECS deployment ecs-svc/… in progress."). A
// FAILED deployment's reason says why; its writer words it.
func RolloutReason(id string, state RolloutState) string {
	if state == RolloutCompleted {
		return "ECS deployment " + id + " completed."
	}
	return "ECS deployment " + id + " in progress."
}

// NewDeploymentID is a new deployment id: "ecs-svc/" and 19 random
// digits, the first not zero, as ECS's are (ecs-svc/9223370564341623665).
// A service's tasks carry it as startedBy.
func NewDeploymentID() string {
	// Not every 19-digit number fits an int64 (max 9223372036854775807),
	// so the leading digit and the other 18 are drawn apart.
	const rest = 1_000_000_000_000_000_000 // 10^18
	return fmt.Sprintf("ecs-svc/%d%018d", 1+rand.IntN(9), rand.Int64N(rest))
}
