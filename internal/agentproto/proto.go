package agentproto

import (
	"time"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

// Paths of the agent protocol on the server's listener.
const (
	PathRegister  = "/agent/v1/register"
	PathSession   = "/agent/v1/session"
	PathState     = "/agent/v1/state"
	PathHeartbeat = "/agent/v1/heartbeat"
)

// HeaderInstance names the container instance an agent request speaks for;
// the bearer token in Authorization proves it.
const HeaderInstance = "X-Berth-Container-Instance"

// Timing of the protocol.
const (
	// DefaultHeartbeatTimeout is how long the server waits without a
	// heartbeat before it reports agentConnected false. The server's
	// --agent-heartbeat-timeout changes it.
	DefaultHeartbeatTimeout = 20 * time.Second
	// HeartbeatsPerTimeout: an agent heartbeats this many times per
	// heartbeat timeout (every 5 s by default), so one slow request or a
	// brief network blip never flaps the instance.
	HeartbeatsPerTimeout = 4
	// PingInterval is how often the server writes a ping on an idle session
	// stream, so that the agent notices a dead connection within
	// 2×PingInterval even when the kernel would keep it open for minutes.
	PingInterval = 5 * time.Second
)

// RegisterRequest joins a cluster as a container instance, or re-joins as
// the instance ContainerInstanceARN names (an agent restarting).
//
// A first registration is signed with SigV4 using the server's credentials
// (the bootstrap credential); a re-registration may instead carry the
// agent's own token. Either way the response carries a fresh token, which
// from then on is the agent's only credential.
type RegisterRequest struct {
	Cluster              string           `json:"cluster"`
	ContainerInstanceARN string           `json:"containerInstanceArn,omitempty"`
	TotalResources       []wire.Resource  `json:"totalResources"`
	Attributes           []wire.Attribute `json:"attributes,omitempty"`
	VersionInfo          wire.VersionInfo `json:"versionInfo"`
}

// RegisterResponse is the registered instance and the agent's token.
type RegisterResponse struct {
	ContainerInstanceARN string `json:"containerInstanceArn"`
	Token                string `json:"token"`
	// HeartbeatIntervalMillis is how often the agent must heartbeat: the
	// server's heartbeat timeout / HeartbeatsPerTimeout.
	HeartbeatIntervalMillis int64 `json:"heartbeatIntervalMillis"`
}

// HeartbeatInterval is the interval a server with this heartbeat timeout
// asks of its agents. Worked example: the default 20 s timeout → 5 s.
func HeartbeatInterval(timeout time.Duration) time.Duration {
	return timeout / HeartbeatsPerTimeout
}

// MessageType is the kind of a session message.
type MessageType string

// Session message types.
const (
	// MessageSnapshot carries every task of the instance: the agent makes
	// its local state match it (starting what it lacks, stopping and
	// forgetting what the server no longer has). The first message is
	// one; the server sends another when the session fell too far behind
	// to send the changes one by one.
	MessageSnapshot MessageType = "snapshot"
	// MessageTasks carries tasks that changed since the last message.
	MessageTasks MessageType = "tasks"
	// MessagePing keeps an idle stream alive.
	MessagePing MessageType = "ping"
)

// Message is one line of the session stream, server to agent. The stream
// is newline-delimited JSON; its first message is always a snapshot, and
// a later snapshot replaces what the agent knew as the first did.
type Message struct {
	Type     MessageType `json:"type"`
	Revision int64       `json:"revision,omitempty"`
	Tasks    []Task      `json:"tasks,omitempty"`
}

// Task is one task as the agent needs it: the task record and its task
// definition.
type Task struct {
	Task       ecs.Task            `json:"task"`
	Definition wire.TaskDefinition `json:"definition"`
}

// StateReport is a batch of task states, agent to server. Reports are
// idempotent: each carries the agent's Seq for its task, and the server
// applies only reports newer than what it has.
type StateReport struct {
	Tasks []TaskState `json:"tasks"`
}

// TaskState is the agent's latest knowledge of one task.
type TaskState struct {
	TaskARN string    `json:"taskArn"`
	Known   ecs.Known `json:"known"`
}

// StateAck answers a StateReport. Unknown lists tasks the server does not
// have (purged, or never this instance's): the agent stops and forgets
// them.
type StateAck struct {
	Applied int      `json:"applied"`
	Unknown []string `json:"unknown,omitempty"`
}

// ErrorBody is the body of every non-2xx agent protocol answer.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error codes.
const (
	CodeUnauthorized = "Unauthorized"
	CodeBadRequest   = "BadRequest"
	CodeNotFound     = "NotFound"
	CodeConflict     = "Conflict"
	CodeInternal     = "Internal"
	// CodeInactive: the instance was deregistered; the agent must not run
	// its tasks any longer and needs a new identity to join again.
	CodeInactive = "InstanceInactive"
)
