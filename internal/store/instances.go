package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/jsondecode"
	"github.com/berth-org/berth/internal/wire"
)

// InstanceUsage is a container instance's accounting, stored under a key
// of its own (instance-usage/<cluster>/<id>) apart from the rest of its
// record: its Version and what remains of it. Placement and release
// change only these, on every RunTask and every stopped task; rewriting
// the whole record instead (3.5 KB, most of it ~30 capability
// attributes) wrote it once per host per commit, and every watcher of
// instances decoded it (the placement cache, the service controller),
// where a usage record is about 290 bytes. A record written before the
// split has no usage key and keeps its accounting inline; the usage key,
// once written, wins.
type InstanceUsage struct {
	Version   int64           `json:"version"`
	Remaining []wire.Resource `json:"remaining"`
}

// usageOf is i's accounting.
func usageOf(i *ecs.ContainerInstance) *InstanceUsage {
	return &InstanceUsage{Version: i.Version, Remaining: i.Remaining}
}

// withUsage is a copy of the stored record i with its accounting u (nil:
// none stored apart, the record's own stands).
func withUsage(i *ecs.ContainerInstance, u *InstanceUsage) *ecs.ContainerInstance {
	c := *i
	if u != nil {
		c.Version, c.Remaining = u.Version, u.Remaining
	}
	return &c
}

// GetInstance reads a container instance, its accounting included.
func (s *Store) GetInstance(ctx context.Context, cluster, id string) (*ecs.ContainerInstance, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	keys := []string{instanceKey(cluster, id), instanceUsageKey(cluster, id)}
	var rec *ecs.ContainerInstance
	var usage *InstanceUsage
	err := getKeys(ctx, s.cli, keys, s.readOpts, func(i int, kv *mvccpb.KeyValue) error {
		var err error
		switch {
		case kv == nil:
		case i == 0:
			rec, err = decodeKV[ecs.ContainerInstance](s.decode, kv)
		default:
			usage, err = decodeKV[InstanceUsage](s.decode, kv)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, ErrNotFound
	}
	return withUsage(rec, usage), nil
}

// InstanceIdentity is what authenticating an instance's agent needs of its
// record: which instance it is, whether it is still registered, and the
// hash of its agent's token.
type InstanceIdentity struct {
	ID             string             `json:"id"`
	Cluster        string             `json:"cluster"`
	Status         ecs.InstanceStatus `json:"status"`
	AgentTokenHash string             `json:"agentTokenHash"`
}

// GetInstanceIdentity reads a container instance's identity. Every agent
// request (a heartbeat per instance every few seconds) is authenticated
// by one: it decodes four fields of the record, not its resources and
// attributes, and leaves the decode cache to reads that repeat, where each
// read of a whole instance held one there (8 MB of the idle heap at 5,000
// instances).
func (s *Store) GetInstanceIdentity(ctx context.Context, cluster, id string) (*InstanceIdentity, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	key := instanceKey(cluster, id)
	resp, err := s.get(ctx, key)
	if err != nil {
		return nil, mapEtcdErr(err)
	}
	if len(resp.Kvs) == 0 {
		return nil, ErrNotFound
	}
	v := new(InstanceIdentity)
	if err := jsondecode.Unmarshal(resp.Kvs[0].Value, v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", key, err)
	}
	return v, nil
}

// ListInstances lists a cluster's container instances by id, without
// their accounting: Version and Remaining are as the record last written
// whole had them (GetInstance reads them current). Listing callers want
// identities, statuses and attributes, and reading every instance's usage
// key besides would double the reads of a listing.
func (s *Store) ListInstances(ctx context.Context, cluster, after string, limit int, keep func(*ecs.ContainerInstance) bool) (Page[ecs.ContainerInstance], error) {
	return list(ctx, s, clusterInstancesPrefix(cluster), after, false, limit, func(_ string, i *ecs.ContainerInstance) bool { return keep == nil || keep(i) })
}

// InstanceListPrefix is the key prefix of a cluster's instance listing:
// every resume key of that listing starts with it.
func InstanceListPrefix(cluster string) string { return clusterInstancesPrefix(cluster) }

// GetInstance reads a container instance within the transaction, its
// accounting included; the commit compares both keys.
func (tx *Tx) GetInstance(cluster, id string) (*ecs.ContainerInstance, error) {
	i, err := getJSON[ecs.ContainerInstance](tx, instanceKey(cluster, id))
	if err != nil {
		return nil, err
	}
	u, err := getJSON[InstanceUsage](tx, instanceUsageKey(cluster, id))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	return withUsage(i, u), nil
}

// PutInstance writes a container instance whole: its record and its
// accounting. Any change to an instance thus changes its usage key, which
// placement compares: a placement that read the instance before a
// deregistration or a disconnect does not commit.
func (tx *Tx) PutInstance(i *ecs.ContainerInstance) error {
	if err := putJSON(tx, instanceKey(i.Cluster, i.ID), i); err != nil {
		return err
	}
	return putJSON(tx, instanceUsageKey(i.Cluster, i.ID), usageOf(i))
}

// WatchInstances streams container-instance changes in every cluster from
// revision fromRev on. Values carry the accounting of their last whole
// write; WatchInstanceUsage follows the accounting itself.
func (s *Store) WatchInstances(ctx context.Context, fromRev int64) (<-chan Event[ecs.ContainerInstance], <-chan error) {
	return watch[ecs.ContainerInstance](ctx, s, instancesPrefix, fromRev)
}

// WatchInstanceUsage streams changes to instances' accounting in every
// cluster from revision fromRev on. Keys are
// <prefix><cluster>/<instance id>.
func (s *Store) WatchInstanceUsage(ctx context.Context, fromRev int64) (<-chan Event[InstanceUsage], <-chan error) {
	return watch[InstanceUsage](ctx, s, instanceUsagePrefix, fromRev)
}

// ForEachInstanceUsage calls fn with the cluster, id and accounting of
// every instance that has its accounting apart, in batches, until fn
// returns false. Values are shared; see Store.
func (s *Store) ForEachInstanceUsage(ctx context.Context, fn func(cluster, id string, u *InstanceUsage) bool) error {
	return s.scan(ctx, instanceUsagePrefix, "", false, func(kv *mvccpb.KeyValue) (bool, error) {
		u, err := decodeKV[InstanceUsage](s.decode, kv)
		if err != nil {
			return false, err
		}
		cluster, id, _ := strings.Cut(strings.TrimPrefix(string(kv.Key), instanceUsagePrefix), "/")
		return fn(cluster, id, u), nil
	})
}

// membership is a per-cluster guard: every registration and every service
// creation bumps it, and DeleteCluster reads it, so a registration or a
// CreateService that commits while a deletion is checking for instances
// and services fails the deletion's compare, and the deletion runs again
// and sees the new member.
type membership struct {
	Registrations int64 `json:"registrations"`
}

func membershipKey(cluster string) string { return root + "cluster-membership/" + cluster }

// BumpMembership records a registration, or a service creation, into
// cluster.
func (tx *Tx) BumpMembership(cluster string) error {
	m, err := getJSON[membership](tx, membershipKey(cluster))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if m == nil {
		m = &membership{}
	}
	m.Registrations++
	return putJSON(tx, membershipKey(cluster), m)
}

// GuardMembership makes the transaction fail if any registration or
// service creation into cluster commits before it does.
func (tx *Tx) GuardMembership(cluster string) error {
	_, err := tx.get(membershipKey(cluster))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// GetInstanceRev reads a container instance within the transaction, with
// the etcd mod revision of its accounting (of the record, for one without
// accounting apart): the revision placement's snapshot is compared with.
// It is for placement and release, which read instances on every request
// and change only Version and Remaining (replaced whole by Hold and
// Release), then write them with PutInstanceUsage. Both parts are decoded
// at most once per mod revision, or not at all when the transaction wrote
// them: decoding the 3.5 KB record of each host was 8 % of the server's
// CPU in bench-placement. The result is a copy of shared values (see
// getShared): set its fields, never modify what its slices and pointers
// refer to.
func (tx *Tx) GetInstanceRev(cluster, id string) (*ecs.ContainerInstance, int64, error) {
	key, ukey := instanceKey(cluster, id), instanceUsageKey(cluster, id)
	i, err := getShared[ecs.ContainerInstance](tx, key)
	if err != nil {
		return nil, 0, err
	}
	u, err := getShared[InstanceUsage](tx, ukey)
	switch {
	case errors.Is(err, ErrNotFound):
		return i, tx.reads[key], nil
	case err != nil:
		return nil, 0, err
	}
	return withUsage(i, u), tx.reads[ukey], nil
}

// PutInstanceUsage writes only i's accounting (Version and Remaining), for
// a record read with GetInstanceRev whose other fields are unchanged. A
// later GetInstanceRev in the transaction shares it instead of decoding.
func (tx *Tx) PutInstanceUsage(i *ecs.ContainerInstance) error {
	return putShared(tx, instanceUsageKey(i.Cluster, i.ID), usageOf(i))
}
