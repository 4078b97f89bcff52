package ecsapi

import (
	"context"
	"strings"

	"github.com/berth-org/berth/internal/arn"
	"github.com/berth-org/berth/internal/awsjson"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/scheduler"
	"github.com/berth-org/berth/internal/wire"
)

// The service actions live in services*.go: DeleteService and what the
// actions share here, CreateService in services_create.go, UpdateService in services_update.go, DescribeServices
// and ListServices in services_read.go, the wire form in
// convert_service.go.
//
// Who writes what (see ecs.Service): these actions write a service's
// specification and start its deployments; the leader's service
// controller starts and stops its tasks, reports the deployments'
// progress and events, and moves a deleted (DRAINING) service to INACTIVE
// once its tasks are gone.

func (a *API) registerServices(svc *awsjson.Service) {
	svc.Handle("CreateService", awsjson.Handle(a.CreateService))
	svc.Handle("UpdateService", awsjson.Handle(a.UpdateService))
	svc.Handle("DeleteService", awsjson.Handle(a.DeleteService))
	svc.Handle("DescribeServices", awsjson.Handle(a.DescribeServices))
	svc.Handle("ListServices", awsjson.Handle(a.ListServices))
}

// serviceName resolves a service reference within a cluster: a name, or
// an ARN in the current (service/<cluster>/<name>) or the legacy
// (service/<name>) format. ok is false when ref cannot name a service of
// that cluster.
func (a *API) serviceName(cluster, ref string) (name string, ok bool) {
	if !arn.IsARN(ref) {
		return ref, ecs.ValidName(ref)
	}
	parsed, err := arn.Parse(ref)
	if err != nil || !a.arns.Owns(parsed) || parsed.Type() != "service" {
		return "", false
	}
	path := parsed.Path()
	if c, n, long := strings.Cut(path, "/"); long {
		return n, c == cluster && ecs.ValidName(n)
	}
	return path, ecs.ValidName(path)
}

// serviceRef resolves the cluster and service an UpdateService or
// DeleteService names: the service is required, the cluster must be
// ACTIVE, and a reference that cannot name a service of it is
// ServiceNotFoundException.
func (a *API) serviceRef(ctx context.Context, clusterRef, serviceRef *string) (cluster, name string, err error) {
	if err := required("service", serviceRef); err != nil {
		return "", "", err
	}
	if cluster, err = a.activeClusterName(ctx, clusterRef); err != nil {
		return "", "", err
	}
	name, ok := a.serviceName(cluster, *serviceRef)
	if !ok {
		return "", "", ecs.ErrServiceNotFound
	}
	return cluster, name, nil
}

// serviceRefARN is the ARN a failure names for a service reference: the
// service's ARN when ref is a name, else ref as given.
func (a *API) serviceRefARN(cluster, ref string) string {
	if arn.IsARN(ref) {
		return ref
	}
	return a.arns.Service(cluster, ref)
}

// errScaledAboveZero refuses DeleteService of a REPLICA service that still
// wants tasks, unless forced (moto's and ECS's wording).
var errScaledAboveZero = ecs.InvalidParameter("The service cannot be stopped while it is scaled above 0.")

// serviceOptions are the members of CreateService and UpdateService that
// berth validates alike.
type serviceOptions struct {
	launchType         wire.LaunchType
	capacity           []wire.CapacityProviderStrategyItem
	platformVersion    *string
	loadBalancers      []wire.LoadBalancer
	registries         []wire.ServiceRegistry
	serviceConnect     *wire.ServiceConnectConfiguration
	volumes            []wire.ServiceVolumeConfiguration
	lattice            []wire.VpcLatticeConfiguration
	azRebalancing      wire.AvailabilityZoneRebalancing
	controller         *wire.DeploymentController
	propagateTags      wire.PropagateTags
	healthCheckGrace   *int32
	placementStrategy  []wire.PlacementStrategy
	schedulingStrategy ecs.SchedulingStrategy
}

// validate refuses what berth does not do (each a valid ECS request:
// UnsupportedFeatureException, with what to do instead) and what ECS
// refuses.
func (o serviceOptions) validate() error {
	if err := validateLaunchType(o.launchType, o.capacity); err != nil {
		return err
	}
	switch {
	case o.platformVersion != nil:
		return ecs.InvalidParameter("The platform version must be null when specifying an EC2 launch type.")
	case len(o.loadBalancers) > 0:
		return ecs.Unsupported("berth does not support load balancers yet; omit loadBalancers.")
	case len(o.registries) > 0:
		return ecs.Unsupported("berth does not support service discovery yet; omit serviceRegistries.")
	case o.serviceConnect != nil:
		return &ecs.Error{Code: ecs.CodeNamespaceNotFound, Message: "berth does not support Service Connect namespaces yet; omit serviceConnectConfiguration."}
	case len(o.volumes) > 0:
		return ecs.Unsupported("berth does not support volumeConfigurations (Amazon EBS volumes) yet.")
	case len(o.lattice) > 0:
		return ecs.Unsupported("berth does not support VPC Lattice; omit vpcLatticeConfigurations.")
	case o.azRebalancing == wire.AvailabilityZoneRebalancingEnabled:
		return ecs.Unsupported("berth does not rebalance tasks across Availability Zones yet: availabilityZoneRebalancing must be DISABLED, or omitted.")
	case o.azRebalancing != "":
		return validateEnum("availabilityZoneRebalancing", o.azRebalancing, wire.AvailabilityZoneRebalancing("").Values())
	case o.healthCheckGrace != nil && *o.healthCheckGrace < 0:
		return ecs.InvalidParameter("healthCheckGracePeriodSeconds must be between 0 and 2147483647.")
	case o.schedulingStrategy == ecs.SchedulingDaemon && len(o.placementStrategy) > 0:
		return ecs.ErrDaemonPlacementStrategy
	}
	if o.propagateTags != "" {
		if err := validateEnum("propagateTags", o.propagateTags, wire.PropagateTags("").Values()); err != nil {
			return err
		}
	}
	if o.controller == nil {
		return nil
	}
	switch o.controller.Type {
	case wire.DeploymentControllerTypeEcs:
		return nil
	case wire.DeploymentControllerTypeCodeDeploy, wire.DeploymentControllerTypeExternal:
		return ecs.Unsupported("berth runs rolling deployments only: deploymentController %s is not supported. Use ECS, or omit deploymentController.", o.controller.Type)
	default:
		return validateEnum("deploymentController.type", o.controller.Type, wire.DeploymentControllerType("").Values())
	}
}

// validatePlacement parses a service's placement constraints (with its
// task definition's) and strategies with the scheduler's own rules, as
// RunTask does, so a service holds nothing the scheduler would refuse.
func validatePlacement(constraints []wire.PlacementConstraint, strategies []wire.PlacementStrategy, td *ecs.TaskDefinition) error {
	if _, err := scheduler.ParseConstraints(constraints, td.Def.PlacementConstraints); err != nil {
		return err
	}
	_, err := scheduler.ParseStrategies(strategies)
	return err
}

// DeleteService deletes a service: it becomes DRAINING with desiredCount
// 0, and the service controller stops its tasks and then makes it
// INACTIVE. It stays describable, is no longer listed, and its name can be
// created again once INACTIVE. A REPLICA service that still wants tasks is
// refused unless force is set. Deleting a DRAINING service again returns
// it unchanged.
func (a *API) DeleteService(ctx context.Context, in *wire.DeleteServiceRequest) (*wire.DeleteServiceResponse, error) {
	cluster, name, err := a.serviceRef(ctx, in.Cluster, in.Service)
	if err != nil {
		return nil, err
	}
	force := in.Force != nil && *in.Force
	now := a.timestamp()
	svc, err := a.store.UpdateService(ctx, cluster, name, func(s *ecs.Service) error {
		switch {
		case s.Status == ecs.ServiceInactive:
			return ecs.ErrServiceNotActive
		case s.Status == ecs.ServiceDraining:
			return nil
		case s.SchedulingStrategy == ecs.SchedulingReplica && s.DesiredCount > 0 && !force:
			return errScaledAboveZero
		}
		s.Status, s.DeletedAt = ecs.ServiceDraining, now
		s.SetDesiredCount(0, now)
		return nil
	})
	if err != nil {
		return nil, notFoundAs(err, ecs.ErrServiceNotFound)
	}
	a.log.Info("deleted service", "cluster", cluster, "service", name, "force", force)
	return &wire.DeleteServiceResponse{Service: serviceToWire(svc, true)}, nil
}
