// Package reconcile is the service scheduler's decision, pure: given one
// service as stored, its tasks, the cluster's instances and the time,
// Step says which tasks to start and stop and what the service's
// deployments, events and status become. It does no I/O, starts no
// goroutine, reads no clock and draws no random number: the same Input
// always gives the same Decision. The leader's service controller reads a
// snapshot, calls Step, applies the Decision (see Decision for how) and
// calls Step again when something changes or Decision.Wake comes.
//
// # The contract
//
//   - Bounds. Every instant, at least minimumHealthyPercent of
//     desiredCount (rounded up) tasks are healthy and at most
//     maximumPercent of it (rounded down) are present (PENDING, RUNNING
//     or on their way to STOPPED) — as far as Step's own actions go: it
//     never stops a healthy task that the floor needs, never starts one
//     the ceiling forbids. Tasks can still die on their own; Step then
//     replaces them within the same bounds. A task is healthy when it is
//     RUNNING and, if an essential container has a health check, HEALTHY;
//     without health checks, 40 s after RUNNING. An UNHEALTHY verdict
//     counts only once healthCheckGracePeriodSeconds have passed since
//     RUNNING.
//   - Idempotence. Step decides from the state alone, and the state
//     carries what it decided: applying a Decision and stepping again at
//     the same time decides no further start or stop. A restarted
//     controller, given the same stored state, churns nothing.
//   - Choices. What is a rule Step decides itself: unhealthy tasks and
//     tasks on draining instances go first, PENDING before RUNNING, not
//     yet healthy before healthy, old deployments before the PRIMARY.
//     What is a placement choice (which of several equal tasks to stop)
//     it leaves to the placement engine as a StopChoice.
//
// # REPLICA services
//
// The PRIMARY deployment (the newest) aims at desiredCount tasks; older
// (ACTIVE) deployments keep only what the floor still needs from them,
// and are removed from the service once their last task has stopped. A
// rolling update therefore starts new tasks up to the ceiling and stops
// old ones as fast as the floor allows: with desired 4, minimum 50% and
// maximum 200%, it starts 4 new tasks and stops 2 old ones at once. A
// desiredCount change scales the PRIMARY in or out without a deployment.
// Unhealthy tasks are replaced, the replacement first when the ceiling
// allows. Tasks on a DRAINING instance move: PENDING ones stop at once,
// healthy ones as the floor allows (at once when minimumHealthyPercent
// leaves room, else as their replacements turn healthy). Since November
// 2025 ECS replaces a failed task of an old deployment with its own
// revision during a rollout, and so does Step, as far as the floor needs
// it, for an old deployment that had COMPLETED (a known-good revision;
// not for scale-out). The PRIMARY is COMPLETED once it runs desiredCount
// healthy tasks and no other deployment has a task left; the service is
// then steady.
//
// A deployment's life (status and rolloutState):
//
//	created (CreateService, UpdateService, a rollback)
//	  │
//	  ▼
//	PRIMARY IN_PROGRESS ── desired tasks healthy, no other deployment ──▶ PRIMARY COMPLETED
//	  │   │                                                                 │
//	  │   └─ circuit breaker trips ──▶ PRIMARY FAILED (launches nothing)    │
//	  │                                  │                                  │
//	  │                 rollback: a new PRIMARY; none: stalls               │
//	  ▼                                  ▼                                  ▼
//	ACTIVE (a newer deployment is PRIMARY): keeps what the floor needs, drains
//	  │
//	  └─ its last task has stopped ──▶ removed from the service
//
// # DAEMON services
//
// One task of the PRIMARY deployment on every ACTIVE instance that meets
// the placement constraints, none elsewhere; instances that join get one.
// The bounds count instances (see the daemon planner): at maximumPercent
// 100 an instance's old task stops before its new one starts.
//
// # Circuit breaker and throttle
//
// Each task's outcome is counted once (ecs.Deployment.SettledTasks): a
// task that stops on its own before it is healthy, or fails its health
// checks, is a failed task of its deployment; a healthy one resets the
// count when resetOnHealthyTask is set. When the PRIMARY's failed tasks
// reach CircuitBreaker.Threshold(desiredCount) while it is IN_PROGRESS,
// it is FAILED and launches nothing more; with rollback, a new PRIMARY
// deployment of the last COMPLETED one's task definition takes over
// (Input.NewDeploymentID), else the service stalls. Independently, tasks
// that never reach RUNNING throttle their deployment's launches, from
// 10 s doubling to 27 min; a healthy task lifts it, and a new deployment
// starts without it.
//
// # Events
//
// Step adds to the service the events it alone knows of (steady state,
// once and then every six hours; deployment completed and failed;
// rolling back; a task failing its health checks, said as it is stopped;
// the throttle), in ECS's words. The events naming tasks the controller starts and stops
// are the controller's to add (StartedMessage, StoppedMessage), once it
// knows their ids.
//
// # Lost instances (berth's own, opt-in)
//
// ECS leaves a disconnected instance's tasks where they are, counted as
// they were, however long its agent stays away; so does Step by default.
// With the cluster's lostInstanceTimeout set (Input.LostInstanceTimeout),
// an instance whose agent has been away that long is lost: the service's
// tasks there are stopped at once and counted nowhere (not healthy, not
// running, not against maximumPercent), so that a REPLICA service replaces
// them on connected instances within its bounds. A DAEMON service's task
// there stops and is not replaced: the instance no longer counts. Step
// wakes at the moment an instance holding the service's tasks becomes
// lost. See lost.go.
//
// # A DRAINING service
//
// A deleted service (DRAINING) has every task stopped, without regard
// to the bounds, and becomes INACTIVE when none is left.
package reconcile
