package main

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

const (
	// onePollInterval is how often the 1-task scenario polls DescribeTasks
	// for RUNNING. RUNNING is therefore seen on average about half of this
	// plus one DescribeTasks round trip (~1 ms) after the server has it.
	onePollInterval = 5 * time.Millisecond
	// runningTimeout bounds one task's way to RUNNING; a busybox container
	// starts in well under a second, so this long means it never will.
	runningTimeout = time.Minute
	// stoppedTimeout bounds a stop: stopTimeout 1 s, then SIGKILL.
	stoppedTimeout = time.Minute
	// removedTimeout bounds the agent's removal of stopped containers after
	// agentCleanupWait.
	removedTimeout = time.Minute
)

// phase is one consecutive part of a berth task's start, cut by the
// timestamps DescribeTasks reports (milliseconds, stamped by the server
// and the agent on this machine's clock).
type phase int

const (
	phaseDeliver phase = iota // RunTask call start → pullStartedAt
	phasePull                 // pullStartedAt → pullStoppedAt
	phaseStart                // pullStoppedAt → startedAt
	phaseReport               // startedAt → RUNNING seen by the poller
	numPhases
)

// phaseNames say what happens in each phase, for the report.
var phaseNames = [numPhases]string{
	phaseDeliver: "RunTask → agent begins (placement, etcd, session, runner)",
	phasePull:    "agent: image check (pullStartedAt → pullStoppedAt)",
	phaseStart:   "agent: ACTIVATING, create, start (→ startedAt)",
	phaseReport:  "RUNNING persisted, reported, stored, polled",
}

// failures counts the failed attempts of one measurement, keeping the
// first error for the report.
type failures struct {
	n     int
	first error
}

func (f *failures) add(err error) {
	if err == nil {
		return
	}
	f.n++
	if f.first == nil {
		f.first = err
	}
}

// oneTaskResult is the 1-task scenario: one latency per successful
// iteration of each kind.
type oneTaskResult struct {
	berth, dockerCLI, dockerAPI []time.Duration
	runTaskCall                 []time.Duration // the RunTask call alone
	phases                      [numPhases][]time.Duration
	berthErr, cliErr, apiErr    failures
	// cpu totals the measured berth iterations' windows, from just before
	// RunTask to RUNNING seen (polling included, stop and clean-up not).
	cpu cpuSpent
}

// oneTask runs the 1-task scenario: warm-up iterations, then iterations
// in which berth, 'docker run -d' and the Engine API each start one
// container, in an order that rotates every iteration so that none
// always runs on the heels of another's clean-up.
func (b *bench) oneTask(ctx context.Context) (*oneTaskResult, error) {
	res := &oneTaskResult{}
	kinds := []func(context.Context, *oneTaskResult, bool){b.oneBerth, b.oneCLI, b.oneAPI}
	for i := range warmupIterations + b.o.iterations {
		measured := i >= warmupIterations
		for k := range kinds {
			kinds[(i+k)%len(kinds)](ctx, res, measured)
			if err := b.healthy(ctx); err != nil {
				return nil, err
			}
		}
	}
	return res, nil
}

// oneBerth runs one task to RUNNING, then stops it and waits until the
// agent has removed its container (not measured).
func (b *bench) oneBerth(ctx context.Context, res *oneTaskResult, measured bool) {
	cpu0 := b.sampleCPU()
	t0 := time.Now()
	arns, err := runTasks(ctx, b.ecs, b.taskDef, 1)
	called := time.Now()
	if err != nil {
		res.berthErr.add(err)
		return
	}
	reached, seenAt, err := awaitStatus(ctx, b.ecs, arns, statusRunning, onePollInterval, runningTimeout)
	cpu := b.sampleCPU().since(cpu0)
	cleanErr := b.stopAndClean(ctx, arns)
	if err = errors.Join(err, cleanErr); err != nil {
		res.berthErr.add(err)
		return
	}
	if !measured {
		return
	}
	seen := seenAt[arns[0]]
	res.berth = append(res.berth, seen.Sub(t0))
	res.runTaskCall = append(res.runTaskCall, called.Sub(t0))
	res.cpu = res.cpu.plus(cpu)
	for p, d := range taskPhases(reached[arns[0]], t0, seen) {
		res.phases[p] = append(res.phases[p], d)
	}
}

// taskPhases cuts t0 → seen at the task's reported timestamps. A missing
// timestamp leaves its phases out (nil).
func taskPhases(t types.Task, t0, seen time.Time) map[phase]time.Duration {
	if t.PullStartedAt == nil || t.PullStoppedAt == nil || t.StartedAt == nil {
		return nil
	}
	pullStart, pullStop, started := *t.PullStartedAt, *t.PullStoppedAt, *t.StartedAt
	return map[phase]time.Duration{
		phaseDeliver: pullStart.Sub(t0),
		phasePull:    pullStop.Sub(pullStart),
		phaseStart:   started.Sub(pullStop),
		phaseReport:  seen.Sub(started),
	}
}

// stopAndClean stops tasks, waits until they are STOPPED and the agent
// has removed every container it made, so that the next measurement
// starts on the same engine state.
func (b *bench) stopAndClean(ctx context.Context, arns []string) error {
	if len(arns) == 0 {
		return nil
	}
	if err := stopTasks(ctx, b.ecs, arns); err != nil {
		return err
	}
	for i := 0; i < len(arns); i += maxDescribeTasks {
		chunk := arns[i:min(i+maxDescribeTasks, len(arns))]
		if _, _, err := awaitStatus(ctx, b.ecs, chunk, statusStopped, statusPollInterval, stoppedTimeout); err != nil {
			return err
		}
	}
	return b.docker.awaitNoneLabelled(ctx, instanceLabel, b.instanceARN, removedTimeout)
}

// oneCLI times one 'docker run -d' and removes the container with
// 'docker rm -f' (not measured).
func (b *bench) oneCLI(ctx context.Context, res *oneTaskResult, measured bool) {
	id, d, err := b.docker.cliRun(ctx)
	if id != "" {
		err = errors.Join(err, b.docker.cliRemove(ctx, []string{id}))
	}
	if err != nil {
		res.cliErr.add(err)
		return
	}
	if measured {
		res.dockerCLI = append(res.dockerCLI, d)
	}
}

// oneAPI times one ContainerCreate + ContainerStart and removes the
// container (not measured).
func (b *bench) oneAPI(ctx context.Context, res *oneTaskResult, measured bool) {
	id, d, err := b.docker.apiRun(ctx)
	if id != "" {
		err = errors.Join(err, b.docker.apiRemove(ctx, []string{id}))
	}
	if err != nil {
		res.apiErr.add(err)
		return
	}
	if measured {
		res.dockerAPI = append(res.dockerAPI, d)
	}
}

// healthy reports a dead server or agent, after which nothing measured
// means anything.
func (b *bench) healthy(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(b.server.Alive(), b.agent.Alive())
}

func (b *bench) sampleCPU() cpuSample { return sampleCPU(b.server.PID(), b.agent.PID()) }
