// Package agentproto is the protocol between berth's control plane and its
// agents, with both sides' message types and the agent's client.
//
// It is plain HTTP/1.1 with JSON bodies on the server's API listener:
//
//   - POST /agent/v1/register: join (or re-join) a cluster as a container
//     instance. The first registration is SigV4-signed with the server's
//     credentials; the answer carries a token that is the agent's own
//     credential from then on, bound to its instance.
//   - GET /agent/v1/session: a newline-delimited JSON stream, server to
//     agent: a snapshot of the instance's tasks, then each change as it
//     commits, and pings while idle. Desired state therefore reaches the
//     agent within milliseconds, with no polling interval.
//   - POST /agent/v1/state: batched, idempotent task state reports.
//   - POST /agent/v1/heartbeat: at the interval the registration answer
//     names (a quarter of the server's heartbeat timeout); without one for
//     the timeout, the instance shows agentConnected false.
//
// Every call but register carries "Authorization: Bearer <token>" and the
// instance's ARN in X-Berth-Container-Instance; the server answers only
// with that instance's tasks and applies reports only to them.
package agentproto
