package launch

import (
	"fmt"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/scheduler"
	"github.com/berth-org/berth/internal/wire"
)

// Managed tags ECS adds with enableECSManagedTags (developer guide,
// "Amazon ECS managed tags").
const (
	ManagedClusterTag = "aws:ecs:clusterName"
	ManagedServiceTag = "aws:ecs:serviceName"
)

// ForService is the launch of a task of the service's deployment dep,
// whose task definition is td: the service's task group
// ("service:<name>"), started by the deployment's id, placed by the
// service's constraints with the task definition's and by its strategies
// (for REPLICA, ECS's default spread across Availability Zones then
// instances when it has none; a DAEMON service names each task's
// instance), tagged as the service says.
//
// The service and the task definition were validated when the service
// was created or updated; an error here means the stored state no longer
// parses, which is reported, not papered over.
func ForService(svc *ecs.Service, dep *ecs.Deployment, td *ecs.TaskDefinition) (*Spec, error) {
	def := &td.Def
	constraints, err := scheduler.ParseConstraints(svc.PlacementConstraints, def.PlacementConstraints)
	if err != nil {
		return nil, fmt.Errorf("service %s: placement constraints: %w", svc.Name, err)
	}
	strategies, err := scheduler.ParseStrategies(svc.PlacementStrategy)
	if err != nil {
		return nil, fmt.Errorf("service %s: placement strategy: %w", svc.Name, err)
	}
	if len(strategies) == 0 && svc.SchedulingStrategy != ecs.SchedulingDaemon {
		strategies = scheduler.DefaultServiceStrategies
	}
	tags, err := serviceTaskTags(svc, td)
	if err != nil {
		return nil, err
	}
	containers := ecs.ApplyOverrides(def, nil)
	return &Spec{
		Cluster:     svc.Cluster,
		Def:         td,
		Containers:  containers,
		Needs:       ecs.TaskRequirements(def, containers, nil),
		Group:       "service:" + svc.Name,
		Constraints: constraints,
		Strategies:  strategies,
		StartedBy:   dep.ID,
		Tags:        tags,
		EnableExec:  svc.EnableExecuteCommand,
	}, nil
}

// serviceTaskTags are the tags of the service's tasks: the service's or
// the task definition's with propagateTags, plus the managed tags with
// enableECSManagedTags.
func serviceTaskTags(svc *ecs.Service, td *ecs.TaskDefinition) ([]ecs.Tag, error) {
	var tags []ecs.Tag
	switch svc.PropagateTags {
	case string(wire.PropagateTagsService):
		tags = append(tags, svc.Tags...)
	case string(wire.PropagateTagsTaskDefinition):
		tags = append(tags, td.Tags...)
	}
	if svc.EnableECSManagedTags {
		var err error
		if tags, err = ecs.MergeTags(tags, []ecs.Tag{
			{Key: ManagedClusterTag, Value: svc.Cluster}, {Key: ManagedServiceTag, Value: svc.Name},
		}); err != nil {
			return nil, fmt.Errorf("service %s: managed tags: %w", svc.Name, err)
		}
	}
	return tags, nil
}
