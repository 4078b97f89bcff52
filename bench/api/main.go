// Command api benchmarks berth's ECS API: requests/s and latency
// percentiles of DescribeTaskDefinition and RegisterTaskDefinition, driven by
// aws-sdk-go-v2 ECS clients against a real 'berth server' process on
// loopback, next to baselines measured in the same run (raw embedded etcd,
// and a null HTTP server driven by the same SDK clients).
//
// Run it with 'make bench-api' from the repository root. It prints a table
// and, as its last line, one 'RESULT key=value ...' line. It exits 1 if any
// call failed (after printing everything), 2 if the benchmark could not
// run. docs/performance.md explains the scenarios and records results.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/berth-org/berth/bench/internal/benchkit"
)

const (
	// setupBound bounds everything but the scenarios themselves: building
	// berth, starting servers, seeding data, stopping.
	setupBound = benchkit.BuildTimeout + 3*time.Minute
	// scenarioSlack is added to each scenario's warm-up and duration in the
	// overall bound: the last calls (callTimeout), a correctness check
	// (callTimeout) and client set-up.
	scenarioSlack = 2*callTimeout + 5*time.Second
)

// options are the command-line flags.
type options struct {
	duration, warmup time.Duration
	clients          int
	berthBin         string
	only             string
	cpuProfile       string
	want             func(scenario string) bool // from -only
	// source says which berth was measured; set by runAll.
	source string
}

func main() {
	if body := os.Getenv(nullServerEnv); body != "" {
		if err := runNullServer(body); err != nil {
			fmt.Fprintln(os.Stderr, "null server:", err)
			os.Exit(2)
		}
		return
	}
	var o options
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "measured time of each scenario")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured warm-up before each scenario's measured time")
	flag.IntVar(&o.clients, "clients", 32, "concurrent SDK clients of the concurrent scenarios")
	flag.StringVar(&o.berthBin, "berth", "", "berth binary to benchmark, run as 'BIN server ...'; a wrapper script must exec it, since its CPU time is read by PID (default: go build ./cmd/berth into a temp dir)")
	flag.StringVar(&o.only, "only", "", "regular expression: run only the scenarios whose whole name matches, e.g. 'describe-.*|etcd-get-c32' (default: all)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of this (client) process during the berth scenarios to this file")
	flag.Parse()
	if o.duration <= 0 || o.warmup < 0 || o.clients < 2 {
		fmt.Fprintln(os.Stderr, "bench-api: need -duration > 0, -warmup >= 0, -clients >= 2")
		os.Exit(2)
	}
	only, err := regexp.Compile("^(?:" + o.only + ")$")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-api: -only:", err)
		os.Exit(2)
	}
	o.want = func(name string) bool { return o.only == "" || only.MatchString(name) }
	os.Exit(benchmark(o))
}

// benchmark runs everything and returns the exit code.
func benchmark(o options) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	const maxScenarios = 11
	bound := setupBound + maxScenarios*(o.warmup+o.duration+scenarioSlack)
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()

	results, err := runAll(ctx, &o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-api:", err)
		if errors.Is(err, context.DeadlineExceeded) {
			fmt.Fprintf(os.Stderr, "bench-api: the whole run is bounded to %s\n", bound)
		}
		return 2
	}
	failed := report(os.Stdout, o, results)
	if failed {
		return 1
	}
	return 0
}

// runAll runs the selected scenarios in a fixed order: the etcd baseline
// (with nothing else running), then berth's scenarios and the null-HTTP
// baseline. Servers are stopped and temporary files removed before it
// returns.
func runAll(ctx context.Context, o *options) (results []result, err error) {
	tmp, err := os.MkdirTemp("", "berth-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	want := o.want
	runOne := func(sc scenario) error {
		if !want(sc.name) {
			return nil
		}
		fmt.Fprintf(os.Stderr, "bench-api: %-28s %d client(s), %s warm-up + %s ...\n", sc.name, sc.concurrency, o.warmup, o.duration)
		r, err := run(ctx, sc, o.warmup, o.duration)
		if err != nil {
			return err
		}
		results = append(results, r)
		return nil
	}
	n := o.clients

	bin := o.berthBin
	o.source = bin
	if bin == "" {
		root, err := benchkit.ModuleRoot()
		if err != nil {
			return nil, err
		}
		o.source = "./cmd/berth built from " + root
		if rev := benchkit.SourceRevision(ctx, root); rev != "" {
			o.source += " at " + rev
		}
		fmt.Fprintln(os.Stderr, "bench-api: building berth ...")
		if bin, err = benchkit.BuildBerth(ctx, root, tmp); err != nil {
			return nil, err
		}
	}

	// 1. Raw etcd, alone on the machine.
	if want(fmt.Sprintf("etcd-get-c%d", 1)) || want(fmt.Sprintf("etcd-get-c%d", n)) ||
		want(fmt.Sprintf("etcd-put-c%d", 1)) || want(fmt.Sprintf("etcd-put-c%d", n)) {
		b, err := startEtcdBaseline(ctx, filepath.Join(tmp, "etcd-baseline"))
		if err != nil {
			return nil, fmt.Errorf("etcd baseline: %w", err)
		}
		for _, sc := range []scenario{b.getScenario(1), b.getScenario(n), b.putScenario(1), b.putScenario(n)} {
			if err = runOne(sc); err != nil {
				break
			}
		}
		err = errors.Join(err, b.close())
		if err != nil {
			return nil, err
		}
		if err := os.RemoveAll(filepath.Join(tmp, "etcd-baseline")); err != nil {
			return nil, err
		}
	}

	// 2. berth.
	srv, err := startBerth(ctx, bin, filepath.Join(tmp, "berth-data"))
	if err != nil {
		return nil, err
	}
	defer func() {
		if srv.Stop() {
			err = errors.Join(err, fmt.Errorf("%w:\n%s", errDiedEarly, srv.Log.String()))
		}
	}()
	b, err := newBerthBench(ctx, srv, tmp)
	if err != nil {
		return nil, err
	}

	// 3. The null-HTTP baseline, answering with a real describe answer.
	if want("null-c1") || want(fmt.Sprintf("null-c%d", n)) {
		np, err := startNull(ctx, b.describeBodyFile)
		if err != nil {
			return nil, err
		}
		for _, c := range []int{1, n} {
			if err = runOne(b.nullScenario(np, c)); err != nil {
				break
			}
		}
		np.stop()
		if err != nil {
			return nil, err
		}
	}

	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	for _, sc := range []scenario{
		b.describeScenario(1), b.describeScenario(n),
		b.registerScenario(1), b.registerScenario(n), b.registerOneFamilyScenario(n),
	} {
		if err := runOne(sc); err != nil {
			return nil, err
		}
		if srv.Alive() != nil {
			return nil, fmt.Errorf("%w:\n%s", errDiedEarly, srv.Log.String())
		}
	}
	return results, nil
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
	return fmt.Sprintf("%s, %d CPUs (GOMAXPROCS %d), %s %s/%s", model, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
