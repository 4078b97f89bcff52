package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/jsondecode"
)

// GetTask reads a task.
func (s *Store) GetTask(ctx context.Context, cluster, id string) (*ecs.Task, error) {
	return read[ecs.Task](ctx, s, taskKey(cluster, id))
}

// ListTasks lists a cluster's tasks by id for which keep returns true.
func (s *Store) ListTasks(ctx context.Context, cluster, after string, limit int, keep func(*ecs.Task) bool) (Page[ecs.Task], error) {
	return list(ctx, s, clusterTasksPrefix(cluster), after, false, limit, func(_ string, t *ecs.Task) bool { return keep == nil || keep(t) })
}

// TaskListPrefix is the key prefix of a cluster's task listing: every
// resume key of that listing starts with it.
func TaskListPrefix(cluster string) string { return clusterTasksPrefix(cluster) }

// TaskPageKey is the 'after' key that resumes a listing of a cluster's
// tasks after task id.
func TaskPageKey(cluster, id string) string { return taskKey(cluster, id) }

// taskReadBatch is how many tasks one etcd transaction reads; etcd allows
// 128 operations in one.
const taskReadBatch = 100

// ListInstanceTasks returns every task placed on a container instance, read
// at one etcd revision, and that revision: a watch from rev+1 sees every
// later change exactly once.
func (s *Store) ListInstanceTasks(ctx context.Context, cluster, instanceID string) ([]*ecs.Task, int64, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	idx, err := s.get(ctx, instanceTasksPrefix(cluster, instanceID), clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return nil, 0, mapEtcdErr(err)
	}
	rev := idx.Header.Revision
	ids := make([]string, len(idx.Kvs))
	for i, kv := range idx.Kvs {
		ids[i] = string(kv.Key[strings.LastIndexByte(string(kv.Key), '/')+1:])
	}
	out, err := s.getTasks(ctx, cluster, ids, clientv3.WithRev(rev))
	return out, rev, err
}

// GetTasks reads tasks of one cluster by id, in the order given, in batched
// etcd transactions. Ids that name no task are left out.
func (s *Store) GetTasks(ctx context.Context, cluster string, ids []string) ([]*ecs.Task, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	return s.getTasks(ctx, cluster, ids)
}

func (s *Store) getTasks(ctx context.Context, cluster string, ids []string, opts ...clientv3.OpOption) ([]*ecs.Task, error) {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = taskKey(cluster, id)
	}
	var out []*ecs.Task
	err := getKeys(ctx, s.cli, keys, append(slices.Clip(opts), s.readOpts...), func(_ int, kv *mvccpb.KeyValue) error {
		if kv == nil {
			return nil
		}
		t, err := decodeKV[ecs.Task](s.decode, kv)
		if err == nil {
			out = append(out, t)
		}
		return err
	})
	return out, err
}

// TaskRoute is a task change as the agent hub forwards it: the fields it
// routes and filters by, and the record as stored, which goes to the agent
// as it is instead of being decoded and encoded again.
type TaskRoute struct {
	ID                  string         `json:"id"`
	Cluster             string         `json:"cluster"`
	ContainerInstanceID string         `json:"containerInstanceId"`
	TaskDefinitionARN   string         `json:"taskDefinitionArn"`
	DesiredStatus       ecs.TaskStatus `json:"desiredStatus"`
	// Record is the task as stored: the JSON of an ecs.Task.
	Record json.RawMessage `json:"-"`
}

// RouteOf is t's TaskRoute, with t encoded as its record.
func RouteOf(t *ecs.Task) (*TaskRoute, error) {
	raw, err := marshalJSON(t)
	if err != nil {
		return nil, fmt.Errorf("encode task %s: %w", t.ID, err)
	}
	return &TaskRoute{ID: t.ID, Cluster: t.Cluster, ContainerInstanceID: t.ContainerInstanceID,
		TaskDefinitionARN: t.TaskDefinitionARN, DesiredStatus: t.DesiredStatus, Record: raw}, nil
}

// WatchTaskRoutes streams task changes in every cluster from revision
// fromRev on, as TaskRoutes: every creation and deletion (Value nil), and
// the updates keep accepts. The agent hub forwards a task to its agent
// when it is created and when it is to stop, not when the agent's own
// report changed it; decoding every change whole, and encoding the task
// again for its agent, was over 10 % of the server's CPU in
// bench-placement.
func (s *Store) WatchTaskRoutes(ctx context.Context, fromRev int64, keep func(update *TaskRoute) bool) (<-chan Event[TaskRoute], <-chan error) {
	return watchWith(ctx, s, tasksPrefix, fromRev, func(ev *clientv3.Event) (Event[TaskRoute], bool, error) {
		e := Event[TaskRoute]{Key: string(ev.Kv.Key), Revision: ev.Kv.ModRevision, Type: EventPut}
		if ev.Type == clientv3.EventTypeDelete {
			e.Type = EventDelete
			return e, true, nil
		}
		e.Value = &TaskRoute{Record: ev.Kv.Value}
		if err := jsondecode.Unmarshal(ev.Kv.Value, e.Value); err != nil {
			return e, false, fmt.Errorf("decode %s: %w", ev.Kv.Key, err)
		}
		return e, ev.IsCreate() || keep(e.Value), nil
	})
}

// TaskPlacement is what placement needs of a task: where it runs, its
// group and its statuses. Decoding only these fields of a stored task
// skips what makes up most of it (ARNs, containers, timestamps, overrides,
// tags): a running task of one container decodes in 0.5 KB instead of
// 1.8 KB (BenchmarkDecodeStoredTask), for every task change the placement
// cache watches.
type TaskPlacement struct {
	ID                  string         `json:"id"`
	Cluster             string         `json:"cluster"`
	ContainerInstanceID string         `json:"containerInstanceId"`
	Group               string         `json:"group"`
	DesiredStatus       ecs.TaskStatus `json:"desiredStatus"`
	Known               struct {
		LastStatus ecs.TaskStatus `json:"lastStatus"`
	} `json:"known"`
}

// WatchTaskPlacements streams task changes in every cluster from revision
// fromRev on, each task decoded as its TaskPlacement.
func (s *Store) WatchTaskPlacements(ctx context.Context, fromRev int64) (<-chan Event[TaskPlacement], <-chan error) {
	return watch[TaskPlacement](ctx, s, tasksPrefix, fromRev)
}

// ForEachTaskPlacement calls fn for every task in every cluster, in
// batches, until fn returns false. Each value is fn's own, and bypasses
// the decode cache: a listing of every task would only evict what the
// cache holds for reads that repeat.
func (s *Store) ForEachTaskPlacement(ctx context.Context, fn func(*TaskPlacement) bool) error {
	return forEachTaskAs(ctx, s, fn)
}

// TaskStop is what the stopped-task purge needs of a stored task: whether
// and when it stopped. Decoding it instead of the whole task skips the
// rest of the record, as TaskPlacement does.
type TaskStop struct {
	ID      string `json:"id"`
	Cluster string `json:"cluster"`
	Known   struct {
		LastStatus ecs.TaskStatus `json:"lastStatus"`
		StoppedAt  time.Time      `json:"stoppedAt"`
	} `json:"known"`
}

// ForEachTaskStop is ForEachTaskPlacement for TaskStop.
func (s *Store) ForEachTaskStop(ctx context.Context, fn func(*TaskStop) bool) error {
	return forEachTaskAs(ctx, s, fn)
}

// forEachTaskAs calls fn with every task decoded as a new T, bypassing
// the decode cache, until fn returns false.
func forEachTaskAs[T any](ctx context.Context, s *Store, fn func(*T) bool) error {
	return s.scan(ctx, tasksPrefix, "", false, func(kv *mvccpb.KeyValue) (bool, error) {
		v := new(T)
		if err := jsondecode.Unmarshal(kv.Value, v); err != nil {
			return false, fmt.Errorf("decode %s: %w", kv.Key, err)
		}
		return fn(v), nil
	})
}

// PrefetchTasks readies tasks of cluster by id for GetTask, in one etcd
// request (see Tx.prefetch).
func (tx *Tx) PrefetchTasks(cluster string, ids []string) error {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = taskKey(cluster, id)
	}
	return tx.prefetch(keys)
}

// GetTask reads a task within the transaction.
func (tx *Tx) GetTask(cluster, id string) (*ecs.Task, error) {
	return getJSON[ecs.Task](tx, taskKey(cluster, id))
}

// CreateTask writes a new task and indexes it under its instance.
func (tx *Tx) CreateTask(t *ecs.Task) error {
	tx.put(instanceTaskKey(t.Cluster, t.ContainerInstanceID, t.ID), nil)
	return putJSON(tx, taskKey(t.Cluster, t.ID), t)
}

// PutTask writes an existing task.
func (tx *Tx) PutTask(t *ecs.Task) error { return putJSON(tx, taskKey(t.Cluster, t.ID), t) }

// DeleteTask removes a task and its index entry.
func (tx *Tx) DeleteTask(t *ecs.Task) {
	tx.del(instanceTaskKey(t.Cluster, t.ContainerInstanceID, t.ID))
	tx.del(taskKey(t.Cluster, t.ID))
}

// TaskToken records a RunTask clientToken: the request it was first used
// with (as a digest) and the tasks that request started, so a retry with
// the same token and request returns the same tasks.
type TaskToken struct {
	RequestDigest string    `json:"requestDigest"`
	TaskARNs      []string  `json:"taskArns"`
	Failures      []byte    `json:"failures,omitempty"` // the response's failures, as JSON
	CreatedAt     time.Time `json:"createdAt"`
}

// GetTaskToken reads a clientToken record within the transaction.
func (tx *Tx) GetTaskToken(cluster, token string) (*TaskToken, error) {
	return getJSON[TaskToken](tx, taskTokenKey(cluster, token))
}

// PutTaskToken writes a clientToken record.
func (tx *Tx) PutTaskToken(cluster, token string, t *TaskToken) error {
	return putJSON(tx, taskTokenKey(cluster, token), t)
}
