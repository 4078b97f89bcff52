package store

import "sync"

// txCacheSize bounds the transaction read cache. Its hot entries are small
// records written on every request (a family's revision counter now, an
// instance's resource accounting later); 4,096 of them cost little.
const txCacheSize = 4096

// txCache remembers the last value and mod revision this process saw for a
// key: read from etcd, or written by its own commits. A transaction's first
// attempt reads from it instead of making an etcd round trip. That is safe
// because every commit compares the mod revision of each key read: a stale
// entry (another server replica wrote the key since) only fails the
// compare, and the retry reads fresh from etcd and refreshes the entry.
type txCache struct {
	mu      sync.Mutex
	entries map[string]cachedKV
}

// cachedKV is a key's value at modRev; modRev 0 means the key was absent.
type cachedKV struct {
	value  []byte
	modRev int64
}

func (c *txCache) get(key string) (cachedKV, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	return e, ok
}

func (c *txCache) put(key string, e cachedKV) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[string]cachedKV, txCacheSize)
	}
	if _, present := c.entries[key]; !present && len(c.entries) >= txCacheSize {
		for k := range c.entries { // evict one arbitrary entry
			delete(c.entries, k)
			break
		}
	}
	c.entries[key] = e
}
