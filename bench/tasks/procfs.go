package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicksPerSecond is the unit of utime and stime in /proc/PID/stat
// (USER_HZ). It is 100 on every Linux architecture Go supports; reading it
// properly needs sysconf, which needs cgo.
const clockTicksPerSecond = 100

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

// procCPU is a process's user + system CPU time, from /proc/PID/stat.
func procCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may contain spaces;
	// the fields after the last ')' start at field 3 (state).
	s := string(raw)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	f := strings.Fields(s[i+1:])
	const utimeIdx, stimeIdx = 14 - 3, 15 - 3
	if len(f) <= stimeIdx {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	ut, err1 := strconv.ParseInt(f[utimeIdx], 10, 64)
	st, err2 := strconv.ParseInt(f[stimeIdx], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: malformed times", pid)
	}
	return time.Duration(ut+st) * time.Second / clockTicksPerSecond, nil
}

// machineCPU is the busy time of all CPUs since boot: user, nice, system,
// irq and softirq from the first line of /proc/stat (idle, iowait and
// steal are not busy).
func machineCPU() (time.Duration, error) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7} { // user nice system irq softirq
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicksPerSecond, nil
}

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
	s.server, _ = procCPU(serverPID)
	s.agent, _ = procCPU(agentPID)
	s.machine, _ = machineCPU()
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
