// Command placement benchmarks placement at 5,000 instances across three
// Availability Zones, 100,000 tasks placed in requests of 10, with the
// chain: spread across zones, then binpack memory, under a memberOf
// constraint. It has two stages:
//
//   - scheduler: the placement engine alone (scheduler.Place on a
//     snapshot), reporting placements per second, the p50 and p99 of one
//     decision, and the snapshot's heap per 10,000 tasks;
//   - api: end to end, a berth server and 'berth agent --simulate'
//     processes on this machine, RunTask count=10 from concurrent
//     aws-sdk-go-v2 clients, reporting tasks committed per second, RunTask
//     p50 and p99, and the server's RSS per 10,000 tasks. With
//     -external-etcd the server uses an etcd in another process, so that
//     its own memory is measured without etcd's.
//
// The last line reads: RESULT key=value ...
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/scheduler"
	"github.com/berth-org/berth/internal/scheduler/query"
)

// defaultClients is how many clients call RunTask at once. Each has one
// call in flight, so by Little's law the mean latency is clients divided
// by calls per second: at the goal of 5,000 tasks/s (500 calls of 10),
// 8 clients wait 16 ms on average, 32 clients 64 ms, which no p99 under
// 50 ms allows. 8 clients measure throughput and p99 together; -clients
// 32 measures throughput under more concurrency.
const defaultClients = 8

// The simulators' scheduling (-simulators): Linux's idle class, or nice 19.
const (
	simIdle = "idle"
	simNice = "nice"
)

// benchTimeout bounds a whole run: the end-to-end stage at 1,000 tasks/s
// takes under three minutes.
const benchTimeout = 20 * time.Minute

func main() {
	if len(os.Args) > 1 && os.Args[1] == "etcd" {
		if err := runEtcd(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench-placement etcd:", err)
			os.Exit(1)
		}
		return
	}
	stage := flag.String("stage", "all", "scheduler, api, or all")
	instances := flag.Int("instances", 5000, "container instances")
	tasks := flag.Int("tasks", 100000, "tasks to place")
	batch := flag.Int("count", 10, "tasks per request (RunTask's count)")
	clients := flag.Int("clients", defaultClients, "api: concurrent SDK clients")
	offered := flag.Int("rate", 0, "api: offer this many tasks per second (open loop; give -clients enough to keep up, e.g. 64); 0: closed loop")
	external := flag.Bool("external-etcd", false, "api: the server uses an etcd in another process")
	logDir := flag.String("log-dir", "", "api: write the server's and simulators' logs to DIR/NAME.log at the end")
	rest := flag.Duration("rest", 0, "api: also read the server's RSS after leaving it quiet this long, before and after the burst (e.g. 60s)")
	simClass := flag.String("simulators", simIdle, "api: the simulators' scheduling: idle (Linux's idle class, chrt --idle: they never delay the server's threads) or nice (nice 19: a running simulator keeps its time slice when a server thread wakes)")
	cpuprofile := flag.String("cpuprofile", "", "scheduler: write this process's CPU profile here; api: the server's (first 20 s), and the web simulator's to FILE.sim")
	flag.Parse()
	if *simClass != simIdle && *simClass != simNice {
		fmt.Fprintf(os.Stderr, "bench-placement: -simulators must be %s or %s, got %q\n", simIdle, simNice, *simClass)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), benchTimeout)
	defer cancel()
	var result []string
	if *stage == "scheduler" || *stage == "all" {
		r, err := runScheduler(*instances, *tasks, *batch, *cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench-placement:", err)
			os.Exit(1)
		}
		result = append(result, r)
	}
	if *stage == "api" || *stage == "all" {
		res, err := runAPI(ctx, apiOptions{instances: *instances, tasks: *tasks, count: *batch,
			clients: *clients, rate: *offered, externalEtcd: *external, profile: *cpuprofile, logDir: *logDir, rest: *rest, simClass: *simClass})
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench-placement:", err)
			os.Exit(1)
		}
		result = append(result, res.report())
	}
	fmt.Println("RESULT " + strings.Join(result, " "))
}

// runScheduler runs the scheduler-alone stage and returns its RESULT
// fields.
func runScheduler(instances, tasks, batch int, cpuprofile string) (string, error) {
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	expr, err := query.Parse(memberOf)
	if err != nil {
		return "", err
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := scheduler.NewSnapshot()
	for i := range instances {
		tier := "web"
		if i%10 == 0 {
			tier = "batch" // a tenth is excluded by the constraint
		}
		s.PutInstance(scheduler.Instance{
			ID: fmt.Sprintf("%032x", i), ARN: fmt.Sprintf("arn:aws:ecs:us-east-1:000000000000:container-instance/bench/%032x", i),
			Status: ecs.InstanceActive, Connected: true, CPU: 16384, Memory: 65536,
			Attributes: map[string]string{"ecs.availability-zone": zones[i%3], "ecs.instance-type": "m5.4xlarge", "tier": tier},
			Revision:   1,
		})
	}
	req := scheduler.Request{
		Needs:       ecs.Requirements{CPU: 128, Memory: 256},
		Group:       "family:bench",
		Constraints: scheduler.Constraints{MemberOf: []*query.Expr{expr}},
		Strategies: []scheduler.Strategy{
			{Type: scheduler.Spread, Field: "attribute:ecs.availability-zone"},
			{Type: scheduler.Binpack, Field: scheduler.FieldMemory},
		},
		Rand: rand.New(rand.NewPCG(1, 2)),
	}
	var decisions []time.Duration
	placed, seq := 0, 0
	start := time.Now()
	for placed < tasks {
		req.Count = min(batch, tasks-placed)
		t0 := time.Now()
		res := scheduler.Place(s, &req)
		for _, h := range res.Hosts {
			seq++
			s.Assume(fmt.Sprintf("t%d", seq), h, req.Group, req.Needs)
		}
		decisions = append(decisions, time.Since(t0))
		if len(res.Hosts) == 0 {
			return "", fmt.Errorf("nothing placed after %d tasks: %s", placed, res.Failure.Detail())
		}
		placed += len(res.Hosts)
	}
	elapsed := time.Since(start)
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(s)
	slices.Sort(decisions)
	p50, p99 := decisions[len(decisions)/2], decisions[len(decisions)*99/100]
	rate := float64(placed) / elapsed.Seconds()
	heapPer10k := float64(after.HeapAlloc-before.HeapAlloc) / float64(placed) * 10000 / (1 << 20)
	fmt.Printf("scheduler alone: %d instances, %d tasks in requests of %d: %.2fs\n", instances, placed, batch, elapsed.Seconds())
	fmt.Printf("  %.0f placements/s; one decision (%d tasks): p50 %s, p99 %s\n", rate, batch, p50, p99)
	fmt.Printf("  snapshot heap: %.1f MiB in all, %.2f MiB per 10,000 tasks (instances included)\n",
		float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), heapPer10k)
	return fmt.Sprintf("instances=%d tasks=%d placements_per_s=%.0f decision_p50_us=%.1f decision_p99_us=%.1f snapshot_mib_per_10k_tasks=%.2f",
		instances, placed, rate, us(p50), us(p99), heapPer10k), nil
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }
