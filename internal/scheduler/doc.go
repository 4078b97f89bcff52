// Package scheduler decides where tasks go: ECS task placement, pure.
//
// A Snapshot is the scheduler's picture of one cluster: its container
// instances (status, agent connection, attributes, remaining resources)
// and, for each instance, how many tasks of each task group it runs. The
// Snapshot keeps the indexes placement needs current as it changes
// (per-group counts by spread field, interned attribute values, memoized
// static memberOf results), so one decision never scans every task.
//
// Place takes a Snapshot and a Request and returns one host per placed
// task and, when some could not be placed, why: the process ECS documents,
// in order.
//
//  1. Feasibility filters, each answering yes or no with an ECS reason,
//     in pipeline order: the instance is ACTIVE (INACTIVE), its agent is
//     connected (AGENT), it has every attribute the task definition
//     requires (ATTRIBUTE), it satisfies each memberOf constraint ("MemberOf
//     placement constraint unsatisfied."), it runs no task of the group
//     under distinctInstance ("DistinctInstance placement constraint
//     unsatisfied."), and the task's CPU, memory, TCP and UDP host ports
//     fit (RESOURCE:CPU, RESOURCE:MEMORY, RESOURCE:PORTS,
//     RESOURCE:PORTS_UDP). An instance is refused by the first filter it
//     fails.
//  2. Strategies rank the feasible instances, applied in order: each keeps
//     only the instances it likes best, and the next one chooses among
//     them. spread keeps the instances whose field value (instanceId, or
//     an attribute) has the fewest tasks of the group; binpack keeps those
//     with the least remaining CPU or memory; random picks one. A tie left
//     after the last strategy is broken at random.
//  3. The chosen instance holds the task, and the next task of the request
//     is placed against the updated picture.
//
// When a task cannot be placed, every instance's refusal is counted by
// reason (the way swarmkit explains "no suitable node"), and the failure
// names the closest instance: the one refused latest in the pipeline.
//
// SelectStop chooses which tasks to stop when a service scales in, by the
// same strategies run in reverse, as ECS documents it.
//
// Nothing here does I/O, starts a goroutine or reads the clock: randomness
// comes in the Request, time in the Snapshot's values. A Snapshot is not
// safe for concurrent use; the caller serializes access.
package scheduler
