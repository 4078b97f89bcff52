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
	ranFloor           bool
	swarm              swarmResult
	berth              berthResult
	floor              phase // the engine floor's create (floor.go)
}

// results is everything one run measured.
type results struct {
	started         time.Time
	engineVersion   string
	otherContainers int     // running containers on the engine before the rounds
	quietBusyPct    float64 // machine busy during quietWindow before the start
	rounds          []round
	swarmErr        benchkit.Failures
	berthErr        benchkit.Failures
	floorErr        benchkit.Failures
}

// phaseRow names one phase in the table and picks it from a round.
type phaseRow struct {
	name  string
	berth bool                      // the phase is berth's (it has a berth CPU figure)
	get   func(round) (phase, bool) // the phase, and whether its side ran
}

// report prints the table and goals, then the RESULT line last. It
// returns whether any measurement failed.
func report(w io.Writer, o options, r *results) (failed bool) {
	fmt.Fprintf(w, "berth services benchmark vs Docker Swarm, %s\n", r.started.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "machine: %s\n", machine())
	if o.berth() {
		fmt.Fprintf(w, "berth: %s; %d agents\n", o.source, o.agents)
	}
	fmt.Fprintf(w, "docker: Engine %s; other running containers: %d; machine CPU busy before the start: %.0f %%\n",
		r.engineVersion, r.otherContainers, r.quietBusyPct)
	alternating := ""
	if o.swarm() && o.berth() {
		alternating = ", sides alternating"
	}
	fmt.Fprintf(w, "%d replicas of %s running %q; %d warm-up replicas; %d round(s)%s; polled every %s\n",
		o.replicas, testImage, strings.Join(taskCommand, " "), o.warmup, o.rounds, alternating, pollInterval)
	if o.swarm() {
		fmt.Fprintf(w, "swarm: %s\n", shellWords(createArgs(o, "NAME", "IMAGE_ID")))
		fmt.Fprintf(w, "       %s\n", shellWords(swarmDefaultUpdate.args("NAME")))
		if o.startFirst {
			fmt.Fprintf(w, "       %s\n", shellWords(swarmStartFirstUpdate.args("NAME")))
		}
	}
	fmt.Fprintln(w)

	rows := phaseRows(o)
	printTable(w, r, rows)
	fmt.Fprintln(w, "(running: every task of the target revision seen running; steady: that, none of another revision running, and the orchestrator done —")
	fmt.Fprintln(w, " berth one deployment COMPLETED, Swarm UpdateStatus completed, which comes after Swarm's update monitor, 5 s by default.)")
	fmt.Fprintln(w, "(CPU columns: medians, from the call that starts the phase to steady; machine = every process, dockerd and containerd included.)")

	var res benchkit.Pairs
	f := medians(r, rows)
	resultPairs(f, &res)
	reportGoals(w, f, &res)
	errs := reportErrors(w, r)
	res.Add("errors", "%d", errs)
	res.Add("only", "%s", o.only)
	res.Add("rounds", "%d", o.rounds)
	res.Add("replicas", "%d", o.replicas)
	res.Add("agents", "%d", o.agents)
	res.Add("other_containers", "%d", r.otherContainers)
	res.Add("quiet_busy_pct", "%.0f", r.quietBusyPct)
	res.Add("nproc", "%d", runtime.NumCPU())
	fmt.Fprintln(w)
	fmt.Fprintln(w, res.Line())
	return errs > 0
}

// The table's phases, in the order of the RESULT line's keys.
const (
	rowSwarmCreate = iota
	rowBerthCreate
	rowSwarmUpdate
	rowBerthUpdate
	rowSwarmStartFirst
	rowFloorCreate
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
		rowFloorCreate: {fmt.Sprintf("Engine API alone: create + start, %d at a time", floorWorkers), false,
			func(rd round) (phase, bool) { return rd.floor, rd.ranFloor }},
	}
	return rows
}

// printTable prints one line per phase and criterion, a column per round.
func printTable(w io.Writer, r *results, rows []phaseRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := "phase\tuntil\t"
	for i, rd := range r.rounds {
		first := ""
		switch {
		case rd.ranSwarm && rd.ranBerth && rd.berthFirst:
			first = " (berth first)"
		case rd.ranSwarm && rd.ranBerth:
			first = " (Swarm first)"
		}
		header += fmt.Sprintf("round %d%s s\t", i+1, first)
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
				line += benchkit.Secs(pick(ph, until)) + "\t"
			}
			line += benchkit.Secs(medianOf(r, row, until)) + "\t"
			if until == "steady" {
				line += cpuCells(medianCPU(r, row), row.berth)
			} else {
				line += "\t\t\t"
			}
			fmt.Fprintln(tw, line)
		}
	}
	_ = tw.Flush()
}

// cpuCells are the CPU columns of a steady row: NA when no round reached
// it, and no berth figure for Swarm, which runs inside dockerd.
func cpuCells(c cpuSpent, berth bool) string {
	if c.wall <= 0 {
		return "NA\tNA\tNA\t"
	}
	proc := ""
	if berth {
		proc = fmt.Sprintf("%.1f", c.proc.Seconds())
	}
	return fmt.Sprintf("%.1f\t%s\t%.0f\t", c.machine.Seconds(), proc, c.machineBusyPct())
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
func resultPairs(f figures, res *benchkit.Pairs) {
	res.Add("swarm_create_s", "%s", benchkit.Secs(f.steady[rowSwarmCreate]))
	res.Add("berth_create_s", "%s", benchkit.Secs(f.steady[rowBerthCreate]))
	res.Add("create_ratio", "%s", benchkit.Ratio(f.steady[rowBerthCreate], f.steady[rowSwarmCreate]))
	res.Add("swarm_update_s", "%s", benchkit.Secs(f.steady[rowSwarmUpdate]))
	res.Add("berth_update_s", "%s", benchkit.Secs(f.steady[rowBerthUpdate]))
	res.Add("update_ratio", "%s", benchkit.Ratio(f.steady[rowBerthUpdate], f.steady[rowSwarmUpdate]))
	res.Add("swarm_update_start_first_s", "%s", benchkit.Secs(f.steady[rowSwarmStartFirst]))
	res.Add("update_ratio_start_first", "%s", benchkit.Ratio(f.steady[rowBerthUpdate], f.steady[rowSwarmStartFirst]))
	for i, key := range [rowFloorCreate]string{"swarm_create", "berth_create", "swarm_update", "berth_update", "swarm_update_start_first"} {
		res.Add(key+"_running_s", "%s", benchkit.Secs(f.running[i]))
	}
	floor := f.running[rowFloorCreate]
	res.Add("floor_create_s", "%s", benchkit.Secs(floor))
	res.Add("floor_ratio", "%s", benchkit.Ratio(floor, f.running[rowSwarmCreate]))
	res.Add("berth_running_over_floor", "%s", benchkit.Ratio(f.running[rowBerthCreate], floor))
}

// reportGoals prints whether berth met the goal ratio on create and on
// the rolling update (against Swarm's default update config, as the
// issue states it), and adds the verdicts to res.
func reportGoals(w io.Writer, f figures, res *benchkit.Pairs) {
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
			g.name, goalRatio, benchkit.Secs(g.berth), benchkit.Secs(g.swarm), benchkit.Ratio(g.berth, g.swarm), benchkit.MetWord(met, known))
		res.Add(g.key, "%s", benchkit.GoalValue(met, known))
	}
	if floor, sw := f.running[rowFloorCreate], f.running[rowSwarmCreate]; floor > 0 && sw > 0 {
		fmt.Fprintf(w, "  engine floor: the Engine API alone starts the same containers in %s s, %s × Swarm's create;\n"+
			"    no orchestrator on this engine can start them faster (berth, all running: %s × the floor)\n",
			benchkit.Secs(floor), benchkit.Ratio(floor, sw), benchkit.Ratio(f.running[rowBerthCreate], floor))
	}
}

// reportErrors prints the first failure of each side and returns the
// total.
func reportErrors(w io.Writer, r *results) int {
	for _, e := range []struct {
		name string
		f    benchkit.Failures
	}{{"Swarm", r.swarmErr}, {"berth", r.berthErr}, {"engine floor", r.floorErr}} {
		if e.f.N > 0 {
			fmt.Fprintf(w, "\n%s: %d failed measurement(s); first: %v\n", e.name, e.f.N, e.f.First)
		}
	}
	return r.swarmErr.N + r.berthErr.N + r.floorErr.N
}

// machine describes where the benchmark ran, for the report header.
func machine() string {
	return fmt.Sprintf("%d CPUs, %s %s/%s", runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
