package main

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/berth-org/berth/bench/internal/benchkit"
)

// pollInterval is how often both sides are polled while a phase is timed:
// DescribeServices for berth, the Engine API's task list (and service
// inspect, during an update) for Swarm. The phases take seconds to
// minutes, so 100 ms is well under 1 % of each, and 10 polls a second
// cost little CPU on a 2-CPU machine.
const pollInterval = 100 * time.Millisecond

// stallTimeout ends a phase early when nothing at all changes: the same
// counts, states and deployments in every poll for this long. The
// slowest healthy phase, Swarm's one-at-a-time update, changes something
// every 2 s or so; a side that never starts a task (berth before its
// service controller) fails after this rather than after the whole
// phaseTimeout.
const stallTimeout = time.Minute

// observation is what one poll of one side saw, in terms both sides share.
type observation struct {
	// running counts the tasks of the target revision (berth: task
	// definition; Swarm: the task spec's BENCH_REV) that are running.
	running int
	// stale counts the tasks of any other revision still running.
	stale int
	// done is the orchestrator's own verdict that the rollout is over:
	// berth, exactly one deployment and its rolloutState COMPLETED;
	// Swarm, UpdateStatus completed for this update (always true on
	// create, which has no update status).
	done bool
	// detail describes the state in a few words, for a timeout's message.
	detail string
}

// String describes o for an error message.
func (o observation) String() string {
	return fmt.Sprintf("last seen %d of the target revision running, %d of another revision running, done %v (%s)",
		o.running, o.stale, o.done, o.detail)
}

// steady is the criterion both sides are timed to, and the same for both:
// every task of the target revision running, none of another revision
// still running, and the orchestrator saying it is done.
func (o observation) steady(want int) bool {
	return o.running == want && o.stale == 0 && o.done
}

// phase is one timed convergence, from just before the call (or CLI
// command) that starts it to the first poll answer that shows the state.
// A zero duration means it was not reached.
type phase struct {
	// allRunning: every task of the target revision seen running (berth:
	// the deployment's runningCount; Swarm: tasks in state running).
	allRunning time.Duration
	// steady: see observation.steady.
	steady time.Duration
	// cpu is what the machine spent from the start to steady.
	cpu cpuSpent
}

// observeFunc makes one observation of one side.
type observeFunc func(ctx context.Context) (observation, error)

// awaitSteady polls observe every pollInterval from t0 until the
// observation is steady for want tasks, and returns the phase. An
// observation error ends it (a failed rollout is one); so does timeout,
// with the last observation in the message. cpu0 is the CPU sample taken
// at t0, and procs the processes whose CPU is counted as the
// orchestrator's own.
func awaitSteady(ctx context.Context, t0 time.Time, cpu0 cpuSample, procs []*benchkit.Process,
	want int, timeout time.Duration, observe observeFunc,
) (phase, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var (
		ph        phase
		last      observation
		changedAt = time.Now()
	)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		o, err := observe(ctx)
		seen := time.Since(t0)
		if err != nil && ctx.Err() == nil {
			return ph, err
		}
		if err == nil {
			if o != last {
				last, changedAt = o, time.Now()
			}
			if ph.allRunning == 0 && o.running == want {
				ph.allRunning = seen
			}
			if o.steady(want) {
				ph.steady = seen
				ph.cpu = takeCPU(procs).since(cpu0)
				return ph, nil
			}
		}
		if time.Since(changedAt) > stallTimeout {
			return ph, fmt.Errorf("no change for %s, %s after the start: %s", stallTimeout, seen.Round(time.Second), last)
		}
		select {
		case <-ctx.Done():
			return ph, fmt.Errorf("not steady after %s: %s: %w", timeout, last, ctx.Err())
		case <-tick.C:
		}
	}
}

// cpuSample is the machine's busy CPU time and the orchestrator's own
// processes' (berth's server and agents; nothing for Swarm, which runs
// inside dockerd) at one moment.
type cpuSample struct {
	wall          time.Time
	machine, proc time.Duration
}

// cpuSpent is the CPU a phase cost: machine is every process's, proc the
// berth processes' alone (0 for Swarm).
type cpuSpent struct {
	wall, machine, proc time.Duration
}

// takeCPU samples the CPU counters; a counter it cannot read counts 0 (a
// process that exited is reported by the phase's own checks).
func takeCPU(procs []*benchkit.Process) cpuSample {
	s := cpuSample{wall: time.Now()}
	s.machine, _ = benchkit.MachineCPU()
	for _, p := range procs {
		if d, err := benchkit.ProcCPU(p.PID()); err == nil {
			s.proc += d
		}
	}
	return s
}

// machineBusyPct is how busy all the machine's CPUs were, in percent.
// Worked example: 3 s of CPU in 2 s of wall time on 2 CPUs → 75 %.
func (c cpuSpent) machineBusyPct() float64 {
	if c.wall <= 0 {
		return 0
	}
	return 100 * c.machine.Seconds() / (c.wall.Seconds() * float64(runtime.NumCPU()))
}

func (s cpuSample) since(start cpuSample) cpuSpent {
	return cpuSpent{wall: s.wall.Sub(start.wall), machine: s.machine - start.machine, proc: s.proc - start.proc}
}
