package store

import (
	"context"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/berth-org/berth/internal/ecs"
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

// instanceTasksBatch is how many tasks one read of an instance's tasks
// fetches per etcd transaction; etcd allows 128 operations in one.
const instanceTasksBatch = 100

// ListInstanceTasks returns every task placed on a container instance, read
// at one etcd revision, and that revision: a watch from rev+1 sees every
// later change exactly once.
func (s *Store) ListInstanceTasks(ctx context.Context, cluster, instanceID string) ([]*ecs.Task, int64, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	idx, err := s.cli.Get(ctx, instanceTasksPrefix(cluster, instanceID), clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return nil, 0, mapEtcdErr(err)
	}
	rev := idx.Header.Revision
	var out []*ecs.Task
	for start := 0; start < len(idx.Kvs); start += instanceTasksBatch {
		end := min(start+instanceTasksBatch, len(idx.Kvs))
		ops := make([]clientv3.Op, 0, end-start)
		for _, kv := range idx.Kvs[start:end] {
			id := string(kv.Key[strings.LastIndexByte(string(kv.Key), '/')+1:])
			ops = append(ops, clientv3.OpGet(taskKey(cluster, id), clientv3.WithRev(rev)))
		}
		resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
		if err != nil {
			return nil, 0, mapEtcdErr(err)
		}
		for _, r := range resp.Responses {
			for _, kv := range r.GetResponseRange().Kvs {
				t, err := decodeKV[ecs.Task](s.decode, kv)
				if err != nil {
					return nil, 0, err
				}
				out = append(out, t)
			}
		}
	}
	return out, rev, nil
}

// WatchTasks streams task changes in every cluster from revision fromRev on.
func (s *Store) WatchTasks(ctx context.Context, fromRev int64) (<-chan Event[ecs.Task], <-chan error) {
	return watch[ecs.Task](ctx, s, tasksPrefix, fromRev)
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
