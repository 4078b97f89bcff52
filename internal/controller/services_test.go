package controller

import (
	"maps"
	"slices"
	"testing"
	"time"
)

// TestDueResyncsServicesNotSteppedForResyncEvery: a service no change or
// wake time has stepped for resyncEvery is stepped anyway, marked as a
// resync; those due within resyncBatch of it come along; a service
// already waiting to be stepped is left as it is.
func TestDueResyncsServicesNotSteppedForResyncEvery(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	now := t0.Add(resyncEvery)
	l := &loop{
		dirty: map[serviceKey]bool{{"c", "dirty"}: true}, after: map[serviceKey]int64{}, wake: map[serviceKey]time.Time{},
		stepped: map[serviceKey]time.Time{
			{"c", "stale"}:       t0,
			{"c", "nearly"}:      t0.Add(resyncBatch / 2),
			{"c", "fresh"}:       t0.Add(resyncBatch * 2),
			{"c", "dirty"}:       t0,
			{"other", "stale-2"}: t0.Add(-time.Minute),
		},
		resyncing: map[serviceKey]bool{},
	}
	l.due(now)

	want := []serviceKey{{"c", "nearly"}, {"c", "stale"}, {"other", "stale-2"}}
	if got := slices.SortedFunc(maps.Keys(l.resyncing), compareKeys); !slices.Equal(got, want) {
		t.Errorf("resyncing %v, want %v", got, want)
	}
	for _, k := range want {
		if !l.dirty[k] {
			t.Errorf("%v is not marked to step", k)
		}
	}
	if l.dirty[serviceKey{"c", "fresh"}] {
		t.Error("a service stepped less than resyncEvery ago is marked to step")
	}
	if l.resyncing[serviceKey{"c", "dirty"}] {
		t.Error("a service already marked to step by a change is marked as a resync")
	}
}

// TestNextWakeIncludesResyncs: the loop's timer is set for the earliest
// of the wake times and the resyncs.
func TestNextWakeIncludesResyncs(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		wake    time.Time
		stepped time.Time
		want    time.Time
	}{
		{"a wake before the resync", t0.Add(time.Second), t0, t0.Add(time.Second)},
		{"the resync before a wake", t0.Add(time.Minute), t0, t0.Add(resyncEvery)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &loop{
				Services: &Services{Now: func() time.Time { return t0 }},
				wake:     map[serviceKey]time.Time{{"c", "a"}: tc.wake},
				stepped:  map[serviceKey]time.Time{{"c", "b"}: tc.stepped},
			}
			if got := l.nextWake(); !got.Equal(tc.want) {
				t.Errorf("nextWake %s, want %s", got, tc.want)
			}
		})
	}
}
