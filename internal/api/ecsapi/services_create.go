package ecsapi

import (
	"context"
	"errors"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// CreateService creates a service and its first PRIMARY deployment, with
// ECS's defaults for what the request leaves out (see newService). The
// service controller then starts its tasks.
//
// A name that is ACTIVE or DRAINING is refused; an INACTIVE (deleted) one
// is replaced. With a clientToken, the first request records the token
// with the service it created, in the same transaction: the same token
// with the same request returns that service, described afresh; with
// another request it is refused like a second creation.
func (a *API) CreateService(ctx context.Context, in *wire.CreateServiceRequest) (*wire.CreateServiceResponse, error) {
	svc, err := a.newService(ctx, in)
	if err != nil {
		return nil, err
	}
	token, digest := str(in.ClientToken), ""
	if token != "" {
		req := *in
		req.ClientToken, req.Cluster = nil, &svc.Cluster
		if digest, err = requestDigest("CreateService", req); err != nil {
			return nil, err
		}
	}
	var out *ecs.Service
	_, err = a.store.Update(ctx, func(tx *store.Tx) error {
		out = nil
		if err := activeClusterTx(tx, svc.Cluster); err != nil {
			return err
		}
		if token != "" {
			prior, err := priorService(tx, svc.Cluster, token, digest)
			if prior != nil || err != nil {
				out = prior
				return err
			}
		}
		if err := tx.CreateService(svc); errors.Is(err, store.ErrServiceExists) {
			return ecs.ErrServiceNotIdempotent
		} else if err != nil {
			return err
		}
		out = svc
		if token == "" {
			return nil
		}
		return tx.PutServiceToken(svc.Cluster, token, &store.ServiceToken{RequestDigest: digest, ServiceName: svc.Name, CreatedAt: svc.CreatedAt})
	})
	if err != nil {
		return nil, err
	}
	if out == svc {
		a.log.Info("created service", "cluster", svc.Cluster, "service", svc.Name, "deployment", primaryID(svc),
			"desired", svc.DesiredCount, "task_definition", svc.TaskDefinitionARN)
	}
	return &wire.CreateServiceResponse{Service: serviceToWire(out, true)}, nil
}

// priorService is the service a clientToken created, when the token was
// used before with the same request; a token used with another request is
// refused. Both are nil for a token not used before.
func priorService(tx *store.Tx, cluster, token, digest string) (*ecs.Service, error) {
	tok, err := tx.GetServiceToken(cluster, token)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case tok.RequestDigest != digest:
		return nil, ecs.ErrServiceNotIdempotent
	}
	svc, err := tx.GetService(cluster, tok.ServiceName)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return svc, err
}

// newService validates a CreateService request and builds the service it
// creates, with ECS's defaults: REPLICA, the ECS deployment controller,
// launch type EC2, the deployment configuration of
// ecs.DefaultDeploymentConfiguration, propagateTags NONE, a grace period of
// 0, no placement strategy (the controller places a REPLICA service's
// tasks by ECS's default spread; see ecs.Service). It writes nothing.
func (a *API) newService(ctx context.Context, in *wire.CreateServiceRequest) (*ecs.Service, error) {
	strategy, err := validateCreateService(in)
	if err != nil {
		return nil, err
	}
	cfg, err := ecs.DefaultDeploymentConfiguration(strategy).With(in.DeploymentConfiguration, strategy)
	if err != nil {
		return nil, err
	}
	tags, err := validateTagRequest(in.Tags)
	if err != nil {
		return nil, err
	}
	cluster, err := a.activeClusterName(ctx, in.Cluster)
	if err != nil {
		return nil, err
	}
	td, err := a.launchableTaskDefinition(ctx, *in.TaskDefinition, in.NetworkConfiguration)
	if err != nil {
		return nil, err
	}
	if err := validatePlacement(in.PlacementConstraints, in.PlacementStrategy, td); err != nil {
		return nil, err
	}
	now, name := a.timestamp(), *in.ServiceName
	svc := &ecs.Service{
		Name: name, ARN: a.arns.Service(cluster, name), Cluster: cluster, ClusterARN: a.arns.Cluster(cluster),
		Status:                        ecs.ServiceActive,
		TaskDefinitionARN:             str(td.Def.TaskDefinitionArn),
		SchedulingStrategy:            strategy,
		DeploymentConfiguration:       cfg,
		DeploymentController:          ecs.DeploymentControllerECS,
		PlacementConstraints:          in.PlacementConstraints,
		PlacementStrategy:             in.PlacementStrategy,
		HealthCheckGracePeriodSeconds: deref(in.HealthCheckGracePeriodSeconds),
		LaunchType:                    string(wire.LaunchTypeEc2),
		RoleARN:                       str(in.Role),
		EnableECSManagedTags:          deref(in.EnableECSManagedTags),
		PropagateTags:                 string(wire.PropagateTagsNone),
		EnableExecuteCommand:          deref(in.EnableExecuteCommand),
		AvailabilityZoneRebalancing:   string(in.AvailabilityZoneRebalancing),
		Tags:                          tags,
		ClientToken:                   str(in.ClientToken),
		CreatedAt:                     now,
		CreatedBy:                     a.arns.RootPrincipal(),
		DesiredCount:                  deref(in.DesiredCount),
	}
	if in.PropagateTags != "" {
		svc.PropagateTags = string(in.PropagateTags)
	}
	svc.StartDeployment(ecs.NewDeployment(ecs.NewDeploymentID(), svc.TaskDefinitionARN, svc.DesiredCount, svc.LaunchType, now))
	return svc, nil
}

// validateCreateService checks what a CreateService request holds on its
// own, and returns its scheduling strategy.
func validateCreateService(in *wire.CreateServiceRequest) (ecs.SchedulingStrategy, error) {
	if err := ecs.ValidateServiceName(str(in.ServiceName)); err != nil {
		return "", err
	}
	if err := ecs.ValidateServiceClientToken(str(in.ClientToken)); err != nil {
		return "", err
	}
	strategy := ecs.SchedulingReplica
	if in.SchedulingStrategy != "" {
		if err := validateEnum("schedulingStrategy", in.SchedulingStrategy, wire.SchedulingStrategy("").Values()); err != nil {
			return "", err
		}
		strategy = ecs.SchedulingStrategy(in.SchedulingStrategy)
	}
	opts := serviceOptions{
		launchType: in.LaunchType, capacity: in.CapacityProviderStrategy, platformVersion: in.PlatformVersion,
		loadBalancers: in.LoadBalancers, registries: in.ServiceRegistries, serviceConnect: in.ServiceConnectConfiguration,
		volumes: in.VolumeConfigurations, lattice: in.VpcLatticeConfigurations, azRebalancing: in.AvailabilityZoneRebalancing,
		controller: in.DeploymentController, propagateTags: in.PropagateTags, healthCheckGrace: in.HealthCheckGracePeriodSeconds,
		placementStrategy: in.PlacementStrategy, schedulingStrategy: strategy,
	}
	if err := opts.validate(); err != nil {
		return "", err
	}
	if err := ecs.ValidateDesiredCount(strategy, in.DesiredCount, true); err != nil {
		return "", err
	}
	return strategy, required("taskDefinition", in.TaskDefinition)
}

// deref is *p, or T's zero value when p is nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
