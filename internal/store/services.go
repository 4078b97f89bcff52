package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/jsondecode"
)

// Services live under services/<cluster>/<name>, one record each, written
// by the API (the specification) and the service controller (deployments'
// progress, events, DRAINING → INACTIVE) through compare-and-swap
// transactions: Update with Tx.GetService and Tx.PutService, or
// Store.UpdateService. An INACTIVE service keeps its record, so it stays
// describable, until a CreateService of the same name replaces it.

// ErrServiceExists: CreateService named a service that is ACTIVE or
// DRAINING.
var ErrServiceExists = errors.New("a service of that name is ACTIVE or DRAINING")

// GetService reads a service.
func (s *Store) GetService(ctx context.Context, cluster, name string) (*ecs.Service, error) {
	return read[ecs.Service](ctx, s, serviceKey(cluster, name))
}

// ListServices lists a cluster's services by name for which keep returns
// true (nil keeps all); ListServices keeps (*ecs.Service).Active.
func (s *Store) ListServices(ctx context.Context, cluster, after string, limit int, keep func(*ecs.Service) bool) (Page[ecs.Service], error) {
	return list(ctx, s, clusterServicesPrefix(cluster), after, false, limit, func(_ string, v *ecs.Service) bool { return keep == nil || keep(v) })
}

// ServiceListPrefix is the key prefix of a cluster's service listing:
// every resume key of that listing starts with it.
func ServiceListPrefix(cluster string) string { return clusterServicesPrefix(cluster) }

// ForEachService calls fn for every service of a cluster, by name, in
// batches, until fn returns false. Values are shared; see Store.
func (s *Store) ForEachService(ctx context.Context, cluster string, fn func(*ecs.Service) bool) error {
	return s.scan(ctx, clusterServicesPrefix(cluster), "", false, func(kv *mvccpb.KeyValue) (bool, error) {
		v, err := decodeKV[ecs.Service](s.decode, kv)
		if err != nil {
			return false, err
		}
		return fn(v), nil
	})
}

// ForEachServiceRev calls fn for every service of every cluster with its
// mod revision, until fn returns false: what a writer that compares
// revisions (the service controller) lists. Values are shared; see Store.
func (s *Store) ForEachServiceRev(ctx context.Context, fn func(svc *ecs.Service, modRev int64) bool) error {
	return s.scan(ctx, servicesPrefix, "", false, func(kv *mvccpb.KeyValue) (bool, error) {
		v, err := decodeKV[ecs.Service](s.decode, kv)
		if err != nil {
			return false, err
		}
		return fn(v, kv.ModRevision), nil
	})
}

// ServicesAt returns every service of a cluster, or of every cluster when
// cluster is "", read at one etcd revision, and that revision: a watch
// from rev+1 (WatchServices, WatchClusterServices) then sees every later
// change exactly once. Values are shared; see Store.
func (s *Store) ServicesAt(ctx context.Context, cluster string) ([]*ecs.Service, int64, error) {
	prefix := servicesPrefix
	if cluster != "" {
		prefix = clusterServicesPrefix(cluster)
	}
	end := clientv3.GetPrefixRangeEnd(prefix)
	var (
		out []*ecs.Service
		rev int64
		lo  = prefix
	)
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(listBatch)}
		if rev != 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		cctx, cancel := context.WithTimeout(ctx, opTimeout)
		resp, err := s.get(cctx, lo, opts...)
		cancel()
		if err != nil {
			return nil, 0, mapEtcdErr(err)
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for _, kv := range resp.Kvs {
			v, err := decodeKV[ecs.Service](s.decode, kv)
			if err != nil {
				return nil, 0, err
			}
			out = append(out, v)
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return out, rev, nil
		}
		lo = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

// WatchServices streams service changes in every cluster from revision
// fromRev on.
func (s *Store) WatchServices(ctx context.Context, fromRev int64) (<-chan Event[ecs.Service], <-chan error) {
	return watch[ecs.Service](ctx, s, servicesPrefix, fromRev)
}

// WatchClusterServices streams changes to one cluster's services from
// revision fromRev on.
func (s *Store) WatchClusterServices(ctx context.Context, cluster string, fromRev int64) (<-chan Event[ecs.Service], <-chan error) {
	return watch[ecs.Service](ctx, s, clusterServicesPrefix(cluster), fromRev)
}

// UpdateService applies change to a service in one compare-and-swap
// transaction, retried on fresh reads while another writer gets there
// first (so change must be free of side effects), and returns the service
// as committed. change works on the transaction's own copy; an error from
// it aborts the update and is returned as is. A change that leaves the
// record as it was writes nothing. A missing service is ErrNotFound.
func (s *Store) UpdateService(ctx context.Context, cluster, name string, change func(*ecs.Service) error) (*ecs.Service, error) {
	var out *ecs.Service
	_, err := s.Update(ctx, func(tx *Tx) error {
		key := serviceKey(cluster, name)
		raw, err := tx.get(key)
		if err != nil {
			return err
		}
		svc := new(ecs.Service)
		if err := jsondecode.Unmarshal(raw, svc); err != nil {
			return fmt.Errorf("decode %s: %w", key, err)
		}
		if err := change(svc); err != nil {
			return err
		}
		out = svc
		changed, err := json.Marshal(svc)
		if err != nil {
			return fmt.Errorf("encode %s: %w", key, err)
		}
		if !bytes.Equal(changed, raw) {
			tx.put(key, changed)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetService reads a service within the transaction; the value is the
// transaction's own.
func (tx *Tx) GetService(cluster, name string) (*ecs.Service, error) {
	return getJSON[ecs.Service](tx, serviceKey(cluster, name))
}

// GetServiceRev reads a service within the transaction with its mod
// revision, so that a writer can tell whether it is still the version it
// decided on.
func (tx *Tx) GetServiceRev(cluster, name string) (*ecs.Service, int64, error) {
	svc, err := tx.GetService(cluster, name)
	if err != nil {
		return nil, 0, err
	}
	return svc, tx.reads[serviceKey(cluster, name)], nil
}

// CreateService writes a new service. It fails with ErrServiceExists while
// a service of that name is ACTIVE or DRAINING; an INACTIVE one is
// replaced. It bumps the cluster's membership guard, so a DeleteCluster
// that checked for services concurrently runs again and sees this one.
func (tx *Tx) CreateService(svc *ecs.Service) error {
	cur, err := tx.GetService(svc.Cluster, svc.Name)
	switch {
	case err == nil && cur.Status != ecs.ServiceInactive:
		return ErrServiceExists
	case err != nil && !errors.Is(err, ErrNotFound):
		return err
	}
	if err := tx.BumpMembership(svc.Cluster); err != nil {
		return err
	}
	return tx.PutService(svc)
}

// PutService writes an existing service. The commit fails (and Update
// runs again) if the record changed since the transaction read it.
func (tx *Tx) PutService(svc *ecs.Service) error {
	return putJSON(tx, serviceKey(svc.Cluster, svc.Name), svc)
}

// ServiceToken records a CreateService clientToken: the request it was
// first used with (as a digest) and the service that request created, so
// a retry with the same token and request gets that service back.
type ServiceToken struct {
	RequestDigest string    `json:"requestDigest"`
	ServiceName   string    `json:"serviceName"`
	CreatedAt     time.Time `json:"createdAt"`
}

// GetServiceToken reads a clientToken record within the transaction.
func (tx *Tx) GetServiceToken(cluster, token string) (*ServiceToken, error) {
	return getJSON[ServiceToken](tx, serviceTokenKey(cluster, token))
}

// PutServiceToken writes a clientToken record.
func (tx *Tx) PutServiceToken(cluster, token string, t *ServiceToken) error {
	return putJSON(tx, serviceTokenKey(cluster, token), t)
}
