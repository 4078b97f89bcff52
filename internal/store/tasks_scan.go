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

// ForEachInstance calls fn for every container instance in every cluster,
// in batches, until fn returns false. Values are shared; see Store.
func (s *Store) ForEachInstance(ctx context.Context, fn func(*ecs.ContainerInstance) bool) error {
	return s.scan(ctx, instancesPrefix, "", false, func(kv *mvccpb.KeyValue) (bool, error) {
		i, err := decodeKV[ecs.ContainerInstance](s.decode, kv)
		if err != nil {
			return false, err
		}
		return fn(i), nil
	})
}

// ForEachCluster calls fn for every cluster, ACTIVE or not, in batches,
// until fn returns false. Values are shared; see Store.
func (s *Store) ForEachCluster(ctx context.Context, fn func(*ecs.Cluster) bool) error {
	return s.scan(ctx, clustersPrefix, "", false, func(kv *mvccpb.KeyValue) (bool, error) {
		c, err := decodeKV[ecs.Cluster](s.decode, kv)
		if err != nil {
			return false, err
		}
		return fn(c), nil
	})
}
