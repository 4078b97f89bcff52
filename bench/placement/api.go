package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berth-org/berth/bench/internal/benchkit"
)

const (
	// callTimeout bounds one API call; RunTask of 10 takes milliseconds.
	callTimeout = 30 * time.Second
	// registerTimeout bounds the wait for every simulated instance to be
	// connected: 5,000 register in about 4 s (docs/agent.md).
	registerTimeout = 3 * time.Minute
	// runningPollInterval paces the count of RUNNING tasks after the
	// measured phase: each count is 100 API calls at 5,000 instances.
	runningPollInterval = 2 * time.Second
	// pollInterval paces the unmeasured waits.
	pollInterval = 500 * time.Millisecond
	// settleTimeout bounds the wait, after the last RunTask, for the
	// server to finish what the tasks set off (their sessions' pushes, the
	// simulated agents' RUNNING reports) before its memory is read.
	settleTimeout = 3 * time.Minute
	// quietCPU is the server's CPU share over one pollInterval below which
	// it counts as settled: heartbeats of 5,000 instances alone cost a few
	// percent of a core.
	quietCPU = 0.25
	// profileSeconds is how much of the measured phase -profile covers.
	profileSeconds = 20
	// retainedAfter is how long after the tasks settled -cpuprofile reads
	// the server's RSS again: long enough for the Go runtime's background
	// scavenger to return most of the heap the burst grew, so the second
	// reading tells retained memory from a transient peak.
	retainedAfter = 20 * time.Second
	// heartbeatTimeout is the server's --agent-heartbeat-timeout for
	// thousands of instances (docs/agent.md, "Running thousands").
	heartbeatTimeout = "60s"

	benchRegion = "us-east-1"
	cluster     = "default"
	family      = "bench-placement"
	memberOf    = "attribute:ecs.instance-type =~ m5.* and attribute:tier != batch"
)

// benchKey is the only key the server accepts; the simulators sign their
// registrations with it.
var benchKey = benchkit.Key{ID: "AKIDBENCHPLACEMENT", Secret: "berth-bench-placement-secret-key"}

var zones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

// apiOptions configure the end-to-end stage.
type apiOptions struct {
	instances, tasks, count, clients int
	// rate, when set, is the tasks per second offered (open loop; see
	// slots); 0 runs the clients in a closed loop, as fast as they go.
	rate         int
	externalEtcd bool
	profile      string // write the server's CPU profile here
	logDir       string // write the children's logs here at the end
	// simClass is how the simulators are scheduled: simIdle or simNice
	// (see world.start).
	simClass string
	// rest, when set, is how long the server is left quiet before each
	// of two more RSS readings: with the instances only, before the
	// burst, and with the tasks, after it: what the server holds at rest,
	// once Go's scavenger has returned the idle heap above the collector's
	// goal, as opposed to just after a burst.
	rest time.Duration
}

// apiResult is what the end-to-end stage measured.
type apiResult struct {
	placed             int
	elapsed            time.Duration
	p50, p99, max      time.Duration
	rssIdle, rssEnd    benchkit.MemInfo // the server's
	rssLater           benchkit.MemInfo // retainedAfter later (-cpuprofile only)
	rssIdleRest        benchkit.MemInfo // -rest after the instances connected
	rssEndRest         benchkit.MemInfo // -rest after the tasks settled
	etcdIdle, etcdEnd  benchkit.MemInfo // the external etcd's, when used
	serverCPU, simCPU  time.Duration    // during the RunTask phase
	machineCPU         time.Duration
	settled            time.Duration // from the last RunTask to a quiet server
	allRunning         time.Duration // from the last RunTask to every task RUNNING
	etcdDBBytes        int64
	goroutinesIdle     int // the server's
	goroutinesEnd      int
	externalEtcd       bool
	instances, clients int
	rate               int // tasks/s offered; 0: closed loop
	rest               time.Duration
	simClass           string
}

// world is the processes of one end-to-end run.
type world struct {
	etcd, server *benchkit.Process
	sims         []*benchkit.Process
	url, debug   string
	simDebug     string // the web simulator's --debug-listen
	ecs          *ecs.Client
}

func (w *world) stop() {
	for _, p := range w.sims {
		p.Stop()
	}
	for _, p := range []*benchkit.Process{w.server, w.etcd} {
		if p != nil {
			p.Stop()
		}
	}
}

// saveLogs writes each child's output to dir/NAME.log.
func (w *world) saveLogs(dir string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "bench-placement: logs:", err)
		return
	}
	for _, p := range append([]*benchkit.Process{w.etcd, w.server}, w.sims...) {
		if p != nil {
			if err := os.WriteFile(filepath.Join(dir, p.Name+".log"), []byte(p.Log.String()), 0o644); err != nil {
				fmt.Fprintln(os.Stderr, "bench-placement: logs:", err)
			}
		}
	}
}

// runAPI starts an etcd (when external), a berth server and two
// simulators (nine tenths of the instances tier=web, a tenth tier=batch,
// which the memberOf constraint excludes), then places o.tasks tasks with
// RunTask of o.count from o.clients concurrent SDK clients.
func runAPI(ctx context.Context, o apiOptions) (*apiResult, error) {
	tmp, err := os.MkdirTemp("", "bench-placement-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	root, err := benchkit.ModuleRoot()
	if err != nil {
		return nil, err
	}
	bin, err := benchkit.BuildBerth(ctx, root, tmp)
	if err != nil {
		return nil, err
	}
	w := &world{}
	defer w.stop()
	if o.logDir != "" {
		defer w.saveLogs(o.logDir)
	}
	if err := w.start(ctx, bin, tmp, o); err != nil {
		return nil, err
	}
	def, err := registerTaskDefinition(ctx, w.ecs)
	if err != nil {
		return nil, err
	}
	res := &apiResult{externalEtcd: o.externalEtcd, instances: o.instances, clients: o.clients, rate: o.rate, rest: o.rest,
		simClass: o.simClass}
	if res.rssIdle, err = benchkit.ReadMem(w.server.PID()); err != nil {
		return nil, err
	}
	if w.etcd != nil {
		if res.etcdIdle, err = benchkit.ReadMem(w.etcd.PID()); err != nil {
			return nil, err
		}
	}
	if res.goroutinesIdle, err = w.goroutines(ctx); err != nil {
		return nil, err
	}
	if res.rssIdleRest, err = w.readAtRest(ctx, o.rest); err != nil {
		return nil, err
	}
	if o.profile != "" {
		if err := w.saveMemProfiles(ctx, o.profile+".idle", false); err != nil {
			return nil, err
		}
	}
	stopProfile, err := w.startProfile(ctx, o.profile)
	if err != nil {
		return nil, err
	}
	if err := w.place(ctx, def, o, res); err != nil {
		return nil, errors.Join(err, stopProfile())
	}
	if err := stopProfile(); err != nil {
		return nil, err
	}
	if err := w.settle(ctx, tmp, res); err != nil {
		return nil, err
	}
	if res.goroutinesEnd, err = w.goroutines(ctx); err != nil {
		return nil, err
	}
	if res.rssEndRest, err = w.readAtRest(ctx, o.rest); err != nil {
		return nil, err
	}
	if o.profile != "" {
		// What stays of the RSS once the runtime has had time to return
		// the heap the burst needed: retained, as opposed to transient.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(retainedAfter):
		}
		if res.rssLater, err = benchkit.ReadMem(w.server.PID()); err != nil {
			return nil, err
		}
		if err := w.saveMemProfiles(ctx, o.profile, true); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// readAtRest reads the server's memory after leaving it quiet for rest;
// with rest 0 it reads nothing.
func (w *world) readAtRest(ctx context.Context, rest time.Duration) (benchkit.MemInfo, error) {
	if rest <= 0 {
		return benchkit.MemInfo{}, nil
	}
	select {
	case <-ctx.Done():
		return benchkit.MemInfo{}, ctx.Err()
	case <-time.After(rest):
	}
	return benchkit.ReadMem(w.server.PID())
}

// saveMemProfiles saves, for prefix, the server's heap profile (.heap),
// the same in text with the runtime's MemStats: heap in use, idle and
// released, stacks (.heap.txt), its goroutines grouped by stack
// (.goroutine.txt) and /proc/PID/smaps (.smaps), which tells etcd's mapped
// database from the binary in RssFile. With gc set the heap profile is
// taken after a GC, so that it shows exactly what is live; the idle
// profiles are taken without, so as not to change how the measured
// phase's heap grows.
func (w *world) saveMemProfiles(ctx context.Context, prefix string, gc bool) error {
	heap := "heap"
	if gc {
		heap += "?gc=1"
	}
	smaps, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", w.server.PID()))
	if err != nil {
		return err
	}
	if err := os.WriteFile(prefix+".smaps", smaps, 0o644); err != nil {
		return err
	}
	for _, p := range []struct{ query, suffix string }{
		{heap, ".heap"}, {"heap?debug=1", ".heap.txt"}, {"goroutine?debug=1", ".goroutine.txt"},
	} {
		req, err := w.pprof(ctx, p.query)
		if err != nil {
			return err
		}
		if err := saveProfile(req, prefix+p.suffix); err != nil {
			return err
		}
	}
	return nil
}

// pprof is a request for the server's /debug/pprof/<query> (it serves
// them on --debug-listen).
func (w *world) pprof(ctx context.Context, query string) (*http.Request, error) {
	return pprofAt(ctx, w.debug, query)
}

// pprofAt is a request for /debug/pprof/<query> on the debug listener at
// addr.
func pprofAt(ctx context.Context, addr, query string) (*http.Request, error) {
	return http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/debug/pprof/"+query, nil)
}

// goroutines is the server's goroutine count, from the first line of
// /debug/pprof/goroutine?debug=1 ("goroutine profile: total N").
func (w *world) goroutines(ctx context.Context) (int, error) {
	req, err := w.pprof(ctx, "goroutine?debug=1")
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("server goroutines: %w", err)
	}
	defer resp.Body.Close()
	head := make([]byte, 64)
	n, _ := io.ReadFull(resp.Body, head)
	line, _, _ := strings.Cut(string(head[:n]), "\n")
	total, ok := strings.CutPrefix(line, "goroutine profile: total ")
	if !ok {
		return 0, fmt.Errorf("server goroutines: unexpected first line %q", line)
	}
	return strconv.Atoi(total)
}

func (w *world) start(ctx context.Context, bin, tmp string, o apiOptions) error {
	creds, err := benchKey.WriteCredentials(tmp)
	if err != nil {
		return err
	}
	addrs, err := freeAddrs(5)
	if err != nil {
		return err
	}
	w.url, w.debug, w.simDebug = "http://"+addrs[0], addrs[1], addrs[4]
	args := []string{"server", "--auth", "strict", "--credentials", creds,
		"--listen", addrs[0], "--debug-listen", addrs[1], "--data-dir", filepath.Join(tmp, "server"),
		"--agent-heartbeat-timeout", heartbeatTimeout}
	if o.externalEtcd {
		if err := w.startEtcd(ctx, filepath.Join(tmp, "etcd"), addrs[2], addrs[3]); err != nil {
			return err
		}
		args = append(args, "--etcd-endpoints", "http://"+addrs[2])
	}
	if w.server, err = benchkit.StartProcess("server", nil, bin, args...); err != nil {
		return err
	}
	if err := w.server.WaitHealthy(ctx, w.url); err != nil {
		return err
	}
	w.ecs = benchkit.NewECSClient(w.url, benchRegion, benchKey, nil)
	batch := o.instances / 10
	for _, sim := range []struct {
		tier, instanceType string
		n                  int
	}{{"web", "m5.4xlarge", o.instances - batch}, {"batch", "m5.4xlarge", batch}} {
		// The simulator stands in for 5,000 machines whose CPU is not the
		// server's. At the server's priority it would take a third of
		// this 2-core machine from the server (see docs/performance.md).
		// In Linux's idle class (the default) it gives up the CPU at
		// once when a server thread wakes and runs on the time nothing
		// else wants; it still does all its work (every task is pushed
		// to it and reported RUNNING, every instance heartbeats), and
		// since a task at rest holds no goroutine in the agent it keeps
		// up as well as it did at nice 19. At nice 19 (-simulators nice)
		// a running simulator keeps the CPU for the rest of its time
		// slice when a server thread wakes.
		lowPriority := []string{"chrt", "--idle", "0"}
		if o.simClass == simNice {
			lowPriority = []string{"nice", "-n", "19"}
		}
		args := append(lowPriority, bin, "agent",
			"--simulate", strconv.Itoa(sim.n), "--simulate-zones", strings.Join(zones, ","),
			"--server", w.url, "--cluster", cluster, "--credentials", creds,
			"--cpu", "16", "--memory", "65536", "--instance-type", sim.instanceType,
			"--attribute", "tier="+sim.tier)
		if sim.tier == "web" {
			args = append(args, "--debug-listen", w.simDebug)
		}
		p, err := benchkit.StartProcess("simulator-"+sim.tier, nil, args[0], args[1:]...)
		if err != nil {
			return err
		}
		w.sims = append(w.sims, p)
	}
	return w.awaitConnected(ctx, o.instances)
}

// startEtcd runs this command as an external etcd and waits for its
// /health.
func (w *world) startEtcd(ctx context.Context, dir, client, peer string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if w.etcd, err = benchkit.StartProcess("etcd", nil, self, "etcd", "-dir", dir, "-listen", client, "-peer", peer); err != nil {
		return err
	}
	return w.etcd.WaitOK(ctx, "http://"+client+"/health")
}

// awaitConnected waits until n instances show agentConnected.
func (w *world) awaitConnected(ctx context.Context, n int) error {
	ctx, cancel := context.WithTimeout(ctx, registerTimeout)
	defer cancel()
	t0 := time.Now()
	for {
		got, err := countConnected(ctx, w.ecs)
		if err == nil && got == n {
			fmt.Printf("  %d simulated instances connected after %.1fs\n", n, time.Since(t0).Seconds())
			return nil
		}
		for _, p := range append([]*benchkit.Process{w.server}, w.sims...) {
			if err := p.Alive(); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d instances connected after %s (last error: %v)", got, n, registerTimeout, err)
		case <-time.After(pollInterval):
		}
	}
}

func countConnected(ctx context.Context, c *ecs.Client) (int, error) {
	n := 0
	p := ecs.NewListContainerInstancesPaginator(c, &ecs.ListContainerInstancesInput{
		Cluster: aws.String(cluster), Filter: aws.String("agentConnected == true"), MaxResults: aws.Int32(100),
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return n, err
		}
		n += len(out.ContainerInstanceArns)
	}
	return n, nil
}

// slot is one RunTask call of the measured phase: how many tasks it asks
// for, and when it was due (zero: when a client takes it).
type slot struct {
	n   int32
	due time.Time
}

// slots hands out the measured phase's calls until o.tasks are asked for,
// then closes. Closed loop (o.rate 0): each call is due when a client is
// free to make it, so the clients go as fast as the server lets them.
// Open loop: one call of o.count every o.count/o.rate seconds, due then
// whether a client is free or not, so a stall shows in the latency of
// every call it holds up, not only the ones in flight (no coordinated
// omission). Worked example: -rate 4000 with count 10 is a call due every
// 2.5 ms; a 100 ms stall with every client busy makes the next 40 calls
// late by up to 100 ms each.
func slots(ctx context.Context, o apiOptions, t0 time.Time) <-chan slot {
	out := make(chan slot)
	go func() {
		defer close(out)
		var every time.Duration
		if o.rate > 0 {
			every = time.Duration(float64(time.Second) * float64(o.count) / float64(o.rate))
		}
		for i, asked := 0, 0; asked < o.tasks; i++ {
			s := slot{n: int32(min(o.count, o.tasks-asked))}
			if every > 0 {
				s.due = t0.Add(time.Duration(i) * every)
				select {
				case <-time.After(time.Until(s.due)):
				case <-ctx.Done():
					return
				}
			}
			select {
			case out <- s:
			case <-ctx.Done():
				return
			}
			asked += int(s.n)
		}
	}()
	return out
}

// place runs the measured phase: o.clients workers, each its own SDK
// client, calling RunTask as slots hands the calls out.
func (w *world) place(ctx context.Context, def string, o apiOptions, res *apiResult) error {
	var (
		mu       sync.Mutex
		lat      []time.Duration
		placed   int
		firstErr error
	)
	cpu0, err := w.cpu()
	if err != nil {
		return err
	}
	t0 := time.Now()
	calls := slots(ctx, o, t0)
	var wg sync.WaitGroup
	for range o.clients {
		c := benchkit.NewECSClient(w.url, benchRegion, benchKey, nil)
		wg.Go(func() {
			for s := range calls {
				start := s.due
				if start.IsZero() {
					start = time.Now()
				}
				got, err := runTasks(ctx, c, def, s.n)
				d := time.Since(start)
				mu.Lock()
				lat, placed = append(lat, d), placed+got
				if err != nil && firstErr == nil {
					firstErr = err
				}
				stop := firstErr != nil
				mu.Unlock()
				if stop {
					return
				}
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(t0)
	cpu1, err := w.cpu()
	if err != nil {
		return err
	}
	res.serverCPU, res.simCPU, res.machineCPU = cpu1[0]-cpu0[0], cpu1[1]-cpu0[1], cpu1[2]-cpu0[2]
	if firstErr != nil {
		return firstErr
	}
	slices.Sort(lat)
	res.placed = placed
	res.p50, res.p99, res.max = lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
	return nil
}

// cpu is the server's, the simulators' and the machine's CPU time so far.
func (w *world) cpu() ([3]time.Duration, error) {
	var out [3]time.Duration
	var err error
	if out[0], err = benchkit.ProcCPU(w.server.PID()); err != nil {
		return out, err
	}
	for _, p := range w.sims {
		d, err := benchkit.ProcCPU(p.PID())
		if err != nil {
			return out, err
		}
		out[1] += d
	}
	out[2], err = benchkit.MachineCPU()
	return out, err
}

// runTasks calls RunTask for n tasks and returns how many were placed; a
// failure is an error, as the cluster has room for every task.
func runTasks(ctx context.Context, c *ecs.Client, def string, n int32) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := c.RunTask(ctx, &ecs.RunTaskInput{
		Cluster: aws.String(cluster), TaskDefinition: aws.String(def), Count: aws.Int32(n),
		PlacementStrategy: []types.PlacementStrategy{
			{Type: types.PlacementStrategyTypeSpread, Field: aws.String("attribute:ecs.availability-zone")},
			{Type: types.PlacementStrategyTypeBinpack, Field: aws.String("memory")},
		},
		PlacementConstraints: []types.PlacementConstraint{
			{Type: types.PlacementConstraintTypeMemberOf, Expression: aws.String(memberOf)},
		},
	})
	if err != nil {
		return 0, fmt.Errorf("RunTask: %w", err)
	}
	if len(out.Failures) > 0 {
		f := out.Failures[0]
		return len(out.Tasks), fmt.Errorf("RunTask: %d tasks not placed: %s (%s)", len(out.Failures), aws.ToString(f.Reason), aws.ToString(f.Detail))
	}
	return len(out.Tasks), nil
}

// awaitRunning waits until the cluster's instances count n tasks RUNNING
// (DescribeContainerInstances' runningTasksCount, summed), or deadline.
func (w *world) awaitRunning(ctx context.Context, n int, deadline time.Time) error {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	for {
		running, err := countRunning(ctx, w.ecs)
		if err == nil && running >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d tasks RUNNING after %s (last error: %v)", running, n, settleTimeout, err)
		case <-time.After(runningPollInterval):
		}
	}
}

// countRunning sums the runningTasksCount of the cluster's instances.
func countRunning(ctx context.Context, c *ecs.Client) (int, error) {
	n := 0
	p := ecs.NewListContainerInstancesPaginator(c, &ecs.ListContainerInstancesInput{
		Cluster: aws.String(cluster), MaxResults: aws.Int32(100),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, err
		}
		if len(page.ContainerInstanceArns) == 0 {
			continue
		}
		out, err := c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{
			Cluster: aws.String(cluster), ContainerInstances: page.ContainerInstanceArns,
		})
		if err != nil {
			return n, err
		}
		for _, ci := range out.ContainerInstances {
			n += int(ci.RunningTasksCount)
		}
	}
	return n, nil
}

// settle waits until the server has finished what the tasks set off,
// then reads its memory and the size of etcd's database.
func (w *world) settle(ctx context.Context, tmp string, res *apiResult) error {
	t0 := time.Now()
	deadline := t0.Add(settleTimeout)
	if err := w.awaitRunning(ctx, res.placed, deadline); err != nil {
		return err
	}
	res.allRunning = time.Since(t0)
	prev, err := benchkit.ProcCPU(w.server.PID())
	if err != nil {
		return err
	}
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollInterval):
		}
		cur, err := benchkit.ProcCPU(w.server.PID())
		if err != nil {
			return err
		}
		if float64(cur-prev)/float64(pollInterval) < quietCPU {
			break
		}
		prev = cur
	}
	res.settled = time.Since(t0)
	if res.rssEnd, err = benchkit.ReadMem(w.server.PID()); err != nil {
		return err
	}
	dbDir := filepath.Join(tmp, "server", "etcd")
	if w.etcd != nil {
		if res.etcdEnd, err = benchkit.ReadMem(w.etcd.PID()); err != nil {
			return err
		}
		dbDir = filepath.Join(tmp, "etcd")
	}
	if st, err := os.Stat(filepath.Join(dbDir, "member", "snap", "db")); err == nil {
		res.etcdDBBytes = st.Size()
	}
	return nil
}

// startProfile asks the server, and the web simulator (nine tenths of
// the instances), for a CPU profile of the first profileSeconds of the
// measured phase (via their --debug-listen) and returns what waits for
// them and writes them to path and path.sim.
func (w *world) startProfile(ctx context.Context, path string) (func() error, error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	query := fmt.Sprintf("profile?seconds=%d", profileSeconds)
	targets := map[string]string{path: w.debug, path + ".sim": w.simDebug}
	done := make(chan error, len(targets))
	for out, addr := range targets {
		req, err := pprofAt(ctx, addr, query)
		if err != nil {
			return nil, err
		}
		go func() { done <- saveProfile(req, out) }()
	}
	return func() error {
		var errs []error
		for range targets {
			errs = append(errs, <-done)
		}
		return errors.Join(errs...)
	}, nil
}

func saveProfile(req *http.Request, path string) error {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("profile %s: %w", req.URL.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile %s: %s", req.URL.Host, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// freeAddrs returns n distinct free loopback addresses.
func freeAddrs(n int) ([]string, error) {
	var out []string
	for len(out) < n {
		a, err := benchkit.FreeLoopbackAddr()
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out, nil
}

// registerTaskDefinition registers one small container (cpu 128, 256 MiB,
// as the scheduler-alone stage places) and returns "family:revision".
func registerTaskDefinition(ctx context.Context, c *ecs.Client) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(family),
		ContainerDefinitions: []types.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String("registry.example.com/shop/app:1.0"),
			Essential: aws.Bool(true), Cpu: 128, Memory: aws.Int32(256),
		}},
	})
	if err != nil {
		return "", fmt.Errorf("RegisterTaskDefinition: %w", err)
	}
	return fmt.Sprintf("%s:%d", family, out.TaskDefinition.Revision), nil
}

// report prints the end-to-end figures and returns their RESULT fields.
func (r *apiResult) report() string {
	etcd := "embedded"
	if r.externalEtcd {
		etcd = "external"
	}
	rate := float64(r.placed) / r.elapsed.Seconds()
	per10k := func(kib int64) float64 { return benchkit.MiB(kib) / float64(r.placed) * 10000 }
	fmt.Printf("end to end (etcd %s): %d tasks on %d simulated instances by RunTask from %d clients: %.2fs\n",
		etcd, r.placed, r.instances, r.clients, r.elapsed.Seconds())
	fmt.Printf("  %.0f tasks/s committed; RunTask p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", rate, ms(r.p50), ms(r.p99), ms(r.max))
	fmt.Printf("  CPU while placing: server %.0f%%, simulators %.0f%%, machine %.0f%% (of one core)\n",
		pct(r.serverCPU, r.elapsed), pct(r.simCPU, r.elapsed), pct(r.machineCPU, r.elapsed))
	// The whole pipeline's rate: placed, pushed to the agents, started,
	// reported RUNNING. Simulators that report later make RunTask
	// faster; this says whether the whole pipeline is.
	running := float64(r.placed) / (r.elapsed + r.allRunning).Seconds()
	fmt.Printf("  every task RUNNING %.1fs after the last RunTask (%.0f tasks/s from the first RunTask); the server quiet at %.1fs\n",
		r.allRunning.Seconds(), running, r.settled.Seconds())
	fmt.Printf("  server RSS %.0f MiB idle with the instances, %.0f MiB with the tasks RUNNING: %.1f MiB per 10,000 tasks\n",
		benchkit.MiB(r.rssIdle.RSS), benchkit.MiB(r.rssEnd.RSS), per10k(r.rssEnd.RSS-r.rssIdle.RSS))
	fmt.Printf("  server RSS split: anon %.0f → %.0f MiB, file %.0f → %.0f MiB; peak %.0f MiB; goroutines %d → %d\n",
		benchkit.MiB(r.rssIdle.Anon), benchkit.MiB(r.rssEnd.Anon), benchkit.MiB(r.rssIdle.File), benchkit.MiB(r.rssEnd.File),
		benchkit.MiB(r.rssEnd.HWM), r.goroutinesIdle, r.goroutinesEnd)
	if r.rssLater.RSS > 0 {
		fmt.Printf("  server RSS %s later: %.0f MiB (anon %.0f, file %.0f): %.1f MiB per 10,000 tasks\n", retainedAfter,
			benchkit.MiB(r.rssLater.RSS), benchkit.MiB(r.rssLater.Anon), benchkit.MiB(r.rssLater.File), per10k(r.rssLater.RSS-r.rssIdle.RSS))
	}
	rest := ""
	if r.rssEndRest.RSS > 0 {
		perRest := per10k(r.rssEndRest.RSS - r.rssIdleRest.RSS)
		fmt.Printf("  at rest (%s quiet): server RSS %.0f MiB with the instances, %.0f MiB (anon %.0f, file %.0f) with the tasks: %.1f MiB per 10,000 tasks\n",
			r.rest, benchkit.MiB(r.rssIdleRest.RSS), benchkit.MiB(r.rssEndRest.RSS), benchkit.MiB(r.rssEndRest.Anon), benchkit.MiB(r.rssEndRest.File), perRest)
		rest = fmt.Sprintf(" server_rss_rest_mib_per_10k_tasks=%.1f", perRest)
	}
	if r.externalEtcd {
		fmt.Printf("  etcd RSS %.0f MiB idle, %.0f MiB with the tasks: %.1f MiB per 10,000 tasks\n",
			benchkit.MiB(r.etcdIdle.RSS), benchkit.MiB(r.etcdEnd.RSS), per10k(r.etcdEnd.RSS-r.etcdIdle.RSS))
	}
	fmt.Printf("  etcd database file: %.0f MiB\n", float64(r.etcdDBBytes)/(1<<20))
	offered := ""
	if r.rate > 0 {
		offered = fmt.Sprintf(" api_offered_tasks_per_s=%d", r.rate)
	}
	return fmt.Sprintf("api_etcd=%s api_clients=%d%s api_simulators=%s api_tasks=%d api_tasks_per_s=%.0f runtask_p50_ms=%.1f runtask_p99_ms=%.1f api_running_tasks_per_s=%.0f server_rss_mib_per_10k_tasks=%.1f",
		etcd, r.clients, offered, r.simClass, r.placed, rate, ms(r.p50), ms(r.p99), running, per10k(r.rssEnd.RSS-r.rssIdle.RSS)) + rest
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func pct(d, of time.Duration) float64 { return 100 * float64(d) / float64(of) }
