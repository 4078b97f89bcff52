package main

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/berth-org/berth/bench/internal/benchkit"
)

// The goals.
const (
	// goalOneTaskOverhead: a task's p50 RunTask → RUNNING is at most this
	// much slower than the p50 of a raw 'docker run -d'.
	goalOneTaskOverhead = 100 * time.Millisecond
	// goalFiftyRatio: 50 tasks are RUNNING within this multiple of the time
	// 50 raw 'docker run -d' take.
	goalFiftyRatio = 1.5
	// goalAgentRSSMiB: the agent's resident memory with 50 tasks running.
	goalAgentRSSMiB = 40
)

// results is everything one run measured.
type results struct {
	started         time.Time
	runID           string
	dockerVersion   string
	quietBusyPct    float64          // machine busy during quietWindow before the start
	otherContainers int              // other users' running containers at the start
	memIdle         benchkit.MemInfo // the agent's, after registration, before any task
	memEnd          benchkit.MemInfo // the agent's at the end (its VmHWM is the peak)
	one             *oneTaskResult
	fifty           *fiftyResult
}

// kv collects the RESULT line's key=value pairs in order.
type kv []string

func (k *kv) add(key, format string, args ...any) {
	*k = append(*k, key+"="+fmt.Sprintf(format, args...))
}

// report prints the tables and goals, then the RESULT line last. It
// returns whether any call failed.
func report(w io.Writer, o options, r *results) (failed bool) {
	fmt.Fprintf(w, "berth task start benchmark, %s\n", r.started.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "machine: %s\n", machine())
	fmt.Fprintf(w, "berth: %s\n", o.source)
	fmt.Fprintf(w, "docker: Engine %s; other running containers on it at the start: %d; machine CPU busy before the start: %.0f %%\n",
		r.dockerVersion, r.otherContainers, r.quietBusyPct)
	fmt.Fprintf(w, "1 task: %d warm-up + %d measured iterations, DescribeTasks polled every %s; 50 tasks: %d round(s), Docker baselines on %d workers\n\n",
		warmupIterations, o.iterations, onePollInterval, o.rounds, o.dockerWorkers)

	var res kv
	reportOne(w, r.one, &res)
	reportFifty(w, o, r.fifty, &res)
	mem50 := maxRSS(r.fifty)
	rss50 := mem50.RSS
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "agent memory, MiB\tVmRSS\tRssAnon\tRssFile\t")
	fmt.Fprintf(tw, "idle, before any task\t%.1f\t%.1f\t%.1f\t\n", benchkit.MiB(r.memIdle.RSS), benchkit.MiB(r.memIdle.Anon), benchkit.MiB(r.memIdle.File))
	fmt.Fprintf(tw, "50 tasks RUNNING (highest round)\t%s\t%s\t%s\t\n", mibOrNA(mem50.RSS), mibOrNA(mem50.Anon), mibOrNA(mem50.File))
	peak := max(r.memEnd.HWM, mem50.RSS) // the kernel updates VmHWM lazily
	fmt.Fprintf(tw, "peak over the run (VmHWM)\t%.1f\t\t\t\n", benchkit.MiB(peak))
	_ = tw.Flush()
	fmt.Fprintln(w, "(VmRSS = RssAnon (heap, stacks) + RssFile (executable and other mapped files).)")
	res.add("agent_rss_idle_mib", "%.1f", benchkit.MiB(r.memIdle.RSS))
	res.add("agent_rss_50_mib", "%s", mibOrNA(rss50))
	res.add("agent_rss_peak_mib", "%.1f", benchkit.MiB(peak))
	res.add("agent_anon_idle_mib", "%.1f", benchkit.MiB(r.memIdle.Anon))
	res.add("agent_anon_50_mib", "%s", mibOrNA(mem50.Anon))

	reportGoals(w, r, rss50, &res)
	errs := reportErrors(w, r)
	res.add("errors", "%d", errs)
	res.add("iterations", "%d", o.iterations)
	res.add("rounds", "%d", o.rounds)
	res.add("docker_workers", "%d", o.dockerWorkers)
	res.add("other_containers", "%d", r.otherContainers)
	res.add("quiet_busy_pct", "%.0f", r.quietBusyPct)
	res.add("nproc", "%d", runtime.NumCPU())
	fmt.Fprintln(w)
	fmt.Fprintln(w, "RESULT "+strings.Join(res, " "))
	return errs > 0
}

func reportOne(w io.Writer, one *oneTaskResult, res *kv) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "1 task\tn\terrors\tp50 ms\tp99 ms\tmin ms\tmax ms\tmean ms\t")
	rows := []struct {
		name string
		d    []time.Duration
		errs int
	}{
		{"berth: RunTask → RUNNING seen", one.berth, one.berthErr.n},
		{"docker run -d (CLI)", one.dockerCLI, one.cliErr.n},
		{"Engine API create + start", one.dockerAPI, one.apiErr.n},
		{"berth: the RunTask call alone", one.runTaskCall, 0},
	}
	for _, row := range rows {
		s := summarize(row.d)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t\n", row.name, len(row.d), row.errs, ms(s.p50), ms(s.p99), ms(s.min), ms(s.max), ms(s.mean))
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "(p99 is nearest-rank: with 20 samples it is the slowest one.)")

	fmt.Fprintln(w, "\nberth's RunTask → RUNNING by phase, from the task's own timestamps (ms precision):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  phase\tp50 ms\tp99 ms\tmean ms")
	for p := range numPhases {
		s := summarize(one.phases[p])
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", phaseNames[p], ms(s.p50), ms(s.p99), ms(s.mean))
	}
	_ = tw.Flush()

	b, cli, api := summarize(one.berth), summarize(one.dockerCLI), summarize(one.dockerAPI)
	fmt.Fprintf(w, "\nberth − docker run -d (the baseline of the goal): p50 %+.1f ms (ratio %s), p99 %+.1f ms\n",
		msf(b.p50-cli.p50), benchkit.Ratio(b.p50, cli.p50), msf(b.p99-cli.p99))
	fmt.Fprintf(w, "berth − Engine API create + start: p50 %+.1f ms (ratio %s), p99 %+.1f ms\n",
		msf(b.p50-api.p50), benchkit.Ratio(b.p50, api.p50), msf(b.p99-api.p99))
	if n := len(one.berth); n > 0 {
		fmt.Fprintf(w, "CPU from RunTask to RUNNING seen (the poller's DescribeTasks included): server %.1f ms/task, agent %.1f ms/task; machine %.0f %% busy meanwhile\n",
			msf(one.cpu.server)/float64(n), msf(one.cpu.agent)/float64(n), one.cpu.machineBusyPct(runtime.NumCPU()))
	}

	res.add("one_task_p50_ms", "%s", ms(b.p50))
	res.add("one_task_p99_ms", "%s", ms(b.p99))
	res.add("docker_run_p50_ms", "%s", ms(cli.p50))
	res.add("docker_run_p99_ms", "%s", ms(cli.p99))
	res.add("docker_api_p50_ms", "%s", ms(api.p50))
	res.add("docker_api_p99_ms", "%s", ms(api.p99))
	res.add("one_task_minus_docker_p50_ms", "%.1f", msf(b.p50-cli.p50))
	res.add("one_task_ratio_p50", "%s", benchkit.Ratio(b.p50, cli.p50))
	res.add("one_task_minus_docker_api_p50_ms", "%.1f", msf(b.p50-api.p50))
	for p, key := range [numPhases]string{"phase_deliver", "phase_pull", "phase_start", "phase_report"} {
		res.add(key+"_p50_ms", "%s", ms(summarize(one.phases[p]).p50))
	}
}

func reportFifty(w io.Writer, o options, f *fiftyResult, res *kv) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "50 tasks\tberth s\tdocker run -d ×50, %d workers s\tAPI ×50, %d workers s\tdocker run -d ×50 sequential s\tberth / docker run\tagent RSS MiB\tagent CPU ms\tserver CPU ms\tmachine busy %%\t\n",
		o.dockerWorkers, o.dockerWorkers)
	var berth, cli, api, seq []time.Duration
	for i, r := range f.rounds {
		fmt.Fprintf(tw, "round %d\t%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t%.0f\t%.0f\t\n", i+1,
			benchkit.Secs(r.berth), benchkit.Secs(r.cli), benchkit.Secs(r.api), benchkit.Secs(r.seq), benchkit.Ratio(r.berth, r.cli), mibOrNA(r.mem.RSS),
			msf(r.cpu.agent), msf(r.cpu.server), r.cpu.machineBusyPct(runtime.NumCPU()))
		berth, cli, api, seq = appendOK(berth, r.berth), appendOK(cli, r.cli), appendOK(api, r.api), appendOK(seq, r.seq)
	}
	mb, mc, ma, mq := median(berth), median(cli), median(api), median(seq)
	fmt.Fprintf(tw, "median\t%s\t%s\t%s\t%s\t%s\t\t\t\t\t\n", benchkit.Secs(mb), benchkit.Secs(mc), benchkit.Secs(ma), benchkit.Secs(mq), benchkit.Ratio(mb, mc))
	_ = tw.Flush()
	fmt.Fprintln(w, "(berth: first RunTask call start → all 50 seen RUNNING, polled every 20 ms; Docker: until the last of 50 returned.)")
	fmt.Fprintln(w, "(CPU columns: berth's burst only, from the first RunTask to all RUNNING.)")
	res.add("fifty_tasks_s", "%s", benchkit.Secs(mb))
	res.add("docker_run_50_s", "%s", benchkit.Secs(mc))
	res.add("docker_api_50_s", "%s", benchkit.Secs(ma))
	res.add("docker_run_50_seq_s", "%s", benchkit.Secs(mq))
	res.add("fifty_ratio", "%s", benchkit.Ratio(mb, mc))
}

func reportGoals(w io.Writer, r *results, rss50 int64, res *kv) {
	b, cli := summarize(r.one.berth), summarize(r.one.dockerCLI)
	var berth, docker []time.Duration
	for _, rd := range r.fifty.rounds {
		berth, docker = appendOK(berth, rd.berth), appendOK(docker, rd.cli)
	}
	mb, mc := median(berth), median(docker)
	fmt.Fprintln(w, "\ngoals:")
	oneOK := b.n > 0 && cli.n > 0
	oneMet := oneOK && b.p50 <= cli.p50+goalOneTaskOverhead
	fmt.Fprintf(w, "  1 task p50 <= docker run -d p50 + %s:  %s <= %s + %s ms  %s\n",
		goalOneTaskOverhead, ms(b.p50), ms(cli.p50), ms(goalOneTaskOverhead), benchkit.MetWord(oneMet, oneOK))
	fiftyOK := mb > 0 && mc > 0
	fiftyMet := fiftyOK && float64(mb) <= goalFiftyRatio*float64(mc)
	fmt.Fprintf(w, "  50 tasks RUNNING <= %.1f × 50 docker run -d:  %s s <= %.1f × %s s (ratio %s)  %s\n",
		goalFiftyRatio, benchkit.Secs(mb), goalFiftyRatio, benchkit.Secs(mc), benchkit.Ratio(mb, mc), benchkit.MetWord(fiftyMet, fiftyOK))
	rssOK := rss50 > 0
	rssMet := rssOK && benchkit.MiB(rss50) <= goalAgentRSSMiB
	fmt.Fprintf(w, "  agent RSS with 50 tasks <= %d MiB:  %s MiB  %s\n", goalAgentRSSMiB, mibOrNA(rss50), benchkit.MetWord(rssMet, rssOK))
	res.add("goal_one_task_met", "%s", benchkit.GoalValue(oneMet, oneOK))
	res.add("goal_fifty_met", "%s", benchkit.GoalValue(fiftyMet, fiftyOK))
	res.add("goal_rss_met", "%s", benchkit.GoalValue(rssMet, rssOK))
}

// reportErrors prints the first failure of each kind and returns the total.
func reportErrors(w io.Writer, r *results) int {
	all := []struct {
		name string
		f    failures
	}{
		{"1 task, berth", r.one.berthErr}, {"1 task, docker run -d", r.one.cliErr}, {"1 task, Engine API", r.one.apiErr},
		{"50 tasks, berth", r.fifty.berthErr}, {"50 tasks, docker run -d", r.fifty.cliErr},
		{"50 tasks, Engine API", r.fifty.apiErr}, {"50 tasks, docker run -d sequential", r.fifty.seqErr},
	}
	total := 0
	for _, e := range all {
		total += e.f.n
		if e.f.n > 0 {
			fmt.Fprintf(w, "\n%s: %d failed attempt(s); first: %v\n", e.name, e.f.n, e.f.first)
		}
	}
	return total
}

// summary is the distribution of one measurement.
type summary struct {
	n                        int
	p50, p99, min, max, mean time.Duration
}

// summarize computes nearest-rank percentiles; an empty d gives n = 0.
func summarize(d []time.Duration) summary {
	if len(d) == 0 {
		return summary{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	var sum time.Duration
	for _, v := range s {
		sum += v
	}
	return summary{n: len(s), p50: percentile(s, 0.50), p99: percentile(s, 0.99), min: s[0], max: s[len(s)-1], mean: sum / time.Duration(len(s))}
}

// percentile is the nearest-rank percentile of sorted, non-empty d: the
// smallest value with at least p of the samples at or below it.
// Worked example: 20 samples, p = 0.99 → rank ceil(19.8) = 20, the largest.
func percentile(d []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p * float64(len(d))))
	return d[max(rank, 1)-1]
}

// median of d (the mean of the middle two for an even count); 0 when empty.
func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func appendOK(d []time.Duration, v time.Duration) []time.Duration {
	if v > 0 {
		return append(d, v)
	}
	return d
}

// maxRSS is the agent's memory in the round where its VmRSS was highest.
func maxRSS(f *fiftyResult) benchkit.MemInfo {
	var m benchkit.MemInfo
	for _, r := range f.rounds {
		if r.mem.RSS > m.RSS {
			m = r.mem
		}
	}
	return m
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", msf(d)) }

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mibOrNA(kib int64) string {
	if kib <= 0 {
		return "NA"
	}
	return fmt.Sprintf("%.1f", benchkit.MiB(kib))
}
