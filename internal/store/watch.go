package store

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/metadata"

	"github.com/berth-org/berth/internal/ecs"
)

// EventType says whether a watched key was written or deleted.
type EventType string

// Event types.
const (
	EventPut    EventType = "PUT"
	EventDelete EventType = "DELETE"
	// EventProgress carries no change: the watch has delivered every
	// change up to Revision (an answer to RequestProgress).
	EventProgress EventType = "PROGRESS"
)

// Event is one change to a watched resource. Value is nil for deletions.
type Event[T any] struct {
	Type     EventType
	Key      string
	Value    *T
	Revision int64 // etcd revision of the change
}

// watchBuffer is how many events a watcher may fall behind before the
// producer blocks. Watchers are the scheduler's and controllers' caches,
// which consume promptly; a small buffer smooths bursts of commits.
const watchBuffer = 256

// watch streams changes under prefix from revision fromRev on (0: from
// now). The channel closes when ctx ends or the watch fails; a failure,
// such as fromRev having been compacted away, is delivered on errc first so
// the consumer knows to relist and watch again from the list's revision.
func watch[T any](ctx context.Context, s *Store, prefix string, fromRev int64) (<-chan Event[T], <-chan error) {
	return watchWith(ctx, s, prefix, fromRev, func(ev *clientv3.Event) (Event[T], bool, error) {
		e, err := decodeEvent[T](ev)
		return e, true, err
	})
}

// watchWith is watch with its own decoding, which may also drop an event
// (keep false).
func watchWith[T any](ctx context.Context, s *Store, prefix string, fromRev int64, decode func(*clientv3.Event) (e Event[T], keep bool, err error)) (<-chan Event[T], <-chan error) {
	out := make(chan Event[T], watchBuffer)
	errc := make(chan error, 1)
	// No WithPrevKV: nothing reads the previous value, and etcd would read
	// it from its backend for every event of every watcher.
	opts := []clientv3.OpOption{clientv3.WithPrefix()}
	if fromRev > 0 {
		opts = append(opts, clientv3.WithRev(fromRev))
	}
	wctx := clientv3.WithRequireLeader(ctx)
	wch := s.cli.Watch(wctx, prefix, opts...)
	go func() {
		defer close(out)
		defer close(errc)
		for resp := range wch {
			if err := resp.Err(); err != nil {
				errc <- fmt.Errorf("watch %s: %w", prefix, err)
				return
			}
			if resp.IsProgressNotify() {
				select {
				case out <- Event[T]{Type: EventProgress, Revision: resp.Header.Revision}:
				case <-ctx.Done():
					return
				}
				continue
			}
			for _, ev := range resp.Events {
				e, keep, err := decode(ev)
				if err != nil {
					errc <- err
					return
				}
				if !keep {
					continue
				}
				select {
				case out <- e:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, errc
}

func decodeEvent[T any](ev *clientv3.Event) (Event[T], error) {
	e := Event[T]{Key: string(ev.Kv.Key), Revision: ev.Kv.ModRevision, Type: EventPut}
	if ev.Type == clientv3.EventTypeDelete {
		e.Type = EventDelete
		return e, nil
	}
	e.Value = new(T)
	if err := unmarshalJSON(ev.Kv.Value, e.Value); err != nil {
		return e, fmt.Errorf("decode %s: %w", ev.Kv.Key, err)
	}
	return e, nil
}

// WatchClusters streams cluster changes from revision fromRev on.
func (s *Store) WatchClusters(ctx context.Context, fromRev int64) (<-chan Event[ecs.Cluster], <-chan error) {
	return watch[ecs.Cluster](ctx, s, clustersPrefix, fromRev)
}

// WatchTaskDefinitions streams task-definition changes from revision
// fromRev on.
func (s *Store) WatchTaskDefinitions(ctx context.Context, fromRev int64) (<-chan Event[ecs.TaskDefinition], <-chan error) {
	return watch[ecs.TaskDefinition](ctx, s, taskDefsPrefix, fromRev)
}

// OwnWatchStream returns a context whose watches share an etcd watch
// stream with only the other watches made with the same name, and whose
// RequestProgress reaches exactly those.
//
// etcd answers a progress request for a whole stream, and only when every
// watch on it is in sync and has started: a watch from a revision not yet
// written (the usual list at rev, watch from rev+1) makes it refuse until
// the next write. A consumer that waits on progress (the placement cache)
// therefore keeps its watches on a stream of its own, where they all
// started before anything it waits for.
func OwnWatchStream(ctx context.Context, name string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "berth-watch-stream", name)
}

// RequestProgress asks etcd to tell every watch on ctx's stream (see
// OwnWatchStream) how far it has delivered (an EventProgress on each, once
// all are in sync).
func (s *Store) RequestProgress(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if err := s.cli.RequestProgress(clientv3.WithRequireLeader(ctx)); err != nil {
		return mapEtcdErr(err)
	}
	return nil
}

// Revision is etcd's current revision: a watch from Revision()+1 misses
// nothing committed after this call.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	resp, err := s.get(ctx, root+"revision-probe", clientv3.WithCountOnly())
	if err != nil {
		return 0, mapEtcdErr(err)
	}
	return resp.Header.Revision, nil
}
