package store

// txCacheSize bounds the transaction read cache. Its hot entries are small
// records written on every request (a family's revision counter now, an
// instance's resource accounting later); 4,096 of them cost little.
const txCacheSize = 4096

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
