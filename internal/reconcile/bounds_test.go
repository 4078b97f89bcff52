package reconcile

import (
	"testing"
	"time"

	"github.com/berth-org/berth/internal/ecs"
)

func TestBounds(t *testing.T) {
	cases := []struct {
		name           string
		desired        int
		minPct, maxPct int32
		strategy       ecs.SchedulingStrategy
		floor, ceiling int
	}{
		{name: "min 50% of 4 may stop 2 first", desired: 4, minPct: 50, maxPct: 200, floor: 2, ceiling: 8},
		{name: "min 75% of 2 rounds up to 2: none stops first", desired: 2, minPct: 75, maxPct: 200, floor: 2, ceiling: 4},
		{name: "max 150% of 3 rounds down to 4: one starts first", desired: 3, minPct: 100, maxPct: 150, floor: 3, ceiling: 4},
		{name: "max 125% of 3 rounds down to 3: none starts first", desired: 3, minPct: 100, maxPct: 125, floor: 3, ceiling: 3},
		{name: "min over 100% is held to desired", desired: 4, minPct: 150, maxPct: 200, floor: 4, ceiling: 8},
		{name: "max under 100% still allows desired", desired: 4, minPct: 0, maxPct: 50, floor: 0, ceiling: 4},
		{name: "max unset is 200% for REPLICA", desired: 5, minPct: 100, maxPct: 0, floor: 5, ceiling: 10},
		{name: "max unset is 100% for DAEMON", desired: 5, minPct: 0, maxPct: 0, strategy: ecs.SchedulingDaemon, floor: 0, ceiling: 5},
		{name: "zero desired has zero bounds", desired: 0, minPct: 100, maxPct: 200, floor: 0, ceiling: 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := ecs.DeploymentConfiguration{MinimumHealthyPercent: c.minPct, MaximumPercent: c.maxPct}
			strategy := c.strategy
			if strategy == "" {
				strategy = ecs.SchedulingReplica
			}
			b := boundsOf(c.desired, cfg, strategy)
			same(t, "floor, ceiling", [2]int{c.floor, c.ceiling}, [2]int{b.floor, b.ceiling})
		})
	}
}

func TestBackoffDoublesFrom10sTo27Minutes(t *testing.T) {
	var got []time.Duration
	for n := int32(0); n <= 12; n++ {
		got = append(got, backoff(n))
	}
	s := time.Second
	want := []time.Duration{0, 10 * s, 20 * s, 40 * s, 80 * s, 160 * s, 320 * s, 640 * s, 1280 * s,
		27 * time.Minute, 27 * time.Minute, 27 * time.Minute, 27 * time.Minute}
	same(t, "backoff(0…12)", want, got)
	same(t, "backoff(1000)", 27*time.Minute, backoff(1000))
}
