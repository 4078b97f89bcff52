package store

import (
	"context"
	"errors"
	"strings"

	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

// Page is one page of a listing. Next, when not empty, is the key to pass as
// 'after' for the following page.
type Page[T any] struct {
	Items []*T
	Next  string
}

// list scans prefix after 'after' and returns up to limit values for which
// keep returns true. It looks one match ahead so that Next is set only when
// another page really exists.
func list[T any](ctx context.Context, s *Store, prefix, after string, desc bool, limit int, keep func(key string, v *T) bool) (Page[T], error) {
	var page Page[T]
	var lastKept string
	// limit+1: the key after a full page says whether there is another.
	err := s.scanFrom(ctx, prefix, after, desc, limit+1, func(kv *mvccpb.KeyValue) (bool, error) {
		v, err := decodeKV[T](s.decode, kv)
		if err != nil {
			return false, err
		}
		if keep != nil && !keep(string(kv.Key), v) {
			return true, nil
		}
		if len(page.Items) == limit {
			page.Next = lastKept
			return false, nil
		}
		page.Items = append(page.Items, v)
		lastKept = string(kv.Key)
		return true, nil
	})
	return page, err
}

// --- clusters ---

// GetCluster reads a cluster by name.
func (s *Store) GetCluster(ctx context.Context, name string) (*ecs.Cluster, error) {
	return read[ecs.Cluster](ctx, s, clusterKey(name))
}

// ListClusters lists clusters by name for which keep returns true.
func (s *Store) ListClusters(ctx context.Context, after string, limit int, keep func(*ecs.Cluster) bool) (Page[ecs.Cluster], error) {
	return list(ctx, s, clustersPrefix, after, false, limit, func(_ string, c *ecs.Cluster) bool { return keep == nil || keep(c) })
}

// ClusterPageKey is the 'after' key that resumes a listing after cluster name.
func ClusterPageKey(name string) string { return clusterKey(name) }

// GetCluster reads a cluster within the transaction.
func (tx *Tx) GetCluster(name string) (*ecs.Cluster, error) {
	return getJSON[ecs.Cluster](tx, clusterKey(name))
}

// PutCluster writes a cluster.
func (tx *Tx) PutCluster(c *ecs.Cluster) error { return putJSON(tx, clusterKey(c.Name), c) }

// --- task definitions ---

// family is the per-family record: the revision counter and how many
// revisions are ACTIVE.
type family struct {
	Name         string `json:"name"`
	LastRevision int    `json:"lastRevision"`
	Active       int    `json:"active"`
}

// NextRevision issues the next revision number of a family and counts it as
// ACTIVE. Revisions are never reused: the counter survives deregistration
// and deletion. Two transactions issuing revisions of one family conflict on
// the family record, so one of them retries and gets the next number.
func (tx *Tx) NextRevision(name string) (int, error) {
	f, err := getJSON[family](tx, familyKey(name))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return 0, err
	}
	if f == nil {
		f = &family{Name: name}
	}
	f.LastRevision++
	f.Active++
	return f.LastRevision, putJSON(tx, familyKey(name), f)
}

// CountDeregistered records that one ACTIVE revision of a family became
// INACTIVE.
func (tx *Tx) CountDeregistered(name string) error {
	f, err := getJSON[family](tx, familyKey(name))
	if err != nil {
		return err
	}
	if f.Active > 0 {
		f.Active--
	}
	return putJSON(tx, familyKey(name), f)
}

// GetTaskDefinition reads one revision within the transaction.
func (tx *Tx) GetTaskDefinition(family string, revision int) (*ecs.TaskDefinition, error) {
	return getJSON[ecs.TaskDefinition](tx, taskDefKey(family, revision))
}

// PutTaskDefinition writes one revision.
func (tx *Tx) PutTaskDefinition(td *ecs.TaskDefinition) error {
	return putJSON(tx, taskDefKey(td.Family(), td.Revision()), td)
}

// GetTaskDefinition reads one revision.
func (s *Store) GetTaskDefinition(ctx context.Context, family string, revision int) (*ecs.TaskDefinition, error) {
	return read[ecs.TaskDefinition](ctx, s, taskDefKey(family, revision))
}

// LatestActiveTaskDefinition reads the highest ACTIVE revision of a family.
func (s *Store) LatestActiveTaskDefinition(ctx context.Context, family string) (*ecs.TaskDefinition, error) {
	page, err := list(ctx, s, taskDefFamilyPrefix(family), "", true, 1, func(_ string, td *ecs.TaskDefinition) bool {
		return td.Status() == wire.TaskDefinitionStatusActive
	})
	if err != nil {
		return nil, err
	}
	if len(page.Items) == 0 {
		return nil, ErrNotFound
	}
	return page.Items[0], nil
}

// ListTaskDefinitions lists revisions in (family, revision) order, or the
// reverse when desc is set. With a family, only that family's revisions.
func (s *Store) ListTaskDefinitions(ctx context.Context, family string, desc bool, after string, limit int, keep func(*ecs.TaskDefinition) bool) (Page[ecs.TaskDefinition], error) {
	return list(ctx, s, TaskDefinitionListPrefix(family), after, desc, limit, func(_ string, td *ecs.TaskDefinition) bool { return keep == nil || keep(td) })
}

// TaskDefinitionListPrefix is the key prefix of a ListTaskDefinitions scan:
// every resume key of that listing starts with it.
func TaskDefinitionListPrefix(family string) string {
	if family == "" {
		return taskDefsPrefix
	}
	return taskDefFamilyPrefix(family)
}

// FamilyStatus filters ListTaskDefinitionFamilies.
type FamilyStatus int

// Family filters: a family is ACTIVE while it has an ACTIVE revision.
const (
	FamiliesAll FamilyStatus = iota
	FamiliesActive
	FamiliesInactive
)

// ListFamilies lists family names starting with prefix.
func (s *Store) ListFamilies(ctx context.Context, prefix string, status FamilyStatus, after string, limit int) ([]string, string, error) {
	if after != "" {
		after = familyKey(after)
	}
	page, err := list(ctx, s, familiesPrefix+prefix, after, false, limit, func(_ string, f *family) bool {
		switch status {
		case FamiliesActive:
			return f.Active > 0
		case FamiliesInactive:
			return f.Active == 0
		default:
			return true
		}
	})
	if err != nil {
		return nil, "", err
	}
	names := make([]string, len(page.Items))
	for i, f := range page.Items {
		names[i] = f.Name
	}
	next := ""
	if page.Next != "" {
		next = strings.TrimPrefix(page.Next, familiesPrefix)
	}
	return names, next, nil
}

// --- account settings ---

// GetAccountSetting reads a principal's explicit setting.
func (s *Store) GetAccountSetting(ctx context.Context, principal, name string) (*ecs.AccountSetting, error) {
	return read[ecs.AccountSetting](ctx, s, accountSettingKey(principal, name))
}

// ListAccountSettings lists a principal's explicit settings by name.
func (s *Store) ListAccountSettings(ctx context.Context, principal string) ([]*ecs.AccountSetting, error) {
	page, err := list[ecs.AccountSetting](ctx, s, accountSettingPrefix(principal), "", false, 1000, nil)
	return page.Items, err
}

// PutAccountSetting writes a setting.
func (tx *Tx) PutAccountSetting(principal string, st *ecs.AccountSetting) error {
	return putJSON(tx, accountSettingKey(principal, string(st.Name)), st)
}

// GetAccountSetting reads a setting within the transaction.
func (tx *Tx) GetAccountSetting(principal, name string) (*ecs.AccountSetting, error) {
	return getJSON[ecs.AccountSetting](tx, accountSettingKey(principal, name))
}

// DeleteAccountSetting removes a setting.
func (tx *Tx) DeleteAccountSetting(principal, name string) {
	tx.del(accountSettingKey(principal, name))
}
