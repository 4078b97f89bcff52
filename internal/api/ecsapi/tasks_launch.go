package ecsapi

import (
	"context"
	"errors"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/scheduler"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// launch is a validated RunTask or StartTask: what every task it starts is
// made of.
type launch struct {
	cluster    string
	def        *ecs.TaskDefinition
	overrides  *wire.TaskOverride
	containers []wire.ContainerDefinition // the definition's, overrides applied
	needs      ecs.Requirements           // what each task holds on its instance
	group      string
	// constraints are the request's and the task definition's;
	// strategies the request's, or RunTask's default.
	constraints scheduler.Constraints
	strategies  []scheduler.Strategy
	startedBy   string
	tags        []ecs.Tag
	enableExec  bool
}

// managedClusterTag is the tag enableECSManagedTags adds to a task: ECS tags
// tasks with "aws:ecs:clusterName" (developer guide, "Amazon ECS managed
// tags").
const managedClusterTag = "aws:ecs:clusterName"

var errPropagateServiceTags = ecs.InvalidParameter("propagateTags SERVICE applies to tasks a service starts; a task started by this action can propagate TASK_DEFINITION tags, or NONE.")

// prepareLaunch validates what RunTask and StartTask share (StartTask
// passes its request as the RunTask request with the same members), resolves
// the cluster and the task definition, and works out each task's containers
// and requirements. It writes nothing.
func (a *API) prepareLaunch(ctx context.Context, in *wire.RunTaskRequest) (*launch, error) {
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
	td, err := a.findTaskDefinition(ctx, *in.TaskDefinition)
	if err != nil {
		return nil, err
	}
	def := &td.Def
	switch {
	case td.Status() != wire.TaskDefinitionStatusActive:
		return nil, ecs.ClientError("TaskDefinition is inactive")
	case def.NetworkMode == wire.NetworkModeAwsvpc:
		return nil, ecs.Unsupported("awsvpc network mode is not supported yet.")
	case in.NetworkConfiguration != nil:
		return nil, ecs.InvalidParameter("Network Configuration is not valid for the given networkMode of this task definition.")
	}
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
	return &launch{
		cluster:     cluster,
		def:         td,
		overrides:   in.Overrides,
		containers:  containers,
		needs:       ecs.TaskRequirements(def, containers, in.Overrides),
		group:       group,
		constraints: constraints,
		strategies:  strategies,
		startedBy:   str(in.StartedBy),
		tags:        tags,
		enableExec:  in.EnableExecuteCommand != nil && *in.EnableExecuteCommand,
	}, nil
}

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

// newTask builds task id of l placed on inst, as first stored: desired
// RUNNING, last known PENDING with every container PENDING, holding l.needs.
func (a *API) newTask(l *launch, inst *ecs.ContainerInstance, id string) *ecs.Task {
	containers := make([]ecs.Container, len(l.containers))
	for i, c := range l.containers {
		containers[i] = ecs.Container{
			Name:              str(c.Name),
			ARN:               a.arns.Container(l.cluster, id, newID()),
			Image:             str(c.Image),
			LastStatus:        ecs.ContainerPending,
			CPU:               intString(c.Cpu),
			Memory:            intString(c.Memory),
			MemoryReservation: intString(c.MemoryReservation),
			Essential:         c.Essential == nil || *c.Essential,
		}
	}
	cpu, memory := str(l.def.Def.Cpu), str(l.def.Def.Memory)
	if ov := l.overrides; ov != nil {
		cpu, memory = firstSet(ov.Cpu, cpu), firstSet(ov.Memory, memory)
	}
	return &ecs.Task{
		ID:                   id,
		ARN:                  a.arns.Task(l.cluster, id),
		Cluster:              l.cluster,
		ClusterARN:           a.arns.Cluster(l.cluster),
		TaskDefinitionARN:    str(l.def.Def.TaskDefinitionArn),
		Family:               l.def.Family(),
		ContainerInstanceID:  inst.ID,
		ContainerInstanceARN: inst.ARN,
		AvailabilityZone:     attributeValue(inst.Attributes, "ecs.availability-zone"),
		Group:                l.group,
		StartedBy:            l.startedBy,
		CPU:                  cpu,
		Memory:               memory,
		Overrides:            l.overrides,
		EnableExecuteCommand: l.enableExec,
		Tags:                 l.tags,
		CreatedAt:            a.timestamp(),
		Version:              1,
		Held:                 l.needs,
		DesiredStatus:        ecs.TaskRunning,
		Known:                ecs.Known{LastStatus: ecs.TaskPending, Containers: containers},
	}
}

// firstSet is *override when set, else fallback.
func firstSet(override *string, fallback string) string {
	if override != nil && *override != "" {
		return *override
	}
	return fallback
}

func attributeValue(attrs []wire.Attribute, name string) string {
	for _, at := range attrs {
		if str(at.Name) == name {
			return str(at.Value)
		}
	}
	return ""
}
