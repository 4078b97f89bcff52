package main

import (
	"time"

	"github.com/berth-org/berth/bench/internal/benchkit"
)

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
