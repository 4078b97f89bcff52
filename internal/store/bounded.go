package store

import "sync"

// boundedMap is a mutex-guarded map that holds at most limit entries: a
// new key arriving when it is full evicts one arbitrary entry. Both of the
// store's caches use it; neither needs recency, because a miss costs only
// one etcd read or one decode.
type boundedMap[V any] struct {
	mu      sync.Mutex
	limit   int
	entries map[string]V
}

func newBoundedMap[V any](limit int) *boundedMap[V] {
	return &boundedMap[V]{limit: limit, entries: make(map[string]V)}
}

func (m *boundedMap[V]) get(key string) (V, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.entries[key]
	return v, ok
}

func (m *boundedMap[V]) put(key string, v V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, present := m.entries[key]; !present && len(m.entries) >= m.limit {
		for k := range m.entries {
			delete(m.entries, k)
			break
		}
	}
	m.entries[key] = v
}
