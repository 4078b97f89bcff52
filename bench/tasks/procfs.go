package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/berth-org/berth/bench/internal/benchkit"
)

// memInfo is a process's memory from /proc/PID/status, in KiB: VmRSS is
// the resident set (RssAnon, mostly the Go heap and stacks, plus RssFile,
// the pages of the executable and other files in use), VmHWM the peak
// VmRSS since the process started.
type memInfo struct {
	rss, anon, file, hwm int64
}

// readMem reads pid's memInfo.
func readMem(pid int) (memInfo, error) {
	path := "/proc/" + strconv.Itoa(pid) + "/status"
	raw, err := os.ReadFile(path)
	if err != nil {
		return memInfo{}, err
	}
	var m memInfo
	fields := map[string]*int64{"VmRSS": &m.rss, "RssAnon": &m.anon, "RssFile": &m.file, "VmHWM": &m.hwm}
	for line := range strings.SplitSeq(string(raw), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		dst := fields[name]
		if !ok || dst == nil {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return memInfo{}, fmt.Errorf("%s: unexpected %s line %q", path, name, line)
		}
		if *dst, err = strconv.ParseInt(f[0], 10, 64); err != nil {
			return memInfo{}, fmt.Errorf("%s: %w", path, err)
		}
		delete(fields, name)
	}
	if len(fields) > 0 {
		return memInfo{}, fmt.Errorf("%s: %d of VmRSS, RssAnon, RssFile, VmHWM missing", path, len(fields))
	}
	return m, nil
}

// mib converts KiB to MiB.
func mib(kib int64) float64 { return float64(kib) / 1024 }

// cpuSample is the CPU time used so far by the server, the agent and the
// whole machine. Differences of two samples say what a scenario cost.
type cpuSample struct {
	at                     time.Time
	server, agent, machine time.Duration
}

// sampleCPU reads the CPU counters. A process that cannot be read (it
// died) reads as zero; the caller notices the death separately.
func sampleCPU(serverPID, agentPID int) cpuSample {
	s := cpuSample{at: time.Now()}
	s.server, _ = benchkit.ProcCPU(serverPID)
	s.agent, _ = benchkit.ProcCPU(agentPID)
	s.machine, _ = benchkit.MachineCPU()
	return s
}

// cpuSpent is what happened between two samples.
type cpuSpent struct {
	wall                   time.Duration
	server, agent, machine time.Duration
}

// plus adds o's times to c, to total several intervals.
func (c cpuSpent) plus(o cpuSpent) cpuSpent {
	return cpuSpent{wall: c.wall + o.wall, server: c.server + o.server, agent: c.agent + o.agent, machine: c.machine + o.machine}
}

func (s cpuSample) since(start cpuSample) cpuSpent {
	return cpuSpent{wall: s.at.Sub(start.at), server: s.server - start.server,
		agent: s.agent - start.agent, machine: s.machine - start.machine}
}

// machineBusyPct is the machine's busy CPU over the interval, as a share
// of all its CPUs (100 = every CPU busy throughout).
func (c cpuSpent) machineBusyPct(ncpu int) float64 {
	if c.wall <= 0 || ncpu <= 0 {
		return 0
	}
	return 100 * float64(c.machine) / float64(c.wall) / float64(ncpu)
}
