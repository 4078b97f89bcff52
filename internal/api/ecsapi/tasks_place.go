package ecsapi

import (
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// Placement until the placement engine exists: first fit, in instance-id
// order. Tasks of one launch are identical, so first fit fills the first
// instance that has room before it tries the next.
//
// Accounting is exact and race-free because every instance a task is
// placed on is read through the placement's transaction and written back
// (with the task) in it: the commit compares that instance's etcd mod
// revision, so of two placements that read the same remaining resources
// only the first commits, and the second runs again on fresh data. No
// instance is ever oversubscribed, across any number of server replicas.
//
// The transaction does not read every instance of the cluster: etcd caps a
// transaction at 128 compares, and clusters have thousands of instances.
// A snapshot (a plain read of the cluster's instances) picks the instances
// worth reading: those it shows ACTIVE, connected and with room. Only those
// are read through the transaction, in order, until every task is placed,
// and the decision to place on one is taken on its transactional value.
// The snapshot is only a hint: an instance it shows full but that has room
// by commit time is passed over, exactly as if the request had come a
// moment earlier.

// maxPlacementReads bounds how many instances one placement reads through
// its transaction. A read instance takes a task unless it filled up since
// the snapshot, so a launch of at most 10 tasks reads more than 10 only
// under heavy contention; 64 keeps the transaction well inside etcd's 128
// compares (the rest: the cluster and the clientToken).
const maxPlacementReads = 64

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

// fill holds up to n tasks, each needing r, on inst while they fit. It
// returns how many it held and, when fewer than n, the reason the next one
// did not fit (AGENT, RESOURCE:CPU, ...).
//
// Worked example: 1024 CPU remaining, tasks of 256 CPU, n = 5 → 4 held,
// reason RESOURCE:CPU; 0 CPU remains.
func fill(inst *ecs.ContainerInstance, r ecs.Requirements, n int) (held int, reason string) {
	for held < n {
		ok, why := inst.Fits(r)
		if !ok {
			return held, why
		}
		inst.Hold(r)
		held++
	}
	return held, ""
}

// failures collects placement failures, one per instance and reason.
type failures []wire.Failure

func (fs *failures) add(f wire.Failure) {
	for _, have := range *fs {
		if str(have.Arn) == str(f.Arn) && str(have.Reason) == str(f.Reason) {
			return
		}
	}
	*fs = append(*fs, f)
}

func (fs *failures) addReason(arn, reason string) {
	fs.add(wire.Failure{Arn: ptr(arn), Reason: ptr(reason)})
}

// placeFirstFit places count tasks needing r, reading candidates from
// snapshot (the cluster's ACTIVE and DRAINING instances in id order)
// through tx. It returns one host per placed task, in order (an instance
// taking three tasks appears three times, with all three held), and, when
// some task could not be placed, why each instance refused it.
func placeFirstFit(tx *store.Tx, snapshot []*ecs.ContainerInstance, r ecs.Requirements, count int) ([]*ecs.ContainerInstance, []wire.Failure, error) {
	var hosts []*ecs.ContainerInstance
	var refused failures
	reads := 0
	for _, snap := range snapshot {
		if len(hosts) == count || reads == maxPlacementReads {
			break
		}
		if f, ok := unavailable(snap); ok {
			refused.add(f)
			continue
		}
		if ok, why := snap.Fits(r); !ok {
			refused.addReason(snap.ARN, why)
			continue
		}
		reads++
		inst, err := tx.GetInstance(snap.Cluster, snap.ID)
		if err != nil {
			return nil, nil, err
		}
		if f, ok := unavailable(inst); ok {
			refused.add(f)
			continue
		}
		held, why := fill(inst, r, count-len(hosts))
		for range held {
			hosts = append(hosts, inst)
		}
		if why != "" {
			refused.addReason(inst.ARN, why)
		}
	}
	if len(hosts) == count {
		return hosts, nil, nil
	}
	return hosts, refused, nil
}
