package store

// txCacheSize bounds the transaction read cache. Its hot entries are
// records written on every request: a family's revision counter, and each
// container instance's resource accounting, which every placement reads.
// It holds a cluster of 5,000 instances with room for the tasks agents
// report on (about 2 KB each: 32 MiB when full).
const txCacheSize = 16384

// The transaction read cache (Store.reads) remembers the last value and
// mod revision this process saw for a key: read from etcd, or written by
// its own commits. A transaction's first attempt reads from it instead of
// making an etcd round trip. That is safe because every commit compares
// the mod revision of each key read: a stale entry (another server replica
// wrote the key since) only fails the compare, and the retry reads fresh
// from etcd and refreshes the entry.

// cachedKV is a key's value at modRev; modRev 0 means the key was absent.
type cachedKV struct {
	value  []byte
	modRev int64
}
