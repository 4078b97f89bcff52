package ecsapi

import (
	"context"
	"errors"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// Service listing and describing limits from the ECS model: DescribeServices
// takes at most 10 services, and ListServices pages 10 by default (unlike
// the other listings' 100).
const (
	maxDescribeServices     = 10
	defaultListServicesPage = 10
)

// DescribeServices describes up to 10 services of a cluster, deleted ones
// included (DRAINING, then INACTIVE). Unknown references come back in
// failures with reason MISSING. Tags are reported with include TAGS only.
func (a *API) DescribeServices(ctx context.Context, in *wire.DescribeServicesRequest) (*wire.DescribeServicesResponse, error) {
	switch n := len(in.Services); {
	case n == 0:
		return nil, ecs.InvalidParameter("Services cannot be empty.")
	case n > maxDescribeServices:
		return nil, ecs.InvalidParameter("services can have at most %d items.", maxDescribeServices)
	}
	withTags := false
	for _, f := range in.Include {
		if err := validateEnum("include", f, wire.ServiceField("").Values()); err != nil {
			return nil, err
		}
		withTags = withTags || f == wire.ServiceFieldTags
	}
	cluster, err := a.activeClusterName(ctx, in.Cluster)
	if err != nil {
		return nil, err
	}
	out := &wire.DescribeServicesResponse{Services: []wire.Service{}, Failures: []wire.Failure{}}
	for _, ref := range in.Services {
		name, ok := a.serviceName(cluster, ref)
		var svc *ecs.Service
		if ok {
			svc, err = a.store.GetService(ctx, cluster, name)
		}
		switch {
		case !ok || errors.Is(err, store.ErrNotFound):
			out.Failures = append(out.Failures, missing(a.serviceRefARN(cluster, ref)))
		case err != nil:
			return nil, err
		default:
			out.Services = append(out.Services, *serviceToWire(svc, withTags))
		}
	}
	return out, nil
}

// ListServices lists a cluster's ACTIVE services by name, 10 a page unless
// maxResults says otherwise. Every berth service runs on the EC2 launch
// type and is managed by its customer, so launchType FARGATE or EXTERNAL
// and resourceManagementType ECS list none.
func (a *API) ListServices(ctx context.Context, in *wire.ListServicesRequest) (*wire.ListServicesResponse, error) {
	limit, err := pageSize(in.MaxResults, defaultListServicesPage, maxMaxResults)
	if err != nil {
		return nil, err
	}
	if err := validateListServicesFilters(in); err != nil {
		return nil, err
	}
	cluster, err := a.activeClusterName(ctx, in.Cluster)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken, store.ServiceListPrefix(cluster))
	if err != nil {
		return nil, err
	}
	out := &wire.ListServicesResponse{ServiceArns: []string{}}
	if (in.LaunchType != "" && in.LaunchType != wire.LaunchTypeEc2) ||
		(in.ResourceManagementType != "" && in.ResourceManagementType != wire.ResourceManagementTypeCustomer) {
		return out, nil
	}
	keep := func(s *ecs.Service) bool {
		return s.Active() && (in.SchedulingStrategy == "" || string(s.SchedulingStrategy) == string(in.SchedulingStrategy))
	}
	page, err := a.store.ListServices(ctx, cluster, after, limit, keep)
	if err != nil {
		return nil, err
	}
	out.NextToken = encodeToken(page.Next)
	for _, s := range page.Items {
		out.ServiceArns = append(out.ServiceArns, s.ARN)
	}
	return out, nil
}

func validateListServicesFilters(in *wire.ListServicesRequest) error {
	if in.LaunchType != "" {
		if err := validateEnum("launchType", in.LaunchType, wire.LaunchType("").Values()); err != nil {
			return err
		}
	}
	if in.SchedulingStrategy != "" {
		if err := validateEnum("schedulingStrategy", in.SchedulingStrategy, wire.SchedulingStrategy("").Values()); err != nil {
			return err
		}
	}
	if in.ResourceManagementType != "" {
		return validateEnum("resourceManagementType", in.ResourceManagementType, wire.ResourceManagementType("").Values())
	}
	return nil
}
