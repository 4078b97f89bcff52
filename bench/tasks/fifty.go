package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/berth-org/berth/bench/internal/benchkit"
)

const (
	// fiftyTasks is the size of the burst; fiftyCalls RunTask calls of
	// maxRunTaskCount each are issued concurrently to start it.
	fiftyTasks = 50
	fiftyCalls = fiftyTasks / maxRunTaskCount
	// fiftyPollInterval is how often the 50-task scenario polls
	// DescribeTasks (only the tasks not yet RUNNING, 50 at first). Coarser
	// than the 1-task scenario's 5 ms: the burst takes seconds, so 20 ms is
	// under 1 % of it, and polling 50 tasks every 5 ms would take CPU from
	// the server and agent being measured on a 2-CPU machine.
	fiftyPollInterval = 20 * time.Millisecond
	// fiftyTimeout bounds the burst's way to RUNNING and each baseline
	// burst: a healthy one takes seconds.
	fiftyTimeout = 3 * time.Minute
)

// fiftyRound is one round of the 50-task scenario. A zero duration means
// that part failed (counted in fiftyResult) or was not run.
type fiftyRound struct {
	berth time.Duration // first RunTask call start → all 50 seen RUNNING
	cli   time.Duration // 50 'docker run -d' on dockerWorkers workers, until all returned
	api   time.Duration // 50 ContainerCreate + ContainerStart, same workers
	seq   time.Duration // 50 'docker run -d' one after another
	// mem is the agent's memory when all 50 were seen RUNNING.
	mem benchkit.MemInfo
	// cpu is what berth's burst cost, from its start until all RUNNING.
	cpu cpuSpent
}

// fiftyResult is every round, with the failures of each kind.
type fiftyResult struct {
	rounds                           []fiftyRound
	berthErr, cliErr, apiErr, seqErr failures
}

// fifty runs the 50-task scenario's rounds. Within a round, berth, the
// parallel CLI and the parallel API bursts run in an order that rotates
// each round, then the sequential CLI burst; everything each burst started
// is removed before the next begins.
func (b *bench) fifty(ctx context.Context) (*fiftyResult, error) {
	res := &fiftyResult{}
	for r := range b.o.rounds {
		var round fiftyRound
		kinds := []func(){
			func() { res.berthErr.add(b.fiftyBerth(ctx, &round)) },
			func() {
				d, err := b.dockerBurst(ctx, b.o.dockerWorkers, b.docker.cliRun, b.docker.cliRemove)
				round.cli = d
				res.cliErr.add(err)
			},
			func() {
				d, err := b.dockerBurst(ctx, b.o.dockerWorkers, b.docker.apiRun, b.docker.apiRemove)
				round.api = d
				res.apiErr.add(err)
			},
		}
		if b.o.sequential {
			kinds = append(kinds, func() {
				d, err := b.dockerBurst(ctx, 1, b.docker.cliRun, b.docker.cliRemove)
				round.seq = d
				res.seqErr.add(err)
			})
		}
		for k := range 3 {
			kinds[(r+k)%3]()
			if err := b.healthy(ctx); err != nil {
				return nil, err
			}
		}
		for _, k := range kinds[3:] {
			k()
			if err := b.healthy(ctx); err != nil {
				return nil, err
			}
		}
		res.rounds = append(res.rounds, round)
	}
	return res, nil
}

// fiftyBerth starts 50 tasks with 5 concurrent RunTask calls of 10, waits
// until all are RUNNING, reads the agent's memory, then stops them and
// waits until the agent has removed their containers (not measured).
func (b *bench) fiftyBerth(ctx context.Context, round *fiftyRound) error {
	var (
		mu   sync.Mutex
		arns []string
	)
	start := b.sampleCPU()
	t0 := time.Now()
	err := parallel(ctx, fiftyCalls, fiftyCalls, func(ctx context.Context, _ int) error {
		a, err := runTasks(ctx, b.ecs, b.taskDef, maxRunTaskCount)
		mu.Lock()
		arns = append(arns, a...)
		mu.Unlock()
		return err
	})
	if err == nil {
		var seenAt map[string]time.Time
		_, seenAt, err = awaitStatus(ctx, b.ecs, arns, statusRunning, fiftyPollInterval, fiftyTimeout)
		if err == nil {
			round.cpu = b.sampleCPU().since(start)
			round.berth = latest(seenAt).Sub(t0)
			round.mem, err = benchkit.ReadMem(b.agent.PID())
		}
	}
	if err != nil {
		round.berth = 0
	}
	return errors.Join(err, b.stopAndClean(ctx, arns))
}

func latest(ts map[string]time.Time) time.Time {
	var last time.Time
	for _, t := range ts {
		if t.After(last) {
			last = t
		}
	}
	return last
}

// dockerBurst starts 50 containers with run on workers goroutines and
// returns the time until the last run returned; then it removes them
// (not measured).
func (b *bench) dockerBurst(ctx context.Context, workers int,
	run func(context.Context) (string, time.Duration, error),
	remove func(context.Context, []string) error,
) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, fiftyTimeout)
	defer cancel()
	var (
		mu  sync.Mutex
		ids []string
	)
	t0 := time.Now()
	err := parallel(ctx, fiftyTasks, workers, func(ctx context.Context, _ int) error {
		id, _, err := run(ctx)
		if id != "" {
			mu.Lock()
			ids = append(ids, id)
			mu.Unlock()
		}
		return err
	})
	elapsed := time.Since(t0)
	if rmErr := remove(ctx, ids); rmErr != nil || err != nil {
		return 0, errors.Join(err, rmErr)
	}
	return elapsed, nil
}
