package store

import (
	"context"

	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/berth-org/berth/internal/ecs"
)

// ForEachTask calls fn for every task in every cluster, in batches, until
// fn returns false. Values are shared; see Store.
func (s *Store) ForEachTask(ctx context.Context, fn func(*ecs.Task) bool) error {
	return s.scan(ctx, tasksPrefix, "", false, func(kv *mvccpb.KeyValue) (bool, error) {
		t, err := decodeKV[ecs.Task](s.decode, kv)
		if err != nil {
			return false, err
		}
		return fn(t), nil
	})
}
