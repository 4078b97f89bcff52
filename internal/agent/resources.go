package agent

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

// reservedMemoryMiB is what the agent keeps back from a machine's memory
// for the operating system, Docker Engine and itself when --memory is not
// given. ECS's own agent reserves nothing by default (ECS_RESERVED_MEMORY
// = 0) and leaves operators to discover OOM kills of the host; 256 MiB
// keeps a fully packed small machine usable.
const reservedMemoryMiB = 256

// reservedPorts are the TCP ports no task may take, as the ECS agent
// registers them: SSH, the Docker daemon, and the ECS agent's
// introspection and credentials ports.
var reservedPorts = []string{"22", "2375", "2376", "51678", "51679"}

// totalResources is what the instance registers: 1024 CPU units per core,
// memory in MiB, and the reserved ports.
func totalResources(cpus, memoryMiB int) []wire.Resource {
	cpu, mem := int32(cpus*1024), int32(memoryMiB)
	integer := "INTEGER"
	set := "STRINGSET"
	return []wire.Resource{
		{Name: ptr(ecs.ResourceCPU), Type: &integer, IntegerValue: &cpu},
		{Name: ptr(ecs.ResourceMemory), Type: &integer, IntegerValue: &mem},
		{Name: ptr(ecs.ResourcePorts), Type: &set, StringSetValue: reservedPorts},
		{Name: ptr(ecs.ResourcePortsUDP), Type: &set, StringSetValue: []string{}},
	}
}

// machineMemoryMiB reads MemTotal from /proc/meminfo.
func machineMemoryMiB() (int, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kib, err := strconv.Atoi(fields[1])
			if err != nil {
				return 0, fmt.Errorf("parse MemTotal: %w", err)
			}
			return kib / 1024, nil
		}
	}
	return 0, fmt.Errorf("no MemTotal in /proc/meminfo")
}

// cpuArchitecture is ecs.cpu-architecture's value: x86_64 or arm64, as
// ECS reports it.
func cpuArchitecture() string {
	if runtime.GOARCH == "amd64" {
		return "x86_64"
	}
	return runtime.GOARCH
}

// attributes are the built-in ecs.* attributes, the capability attributes
// of an engine speaking Docker API version api (capabilities), and the
// custom ones, sorted by name. A custom attribute replaces the built-in or
// capability of its name; given an empty value, it removes it.
func attributes(cfg Config, api string) []wire.Attribute {
	values := map[string]string{
		"ecs.os-type":           "linux",
		"ecs.os-family":         "LINUX",
		"ecs.cpu-architecture":  cpuArchitecture(),
		"ecs.instance-type":     cfg.InstanceType,
		"ecs.availability-zone": cfg.AvailabilityZone,
	}
	maps.Copy(values, cfg.Attributes)
	var out []wire.Attribute
	for k, v := range values {
		if v != "" {
			out = append(out, wire.Attribute{Name: ptr(k), Value: ptr(v)})
		}
	}
	for _, name := range capabilities(api, cfg.AllowPrivileged) {
		if _, custom := values[name]; !custom {
			out = append(out, wire.Attribute{Name: ptr(name)}) // name-only, as ECS's
		}
	}
	slices.SortFunc(out, func(a, b wire.Attribute) int { return strings.Compare(*a.Name, *b.Name) })
	return out
}

func ptr[T any](v T) *T { return &v }
