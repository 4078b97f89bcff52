// Package agentapi is the control plane's side of the agent protocol
// (package agentproto): it registers agents and issues each its own token,
// streams every agent the tasks of its own instance, applies the agents'
// task state reports, and tracks which agents are connected.
//
// Contract:
//   - An agent authenticates with a bearer token bound to one container
//     instance; it can read and report only that instance's tasks. The
//     first registration is bootstrapped with the server's SigV4
//     credentials (docs/agent.md).
//   - The session stream starts with a snapshot of the instance's tasks
//     and then pushes each change as etcd commits it (one shared watch per
//     server, fanned out by instance), so an agent learns of a new task
//     within milliseconds, with no polling interval.
//   - Reports are idempotent (ecs.Task.ApplyKnown compares sequence
//     numbers) and batched; a task reported STOPPED gives its resources back
//     to its instance in the same transaction.
//   - agentConnected is true from the moment a session opens; it turns false
//     when the session's stream closes or its heartbeats stop for the
//     heartbeat timeout (an etcd lease: see store/sessions.go).
package agentapi
