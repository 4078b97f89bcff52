package store

import (
	"testing"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

func TestServiceChangesKeepWhatTheControllerFollows(t *testing.T) {
	put := func(key, value string, rev int64) *clientv3.Event {
		return &clientv3.Event{Type: clientv3.EventTypePut, Kv: &mvccpb.KeyValue{Key: []byte(key), Value: []byte(value), ModRevision: rev}}
	}
	del := func(key string, rev int64) *clientv3.Event {
		return &clientv3.Event{Type: clientv3.EventTypeDelete, Kv: &mvccpb.KeyValue{Key: []byte(key), ModRevision: rev}}
	}
	batch, err := serviceChanges([]*clientv3.Event{
		put(serviceKey("prod", "web"), `{"name":"web","cluster":"prod"}`, 10),
		put(taskKey("prod", "t1"), `{"id":"t1","cluster":"prod","group":"service:web"}`, 10),
		put(taskKey("prod", "t2"), `{"id":"t2","cluster":"prod","group":"family:web"}`, 10),
		put(instanceKey("prod", "i1"), `{"id":"i1","cluster":"prod"}`, 11),
		put(instanceTaskKey("prod", "i1", "t1"), ``, 10),
		del(taskKey("prod", "t3"), 12),
		put(clusterKey("prod"), `{"name":"prod"}`, 13),
		put(membershipKey("prod"), `1`, 13),
		put(downtimeKey, `{"total":0}`, 14),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		kind ChangeKind
		id   string
		rev  int64
		set  bool
	}{
		{ChangeService, "web", 10, true},
		{ChangeTask, "t1", 10, true}, // t2 is standalone, the index key is not followed
		{ChangeInstance, "i1", 11, true},
		{ChangeTask, "t3", 12, false},
		{ChangeCluster, "", 13, true}, // the membership counter is not followed
		{ChangeDowntime, "", 14, true},
	}
	if len(batch) != len(want) {
		t.Fatalf("%d changes, want %d: %+v", len(batch), len(want), batch)
	}
	for i, w := range want {
		c := batch[i]
		set := c.Service != nil || c.Task != nil || c.Instance != nil || c.ClusterRecord != nil || c.Downtime != nil
		cluster := "prod"
		if w.kind == ChangeDowntime {
			cluster = ""
		}
		if c.Kind != w.kind || c.ID != w.id || c.Cluster != cluster || c.Revision != w.rev || set != w.set {
			t.Errorf("change %d = %+v, want %+v", i, c, w)
		}
	}
}
