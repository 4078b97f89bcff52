package ecsapi

import (
	"context"
	"errors"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// StopTask sets a task's desired status to STOPPED, with stopCode
// UserInitiated and the caller's reason (ECS's "Task stopped by user" when
// none is given); the owning agent stops its containers and reports the
// task STOPPED. As the ECS model says, "any tags associated with the task
// will be deleted". Stopping a task already asked to stop returns it
// unchanged: the first stop's code and reason stand.
func (a *API) StopTask(ctx context.Context, in *wire.StopTaskRequest) (*wire.StopTaskResponse, error) {
	if err := required("task", in.Task); err != nil {
		return nil, err
	}
	reason := str(in.Reason)
	if err := ecs.ValidateStopReason(reason); err != nil {
		return nil, err
	}
	if reason == "" {
		reason = ecs.ReasonTaskStoppedByUser
	}
	cluster, err := a.activeClusterName(ctx, in.Cluster)
	if err != nil {
		return nil, err
	}
	id, ok := a.taskID(cluster, *in.Task)
	if !ok {
		return nil, errTaskNotFound
	}
	var out *ecs.Task
	_, err = a.store.Update(ctx, func(tx *store.Tx) error {
		t, err := tx.GetTask(cluster, id)
		if errors.Is(err, store.ErrNotFound) {
			return errTaskNotFound
		}
		if err != nil {
			return err
		}
		out = t
		if !t.RequestStop(ecs.StopUserInitiated, reason, a.timestamp()) {
			return nil
		}
		t.Tags = nil
		return tx.PutTask(t)
	})
	if err != nil {
		return nil, err
	}
	a.log.Info("stop requested", "cluster", cluster, "task", id)
	return &wire.StopTaskResponse{Task: taskToWire(out, true)}, nil
}
