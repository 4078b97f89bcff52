package ecsapi

import (
	"context"
	"errors"
	"strings"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/launch"
	"github.com/berth-org/berth/internal/scheduler"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// StartTask starts one task of a task definition on each named container
// instance (the custom-scheduler hook), all in one transaction. Naming an
// instance twice starts two tasks on it. An instance that cannot take its
// task is a failure instead, with ECS's StartTask reasons: MISSING for one
// that does not exist, INACTIVE for one that is deregistered (berth also
// gives INACTIVE, with a detail, for a DRAINING one), else the reason it
// does not fit (AGENT, ATTRIBUTE with a detail naming what it lacks,
// MemberOf, RESOURCE:*), as in RunTask.
func (a *API) StartTask(ctx context.Context, in *wire.StartTaskRequest) (*wire.StartTaskResponse, error) {
	switch n := len(in.ContainerInstances); {
	case n == 0:
		return nil, ecs.InvalidParameter("containerInstances is required.")
	case n > ecs.MaxStartTaskInstances:
		return nil, ecs.InvalidParameter("containerInstances can have at most %d items.", ecs.MaxStartTaskInstances)
	}
	l, err := a.prepareLaunch(ctx, &wire.RunTaskRequest{
		Cluster: in.Cluster, TaskDefinition: in.TaskDefinition, Overrides: in.Overrides,
		Group: in.Group, StartedBy: in.StartedBy, Tags: in.Tags, PropagateTags: in.PropagateTags,
		EnableECSManagedTags: in.EnableECSManagedTags, EnableExecuteCommand: in.EnableExecuteCommand,
		NetworkConfiguration: in.NetworkConfiguration, VolumeConfigurations: in.VolumeConfigurations,
	})
	if err != nil {
		return nil, err
	}
	if len(l.Constraints.MemberOf) > 0 {
		if err := a.placer.Sync(ctx); err != nil {
			return nil, err
		}
	}
	var (
		placed  []*ecs.Task
		refused failures
	)
	_, err = a.store.Update(ctx, func(tx *store.Tx) error {
		placed, refused = nil, nil
		if err := activeClusterTx(tx, l.Cluster); err != nil {
			return err
		}
		var hosts []*ecs.ContainerInstance
		read := map[string]*ecs.ContainerInstance{} // one value per instance, however often named
		for _, ref := range in.ContainerInstances {
			id, ok := a.instanceID(l.Cluster, ref)
			if !ok {
				refused.add(missing(ref))
				continue
			}
			inst := read[id]
			if inst == nil {
				var err error
				inst, err = tx.GetInstance(l.Cluster, id)
				if errors.Is(err, store.ErrNotFound) {
					refused.add(missing(a.arns.ContainerInstance(l.Cluster, id)))
					continue
				}
				if err != nil {
					return err
				}
				read[id] = inst
			}
			if f, no, err := a.refusal(l, id, inst); err != nil {
				return err
			} else if no {
				refused.add(f)
				continue
			}
			inst.Hold(l.Needs)
			hosts = append(hosts, inst)
		}
		var err error
		ids := make([]string, len(hosts))
		for i := range ids {
			ids[i] = launch.NewID()
		}
		placed, err = launch.Create(tx, a.arns, l, ids, hosts, a.timestamp())
		return err
	})
	if err != nil {
		return nil, err
	}
	a.log.Info("started tasks", "cluster", l.Cluster, "family", l.Def.Family(), "placed", len(placed), "unplaced", len(in.ContainerInstances)-len(placed))
	if refused == nil {
		refused = failures{}
	}
	return &wire.StartTaskResponse{Tasks: tasksToWire(placed, true), Failures: refused}, nil
}

// refusal says why inst (instance id, as the transaction read it) cannot
// take a task of l, checked in the scheduler's pipeline order: INACTIVE,
// AGENT, ATTRIBUTE, the memberOf constraints, then capacity. refused is
// false when it can.
func (a *API) refusal(l *launch.Spec, id string, inst *ecs.ContainerInstance) (f wire.Failure, refused bool, err error) {
	if f, ok := unavailable(inst); ok {
		return f, true, nil
	}
	if !inst.AgentConnected {
		return wire.Failure{Arn: ptr(inst.ARN), Reason: ptr(ecs.ReasonAgent)}, true, nil
	}
	if f, ok := lacking(inst, l.Def.Def.RequiresAttributes); ok {
		return f, true, nil
	}
	why, err := a.eligible(l, id)
	if err != nil {
		return wire.Failure{}, false, err
	}
	if why == "" {
		_, why = inst.Fits(l.Needs)
	}
	if why == "" {
		return wire.Failure{}, false, nil
	}
	return wire.Failure{Arn: ptr(inst.ARN), Reason: ptr(why)}, true, nil
}

// lacking is StartTask's ATTRIBUTE failure for inst when it lacks an
// attribute the task definition requires; ok is false when it has them
// all. The detail names what it lacks, which ECS's bare reason does not.
func lacking(inst *ecs.ContainerInstance, required []wire.Attribute) (f wire.Failure, ok bool) {
	missing := missingAttributes(inst, required)
	if len(missing) == 0 {
		return wire.Failure{}, false
	}
	detail := "The container instance lacks attributes the task definition requires: " + strings.Join(missing, ", ") + "."
	return wire.Failure{Arn: ptr(inst.ARN), Reason: ptr(scheduler.ReasonAttribute), Detail: ptr(detail)}, true
}

// eligible checks the task definition's memberOf constraints (StartTask
// takes no others) on instance id: "" when it meets them, else the
// reason. Capacity and attributes are checked on the record the
// transaction reads. The caller has synced the placer.
func (a *API) eligible(l *launch.Spec, id string) (string, error) {
	if len(l.Constraints.MemberOf) == 0 {
		return "", nil
	}
	r := l.Request(1)
	r.Needs, r.RequiredAttributes = ecs.Requirements{}, nil
	why, err := a.placer.Check(l.Cluster, id, &r)
	if why == scheduler.ReasonAgent {
		why = "" // the transaction's read of the record decides that
	}
	return why, err
}
