package ecs

import (
	"slices"
	"strconv"

	"github.com/berth-org/berth/internal/wire"
)

// Requirements is what a task holds on its container instance: CPU units,
// MiB of memory, and the fixed host ports its containers publish. Dynamic
// host ports (hostPort 0 or absent in bridge mode) are not reserved, as in
// ECS: the agent picks them from the ephemeral range at start.
type Requirements struct {
	CPU      int32    `json:"cpu"`
	Memory   int32    `json:"memory"`
	Ports    []string `json:"ports,omitempty"`
	PortsUDP []string `json:"portsUdp,omitempty"`
}

// Placement failure reasons ECS reports in RunTask's failures.
const (
	ReasonAgent         = "AGENT"
	ReasonResourceCPU   = "RESOURCE:CPU"
	ReasonResourceMem   = "RESOURCE:MEMORY"
	ReasonResourcePorts = "RESOURCE:PORTS"
	ReasonResourceUDP   = "RESOURCE:PORTS_UDP"
	ReasonMissing       = "MISSING"
	ReasonInactive      = "INACTIVE"
)

// TaskRequirements computes what a task of def with its containers (after
// overrides) holds. With task-level cpu or memory (or their overrides) that
// figure is the hold; otherwise the containers' sum, where a container's
// memory hold is its memoryReservation when set, else its memory, as the
// ECS scheduler reserves it.
//
// Worked example: containers {cpu 256, memory 512} and {cpu 128,
// memoryReservation 128, memory 1024}, no task-level values: CPU 384,
// MEMORY 640.
func TaskRequirements(def *wire.TaskDefinition, containers []wire.ContainerDefinition, ov *wire.TaskOverride) Requirements {
	var r Requirements
	for _, c := range containers {
		if c.Cpu != nil {
			r.CPU += *c.Cpu
		}
		switch {
		case c.MemoryReservation != nil:
			r.Memory += *c.MemoryReservation
		case c.Memory != nil:
			r.Memory += *c.Memory
		}
		for _, pm := range c.PortMappings {
			port := hostPortOf(def.NetworkMode, pm)
			if port == 0 {
				continue
			}
			p := strconv.Itoa(int(port))
			if pm.Protocol == wire.TransportProtocolUdp {
				r.PortsUDP = append(r.PortsUDP, p)
			} else {
				r.Ports = append(r.Ports, p)
			}
		}
	}
	if v, ok := intString(def.Cpu); ok {
		r.CPU = v
	}
	if v, ok := intString(def.Memory); ok {
		r.Memory = v
	}
	if ov != nil {
		if v, ok := intString(ov.Cpu); ok {
			r.CPU = v
		}
		if v, ok := intString(ov.Memory); ok {
			r.Memory = v
		}
	}
	return r
}

// hostPortOf is the fixed host port a mapping reserves: its hostPort, or in
// host mode its containerPort.
func hostPortOf(mode wire.NetworkMode, pm wire.PortMapping) int32 {
	if pm.HostPort != nil && *pm.HostPort > 0 {
		return *pm.HostPort
	}
	if mode == wire.NetworkModeHost && pm.ContainerPort != nil {
		return *pm.ContainerPort
	}
	return 0
}

func intString(s *string) (int32, bool) {
	if s == nil {
		return 0, false
	}
	v, err := strconv.ParseInt(*s, 10, 32)
	return int32(v), err == nil
}

// Fits reports whether r fits in what the instance has remaining, and if
// not, the ECS reason for the first resource that does not fit.
func (i *ContainerInstance) Fits(r Requirements) (bool, string) {
	if !i.AgentConnected {
		return false, ReasonAgent
	}
	if rem := findResource(i.Remaining, ResourceCPU); rem != nil && intValue(rem) < r.CPU {
		return false, ReasonResourceCPU
	}
	if rem := findResource(i.Remaining, ResourceMemory); rem != nil && intValue(rem) < r.Memory {
		return false, ReasonResourceMem
	}
	if used := findResource(i.Remaining, ResourcePorts); used != nil && overlaps(used.StringSetValue, r.Ports) {
		return false, ReasonResourcePorts
	}
	if used := findResource(i.Remaining, ResourcePortsUDP); used != nil && overlaps(used.StringSetValue, r.PortsUDP) {
		return false, ReasonResourceUDP
	}
	if hasDuplicates(r.Ports) {
		return false, ReasonResourcePorts
	}
	if hasDuplicates(r.PortsUDP) {
		return false, ReasonResourceUDP
	}
	return true, ""
}

// Hold subtracts r from the instance's remaining resources; the caller has
// checked Fits. Release gives it back when the task stops.
func (i *ContainerInstance) Hold(r Requirements) { i.adjust(r, -1) }

// Release returns what Hold took.
func (i *ContainerInstance) Release(r Requirements) { i.adjust(r, +1) }

func (i *ContainerInstance) adjust(r Requirements, sign int32) {
	out := make([]wire.Resource, len(i.Remaining))
	for k, res := range i.Remaining {
		out[k] = res
		switch str(res.Name) {
		case ResourceCPU:
			v := intValue(&res) + sign*r.CPU
			out[k].IntegerValue = &v
		case ResourceMemory:
			v := intValue(&res) + sign*r.Memory
			out[k].IntegerValue = &v
		case ResourcePorts:
			out[k].StringSetValue = adjustSet(res.StringSetValue, r.Ports, sign)
		case ResourcePortsUDP:
			out[k].StringSetValue = adjustSet(res.StringSetValue, r.PortsUDP, sign)
		}
	}
	i.Remaining = out
	i.Version++
}

// adjustSet adds the ports a task takes (sign −1: they leave what is free,
// which ECS reports as joining the in-use set) or removes them on release.
func adjustSet(set, ports []string, sign int32) []string {
	if sign < 0 {
		return setUnion(set, ports)
	}
	return setDiff(set, ports)
}

func overlaps(a, b []string) bool {
	for _, s := range b {
		if slices.Contains(a, s) {
			return true
		}
	}
	return false
}

func hasDuplicates(ports []string) bool {
	for i, p := range ports {
		if slices.Contains(ports[i+1:], p) {
			return true
		}
	}
	return false
}
