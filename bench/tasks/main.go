// Command tasks benchmarks how fast berth starts tasks and how much memory
// its agent needs, against raw Docker on the same engine in the same run:
//
//   - 1 task: RunTask → RUNNING latency (p50, p99) against 'docker run -d'
//     and against the Engine API's ContainerCreate + ContainerStart;
//   - 50 tasks: 5 concurrent RunTask calls of 10 → all RUNNING, against 50
//     'docker run -d' on parallel workers (and one after another);
//   - the agent's resident memory idle and with 50 tasks running.
//
// It builds ./cmd/berth, runs 'berth server' and 'berth agent' as separate
// processes on loopback with their data in a temporary directory, and
// drives them with aws-sdk-go-v2. Run it with 'make bench-tasks' from the
// repository root, after 'make docker' (the target depends on it). It
// prints a table and, as its last line, one 'RESULT key=value ...' line. It
// exits 1 if any call failed (after printing everything), 2 if the
// benchmark could not run. docs/performance.md explains the figures and
// records results.
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
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/berth-org/berth/bench/internal/benchkit"
)

const (
	// agentCPUs and agentMemoryMiB are the agent's offered capacity: far
	// more than 50 tasks of taskCPU and taskMemoryMiB need, so that
	// placement never refuses one.
	agentCPUs      = 64
	agentMemoryMiB = 65536
	taskCPU        = 16
	taskMemoryMiB  = 16
	// agentCleanupWait replaces the agent's 3-hour default (ECS's): a
	// stopped task's container is removed almost at once, and each
	// measurement waits for that, so that every one starts on an engine
	// and an agent without the previous ones' stopped tasks.
	agentCleanupWait = 100 * time.Millisecond
	// warmupIterations of each kind run before the 1-task scenario's
	// measured ones: the first container start after the agent's start
	// pays cold caches in the engine, the agent and the server.
	warmupIterations = 1

	// setupBound bounds everything but the scenarios: building berth,
	// starting the server and agent, and the final clean-up.
	setupBound = benchkit.BuildTimeout + 3*time.Minute
	// iterationBound and roundBound bound one 1-task iteration (about 2 s
	// when healthy: three starts, a 1 s stop, removals) and one 50-task
	// round (under a minute), in the overall bound of the run.
	iterationBound = 2 * time.Minute
	roundBound     = 10 * time.Minute
	// cleanupTimeout bounds the final clean-up, which runs on its own
	// context so that it happens after an interrupt or a timeout too.
	cleanupTimeout = 2 * time.Minute
	// quietWindow is how long the benchmark samples the machine's CPU
	// before it starts, to report how busy other processes kept it.
	quietWindow = time.Second
)

// options are the command-line flags.
type options struct {
	iterations    int
	rounds        int
	dockerWorkers int
	sequential    bool
	berthBin      string
	agentEnv      envFlags
	logDir        string
	// source says which berth was measured; set by runAll.
	source string
}

func main() {
	var o options
	flag.IntVar(&o.iterations, "iterations", 20, "measured iterations of the 1-task scenario")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds of the 50-task scenario (the median is reported)")
	flag.IntVar(&o.dockerWorkers, "docker-workers", 10, "concurrent 'docker run -d' of the 50-container baseline")
	flag.BoolVar(&o.sequential, "sequential", true, "also time 50 'docker run -d' one after another in each round")
	flag.Var(&o.agentEnv, "agent-env", "NAME=VALUE added to the agent's environment, for experiments such as GOGC=50 (repeatable)")
	flag.StringVar(&o.logDir, "log-dir", "", "write the server's and the agent's logs to DIR/server.log and DIR/agent.log at the end")
	flag.StringVar(&o.berthBin, "berth", "", "berth binary to benchmark; a wrapper script must exec it, since the agent's memory and CPU are read by PID (default: go build ./cmd/berth into a temp dir)")
	flag.Parse()
	if o.iterations < 1 || o.rounds < 1 || o.dockerWorkers < 1 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "bench-tasks: need -iterations >= 1, -rounds >= 1, -docker-workers >= 1 and no arguments")
		os.Exit(2)
	}
	os.Exit(benchmark(o))
}

// benchmark runs everything and returns the exit code.
func benchmark(o options) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	bound := setupBound + time.Duration(warmupIterations+o.iterations)*iterationBound + time.Duration(o.rounds)*roundBound
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()

	rep, err := runAll(ctx, &o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-tasks:", err)
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "bench-tasks: interrupted; processes, containers and temporary files cleaned up")
		}
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			fmt.Fprintf(os.Stderr, "bench-tasks: the whole run is bounded to %s\n", bound)
		}
		return 2
	}
	if failed := report(os.Stdout, o, rep); failed {
		return 1
	}
	return 0
}

// bench is one run's world: the berth processes, the clients, and what
// the scenarios share.
type bench struct {
	o              options
	server, agent  *benchkit.Process
	ecs            *ecs.Client
	docker         *dockerEnv
	instanceARN    string
	taskDef        string // family:revision
	agentDataDir   string
	serverEndpoint string
}

// runAll sets up, runs both scenarios and cleans up, whatever happens.
func runAll(ctx context.Context, o *options) (rep *results, err error) {
	tmp, err := os.MkdirTemp("", "berth-bench-tasks-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	runID := randomID()

	bin, err := berthBinary(ctx, o, tmp)
	if err != nil {
		return nil, err
	}
	docker, err := newDockerEnv(ctx, runID)
	if err != nil {
		return nil, err
	}
	b := &bench{o: *o, docker: docker, agentDataDir: filepath.Join(tmp, "agent")}
	defer func() { err = errors.Join(err, b.cleanup()) }()

	rep = &results{started: time.Now(), runID: runID, dockerVersion: docker.version}
	quiet, err := sampleQuiet(ctx)
	if err != nil {
		return nil, err
	}
	rep.quietBusyPct = quiet
	if err := b.start(ctx, bin, tmp); err != nil {
		return nil, err
	}
	if rep.otherContainers, err = docker.otherContainers(ctx, b.instanceARN); err != nil {
		return nil, err
	}
	if rep.memIdle, err = benchkit.ReadMem(b.agent.PID()); err != nil {
		return nil, err
	}

	fmt.Fprintf(os.Stderr, "bench-tasks: 1 task: %d warm-up + %d iterations ...\n", warmupIterations, o.iterations)
	if rep.one, err = b.oneTask(ctx); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "bench-tasks: 50 tasks: %d round(s) ...\n", o.rounds)
	if rep.fifty, err = b.fifty(ctx); err != nil {
		return nil, err
	}
	if rep.memEnd, err = benchkit.ReadMem(b.agent.PID()); err != nil {
		return nil, err
	}
	return rep, nil
}

// berthBinary builds ./cmd/berth into dir unless -berth names a binary,
// and records which berth is measured in o.source.
func berthBinary(ctx context.Context, o *options, dir string) (string, error) {
	if o.berthBin != "" {
		o.source = o.berthBin
		return o.berthBin, nil
	}
	root, err := benchkit.ModuleRoot()
	if err != nil {
		return "", err
	}
	o.source = "./cmd/berth built from " + root
	if rev := benchkit.SourceRevision(ctx, root); rev != "" {
		o.source += " at " + rev
	}
	fmt.Fprintln(os.Stderr, "bench-tasks: building berth ...")
	return benchkit.BuildBerth(ctx, root, dir)
}

// start runs the server and the agent, waits until the agent is
// connected, and registers the task definition.
func (b *bench) start(ctx context.Context, bin, tmp string) error {
	creds, err := benchKey.WriteCredentials(tmp)
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "bench-tasks: starting berth server and agent ...")
	if b.server, b.serverEndpoint, err = benchkit.StartServer(ctx, bin, filepath.Join(tmp, "server"), creds); err != nil {
		return err
	}
	b.ecs = benchkit.NewECSClient(b.serverEndpoint, benchRegion, benchKey, nil)
	if b.agent, err = startAgent(bin, b.serverEndpoint, b.agentDataDir, creds, b.o.agentEnv); err != nil {
		return err
	}
	if b.instanceARN, err = awaitAgentConnected(ctx, b.ecs, b.agent); err != nil {
		return err
	}
	b.taskDef, err = registerTaskDefinition(ctx, b.ecs)
	return err
}

// cleanup stops the agent, removes every container it or the baselines
// made, and stops the server. It runs on its own context, so it also runs
// after an interrupt or a timeout.
func (b *bench) cleanup() error {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	var errs []error
	if b.agent != nil && b.agent.Stop() {
		errs = append(errs, b.agent.Alive())
	}
	arn := b.instanceARN
	if arn == "" {
		arn = benchkit.SavedInstanceARN(b.agentDataDir)
	}
	if arn != "" {
		if _, err := b.docker.removeLabelled(ctx, instanceLabel, arn); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := b.docker.removeLabelled(ctx, baselineLabel, b.docker.runID); err != nil {
		errs = append(errs, err)
	}
	if b.server != nil && b.server.Stop() {
		errs = append(errs, b.server.Alive())
	}
	if b.o.logDir != "" {
		errs = append(errs, b.saveLogs())
	}
	errs = append(errs, b.docker.api.Close())
	return errors.Join(errs...)
}

// saveLogs writes the children's output to -log-dir.
func (b *bench) saveLogs() error {
	if err := os.MkdirAll(b.o.logDir, 0o755); err != nil {
		return err
	}
	var errs []error
	for _, p := range []*benchkit.Process{b.server, b.agent} {
		if p != nil {
			errs = append(errs, os.WriteFile(filepath.Join(b.o.logDir, p.Name+".log"), []byte(p.Log.String()), 0o644))
		}
	}
	return errors.Join(errs...)
}

// sampleQuiet measures how busy the machine is before the benchmark
// starts anything: other processes' load, which skews every figure.
func sampleQuiet(ctx context.Context) (float64, error) {
	before, err := benchkit.MachineCPU()
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(quietWindow):
	}
	after, err := benchkit.MachineCPU()
	if err != nil {
		return 0, err
	}
	spent := cpuSpent{wall: time.Since(t0), machine: after - before}
	return spent.machineBusyPct(runtime.NumCPU()), nil
}

// envFlags collects repeated NAME=VALUE flags.
type envFlags []string

func (e *envFlags) String() string { return strings.Join(*e, " ") }

func (e *envFlags) Set(s string) error {
	if name, _, ok := strings.Cut(s, "="); !ok || name == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	*e = append(*e, s)
	return nil
}

func randomID() string {
	var raw [6]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(raw[:])
}

// machine describes where the benchmark ran, for the report header.
func machine() string {
	model := "unknown CPU"
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(raw), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs, %s %s/%s", model, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
