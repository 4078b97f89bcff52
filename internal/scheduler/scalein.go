package scheduler

import (
	"math/rand/v2"
)

// SelectStop chooses k of a group's tasks to stop when a service scales
// in, by its placement strategies run in reverse, as ECS documents them:
//
//   - spread: stop tasks where the field's value has the most tasks of the
//     group, keeping the values balanced (for the service default, the
//     Availability Zone with the most of the service's tasks, then the
//     instance with the most);
//   - binpack: stop the task on the instance that has the most of the
//     resource left after the task is gone;
//   - random: any task.
//
// A tie left after the last strategy is broken at random (rnd may be nil
// for the first). Tasks the snapshot does not count (already stopped) are
// never chosen. The result holds at most k task ids, in the order chosen;
// s is left unchanged.
func SelectStop(s *Snapshot, group string, taskIDs []string, k int, strategies []Strategy, rnd *rand.Rand) []string {
	var pool []string
	for _, id := range taskIDs {
		if ref := s.tasks[id]; ref != nil && ref.group == group {
			pool = append(pool, id)
		}
	}
	var chosen []string
	defer func() { // give back the counts taken while choosing
		for _, id := range chosen {
			s.addGroup(s.tasks[id].node, group, 1)
		}
	}()
	for len(chosen) < k && len(pool) > 0 {
		i := pickVictim(s, group, pool, strategies, rnd)
		id := pool[i]
		pool = append(pool[:i], pool[i+1:]...)
		chosen = append(chosen, id)
		s.addGroup(s.tasks[id].node, group, -1)
	}
	return append([]string(nil), chosen...)
}

// pickVictim returns the index in pool of the next task to stop.
func pickVictim(s *Snapshot, group string, pool []string, strategies []Strategy, rnd *rand.Rand) int {
	set := make([]int, len(pool))
	for i := range set {
		set[i] = i
	}
	nodeOf := func(i int) *node { return s.tasks[pool[i]].node }
	for _, st := range strategies {
		if len(set) == 1 {
			break
		}
		var key func(i int) int32
		switch st.Type {
		case Random:
			return set[intn(rnd, len(set))]
		case Binpack:
			key = func(i int) int32 { return s.free[nodeOf(i).idx].mem }
			if st.Field == FieldCPU {
				key = func(i int) int32 { return s.free[nodeOf(i).idx].cpu }
			}
		case Spread:
			key = func(i int) int32 { return nodeOf(i).groups[group] }
			if st.Field != FieldInstanceID {
				sp := s.spreadIndex(group, st.Field[len(attributePrefix):])
				key = func(i int) int32 { return sp.count(sp.col.ids[nodeOf(i).idx]) }
			}
		}
		set = keepMost(set, key)
	}
	return set[intn(rnd, len(set))]
}

// keepMost keeps the entries with the greatest key. Keys are task counts
// and remaining resources, never math.MinInt32, so negating is exact.
func keepMost(set []int, key func(int) int32) []int {
	return keepLeast(set, func(i int) int32 { return -key(i) })
}

// intn is a random index below k; without a source, the first (tests that
// want determinism pass no Rand).
func intn(rnd *rand.Rand, k int) int {
	if rnd == nil {
		return 0
	}
	return rnd.IntN(k)
}
