package main

import (
	"cmp"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/berth-org/berth/bench/internal/benchkit"
)

// goalRatio is the goal: berth reaches steady state in at most
// this fraction of Swarm's time, on create and on the rolling update.
const goalRatio = 0.8

// swarmResult is one Swarm round; a zero phase was not reached.
type swarmResult struct {
	create     phase
	update     phase // Swarm's default update config
	startFirst phase // --update-parallelism 0 --update-order start-first
}

// berthResult is one berth round; a zero phase was not reached.
type berthResult struct {
	create, update phase
}

// round is one round of both sides.
type round struct {
	berthFirst         bool
	ranSwarm, ranBerth bool
	swarm              swarmResult
	berth              berthResult
}

// failures counts one side's failed measurements and keeps the first.
type failures struct {
	n     int
	first error
}

func (f *failures) add(err error) {
	if err == nil {
		return
	}
	if f.n == 0 {
		f.first = err
	}
	f.n++
}

// results is everything one run measured.
type results struct {
	started         time.Time
	engineVersion   string
	otherContainers int     // running containers on the engine at the start
	quietBusyPct    float64 // machine busy during quietWindow before the start
	rounds          []round
	swarmErr        failures
	berthErr        failures
}

// phaseRow names one phase in the table and picks it from a round.
type phaseRow struct {
	name  string
	berth bool                       // the phase is berth's (it has a berth CPU figure)
	get   func(round) (phase, bool) // the phase, and whether its side ran
}

// kv collects the RESULT line's key=value pairs in order.
type kv []string

func (k *kv) add(key, format string, args ...any) {
	*k = append(*k, key+"="+fmt.Sprintf(format, args...))
}

// report prints the table and goals, then the RESULT line last. It
// returns whether any measurement failed.
func report(w io.Writer, o options, r *results) (failed bool) {
	fmt.Fprintf(w, "berth services benchmark vs Docker Swarm, %s\n", r.started.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "machine: %s\n", machine())
	if o.berth() {
		fmt.Fprintf(w, "berth: %s; %d agents\n", o.source, o.agents)
	}
	fmt.Fprintf(w, "docker: Engine %s; running containers at the start: %d; machine CPU busy before the start: %.0f %%\n",
		r.engineVersion, r.otherContainers, r.quietBusyPct)
	fmt.Fprintf(w, "%d replicas of %s running %q; %d round(s), sides alternating; polled every %s\n",
		o.replicas, testImage, strings.Join(taskCommand, " "), o.rounds, pollInterval)
	if o.swarm() {
		fmt.Fprintf(w, "swarm: %s\n", swarmCommandLine(o))
	}
	fmt.Fprintln(w)

	rows := phaseRows(o)
	printTable(w, o, r, rows)
	fmt.Fprintln(w, "(running: every task of the target revision seen running; steady: that, none of another revision running, and the orchestrator done —")
	fmt.Fprintln(w, " berth one deployment COMPLETED, Swarm UpdateStatus completed, which comes after Swarm's update monitor, 5 s by default.)")
	fmt.Fprintln(w, "(CPU columns: medians, from the call that starts the phase to steady; machine = every process, dockerd and containerd included.)")

	var res kv
	f := medians(r, rows)
	resultPairs(f, &res)
	reportGoals(w, f, &res)
	errs := reportErrors(w, r)
	res.add("errors", "%d", errs)
	res.add("rounds", "%d", o.rounds)
	res.add("replicas", "%d", o.replicas)
	res.add("agents", "%d", o.agents)
	res.add("other_containers", "%d", r.otherContainers)
	res.add("quiet_busy_pct", "%.0f", r.quietBusyPct)
	res.add("nproc", "%d", runtime.NumCPU())
	fmt.Fprintln(w)
	fmt.Fprintln(w, "RESULT "+strings.Join(res, " "))
	return errs > 0
}

// The table's phases, in the order of the RESULT line's keys.
const (
	rowSwarmCreate = iota
	rowBerthCreate
	rowSwarmUpdate
	rowBerthUpdate
	rowSwarmStartFirst
	numRows
)

func phaseRows(o options) []phaseRow {
	rows := []phaseRow{
		rowSwarmCreate: {"Swarm: service create", false, func(rd round) (phase, bool) { return rd.swarm.create, rd.ranSwarm }},
		rowBerthCreate: {"berth: CreateService", true, func(rd round) (phase, bool) { return rd.berth.create, rd.ranBerth }},
		rowSwarmUpdate: {"Swarm: update, default (1 at a time, stop-first)", false, func(rd round) (phase, bool) { return rd.swarm.update, rd.ranSwarm }},
		rowBerthUpdate: {"berth: UpdateService (max 200 %, min 100 %)", true, func(rd round) (phase, bool) { return rd.berth.update, rd.ranBerth }},
		rowSwarmStartFirst: {"Swarm: update, all at once, start-first", false, func(rd round) (phase, bool) {
			return rd.swarm.startFirst, rd.ranSwarm && o.startFirst
		}},
	}
	return rows
}

// printTable prints one line per phase and criterion, a column per round.
func printTable(w io.Writer, o options, r *results, rows []phaseRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := "phase\tuntil\t"
	for i, rd := range r.rounds {
		first := "Swarm first"
		if rd.berthFirst {
			first = "berth first"
		}
		header += fmt.Sprintf("round %d (%s) s\t", i+1, first)
	}
	fmt.Fprintln(tw, header+"median s\tmachine CPU s\tberth CPU s\tmachine busy %\t")
	for _, row := range rows {
		if !ranAny(r, row) {
			continue
		}
		for _, until := range []string{"running", "steady"} {
			line := row.name + "\t" + until + "\t"
			for _, rd := range r.rounds {
				ph, _ := row.get(rd)
				line += secs(pick(ph, until)) + "\t"
			}
			line += secs(medianOf(r, row, until)) + "\t"
			if until == "steady" {
				c := medianCPU(r, row)
				proc := "" // Swarm runs inside dockerd: its CPU is the machine's
				if row.berth {
					proc = fmt.Sprintf("%.1f", c.proc.Seconds())
				}
				line += fmt.Sprintf("%.1f\t%s\t%.0f\t", c.machine.Seconds(), proc, c.machineBusyPct())
			} else {
				line += "\t\t\t"
			}
			fmt.Fprintln(tw, line)
		}
	}
	_ = tw.Flush()
}

func ranAny(r *results, row phaseRow) bool {
	for _, rd := range r.rounds {
		if _, ran := row.get(rd); ran {
			return true
		}
	}
	return false
}

func pick(ph phase, until string) time.Duration {
	if until == "running" {
		return ph.allRunning
	}
	return ph.steady
}

// medianOf is the median over the rounds where the phase was reached.
func medianOf(r *results, row phaseRow, until string) time.Duration {
	var d []time.Duration
	for _, rd := range r.rounds {
		if ph, ran := row.get(rd); ran && pick(ph, until) > 0 {
			d = append(d, pick(ph, until))
		}
	}
	return benchkit.Median(d)
}

// medianCPU is the CPU of the round whose steady time is the median (the
// lower middle one for an even count): one round's figures, consistent
// with each other.
func medianCPU(r *results, row phaseRow) cpuSpent {
	var reached []phase
	for _, rd := range r.rounds {
		if ph, ran := row.get(rd); ran && ph.steady > 0 {
			reached = append(reached, ph)
		}
	}
	if len(reached) == 0 {
		return cpuSpent{}
	}
	slices.SortFunc(reached, func(a, b phase) int { return cmp.Compare(a.steady, b.steady) })
	return reached[(len(reached)-1)/2].cpu
}

// figures are the medians of each row, from which the goals and the
// RESULT line are made.
type figures struct {
	steady, running [numRows]time.Duration
}

func medians(r *results, rows []phaseRow) figures {
	var f figures
	for i, row := range rows {
		f.steady[i], f.running[i] = medianOf(r, row, "steady"), medianOf(r, row, "running")
	}
	return f
}

// resultPairs adds the RESULT line's figures: the six first, then
// the start-first comparison and the "running" times.
func resultPairs(f figures, res *kv) {
	res.add("swarm_create_s", "%s", secs(f.steady[rowSwarmCreate]))
	res.add("berth_create_s", "%s", secs(f.steady[rowBerthCreate]))
	res.add("create_ratio", "%s", ratio(f.steady[rowBerthCreate], f.steady[rowSwarmCreate]))
	res.add("swarm_update_s", "%s", secs(f.steady[rowSwarmUpdate]))
	res.add("berth_update_s", "%s", secs(f.steady[rowBerthUpdate]))
	res.add("update_ratio", "%s", ratio(f.steady[rowBerthUpdate], f.steady[rowSwarmUpdate]))
	res.add("swarm_update_start_first_s", "%s", secs(f.steady[rowSwarmStartFirst]))
	res.add("update_ratio_start_first", "%s", ratio(f.steady[rowBerthUpdate], f.steady[rowSwarmStartFirst]))
	for i, key := range [numRows]string{"swarm_create", "berth_create", "swarm_update", "berth_update", "swarm_update_start_first"} {
		res.add(key+"_running_s", "%s", secs(f.running[i]))
	}
}

// reportGoals prints whether berth met the goal ratio on create and on
// the rolling update (against Swarm's default update config, as the
// issue states it), and adds the verdicts to res.
func reportGoals(w io.Writer, f figures, res *kv) {
	fmt.Fprintln(w, "\ngoals:")
	for _, g := range []struct {
		name, key    string
		berth, swarm time.Duration
	}{
		{"create", "goal_create_met", f.steady[rowBerthCreate], f.steady[rowSwarmCreate]},
		{"rolling update", "goal_update_met", f.steady[rowBerthUpdate], f.steady[rowSwarmUpdate]},
	} {
		known := g.berth > 0 && g.swarm > 0
		met := known && float64(g.berth) <= goalRatio*float64(g.swarm)
		fmt.Fprintf(w, "  %s: berth <= %.1f × Swarm:  %s s vs %s s (ratio %s)  %s\n",
			g.name, goalRatio, secs(g.berth), secs(g.swarm), ratio(g.berth, g.swarm), metWord(met, known))
		res.add(g.key, "%s", goalValue(met, known))
	}
}

// reportErrors prints the first failure of each side and returns the
// total.
func reportErrors(w io.Writer, r *results) int {
	for _, e := range []struct {
		name string
		f    failures
	}{{"Swarm", r.swarmErr}, {"berth", r.berthErr}} {
		if e.f.n > 0 {
			fmt.Fprintf(w, "\n%s: %d failed round(s); first: %v\n", e.name, e.f.n, e.f.first)
		}
	}
	return r.swarmErr.n + r.berthErr.n
}

// machine describes where the benchmark ran, for the report header.
func machine() string {
	return fmt.Sprintf("%d CPUs, %s %s/%s", runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// secs formats a duration in seconds; 0 (not reached or not run) is NA.
func secs(d time.Duration) string {
	if d <= 0 {
		return "NA"
	}
	return fmt.Sprintf("%.2f", d.Seconds())
}

func ratio(a, b time.Duration) string {
	if a <= 0 || b <= 0 {
		return "NA"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

func metWord(met, known bool) string {
	switch {
	case !known:
		return "UNKNOWN (no data)"
	case met:
		return "MET"
	}
	return "NOT MET"
}

func goalValue(met, known bool) string {
	if !known {
		return "NA"
	}
	return fmt.Sprint(met)
}
