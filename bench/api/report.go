package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// The goals for the 2-core machine.
const (
	goalReadsPerSecond  = 5000
	goalWritesPerSecond = 1000
	goalP99             = 20 * time.Millisecond
)

// report prints the table, ratios and goals, then the RESULT line last. It
// returns whether any call failed.
func report(w io.Writer, o options, results []result) (failed bool) {
	byKey := map[string]result{}
	for _, r := range results {
		byKey[r.key] = r
	}
	fmt.Fprintf(w, "berth API benchmark, %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "machine: %s\n", machine())
	fmt.Fprintf(w, "berth: %s\n", o.source)
	fmt.Fprintf(w, "each scenario: %s warm-up, then %s measured; every call bounded by %s\n\n", o.warmup, o.duration, callTimeout)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tclients\tcalls\terrors\treq/s\tp50 ms\tp99 ms\tmax ms\tconns\tserver CPU µs/call\tclient CPU µs/call\tCPU busy %\tothers %\t")
	for _, r := range results {
		conns := "-"
		if r.conns >= 0 {
			conns = fmt.Sprint(r.conns)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			r.name, r.concurrency, r.n, r.errors, r.rps(), ms(r.p50), ms(r.p99), ms(r.max), conns,
			cpuPerCall(r.cpu.server, r.cpu.hasServer, r.n), cpuPerCall(r.cpu.client, r.cpu.hasClient, r.n),
			busy(r), othersBusy(r))
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "\n(etcd rows: server CPU is the whole benchmark process, client and etcd together.)")
	fmt.Fprintln(w, "(CPU busy %: server + client CPU over the measured time, of all CPUs.)")
	fmt.Fprintln(w, "(others %: CPU used by other processes meanwhile, of all CPUs; above a few % the machine was not quiet.)")

	var kv []string
	add := func(k, format string, args ...any) { kv = append(kv, k+"="+fmt.Sprintf(format, args...)) }
	for _, r := range results {
		add(r.key+"_rps", "%.0f", r.rps())
		add(r.key+"_p50_ms", "%s", ms(r.p50))
		add(r.key+"_p99_ms", "%s", ms(r.p99))
		add(r.key+"_max_ms", "%s", ms(r.max))
		add(r.key+"_errors", "%d", r.errors)
		if r.cpu.hasServer && r.n > 0 {
			add(r.key+"_server_cpu_us", "%s", cpuPerCall(r.cpu.server, true, r.n))
		}
		if r.cpu.hasClient && r.n > 0 {
			add(r.key+"_client_cpu_us", "%s", cpuPerCall(r.cpu.client, true, r.n))
		}
		if o := othersBusy(r); o != "-" {
			add(r.key+"_others_cpu_pct", "%s", o)
		}
	}

	c := fmt.Sprintf("c%d", o.clients)
	ratios := [][2]string{
		{"describe_c1", "etcd_get_c1"},
		{"describe_" + c, "etcd_get_" + c},
		{"register_c1", "etcd_put_c1"},
		{"register_" + c, "etcd_put_" + c},
		{"register_" + c + "_onefamily", "etcd_put_" + c},
		{"describe_c1", "null_c1"},
		{"describe_" + c, "null_" + c},
	}
	fmt.Fprintln(w, "\nthroughput against the baselines of this run:")
	for _, p := range ratios {
		num, ok1 := byKey[p[0]]
		den, ok2 := byKey[p[1]]
		if !ok1 || !ok2 || den.rps() == 0 {
			continue
		}
		base := strings.TrimSuffix(strings.TrimSuffix(p[1], "_c1"), "_"+c)
		k := p[0] + "_vs_" + base
		ratio := num.rps() / den.rps()
		fmt.Fprintf(w, "  %-36s %6.3f  (%.0f / %.0f req/s)\n", k, ratio, num.rps(), den.rps())
		add(k, "%.3f", ratio)
	}

	fmt.Fprintln(w, "\ngoals (2-core machine):")
	if r, ok := byKey["describe_"+c]; ok {
		met := r.rps() >= goalReadsPerSecond
		fmt.Fprintf(w, "  reads  >= %d/s  (describe-%s):  %.0f/s  %s\n", goalReadsPerSecond, c, r.rps(), metWord(met))
		add("goal_reads_met", "%t", met)
	}
	if r, ok := byKey["register_"+c]; ok {
		met := r.rps() >= goalWritesPerSecond
		fmt.Fprintf(w, "  writes >= %d/s  (register-%s):  %.0f/s  %s\n", goalWritesPerSecond, c, r.rps(), metWord(met))
		add("goal_writes_met", "%t", met)
	}
	var worst result
	seen := false
	for _, k := range []string{"describe_c1", "describe_" + c, "register_c1", "register_" + c} {
		if r, ok := byKey[k]; ok && (!seen || r.p99 > worst.p99) {
			worst, seen = r, true
		}
	}
	if seen {
		met := worst.p99 <= goalP99
		fmt.Fprintf(w, "  p99 <= %s  (worst of describe/register c1/%s: %s):  %s ms  %s\n", goalP99, c, worst.name, ms(worst.p99), metWord(met))
		add("goal_p99_met", "%t", met)
	}

	total := 0
	for _, r := range results {
		total += r.errors
		if r.errors > 0 {
			fmt.Fprintf(w, "\n%s: %d failed call(s); first: %v\n", r.name, r.errors, r.firstErr)
		}
	}
	add("errors", "%d", total)
	add("nproc", "%d", runtime.NumCPU())
	fmt.Fprintln(w)
	fmt.Fprintln(w, "RESULT "+strings.Join(kv, " "))
	return total > 0
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

func cpuPerCall(d time.Duration, ok bool, n int) string {
	if !ok || n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(d)/float64(time.Microsecond)/float64(n))
}

func busy(r result) string {
	if r.elapsed <= 0 || (!r.cpu.hasServer && !r.cpu.hasClient) {
		return "-"
	}
	return fmt.Sprintf("%.0f", 100*float64(r.cpu.server+r.cpu.client)/float64(r.elapsed)/float64(runtime.NumCPU()))
}

func othersBusy(r result) string {
	o, ok := r.cpu.others()
	if !ok || r.elapsed <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", 100*float64(o)/float64(r.elapsed)/float64(runtime.NumCPU()))
}

func metWord(met bool) string {
	if met {
		return "MET"
	}
	return "NOT MET"
}
