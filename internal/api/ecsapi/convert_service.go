package ecsapi

import (
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

// serviceToWire is a service as ECS reports it: every member ECS sends for
// a service of the ECS (rolling) deployment controller on the EC2 launch
// type, lists present even when empty, counts summed over its reported
// deployments, and tags only when asked for (withTags).
func serviceToWire(s *ecs.Service, withTags bool) *wire.Service {
	running, pending := s.Counts()
	out := &wire.Service{
		ServiceArn:                    ptr(s.ARN),
		ServiceName:                   ptr(s.Name),
		ClusterArn:                    ptr(s.ClusterARN),
		Status:                        ptr(string(s.Status)),
		DesiredCount:                  ptr(s.DesiredCount),
		RunningCount:                  ptr(running),
		PendingCount:                  ptr(pending),
		LaunchType:                    wire.LaunchType(s.LaunchType),
		TaskDefinition:                ptr(s.TaskDefinitionARN),
		DeploymentConfiguration:       deploymentConfigurationToWire(s.DeploymentConfiguration),
		Deployments:                   deploymentsToWire(s.Reported()),
		Events:                        eventsToWire(s.Events),
		RoleArn:                       optString(s.RoleARN),
		CreatedAt:                     optTime(s.CreatedAt),
		CreatedBy:                     optString(s.CreatedBy),
		LoadBalancers:                 orEmpty(s.LoadBalancers),
		ServiceRegistries:             orEmpty(s.ServiceRegistries),
		PlacementConstraints:          orEmpty(s.PlacementConstraints),
		PlacementStrategy:             orEmpty(s.PlacementStrategy),
		NetworkConfiguration:          s.NetworkConfiguration,
		HealthCheckGracePeriodSeconds: ptr(s.HealthCheckGracePeriodSeconds),
		SchedulingStrategy:            wire.SchedulingStrategy(s.SchedulingStrategy),
		DeploymentController:          &wire.DeploymentController{Type: wire.DeploymentControllerType(s.DeploymentController)},
		EnableECSManagedTags:          ptr(s.EnableECSManagedTags),
		PropagateTags:                 wire.PropagateTags(s.PropagateTags),
		EnableExecuteCommand:          ptr(s.EnableExecuteCommand),
		AvailabilityZoneRebalancing:   wire.AvailabilityZoneRebalancing(s.AvailabilityZoneRebalancing),
	}
	if withTags {
		out.Tags = tagsToWire(s.Tags)
	}
	return out
}

// orEmpty is in, or an empty list for a response member ECS sends as [].
func orEmpty[T any](in []T) []T {
	if in == nil {
		return []T{}
	}
	return in
}

// deploymentConfigurationToWire reports the whole configuration, the
// circuit breaker's threshold included, as set at CreateService.
func deploymentConfigurationToWire(c ecs.DeploymentConfiguration) *wire.DeploymentConfiguration {
	b := c.CircuitBreaker
	return &wire.DeploymentConfiguration{
		MaximumPercent:        ptr(c.MaximumPercent),
		MinimumHealthyPercent: ptr(c.MinimumHealthyPercent),
		DeploymentCircuitBreaker: &wire.DeploymentCircuitBreaker{
			Enable:                 ptr(b.Enable),
			Rollback:               ptr(b.Rollback),
			ResetOnHealthyTask:     ptr(b.ResetOnHealthyTask),
			ThresholdConfiguration: &wire.ThresholdConfiguration{Type: wire.ThresholdType(b.ThresholdType), Value: ptr(b.ThresholdValue)},
		},
	}
}

func deploymentsToWire(ds []ecs.Deployment) []wire.Deployment {
	out := make([]wire.Deployment, len(ds))
	for i, d := range ds {
		out[i] = wire.Deployment{
			Id:                   ptr(d.ID),
			Status:               ptr(string(d.Status)),
			TaskDefinition:       ptr(d.TaskDefinitionARN),
			DesiredCount:         ptr(d.DesiredCount),
			PendingCount:         ptr(d.PendingCount),
			RunningCount:         ptr(d.RunningCount),
			FailedTasks:          ptr(d.FailedTasks),
			CreatedAt:            optTime(d.CreatedAt),
			UpdatedAt:            optTime(d.UpdatedAt),
			LaunchType:           wire.LaunchType(d.LaunchType),
			NetworkConfiguration: d.NetworkConfiguration,
			RolloutState:         wire.DeploymentRolloutState(d.RolloutState),
			RolloutStateReason:   optString(d.RolloutStateReason),
		}
	}
	return out
}

func eventsToWire(es []ecs.ServiceEvent) []wire.ServiceEvent {
	out := make([]wire.ServiceEvent, len(es))
	for i, e := range es {
		out[i] = wire.ServiceEvent{Id: ptr(e.ID), CreatedAt: optTime(e.CreatedAt), Message: ptr(e.Message)}
	}
	return out
}
