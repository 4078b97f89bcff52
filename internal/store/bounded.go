package store

import "sync"

// boundedMap is a mutex-guarded map whose entries weigh at most limit
// together: a new entry evicts arbitrary entries until it fits, and one
// heavier than limit is not kept. An entry weighs what its value's
// weight method says when V has one (the decode cache: a value's encoded
// size), else 1, which makes limit a count of entries (the transaction
// read cache). Neither cache needs recency, because a miss costs only one
// etcd read or one decode.
type boundedMap[V any] struct {
	mu      sync.Mutex
	limit   int
	weighs  bool // V is a weigher
	weight  int  // of all entries
	entries map[string]weighed[V]
}

type weighed[V any] struct {
	v      V
	weight int
}

// weigher is a value that weighs more than 1 in a boundedMap.
type weigher interface{ weight() int }

func newBoundedMap[V any](limit int) *boundedMap[V] {
	var zero V
	_, weighs := any(zero).(weigher)
	return &boundedMap[V]{limit: limit, weighs: weighs, entries: make(map[string]weighed[V])}
}

func (m *boundedMap[V]) get(key string) (V, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	return e.v, ok
}

func (m *boundedMap[V]) put(key string, v V) {
	w := 1
	if m.weighs { // asked only then: the conversion allocates
		w = any(v).(weigher).weight()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old, present := m.entries[key]
	if present {
		m.weight -= old.weight
	}
	if w > m.limit {
		if present {
			delete(m.entries, key)
		}
		return
	}
	if m.weight+w > m.limit {
		for k, e := range m.entries {
			if k == key {
				continue // being replaced; its weight is already off
			}
			delete(m.entries, k)
			m.weight -= e.weight
			if m.weight+w <= m.limit {
				break
			}
		}
	}
	m.entries[key] = weighed[V]{v, w}
	m.weight += w
}
