package agentapi

import (
	"slices"
	"testing"

	"github.com/berth-org/berth/internal/ecs"
)

func TestCollect(t *testing.T) {
	task := func(id string) *ecs.Task { return &ecs.Task{ID: id} }
	queue := func(cs ...change) <-chan change {
		ch := make(chan change, len(cs))
		for _, c := range cs {
			ch <- c
		}
		return ch
	}
	ids := func(ts []*ecs.Task) (out []string) {
		for _, t := range ts {
			out = append(out, t.ID)
		}
		return out
	}
	cases := []struct {
		name     string
		first    change
		queued   []change
		snapshot int64
		want     []string
		wantLast int64
	}{
		{"changes the snapshot held are skipped", change{task("a"), 5}, []change{{task("b"), 6}}, 5, []string{"b"}, 6},
		{"one task changed twice goes once, latest", change{task("a"), 6}, []change{{task("a"), 7}}, 5, []string{"a"}, 7},
		{"tasks of one transaction share a revision and all go", change{task("a"), 6}, []change{{task("b"), 6}, {task("c"), 6}}, 5, []string{"a", "b", "c"}, 6},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, last := collect(tc.first, queue(tc.queued...), tc.snapshot)
			if g := ids(got); !slices.Equal(g, tc.want) || last != tc.wantLast {
				t.Errorf("collect = %v (last %d), want %v (last %d)", g, last, tc.want, tc.wantLast)
			}
		})
	}
}
