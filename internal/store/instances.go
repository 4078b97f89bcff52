package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/berth-org/berth/internal/ecs"
)

// GetInstance reads a container instance.
func (s *Store) GetInstance(ctx context.Context, cluster, id string) (*ecs.ContainerInstance, error) {
	return read[ecs.ContainerInstance](ctx, s, instanceKey(cluster, id))
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
	if err := json.Unmarshal(resp.Kvs[0].Value, v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", key, err)
	}
	return v, nil
}

// ListInstances lists a cluster's container instances by id.
func (s *Store) ListInstances(ctx context.Context, cluster, after string, limit int, keep func(*ecs.ContainerInstance) bool) (Page[ecs.ContainerInstance], error) {
	return list(ctx, s, clusterInstancesPrefix(cluster), after, false, limit, func(_ string, i *ecs.ContainerInstance) bool { return keep == nil || keep(i) })
}

// InstanceListPrefix is the key prefix of a cluster's instance listing:
// every resume key of that listing starts with it.
func InstanceListPrefix(cluster string) string { return clusterInstancesPrefix(cluster) }

// GetInstance reads a container instance within the transaction.
func (tx *Tx) GetInstance(cluster, id string) (*ecs.ContainerInstance, error) {
	return getJSON[ecs.ContainerInstance](tx, instanceKey(cluster, id))
}

// PutInstance writes a container instance.
func (tx *Tx) PutInstance(i *ecs.ContainerInstance) error {
	return putJSON(tx, instanceKey(i.Cluster, i.ID), i)
}

// WatchInstances streams container-instance changes in every cluster from
// revision fromRev on.
func (s *Store) WatchInstances(ctx context.Context, fromRev int64) (<-chan Event[ecs.ContainerInstance], <-chan error) {
	return watch[ecs.ContainerInstance](ctx, s, instancesPrefix, fromRev)
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
// the etcd mod revision of the record read (the commit compares it), for
// placement and release, which read instances on every request and change
// only Remaining (replaced whole by Hold and Release) and Version. The
// record is decoded at most once per mod revision, or not at all when the
// transaction wrote it with PutInstanceShared: decoding the 3.5 KB record
// of each host was 8 % of the server's CPU in bench-placement. It is a copy
// of a shared value (see getShared): set its fields, never modify what its
// slices and pointers refer to.
func (tx *Tx) GetInstanceRev(cluster, id string) (*ecs.ContainerInstance, int64, error) {
	key := instanceKey(cluster, id)
	i, err := getShared[ecs.ContainerInstance](tx, key)
	if err != nil {
		return nil, 0, err
	}
	return i, tx.reads[key], nil
}

// PutInstanceShared is PutInstance for a record read with GetInstanceRev:
// a later GetInstanceRev in the transaction shares it instead of decoding.
func (tx *Tx) PutInstanceShared(i *ecs.ContainerInstance) error {
	return putShared(tx, instanceKey(i.Cluster, i.ID), i)
}
