package ecs

import (
	"slices"

	"github.com/berth-org/berth/internal/wire"
)

// ValidateOverrides checks a RunTask or StartTask overrides block against
// the task definition's containers.
func ValidateOverrides(def *wire.TaskDefinition, ov *wire.TaskOverride) error {
	if ov == nil {
		return nil
	}
	seen := map[string]bool{}
	for _, co := range ov.ContainerOverrides {
		name := str(co.Name)
		if name == "" {
			return InvalidParameter("Container overrides must name a container.")
		}
		if seen[name] {
			return InvalidParameter("Container override for %s is given more than once.", name)
		}
		seen[name] = true
		if !slices.ContainsFunc(def.ContainerDefinitions, func(c wire.ContainerDefinition) bool { return str(c.Name) == name }) {
			return InvalidParameter("Override for container named %s is not a container in the TaskDefinition.", name)
		}
		for _, v := range []*int32{co.Cpu, co.Memory, co.MemoryReservation} {
			if v != nil && *v < 0 {
				return InvalidParameter("Container override for %s has a negative cpu or memory value.", name)
			}
		}
		if len(co.EnvironmentFiles) > 0 || len(co.ResourceRequirements) > 0 {
			return Unsupported("environmentFiles and resourceRequirements overrides are not supported yet.")
		}
	}
	for _, s := range []*string{ov.Cpu, ov.Memory} {
		if s != nil {
			if v, ok := intString(s); !ok || v <= 0 {
				return InvalidParameter("Task override cpu and memory must be positive integers.")
			}
		}
	}
	return nil
}

// ApplyOverrides returns the task definition's containers with the
// overrides applied: command, cpu, memory and memoryReservation replace the
// definition's; environment variables are merged by name, the override's
// value winning.
func ApplyOverrides(def *wire.TaskDefinition, ov *wire.TaskOverride) []wire.ContainerDefinition {
	out := slices.Clone(def.ContainerDefinitions)
	if ov == nil {
		return out
	}
	for _, co := range ov.ContainerOverrides {
		for i := range out {
			if str(out[i].Name) != str(co.Name) {
				continue
			}
			c := &out[i]
			if co.Command != nil {
				c.Command = slices.Clone(co.Command)
			}
			if co.Cpu != nil {
				c.Cpu = co.Cpu
			}
			if co.Memory != nil {
				c.Memory = co.Memory
			}
			if co.MemoryReservation != nil {
				c.MemoryReservation = co.MemoryReservation
			}
			c.Environment = mergeEnvironment(c.Environment, co.Environment)
		}
	}
	return out
}

func mergeEnvironment(base, over []wire.KeyValuePair) []wire.KeyValuePair {
	if len(over) == 0 {
		return base
	}
	out := slices.Clone(base)
	for _, kv := range over {
		i := slices.IndexFunc(out, func(b wire.KeyValuePair) bool { return str(b.Name) == str(kv.Name) })
		if i >= 0 {
			out[i].Value = kv.Value
		} else {
			out = append(out, kv)
		}
	}
	return out
}
