package store

import (
	"encoding/json"
	"fmt"
	"sync"

	"go.etcd.io/etcd/api/v3/mvccpb"
)

// decodeCacheSize bounds the decoded-value cache. A hot task definition is
// described over and over by deploy tools and, later, by the scheduler;
// decoding its JSON was a third of DescribeTaskDefinition's server CPU.
// 4,096 entries of a few KiB each stay well under 50 MiB.
const decodeCacheSize = 4096

// decodeCache maps a key to its last decoded value and the mod revision it
// was decoded at. A value of a key at a given mod revision never changes, so
// a hit is always exact. Values are shared: callers must not modify them.
type decodeCache struct {
	mu      sync.Mutex
	entries map[string]decoded
}

type decoded struct {
	modRev int64
	value  any
}

// decodeKV returns the value of kv as a *T, from the cache when kv's mod
// revision was decoded before.
func decodeKV[T any](c *decodeCache, kv *mvccpb.KeyValue) (*T, error) {
	key := string(kv.Key)
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && e.modRev == kv.ModRevision {
		if v, ok := e.value.(*T); ok {
			return v, nil
		}
	}
	v := new(T)
	if err := json.Unmarshal(kv.Value, v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", key, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[string]decoded, decodeCacheSize)
	}
	if _, present := c.entries[key]; !present && len(c.entries) >= decodeCacheSize {
		for k := range c.entries { // evict one arbitrary entry
			delete(c.entries, k)
			break
		}
	}
	c.entries[key] = decoded{modRev: kv.ModRevision, value: v}
	return v, nil
}
