package store

import (
	"encoding/json"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"
)

// decodeCacheSize bounds the decoded-value cache. A hot task definition is
// described over and over by deploy tools and, later, by the scheduler;
// decoding its JSON was a third of DescribeTaskDefinition's server CPU.
// 4,096 entries of a few KiB each stay well under 50 MiB.
const decodeCacheSize = 4096

// decoded is a key's value as decoded at one mod revision. A value of a
// key at a given mod revision never changes, so a hit is always exact.
// Values are shared: callers must not modify them.
type decoded struct {
	modRev int64
	value  any
}

// decodeKV returns the value of kv as a *T, from the cache when kv's mod
// revision was decoded before.
func decodeKV[T any](c *boundedMap[decoded], kv *mvccpb.KeyValue) (*T, error) {
	key := string(kv.Key)
	if e, ok := c.get(key); ok && e.modRev == kv.ModRevision {
		if v, ok := e.value.(*T); ok {
			return v, nil
		}
	}
	v := new(T)
	if err := json.Unmarshal(kv.Value, v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", key, err)
	}
	c.put(key, decoded{modRev: kv.ModRevision, value: v})
	return v, nil
}
