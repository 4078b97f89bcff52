package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// callTimeout bounds every single call a scenario makes. A healthy call
// takes milliseconds; one that takes this long is counted as an error.
const callTimeout = 5 * time.Second

// callFunc is one call of a scenario. seq counts the worker's calls from 0.
type callFunc func(ctx context.Context, seq int) error

// scenario is one measured workload: concurrency workers, each calling the
// callFunc that newWorker returns for it, in a closed loop.
type scenario struct {
	name        string // e.g. describe-c32
	key         string // RESULT key prefix, e.g. describe_c32
	concurrency int
	// newWorker builds worker w's call function. It runs before timing
	// starts, so building SDK clients is not measured.
	newWorker func(w int) (callFunc, error)
	// cpu samples the CPU time of the processes doing the work (nil: not
	// measured).
	cpu *cpuMeter
	// conns counts TCP connections dialled by the scenario's clients (nil:
	// not applicable).
	conns *atomic.Int64
	// check, when set, runs after the workers stop with the number of
	// successful calls (warm-up included) and reports a correctness problem.
	check func(ctx context.Context, okTotal int) error
}

// result is what one scenario measured. Only calls that started after the
// warm-up count towards n and the latencies; errors count over the whole run.
type result struct {
	name, key   string
	concurrency int
	n           int           // successful measured calls
	okTotal     int           // successful calls including warm-up
	errors      int           // failed calls, warm-up included
	firstErr    error         // the first failure, for the report
	elapsed     time.Duration // from the end of warm-up to the last measured call's end
	p50         time.Duration
	p99         time.Duration
	max         time.Duration
	conns       int64   // connections dialled, -1 when not applicable
	cpu         cpuUsed // CPU used during the measured window
}

func (r result) rps() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.n) / r.elapsed.Seconds()
}

// workerStats is one worker's tally; each worker owns its own, so the hot
// loop takes no locks.
type workerStats struct {
	lat       []time.Duration
	ok        int
	errors    int
	firstErr  error
	lastEnd   time.Time
	firstSeen bool
}

// run executes sc: warm-up, then the measured window, then waits for the
// workers' last calls (each bounded by callTimeout).
func run(ctx context.Context, sc scenario, warmup, duration time.Duration) (result, error) {
	calls := make([]callFunc, sc.concurrency)
	for w := range calls {
		f, err := sc.newWorker(w)
		if err != nil {
			return result{}, fmt.Errorf("%s: set up worker %d: %w", sc.name, w, err)
		}
		calls[w] = f
	}
	var conns0 int64
	if sc.conns != nil {
		conns0 = sc.conns.Load()
	}

	begin := time.Now()
	t0 := begin.Add(warmup)
	t1 := t0.Add(duration)

	// Sample CPU at the window's edges from a separate goroutine, so the
	// sample covers the same wall-clock window as the measured calls.
	var cpuStart, cpuEnd cpuUsed
	cpuDone := make(chan error, 1)
	go func() {
		if sc.cpu == nil {
			cpuDone <- nil
			return
		}
		sleepUntil(ctx, t0)
		var err error
		if cpuStart, err = sc.cpu.sample(); err != nil {
			cpuDone <- err
			return
		}
		sleepUntil(ctx, t1)
		cpuEnd, err = sc.cpu.sample()
		cpuDone <- err
	}()

	stats := make([]workerStats, sc.concurrency)
	var wg sync.WaitGroup
	for w := range calls {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			st := &stats[w]
			st.lat = make([]time.Duration, 0, 1<<14)
			call := calls[w]
			for seq := 0; ctx.Err() == nil; seq++ {
				start := time.Now()
				if !start.Before(t1) {
					return
				}
				cctx, cancel := context.WithTimeout(ctx, callTimeout)
				err := call(cctx, seq)
				cancel()
				end := time.Now()
				if err != nil {
					st.errors++
					if st.firstErr == nil {
						st.firstErr = err
					}
					continue
				}
				st.ok++
				if start.Before(t0) {
					continue // warm-up
				}
				st.lat = append(st.lat, end.Sub(start))
				st.lastEnd = end
				st.firstSeen = true
			}
		}(w)
	}
	wg.Wait()
	if err := <-cpuDone; err != nil {
		return result{}, fmt.Errorf("%s: sample CPU: %w", sc.name, err)
	}
	if err := ctx.Err(); err != nil {
		return result{}, fmt.Errorf("%s: %w", sc.name, err)
	}

	r := result{name: sc.name, key: sc.key, concurrency: sc.concurrency, conns: -1, cpu: cpuEnd.sub(cpuStart)}
	var all []time.Duration
	var lastEnd time.Time
	for i := range stats {
		st := &stats[i]
		all = append(all, st.lat...)
		r.okTotal += st.ok
		r.errors += st.errors
		if r.firstErr == nil {
			r.firstErr = st.firstErr
		}
		if st.firstSeen && st.lastEnd.After(lastEnd) {
			lastEnd = st.lastEnd
		}
	}
	r.n = len(all)
	if r.n > 0 {
		r.elapsed = lastEnd.Sub(t0)
		slices.Sort(all)
		r.p50 = percentile(all, 0.50)
		r.p99 = percentile(all, 0.99)
		r.max = all[len(all)-1]
	}
	if sc.conns != nil {
		r.conns = sc.conns.Load() - conns0
	}
	if sc.check != nil {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		err := sc.check(cctx, r.okTotal)
		cancel()
		if err != nil {
			r.errors++
			if r.firstErr == nil {
				r.firstErr = fmt.Errorf("check: %w", err)
			}
		}
	}
	return r, nil
}

// percentile is the nearest-rank percentile of sorted, non-empty d.
func percentile(d []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(d)))) - 1
	return d[max(0, min(i, len(d)-1))]
}

// sleepUntil sleeps until t or until ctx ends.
func sleepUntil(ctx context.Context, t time.Time) {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}
