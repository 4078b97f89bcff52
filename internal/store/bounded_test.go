package store

import (
	"fmt"
	"testing"
)

type heavy int

func (h heavy) weight() int { return int(h) }

func TestBoundedMap(t *testing.T) {
	t.Run("without weights the limit counts entries", func(t *testing.T) {
		m := newBoundedMap[cachedKV](3)
		for i := range 5 {
			m.put(fmt.Sprint(i), cachedKV{modRev: int64(i)})
		}
		if len(m.entries) != 3 || m.weight != 3 {
			t.Errorf("%d entries weighing %d, want 3 and 3", len(m.entries), m.weight)
		}
		if e, ok := m.get("4"); !ok || e.modRev != 4 {
			t.Errorf("the last entry put = %v %v, want it kept", e, ok)
		}
	})
	t.Run("weighed entries fit in the limit together", func(t *testing.T) {
		m := newBoundedMap[heavy](100)
		m.put("a", 40)
		m.put("b", 40)
		m.put("a", 30) // replaces a: 70 in all
		if len(m.entries) != 2 || m.weight != 70 {
			t.Fatalf("%d entries weighing %d, want 2 and 70", len(m.entries), m.weight)
		}
		m.put("c", 50) // evicts until it fits
		if _, ok := m.get("c"); !ok || m.weight > 100 {
			t.Errorf("after c: c kept %v, weight %d; want true and at most 100", ok, m.weight)
		}
		m.put("huge", 101)
		if _, ok := m.get("huge"); ok || m.weight > 100 {
			t.Errorf("an entry heavier than the limit was kept (weight %d)", m.weight)
		}
	})
}

func BenchmarkBoundedMapPut(b *testing.B) {
	m := newBoundedMap[cachedKV](4096)
	v := cachedKV{value: []byte("x"), modRev: 1}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.put(benchKeys[i%len(benchKeys)], v)
		i++
	}
}

var benchKeys = func() []string {
	out := make([]string, 8192)
	for i := range out {
		out[i] = fmt.Sprint("/berth/v1/tasks/default/", i)
	}
	return out
}()
