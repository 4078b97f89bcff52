package main

import (
	"fmt"
	"syscall"
	"time"

	"github.com/berth-org/berth/bench/internal/benchkit"
)

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
	machine, err := benchkit.MachineCPU()
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
	srv, err := benchkit.ProcCPU(m.serverPID)
	if err != nil {
		return cpuUsed{}, err
	}
	return cpuUsed{server: srv, client: self, machine: machine, hasServer: true, hasClient: true, hasMachine: true}, nil
}

// selfCPU is this process's user + system CPU time.
func selfCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
