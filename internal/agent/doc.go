// Package agent is berth's node agent: it registers a machine as a
// container instance and runs the tasks the control plane places on it,
// on a container engine (Runtime; Docker in package dockerrt).
//
// Contract:
//   - One runner per task is the only writer of that task's known state.
//     It steps the task through the ECS lifecycle by the pure transition
//     function decide (table-tested), persists the state in its StateStore
//     (the data dir; memory for a simulated instance), and only then
//     reports it. It runs in rounds, on one goroutine at a time, and only
//     when woken (the server's view, a container event, a timer): a task
//     at rest holds no goroutine.
//   - Containers carry labels naming their instance, task and container.
//     An agent killed with -9 and restarted reloads its task states and
//     re-adopts the very same containers: nothing is restarted, nothing
//     duplicated, no status goes backwards. Several agents can share one
//     engine; each lists and watches only containers with its own label.
//   - Desired state arrives on the session stream (agentproto). Every new
//     session begins with a snapshot: tasks the server no longer has are
//     stopped and forgotten, and every task's state is reported again, so
//     the two sides reconcile fully after any disconnect. While
//     disconnected, tasks keep running.
//   - Every registration advertises the capability attributes of what
//     the agent implements, derived from the engine's API version by the
//     pure function capabilities (table-tested); the control plane's
//     ATTRIBUTE filter places by them (capabilities.go says what is
//     advertised and why).
//   - Package simrt runs many agents in one process on a runtime that
//     starts nothing (berth agent --simulate); they share HTTP clients
//     (Config.HTTP) and keep their state in memory (NewMemoryState).
package agent
