package ecsapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/berth-org/berth/internal/awsjson"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// The task actions live in tasks_*.go: launching (RunTask, StartTask) in
// tasks_launch.go, tasks_run.go and tasks_start.go, placement in
// tasks_place.go, StopTask in tasks_stop.go, DescribeTasks and ListTasks in
// tasks_read.go, and the wire form of a task in convert_task.go.
//
// Who writes what (see ecs.Task): these actions create tasks and write
// their desired status; the owning agent alone writes what it observes
// (Known), through internal/api/agentapi, which also releases what a task
// holds on its instance once the task has stopped.

func (a *API) registerTasks(svc *awsjson.Service) {
	svc.Handle("RunTask", awsjson.Handle(a.RunTask))
	svc.Handle("StartTask", awsjson.Handle(a.StartTask))
	svc.Handle("StopTask", awsjson.Handle(a.StopTask))
	svc.Handle("DescribeTasks", awsjson.Handle(a.DescribeTasks))
	svc.Handle("ListTasks", awsjson.Handle(a.ListTasks))
}

// errTaskNotFound is ECS's answer when StopTask names no task of the
// cluster.
var errTaskNotFound = ecs.InvalidParameter("The referenced task was not found.")

// taskID resolves a task reference (id or ARN) within a cluster. ok is false
// when it cannot name a task of that cluster.
func (a *API) taskID(cluster, ref string) (id string, ok bool) {
	return a.clusterResourceID(cluster, ref, "task")
}

// taskRefARN is the ARN a failure names for a task reference: the task's
// full ARN when ref is a valid id or ARN, else ref as given.
func (a *API) taskRefARN(cluster, ref string) string {
	if id, ok := a.taskID(cluster, ref); ok {
		return a.arns.Task(cluster, id)
	}
	return ref
}

// stopBatch is how many tasks one transaction asks to stop. Each task is
// one compare and one write in the etcd transaction, whose operations etcd
// caps at 128 (--max-txn-ops); 100 leaves room for the instance and the
// cluster.
const stopBatch = 100

// requestStopsTx asks the tasks with ids to stop, within tx. A task already
// asked to stop keeps its first code and reason; a task that is gone is
// skipped.
func (a *API) requestStopsTx(tx *store.Tx, cluster string, ids []string, code, reason string) error {
	now := a.timestamp()
	for _, id := range ids {
		t, err := tx.GetTask(cluster, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if t.RequestStop(code, reason, now) {
			if err := tx.PutTask(t); err != nil {
				return err
			}
		}
	}
	return nil
}

// requestStops asks the tasks with ids to stop, stopBatch tasks per
// transaction.
func (a *API) requestStops(ctx context.Context, cluster string, ids []string, code, reason string) error {
	for start := 0; start < len(ids); start += stopBatch {
		batch := ids[start:min(start+stopBatch, len(ids))]
		if _, err := a.store.Update(ctx, func(tx *store.Tx) error {
			return a.requestStopsTx(tx, cluster, batch, code, reason)
		}); err != nil {
			return fmt.Errorf("stop tasks of cluster %s: %w", cluster, err)
		}
	}
	return nil
}

// describeTaskIDs reads tasks by id for a response, in the order given;
// tasks that no longer exist are left out.
func (a *API) describeTaskIDs(ctx context.Context, cluster string, ids []string, withTags bool) ([]wire.Task, error) {
	tasks, err := a.store.GetTasks(ctx, cluster, ids)
	if err != nil {
		return nil, err
	}
	out := make([]wire.Task, 0, len(tasks))
	for _, t := range tasks {
		out = append(out, *taskToWire(t, withTags))
	}
	return out, nil
}
