package gctune

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

const (
	// Headroom is how far the heap may grow past the live heap before
	// the next collection. 256 MiB is what GOGC=400 allows a control plane
	// holding 64 MiB live: with 5,000 instances and no tasks berth holds
	// 60–85 MiB, and GOGC=400 measured 11–17 % more API throughput than
	// Go's default of 100 there (docs/performance.md).
	Headroom = 256 << 20
	// MinPercent keeps a large heap's target at Go's default or above:
	// collecting more often than GOGC=100 would spend more CPU marking than
	// the memory it saves is worth.
	MinPercent = 100
	// MaxPercent caps a small heap's target; a nearly empty server needs
	// no more.
	MaxPercent = 400
	// pollInterval is how often Run reads the live heap. A collection
	// under load comes every second or so; reading ten times a second
	// follows each within a tenth of its interval, for a few microseconds.
	pollInterval = 100 * time.Millisecond
)

const liveHeapMetric = "/gc/heap/live:bytes"

// Percent is the GOGC percentage that lets a heap of live bytes grow by
// Headroom, within [MinPercent, MaxPercent]. Worked example: 64 MiB live
// gives 400 (next collection at 320 MiB); 200 MiB gives 128 (at 456 MiB,
// where GOGC=400 would wait until 1,000 MiB); 512 MiB and more give 100.
func Percent(live uint64) int {
	if live == 0 {
		return MaxPercent
	}
	return int(min(max(Headroom*100/live, MinPercent), MaxPercent))
}

// Run sets the collector's percentage from the live heap every
// pollInterval until ctx ends.
func Run(ctx context.Context) {
	sample := []metrics.Sample{{Name: liveHeapMetric}}
	current := -1
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			if p := Percent(sample[0].Value.Uint64()); p != current {
				debug.SetGCPercent(p)
				current = p
			}
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}
