package ecsapi

import (
	"slices"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/scheduler"
	"github.com/berth-org/berth/internal/wire"
)

// Placement is the placement engine's (internal/scheduler, decided on the
// watch-fed snapshot of internal/placement and bound into the request's
// transaction); this file turns its answers into ECS's.

// unavailable says why an instance takes no new task whatever its
// resources: ECS's INACTIVE reason for a deregistered instance ("was
// previously deregistered with Amazon ECS and cannot be used"); berth uses
// it, with a detail, for a DRAINING one too. ok is false when the
// instance is ACTIVE.
func unavailable(i *ecs.ContainerInstance) (f wire.Failure, ok bool) {
	detail := "The container instance is deregistered."
	switch i.Status {
	case ecs.InstanceActive:
		return wire.Failure{}, false
	case ecs.InstanceDraining:
		detail = "The container instance is DRAINING and takes no new tasks."
	}
	return wire.Failure{Arn: ptr(i.ARN), Reason: ptr(ecs.ReasonInactive), Detail: ptr(detail)}, true
}

// failures collects StartTask's failures, one per instance and reason.
type failures []wire.Failure

func (fs *failures) add(f wire.Failure) {
	for _, have := range *fs {
		if str(have.Arn) == str(f.Arn) && str(have.Reason) == str(f.Reason) {
			return
		}
	}
	*fs = append(*fs, f)
}

// unplaced turns the scheduler's failure into RunTask's failures: one
// entry per task that could not be placed, so that len(tasks) +
// len(failures) is always the count asked for. Each names the instance
// that came closest and its reason, as ECS's "closest matching
// container-instance" does, and its detail counts every instance's
// refusal by reason.
func unplaced(f *scheduler.Failure, n int) []wire.Failure {
	out := make([]wire.Failure, 0, n)
	if f == nil {
		return out
	}
	for range n {
		wf := wire.Failure{Reason: ptr(f.Reason), Detail: ptr(f.Detail())}
		if f.ARN != "" {
			wf.Arn = ptr(f.ARN)
		}
		out = append(out, wf)
	}
	return out
}

// missingAttributes lists the required attributes (a name, or a name and
// a value) that inst lacks: the scheduler's ATTRIBUTE filter, applied to
// the record StartTask's transaction read.
func missingAttributes(inst *ecs.ContainerInstance, required []wire.Attribute) []string {
	var missing []string
	for _, want := range required {
		i := slices.IndexFunc(inst.Attributes, func(have wire.Attribute) bool { return str(have.Name) == str(want.Name) })
		if i < 0 || (want.Value != nil && str(inst.Attributes[i].Value) != *want.Value) {
			missing = append(missing, str(want.Name))
		}
	}
	return missing
}
