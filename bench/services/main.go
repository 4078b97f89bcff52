// Command services benchmarks berth's service scheduler against Docker
// Swarm on the same Docker Engine, in the same run:
//
//   - create: CreateService with desiredCount 100 on 3 agents, against
//     'docker service create --replicas 100', until steady;
//   - rolling update: UpdateService to a task definition revision that
//     differs in one environment variable, against 'docker service update
//     --env-add', until steady again. Swarm is timed with its default
//     update config (one task at a time, stop-first) and, with
//     -swarm-start-first, once more replacing every task at once and
//     starting each new one before stopping an old one, as berth's
//     default deployment configuration (maximumPercent 200,
//     minimumHealthyPercent 100) allows.
//
// "Steady" is the same on both sides (observation.steady): every task of
// the target revision running, none of another revision still running,
// and the orchestrator saying the rollout is over (berth: one deployment,
// rolloutState COMPLETED; Swarm: UpdateStatus completed). Both are polled
// every 100 ms. The time until all tasks of the target revision were
// first seen running is reported too.
//
// First each side creates and removes a small service, unmeasured (the
// warm-up). Then come the measured rounds, one by default: a Swarm round
// of 100 takes about 4 minutes, its one-at-a-time update 3 of them. The
// rounds alternate the order of the two sides (Swarm first in round 1,
// berth first in round 2, ...), so that with -rounds 2 or more neither
// gains from a warmer engine every time, and medians are reported. The
// berth half builds ./cmd/berth and runs
// 'berth server' and the agents as separate processes on loopback with
// their data in a temporary directory; the Swarm half runs 'docker swarm
// init' (refusing a swarm it did not create) and leaves the swarm at the
// end. Run it with 'make bench-services' from the repository root. It
// prints a table and, as its last line, one 'RESULT key=value ...' line.
// It exits 1 if a measurement failed (after printing everything), 2 if
// the benchmark could not run.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/berth-org/berth/bench/internal/benchkit"
)

const (
	// maxReplicas bounds -replicas: 2 × maxReplicas containers run at once
	// during a rolling update, on a machine of 2 CPUs.
	maxReplicas = 500

	// phaseBase and phasePerTask bound one phase (create or rolling
	// update) of n tasks: phaseBase + n × phasePerTask. Swarm's default
	// rolling update replaces one task at a time, about 1.7 s each on the
	// 2-CPU machine (stop the old, start the new, report), so 100 tasks
	// take about 3 minutes; the bound, 7m40s for 100, leaves room for a
	// loaded machine without letting a stuck run go on for long.
	phaseBase    = time.Minute
	phasePerTask = 4 * time.Second
	// removeBase and removePerTask bound the removal of a service and its
	// containers: the engine stops and removes several containers a
	// second, so 1 s each is twice that.
	removeBase    = time.Minute
	removePerTask = time.Second
	// setupBound bounds everything but the rounds: building berth,
	// starting the server and agents, joining and leaving the swarm.
	setupBound = benchkit.BuildTimeout + 3*time.Minute
	// cleanupTimeout bounds the final clean-up, which runs on its own
	// context so that it happens after an interrupt or a timeout too.
	cleanupTimeout = 5 * time.Minute
	// quietWindow is how long the machine's CPU is sampled before the
	// start, to report how busy other processes kept it.
	quietWindow = time.Second
)

func phaseTimeout(n int) time.Duration  { return phaseBase + time.Duration(n)*phasePerTask }
func removeTimeout(n int) time.Duration { return removeBase + time.Duration(n)*removePerTask }

// Which sides run (-only).
const (
	onlyBoth  = "both"
	onlySwarm = "swarm"
	onlyBerth = "berth"
)

// options are the command-line flags.
type options struct {
	only       string
	rounds     int
	replicas   int
	warmup     int // replicas of the warm-up service; 0: no warm-up
	agents     int
	startFirst bool
	floor      bool
	berthBin   string
	logDir     string
	// runID names this run's services and labels; set by benchmark.
	runID string
	// source says which berth was measured; set by setUpBerth.
	source string
}

func (o options) swarm() bool { return o.only != onlyBerth }
func (o options) berth() bool { return o.only != onlySwarm }

func main() {
	var o options
	flag.StringVar(&o.only, "only", onlyBoth, "which side to run: both, swarm (needs no berth services) or berth")
	flag.IntVar(&o.rounds, "rounds", 1, "measured rounds; the sides alternate which goes first (Swarm in round 1), and medians are reported")
	flag.IntVar(&o.replicas, "replicas", 100, "desired count of the service on both sides")
	flag.IntVar(&o.warmup, "warmup-replicas", 10, "replicas of an unmeasured service each side creates and removes before the rounds (0: none)")
	flag.IntVar(&o.agents, "agents", 3, "berth agents on the Docker Engine")
	flag.BoolVar(&o.startFirst, "swarm-start-first", true, "also time a Swarm rolling update with --update-parallelism 0 --update-order start-first, like berth's default")
	flag.BoolVar(&o.floor, "engine-floor", true, "also time the Docker Engine API alone creating and starting the same containers, first in each round: the floor under both sides' create")
	flag.StringVar(&o.berthBin, "berth", "", "berth binary to benchmark; a wrapper script must exec it, since CPU is read by PID (default: go build ./cmd/berth into a temp dir)")
	flag.StringVar(&o.logDir, "log-dir", "", "write the server's and the agents' logs to DIR at the end")
	flag.Parse()
	if o.only != onlyBoth && o.only != onlySwarm && o.only != onlyBerth {
		fmt.Fprintf(os.Stderr, "bench-services: -only is both, swarm or berth, not %q\n", o.only)
		os.Exit(2)
	}
	if o.rounds < 1 || o.replicas < 1 || o.replicas > maxReplicas || o.warmup < 0 || o.warmup > maxReplicas || o.agents < 1 || flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "bench-services: need -rounds >= 1, 1 <= -replicas <= %d, 0 <= -warmup-replicas <= %d, -agents >= 1 and no arguments\n", maxReplicas, maxReplicas)
		os.Exit(2)
	}
	os.Exit(benchmark(o))
}

// benchmark runs everything and returns the exit code.
func benchmark(o options) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	bound := runBound(o)
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	o.runID = randomID()

	rep, err := runAll(ctx, &o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-services:", err)
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "bench-services: interrupted; processes, services, containers and temporary files cleaned up")
		}
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			fmt.Fprintf(os.Stderr, "bench-services: the whole run is bounded to %s\n", bound)
		}
		return 2
	}
	if failed := report(os.Stdout, o, rep); failed {
		return 1
	}
	return 0
}

// runBound is the sum of the bounds of everything the run does.
func runBound(o options) time.Duration {
	phases := 0
	if o.swarm() {
		phases += 2
		if o.startFirst {
			phases++
		}
	}
	if o.berth() {
		phases += 2
	}
	if o.floor {
		phases++
	}
	perRound := time.Duration(phases)*phaseTimeout(o.replicas) + 3*removeTimeout(o.replicas)
	warmup := 2 * (phaseTimeout(o.warmup) + removeTimeout(o.warmup))
	return setupBound + warmup + time.Duration(o.rounds)*perRound
}

// runAll sets up both sides, runs the rounds and cleans up, whatever
// happens.
func runAll(ctx context.Context, o *options) (rep *results, err error) {
	tmp, err := os.MkdirTemp("", "berth-bench-services-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	e, err := newEngine(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, e.api.Close()) }()
	rep = &results{started: time.Now(), engineVersion: e.version}
	if rep.quietBusyPct, err = sampleQuiet(ctx); err != nil {
		return nil, err
	}

	var sw *swarmMode
	if o.swarm() {
		fmt.Fprintln(os.Stderr, "bench-services: docker swarm init ...")
		sw, err = joinSwarm(ctx, e)
		defer func() { err = errors.Join(err, sw.leave(context.WithoutCancel(ctx))) }()
		if err != nil {
			return nil, err
		}
	}
	var b *berthSide
	if o.berth() {
		b, err = setUpBerth(ctx, o, e, tmp)
		defer func() { err = errors.Join(err, b.stopAll(ctx, *o)) }()
		if err != nil {
			return nil, err
		}
	}
	if rep.otherContainers, err = e.runningContainers(ctx); err != nil {
		return nil, err
	}
	rn := &runner{o: *o, e: e, sw: sw, b: b, rep: rep}
	if err := rn.warmUp(ctx); err != nil {
		return nil, err
	}
	for r := range o.rounds {
		rd, err := rn.round(ctx, r)
		if err != nil {
			return nil, err
		}
		rep.rounds = append(rep.rounds, rd)
	}
	return rep, nil
}

// setUpBerth builds berth (unless -berth names a binary) and starts the
// server and the agents.
func setUpBerth(ctx context.Context, o *options, e *engine, tmp string) (*berthSide, error) {
	bin, source, err := benchkit.BerthBinary(ctx, "bench-services", o.berthBin, tmp)
	if err != nil {
		return nil, err
	}
	o.source = source
	fmt.Fprintf(os.Stderr, "bench-services: starting berth server and %d agents ...\n", o.agents)
	return startBerth(ctx, *o, e, bin, tmp)
}

// stopAll stops the berth side on a context of its own: it runs after an
// interrupt or a timeout too.
func (b *berthSide) stopAll(ctx context.Context, o options) error {
	if b == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	return b.stop(ctx, o)
}

// sampleQuiet measures how busy the machine is before the benchmark
// starts anything: other processes' load, which skews every figure.
func sampleQuiet(ctx context.Context) (float64, error) {
	start := takeCPU(nil)
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(quietWindow):
	}
	return takeCPU(nil).since(start).machineBusyPct(), nil
}

func randomID() string {
	var raw [4]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(raw[:])
}
