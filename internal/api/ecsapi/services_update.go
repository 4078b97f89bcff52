package ecsapi

import (
	"context"
	"errors"
	"time"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

// UpdateService changes an ACTIVE service; a DRAINING or INACTIVE one is
// ServiceNotActiveException. A member left out keeps its value, and an
// empty placementConstraints or placementStrategy list clears it.
//
// A task definition that resolves to another revision than the service's,
// or forceNewDeployment, starts a new deployment: a new PRIMARY for the
// service's desiredCount, the previous PRIMARY becoming ACTIVE while the
// controller replaces its tasks. desiredCount (also the PRIMARY's),
// deploymentConfiguration, the grace period, placement,
// enableExecuteCommand and the tags options change the service in place.
// (networkConfiguration, loadBalancers, serviceRegistries and
// platformVersion, ECS's other members that start a deployment, are
// refused: berth supports none of them yet.)
func (a *API) UpdateService(ctx context.Context, in *wire.UpdateServiceRequest) (*wire.UpdateServiceResponse, error) {
	cluster, name, err := a.serviceRef(ctx, in.Cluster, in.Service)
	if err != nil {
		return nil, err
	}
	cur, err := a.store.GetService(ctx, cluster, name)
	if err != nil {
		return nil, notFoundAs(err, ecs.ErrServiceNotFound)
	}
	if !cur.Active() {
		return nil, ecs.ErrServiceNotActive
	}
	td, err := a.validateUpdateService(ctx, in, cur)
	if err != nil {
		return nil, err
	}
	now := a.timestamp()
	var primary string
	svc, err := a.store.UpdateService(ctx, cluster, name, func(s *ecs.Service) error {
		if !s.Active() {
			return ecs.ErrServiceNotActive
		}
		primary = primaryID(s)
		return applyServiceUpdate(s, in, td, now)
	})
	if err != nil {
		return nil, notFoundAs(err, ecs.ErrServiceNotFound)
	}
	if id := primaryID(svc); id != primary {
		a.log.Info("started deployment", "cluster", cluster, "service", name, "deployment", id,
			"desired", svc.DesiredCount, "task_definition", svc.TaskDefinitionARN)
	}
	return &wire.UpdateServiceResponse{Service: serviceToWire(svc, true)}, nil
}

// validateUpdateService checks an UpdateService request against the
// service as read before the update (its scheduling strategy and
// deployment controller never change) and returns the task definition the
// request names, or nil when it names none.
func (a *API) validateUpdateService(ctx context.Context, in *wire.UpdateServiceRequest, cur *ecs.Service) (*ecs.TaskDefinition, error) {
	opts := serviceOptions{
		capacity: in.CapacityProviderStrategy, platformVersion: in.PlatformVersion,
		loadBalancers: in.LoadBalancers, registries: in.ServiceRegistries, serviceConnect: in.ServiceConnectConfiguration,
		volumes: in.VolumeConfigurations, lattice: in.VpcLatticeConfigurations, azRebalancing: in.AvailabilityZoneRebalancing,
		controller: in.DeploymentController, propagateTags: in.PropagateTags, healthCheckGrace: in.HealthCheckGracePeriodSeconds,
		placementStrategy: in.PlacementStrategy, schedulingStrategy: cur.SchedulingStrategy,
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := ecs.ValidateDesiredCount(cur.SchedulingStrategy, in.DesiredCount, false); err != nil {
		return nil, err
	}
	if _, err := cur.DeploymentConfiguration.With(in.DeploymentConfiguration, cur.SchedulingStrategy); err != nil {
		return nil, err
	}
	var td *ecs.TaskDefinition
	switch {
	case in.TaskDefinition != nil:
		var err error
		if td, err = a.launchableTaskDefinition(ctx, *in.TaskDefinition, in.NetworkConfiguration); err != nil {
			return nil, err
		}
	case in.NetworkConfiguration != nil:
		return nil, errNetworkConfiguration // the service's definition is not awsvpc: berth refuses those
	}
	if in.PlacementConstraints == nil && in.PlacementStrategy == nil {
		return td, nil
	}
	// The limit of placement constraints counts the task definition's
	// too: the new one's, else the service's own (if it still exists).
	def := td
	if def == nil {
		current, err := a.findTaskDefinition(ctx, cur.TaskDefinitionARN)
		if err != nil && !errors.Is(err, errTaskDefinitionNotFound) {
			return nil, err
		}
		if def = current; def == nil {
			def = &ecs.TaskDefinition{}
		}
	}
	return td, validatePlacement(in.PlacementConstraints, in.PlacementStrategy, def)
}

// applyServiceUpdate applies a validated UpdateService request to s, as of
// now, and starts a deployment when the request calls for one.
func applyServiceUpdate(s *ecs.Service, in *wire.UpdateServiceRequest, td *ecs.TaskDefinition, now time.Time) error {
	deploy := in.ForceNewDeployment != nil && *in.ForceNewDeployment
	if td != nil && str(td.Def.TaskDefinitionArn) != s.TaskDefinitionARN {
		s.TaskDefinitionARN, deploy = str(td.Def.TaskDefinitionArn), true
	}
	switch {
	case in.DesiredCount != nil && deploy:
		s.DesiredCount = *in.DesiredCount // the new PRIMARY's; the old one's tasks are being replaced
	case in.DesiredCount != nil:
		s.SetDesiredCount(*in.DesiredCount, now)
	}
	cfg, err := s.DeploymentConfiguration.With(in.DeploymentConfiguration, s.SchedulingStrategy)
	if err != nil {
		return err
	}
	s.DeploymentConfiguration = cfg
	if in.PlacementConstraints != nil {
		s.PlacementConstraints = in.PlacementConstraints
	}
	if in.PlacementStrategy != nil {
		s.PlacementStrategy = in.PlacementStrategy
	}
	if in.HealthCheckGracePeriodSeconds != nil {
		s.HealthCheckGracePeriodSeconds = *in.HealthCheckGracePeriodSeconds
	}
	if in.EnableExecuteCommand != nil {
		s.EnableExecuteCommand = *in.EnableExecuteCommand
	}
	if in.EnableECSManagedTags != nil {
		s.EnableECSManagedTags = *in.EnableECSManagedTags
	}
	if in.PropagateTags != "" {
		s.PropagateTags = string(in.PropagateTags)
	}
	if in.AvailabilityZoneRebalancing != "" {
		s.AvailabilityZoneRebalancing = string(in.AvailabilityZoneRebalancing)
	}
	if deploy {
		s.StartDeployment(ecs.NewDeployment(ecs.NewDeploymentID(), s.TaskDefinitionARN, s.DesiredCount, s.LaunchType, now))
	}
	return nil
}

// primaryID is the id of s's PRIMARY deployment, "" before its first.
func primaryID(s *ecs.Service) string {
	if p := s.Primary(); p != nil {
		return p.ID
	}
	return ""
}
