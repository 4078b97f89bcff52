package ecsapi

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/berth-org/berth/internal/arn"
	"github.com/berth-org/berth/internal/awsjson"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/placement"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// Config is what the ECS API needs.
type Config struct {
	Store *store.Store
	ARNs  arn.Builder
	Log   *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Placer places tasks. Nil means New makes one over a cache of its
	// own, maintained until New's ctx ends.
	Placer *placement.Placer
}

// API implements the ECS operations.
type API struct {
	store *store.Store
	arns  arn.Builder
	log   *slog.Logger
	now   func() time.Time
	// families serializes registrations of one family within this process,
	// so concurrent writers queue instead of burning optimistic retries.
	// The store's compare-and-swap still guarantees correctness across
	// server replicas.
	families keyedMutex
	placer   *placement.Placer
}

// New returns the API and makes sure the default cluster exists.
func New(ctx context.Context, cfg Config) (*API, error) {
	a := &API{store: cfg.Store, arns: cfg.ARNs, log: cfg.Log, now: cfg.Now, placer: cfg.Placer}
	if a.now == nil {
		a.now = time.Now
	}
	if a.placer == nil {
		cache := placement.NewCache(cfg.Store, cfg.Log)
		go cache.Run(ctx)
		a.placer = placement.NewPlacer(cache)
	}
	if err := a.ensureDefaultCluster(ctx); err != nil {
		return nil, fmt.Errorf("create the default cluster: %w", err)
	}
	return a, nil
}

// Service is the ECS service for awsjson.Server, with every operation of
// the model registered.
func (a *API) Service() *awsjson.Service {
	svc := &awsjson.Service{TargetPrefix: wire.ECSTargetPrefix, MapError: mapError}
	a.registerClusters(svc)
	a.registerTaskDefinitions(svc)
	a.registerTags(svc)
	a.registerAccountSettings(svc)
	a.registerInstances(svc)
	a.registerTasks(svc)
	a.registerServices(svc)
	for _, name := range append(wire.ECSOperations, newerOperations...) {
		if !svc.Has(name) {
			svc.Handle(name, unsupported(name))
		}
	}
	return svc
}

// newerOperations are in aws-sdk-go-v2's ECS client (v1.104) but not yet in
// the botocore model the wire types are generated from. They answer
// UnsupportedFeatureException like every other operation berth lacks, so
// that a newer SDK gets a typed error rather than UnknownOperationException.
var newerOperations = []string{
	"AssociateGatewayWithCluster", "CreateGateway", "DeleteGateway", "DescribeGateway",
	"DescribeGatewayResources", "DescribeGatewayRoute", "DisassociateGatewayFromCluster",
	"ListGatewayClusterAssociations", "ListGatewayRoutes", "ListGateways", "UpdateGateway",
}

func unsupported(name string) awsjson.Operation {
	return func(context.Context, []byte) (any, error) {
		return nil, &ecs.Error{Code: ecs.CodeUnsupportedFeature, Message: fmt.Sprintf("berth does not support %s yet.", name)}
	}
}

// timestamp is now as a wire time, truncated to milliseconds as ECS reports.
func (a *API) timestamp() time.Time { return a.now().UTC().Truncate(time.Millisecond) }
