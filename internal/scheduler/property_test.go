package scheduler

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"pgregory.net/rapid"

	"github.com/berth-org/berth/internal/ecs"
)

// genCluster draws 1–20 instances over 1–3 zones with random capacity.
func genCluster(t *rapid.T) (*Snapshot, []string) {
	n := rapid.IntRange(1, 20).Draw(t, "instances")
	zones := rapid.IntRange(1, 3).Draw(t, "zones")
	s := NewSnapshot()
	var ids []string
	for i := range n {
		id := fmt.Sprintf("i%02d", i)
		ids = append(ids, id)
		s.PutInstance(inst(id,
			zone(fmt.Sprintf("z%d", i%zones)),
			cpu(int32(rapid.IntRange(0, 4096).Draw(t, "cpu"))),
			mem(int32(rapid.IntRange(0, 8192).Draw(t, "mem")))))
	}
	return s, ids
}

var allStrategies = []Strategy{spreadZone, spreadHost, binpackMem, binpackCPU, randomly}

func genRequest(t *rapid.T, seed uint64) *Request {
	r := &Request{
		Count: rapid.IntRange(1, 10).Draw(t, "count"),
		Group: rapid.SampledFrom([]string{"family:a", "family:b"}).Draw(t, "group"),
		Needs: ecs.Requirements{
			CPU:    int32(rapid.IntRange(0, 1024).Draw(t, "task cpu")),
			Memory: int32(rapid.IntRange(1, 2048).Draw(t, "task mem")),
		},
		Rand: rand.New(rand.NewPCG(seed, 1)),
	}
	r.Constraints.DistinctInstance = r.Group == "family:b" // family:b is always distinct
	for range rapid.IntRange(0, MaxStrategies).Draw(t, "strategies") {
		r.Strategies = append(r.Strategies, rapid.SampledFrom(allStrategies).Draw(t, "strategy"))
	}
	return r
}

// Whatever the requests, no instance is ever oversubscribed, and
// distinctInstance is never violated.
func TestPropertyNeverOversubscribedNorDoubled(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s, ids := genCluster(t)
		for k := range rapid.IntRange(1, 15).Draw(t, "requests") {
			r := genRequest(t, uint64(k))
			res := Place(s, r)
			if len(res.Hosts) < r.Count && res.Failure == nil {
				t.Fatalf("placed %d of %d without a failure", len(res.Hosts), r.Count)
			}
			for i, h := range res.Hosts {
				s.Assume(fmt.Sprintf("r%d-%d", k, i), h, r.Group, r.Needs)
			}
			for _, id := range ids {
				got, _ := s.Instance(id)
				if got.CPU < 0 || got.Memory < 0 {
					t.Fatalf("%s oversubscribed: cpu %d memory %d", id, got.CPU, got.Memory)
				}
				if s.GroupCount(id, "family:b") > 1 {
					t.Fatalf("%s runs %d family:b tasks under distinctInstance", id, s.GroupCount(id, "family:b"))
				}
			}
		}
	})
}

// With room everywhere, spreading keeps every value within one task of
// every other.
func TestPropertySpreadImbalanceAtMostOne(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 12).Draw(t, "instances")
		zones := rapid.IntRange(1, 4).Draw(t, "zones")
		s := NewSnapshot()
		for i := range n {
			s.PutInstance(inst(fmt.Sprintf("i%02d", i), zone(fmt.Sprintf("z%d", i%zones)), cpu(1<<20), mem(1<<20)))
		}
		field := rapid.SampledFrom([]Strategy{spreadZone, spreadHost}).Draw(t, "field")
		placed := 0
		for k := range rapid.IntRange(1, 8).Draw(t, "requests") {
			r := req(rapid.IntRange(1, 10).Draw(t, "count"), strategies(field), seeded(uint64(k)))
			for i, h := range Place(s, r).Hosts {
				s.Assume(fmt.Sprintf("r%d-%d", k, i), h, r.Group, r.Needs)
				placed++
			}
			counts := map[string]int{}
			for _, node := range s.nodes {
				key := node.ID
				if field == spreadZone {
					key = node.Attributes["ecs.availability-zone"]
				}
				counts[key] += int(node.groups[r.Group])
			}
			lo, hi := placed, 0
			for _, c := range counts {
				lo, hi = min(lo, c), max(hi, c)
			}
			if hi-lo > 1 {
				t.Fatalf("after %d tasks spread by %s: counts %v", placed, field.Field, counts)
			}
		}
	})
}

// binpack never opens a new instance while a used one still fits: on
// identical instances, k tasks use exactly ceil(k / per-instance) of them.
func TestPropertyBinpackFillsBeforeOpening(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 10).Draw(t, "instances")
		size := int32(rapid.IntRange(512, 8192).Draw(t, "instance memory"))
		taskMem := int32(rapid.IntRange(1, int(size)).Draw(t, "task memory"))
		s := NewSnapshot()
		for i := range n {
			s.PutInstance(inst(fmt.Sprintf("i%02d", i), mem(size), cpu(1<<20)))
		}
		perInstance := int(size / taskMem)
		placed := 0
		for k := range rapid.IntRange(1, 6).Draw(t, "requests") {
			r := req(rapid.IntRange(1, 10).Draw(t, "count"), needs(0, taskMem), strategies(binpackMem), seeded(uint64(k)))
			for i, h := range Place(s, r).Hosts {
				s.Assume(fmt.Sprintf("r%d-%d", k, i), h, r.Group, r.Needs)
				placed++
			}
			used := 0
			for _, node := range s.nodes {
				if node.groups[r.Group] > 0 {
					used++
				}
			}
			if want := min(n, (placed+perInstance-1)/perInstance); used != want {
				t.Fatalf("%d tasks of %d MiB on %d MiB instances use %d instances, want %d", placed, taskMem, size, used, want)
			}
		}
	})
}
