package ecsapi

import (
	"context"
	"errors"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/launch"
	"github.com/berth-org/berth/internal/scheduler"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// managedClusterTag is the tag enableECSManagedTags adds to a task: ECS tags
// tasks with "aws:ecs:clusterName" (developer guide, "Amazon ECS managed
// tags").
const managedClusterTag = launch.ManagedClusterTag

var errPropagateServiceTags = ecs.InvalidParameter("propagateTags SERVICE applies to tasks a service starts; a task started by this action can propagate TASK_DEFINITION tags, or NONE.")

// prepareLaunch validates what RunTask and StartTask share (StartTask
// passes its request as the RunTask request with the same members), resolves
// the cluster and the task definition, and works out each task's containers
// and requirements. It writes nothing.
func (a *API) prepareLaunch(ctx context.Context, in *wire.RunTaskRequest) (*launch.Spec, error) {
	if err := required("taskDefinition", in.TaskDefinition); err != nil {
		return nil, err
	}
	if err := ecs.ValidateStartedBy(str(in.StartedBy)); err != nil {
		return nil, err
	}
	tags, err := validateTagRequest(in.Tags)
	if err != nil {
		return nil, err
	}
	switch in.PropagateTags {
	case "", wire.PropagateTagsNone, wire.PropagateTagsTaskDefinition:
	case wire.PropagateTagsService:
		return nil, errPropagateServiceTags
	default:
		return nil, validateEnum("propagateTags", in.PropagateTags, wire.PropagateTags("").Values())
	}
	if len(in.VolumeConfigurations) > 0 {
		return nil, ecs.Unsupported("berth does not support volumeConfigurations (Amazon EBS volumes) yet.")
	}
	cluster, err := a.activeClusterName(ctx, in.Cluster)
	if err != nil {
		return nil, err
	}
	td, err := a.launchableTaskDefinition(ctx, *in.TaskDefinition, in.NetworkConfiguration)
	if err != nil {
		return nil, err
	}
	def := &td.Def
	constraints, err := scheduler.ParseConstraints(in.PlacementConstraints, def.PlacementConstraints)
	if err != nil {
		return nil, err
	}
	strategies, err := scheduler.ParseStrategies(in.PlacementStrategy)
	if err != nil {
		return nil, err
	}
	if len(strategies) == 0 {
		strategies = scheduler.DefaultRunTaskStrategies
	}
	if err := ecs.ValidateOverrides(def, in.Overrides); err != nil {
		return nil, err
	}
	if in.PropagateTags == wire.PropagateTagsTaskDefinition {
		// The request's own tags win over the definition's of the same key.
		if tags, err = ecs.MergeTags(td.Tags, tags); err != nil {
			return nil, err
		}
	}
	if in.EnableECSManagedTags != nil && *in.EnableECSManagedTags {
		// Added after validation: the aws: prefix is reserved for exactly
		// such tags.
		tags = append(tags, ecs.Tag{Key: managedClusterTag, Value: cluster})
	}
	group := str(in.Group)
	if group == "" {
		group = "family:" + td.Family()
	}
	containers := ecs.ApplyOverrides(def, in.Overrides)
	return &launch.Spec{
		Cluster:     cluster,
		Def:         td,
		Overrides:   in.Overrides,
		Containers:  containers,
		Needs:       ecs.TaskRequirements(def, containers, in.Overrides),
		Group:       group,
		Constraints: constraints,
		Strategies:  strategies,
		StartedBy:   str(in.StartedBy),
		Tags:        tags,
		EnableExec:  in.EnableExecuteCommand != nil && *in.EnableExecuteCommand,
	}, nil
}

// launchableTaskDefinition finds the task definition ref names, for tasks
// of RunTask, StartTask or a service: it must be ACTIVE and not use awsvpc
// (berth has no task ENIs yet), and a networkConfiguration, which only
// awsvpc takes, is then invalid.
func (a *API) launchableTaskDefinition(ctx context.Context, ref string, network *wire.NetworkConfiguration) (*ecs.TaskDefinition, error) {
	td, err := a.findTaskDefinition(ctx, ref)
	if err != nil {
		return nil, err
	}
	switch {
	case td.Status() != wire.TaskDefinitionStatusActive:
		return nil, ecs.ClientError("TaskDefinition is inactive")
	case td.Def.NetworkMode == wire.NetworkModeAwsvpc:
		return nil, ecs.Unsupported("awsvpc network mode is not supported yet.")
	case network != nil:
		return nil, errNetworkConfiguration
	}
	return td, nil
}

// errNetworkConfiguration answers a networkConfiguration for a task
// definition whose network mode is not awsvpc, in ECS's words.
var errNetworkConfiguration = ecs.InvalidParameter("Network Configuration is not valid for the given networkMode of this task definition.")

// activeClusterTx checks, within tx, that the cluster is ACTIVE. Reading
// it in the transaction makes the transaction and a concurrent
// DeleteCluster exclusive: whichever commits second sees the other.
func activeClusterTx(tx *store.Tx, name string) error {
	c, err := tx.GetCluster(name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return ecs.ErrClusterNotFound
	case err != nil:
		return err
	case c.Status != ecs.ClusterActive:
		return ecs.ErrClusterNotFound
	}
	return nil
}
