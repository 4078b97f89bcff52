package ecsapi

import (
	"context"
	"errors"

	"github.com/berth-org/berth/internal/ecs"
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
// does not fit (AGENT, RESOURCE:*), as in RunTask.
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
	if len(l.constraints.MemberOf) > 0 {
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
		if err := activeClusterTx(tx, l.cluster); err != nil {
			return err
		}
		var hosts []*ecs.ContainerInstance
		read := map[string]*ecs.ContainerInstance{} // one value per instance, however often named
		for _, ref := range in.ContainerInstances {
			id, ok := a.instanceID(l.cluster, ref)
			if !ok {
				refused.add(missing(ref))
				continue
			}
			inst := read[id]
			if inst == nil {
				var err error
				inst, err = tx.GetInstance(l.cluster, id)
				if errors.Is(err, store.ErrNotFound) {
					refused.add(missing(a.arns.ContainerInstance(l.cluster, id)))
					continue
				}
				if err != nil {
					return err
				}
				read[id] = inst
			}
			if f, ok := unavailable(inst); ok {
				refused.add(f)
				continue
			}
			if why, err := a.eligible(l, id); err != nil {
				return err
			} else if why != "" {
				refused.addReason(inst.ARN, why)
				continue
			}
			if ok, why := inst.Fits(l.needs); !ok {
				refused.addReason(inst.ARN, why)
				continue
			}
			inst.Hold(l.needs)
			hosts = append(hosts, inst)
		}
		var err error
		ids := make([]string, len(hosts))
		for i := range ids {
			ids[i] = newID()
		}
		placed, err = a.createTasks(tx, l, ids, hosts)
		return err
	})
	if err != nil {
		return nil, err
	}
	a.log.Info("started tasks", "cluster", l.cluster, "family", l.def.Family(), "placed", len(placed), "unplaced", len(in.ContainerInstances)-len(placed))
	if refused == nil {
		refused = failures{}
	}
	return &wire.StartTaskResponse{Tasks: tasksToWire(placed, true), Failures: refused}, nil
}

// eligible checks the task definition's memberOf constraints (StartTask
// takes no others) on instance id: "" when it meets them, else the
// reason. Capacity is checked on the record the transaction reads. The
// caller has synced the placer.
func (a *API) eligible(l *launch, id string) (string, error) {
	if len(l.constraints.MemberOf) == 0 {
		return "", nil
	}
	r := placementRequest(l, 1)
	r.Needs = ecs.Requirements{}
	why, err := a.placer.Check(l.cluster, id, &r)
	if why == scheduler.ReasonAgent {
		why = "" // the transaction's read of the record decides that
	}
	return why, err
}
