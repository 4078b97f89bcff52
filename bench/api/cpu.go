package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicksPerSecond is the unit of utime and stime in /proc/PID/stat
// (USER_HZ). It is 100 on every Linux architecture Go supports; reading it
// properly needs sysconf, which needs cgo.
const clockTicksPerSecond = 100

// cpuUsed is CPU time (user + system) of the two sides of a scenario, and
// of the whole machine.
type cpuUsed struct {
	server, client       time.Duration
	machine              time.Duration // all CPUs, every process (from /proc/stat)
	hasServer, hasClient bool
	hasMachine           bool
}

func (c cpuUsed) sub(o cpuUsed) cpuUsed {
	return cpuUsed{
		server: c.server - o.server, client: c.client - o.client, machine: c.machine - o.machine,
		hasServer: c.hasServer && o.hasServer, hasClient: c.hasClient && o.hasClient,
		hasMachine: c.hasMachine && o.hasMachine,
	}
}

// others is the CPU time used by everything but the scenario's server and
// client: other processes on the machine, which skew the measurement.
func (c cpuUsed) others() (time.Duration, bool) {
	if !c.hasMachine {
		return 0, false
	}
	return max(0, c.machine-c.server-c.client), true
}

// cpuMeter samples the CPU time of a scenario's server and client.
type cpuMeter struct {
	// serverPID is the server process; 0 means the server runs inside this
	// process (the etcd baseline), whose CPU then counts as the server's and
	// the client's is not separable.
	serverPID int
}

func (m *cpuMeter) sample() (cpuUsed, error) {
	machine, err := machineCPU()
	if err != nil {
		return cpuUsed{}, err
	}
	self, err := selfCPU()
	if err != nil {
		return cpuUsed{}, err
	}
	if m.serverPID == 0 {
		return cpuUsed{server: self, machine: machine, hasServer: true, hasMachine: true}, nil
	}
	srv, err := procCPU(m.serverPID)
	if err != nil {
		return cpuUsed{}, err
	}
	return cpuUsed{server: srv, client: self, machine: machine, hasServer: true, hasClient: true, hasMachine: true}, nil
}

// machineCPU is the busy time of all CPUs since boot: user, nice, system,
// irq and softirq from the first line of /proc/stat (guest time is part of
// user; idle, iowait and steal are not busy).
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

// selfCPU is this process's user + system CPU time.
func selfCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// procCPU is another process's user + system CPU time, from /proc.
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
