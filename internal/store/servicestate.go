package store

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/berth-org/berth/internal/ecs"
)

// Change is one change to what the service controller follows: a
// service, a task a service started, a container instance, a cluster (its
// settings), or the control plane's downtime record. Exactly one of
// Service, Task, Instance, ClusterRecord and Downtime is set for a write;
// for a deletion none is, and Kind, Cluster and ID say what went.
type Change struct {
	Kind     ChangeKind
	Cluster  string
	ID       string // the service's name, the task's or the instance's id; "" for a cluster
	Revision int64

	Service       *ecs.Service
	Task          *ecs.Task
	Instance      *ecs.ContainerInstance
	ClusterRecord *ecs.Cluster
	Downtime      *Downtime
}

// ChangeKind is what a Change is about.
type ChangeKind int

// Change kinds.
const (
	ChangeService ChangeKind = iota + 1
	ChangeTask
	ChangeInstance
	ChangeCluster
	ChangeDowntime
	// ChangeCapacity: an instance's accounting changed (InstanceUsage),
	// a task held or released resources there. It carries no value.
	ChangeCapacity
)

// serviceTaskMark is how a service's task reads in its record: its group
// is "service:<name>". Checking the raw bytes first spares decoding every
// standalone task's record, which the controller ignores.
var serviceTaskMark = []byte(`"group":"service:`)

// WatchServiceState streams, from revision fromRev on, every change to
// services, to tasks that services started, to container instances, to
// clusters and to the downtime record, in one stream: each batch holds whole transactions, in revision order,
// so a consumer that applies a batch before acting never sees a
// transaction's service without its tasks. The batch channel closes when
// ctx ends or the watch fails; a failure (fromRev compacted away) is
// delivered on errc first, and the consumer relists.
func (s *Store) WatchServiceState(ctx context.Context, fromRev int64) (<-chan []Change, <-chan error) {
	out := make(chan []Change, watchBuffer)
	errc := make(chan error, 1)
	opts := []clientv3.OpOption{clientv3.WithPrefix()}
	if fromRev > 0 {
		opts = append(opts, clientv3.WithRev(fromRev))
	}
	// One watch over everything, not three: etcd keeps a revision's
	// events in one response only within one watch.
	wch := s.cli.Watch(clientv3.WithRequireLeader(ctx), root, opts...)
	go func() {
		defer close(out)
		defer close(errc)
		for resp := range wch {
			if err := resp.Err(); err != nil {
				errc <- fmt.Errorf("watch service state: %w", err)
				return
			}
			batch, err := serviceChanges(resp.Events)
			if err != nil {
				errc <- err
				return
			}
			if len(batch) == 0 {
				continue
			}
			select {
			case out <- batch:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, errc
}

// serviceChanges keeps and decodes the events the controller follows.
func serviceChanges(events []*clientv3.Event) ([]Change, error) {
	var batch []Change
	for _, ev := range events {
		c, ok := classify(string(ev.Kv.Key))
		if !ok {
			continue
		}
		c.Revision = ev.Kv.ModRevision
		if ev.Type == clientv3.EventTypeDelete {
			batch = append(batch, c)
			continue
		}
		var err error
		switch c.Kind {
		case ChangeService:
			c.Service, err = decodeAs[ecs.Service](ev.Kv.Value)
		case ChangeTask:
			if !bytes.Contains(ev.Kv.Value, serviceTaskMark) {
				continue
			}
			c.Task, err = decodeAs[ecs.Task](ev.Kv.Value)
		case ChangeInstance:
			c.Instance, err = decodeAs[ecs.ContainerInstance](ev.Kv.Value)
		case ChangeCluster:
			c.ClusterRecord, err = decodeAs[ecs.Cluster](ev.Kv.Value)
		case ChangeDowntime:
			c.Downtime, err = decodeAs[Downtime](ev.Kv.Value)
		}
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", ev.Kv.Key, err)
		}
		batch = append(batch, c)
	}
	return batch, nil
}

// classify names the resource under key: <prefix><cluster>/<id>, or
// <clusters prefix><cluster>, or the downtime record.
func classify(key string) (Change, bool) {
	if key == downtimeKey {
		return Change{Kind: ChangeDowntime}, true
	}
	if name, ok := strings.CutPrefix(key, clustersPrefix); ok {
		return Change{Kind: ChangeCluster, Cluster: name}, name != ""
	}
	for _, p := range []struct {
		prefix string
		kind   ChangeKind
	}{{servicesPrefix, ChangeService}, {tasksPrefix, ChangeTask}, {instancesPrefix, ChangeInstance}, {instanceUsagePrefix, ChangeCapacity}} {
		if rest, ok := strings.CutPrefix(key, p.prefix); ok {
			cluster, id, ok := strings.Cut(rest, "/")
			return Change{Kind: p.kind, Cluster: cluster, ID: id}, ok
		}
	}
	return Change{}, false
}

func decodeAs[T any](raw []byte) (*T, error) {
	v := new(T)
	if err := unmarshalJSON(raw, v); err != nil {
		return nil, err
	}
	return v, nil
}
