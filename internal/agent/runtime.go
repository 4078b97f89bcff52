package agent

import (
	"context"
	"errors"
	"time"

	"github.com/berth-org/berth/internal/wire"
)

// Runtime is the part of a container engine the agent uses. The Docker
// implementation is package dockerrt; unit tests use a hand-written fake.
// Every method is bounded by the implementation's own named timeouts
// except Events, which streams until ctx ends.
type Runtime interface {
	// Version is what the engine says of itself: its release, reported in
	// versionInfo, and the API version spoken to it, from which the agent
	// derives its docker-remote-api capabilities (capabilities.go).
	Version(ctx context.Context) (EngineVersion, error)
	// EnsureImage pulls image when the engine does not have it, and
	// reports whether it pulled. A failure wraps ErrPull.
	EnsureImage(ctx context.Context, image string) (pulled bool, err error)
	// Create creates (does not start) a container. A failure wraps
	// ErrCreate, or ErrPrivileged when the definition asks for privileged
	// mode and the agent does not allow it.
	Create(ctx context.Context, c ContainerConfig) (id string, err error)
	// Start starts a created container. A failure wraps ErrStart.
	Start(ctx context.Context, id string) error
	// Stop sends the container's stop signal and, after timeout, SIGKILL.
	// Stopping a stopped container is not an error.
	Stop(ctx context.Context, id string, timeout time.Duration) error
	// Inspect reads a container's state. A missing container wraps
	// ErrNotFound.
	Inspect(ctx context.Context, id string) (ContainerInfo, error)
	// Remove removes a container (forcefully) and its anonymous volumes.
	// Removing a missing container is not an error.
	Remove(ctx context.Context, id string) error
	// List returns every container, running or not, labelled as belonging
	// to the container instance instanceARN.
	List(ctx context.Context, instanceARN string) ([]ContainerInfo, error)
	// Events streams lifecycle events of the containers labelled for
	// instanceARN. The event channel closes when ctx ends or the stream
	// fails (the error is sent on errc first); the caller re-inspects what
	// it manages and subscribes again.
	Events(ctx context.Context, instanceARN string) (<-chan ContainerEvent, <-chan error)
	// RemoveTaskVolumes removes the task-scoped Docker volumes created for
	// taskID. Shared volumes are kept.
	RemoveTaskVolumes(ctx context.Context, taskID string) error
}

// EngineVersion is a container engine's answer to Version.
type EngineVersion struct {
	// Release is the engine's own version, e.g. "28.2.2", reported in
	// versionInfo as "DockerVersion: 28.2.2".
	Release string
	// API is the Docker Engine API version the runtime speaks to the
	// engine, e.g. "1.50": the lower of the engine's highest and the
	// client's, as negotiated when the runtime connected.
	API string
}

// Errors a Runtime wraps, which the agent maps to ECS container reasons.
var (
	ErrNotFound   = errors.New("no such container")
	ErrPull       = errors.New("CannotPullContainerError")
	ErrCreate     = errors.New("CannotCreateContainerError")
	ErrStart      = errors.New("CannotStartContainerError")
	ErrPrivileged = errors.New("privileged containers are not allowed on this container instance")
)

// Labels every container the agent creates carries. They let an agent
// restarted after kill -9 find and re-adopt its containers, and keep
// several agents sharing one engine out of each other's way.
const (
	LabelInstanceARN   = "com.berth.instance-arn"
	LabelTaskARN       = "com.berth.task-arn"
	LabelContainerName = "com.berth.container-name"
	LabelCluster       = "com.berth.cluster"
)

// ContainerConfig is one container to create, in ECS terms; the runtime
// translates it to its engine's configuration.
type ContainerConfig struct {
	// Name is the engine-level container name, unique per task and
	// container: "berth-<task id>-<container name>".
	Name   string
	TaskID string
	// Labels are berth's labels; Def.DockerLabels are added to them.
	Labels map[string]string
	// Def is the container definition with the task's overrides applied;
	// the runtime only reads it. A pointer: the definition is over a
	// kilobyte, and a config passed by value puts it on the runner's
	// stack.
	Def *wire.ContainerDefinition
	// NetworkMode is the task definition's: bridge (also when empty),
	// host or none. awsvpc never reaches the runtime.
	NetworkMode wire.NetworkMode
	// Volumes are the task definition's volumes, for Def.MountPoints.
	Volumes []wire.Volume
	// VolumesFrom maps each Def.VolumesFrom source container's name to its
	// runtime id.
	VolumesFrom map[string]string
	// HostIP is the address published ports bind to (127.0.0.1 in dev and
	// tests).
	HostIP string
	// AllowPrivileged is the agent's --allow-privileged.
	AllowPrivileged bool
}

// Health values a runtime reports for a container with a health check.
const (
	RuntimeHealthNone      = ""
	RuntimeHealthStarting  = "starting"
	RuntimeHealthHealthy   = "healthy"
	RuntimeHealthUnhealthy = "unhealthy"
)

// ContainerInfo is a container's state as the runtime reports it.
type ContainerInfo struct {
	ID           string
	Name         string
	Labels       map[string]string
	ImageDigest  string
	Running      bool
	Exited       bool // ran and stopped (false for created-but-never-started)
	ExitCode     int
	OOMKilled    bool
	Error        string // the engine's error for a failed start
	Pid          int
	RestartCount int
	StartedAt    time.Time
	FinishedAt   time.Time
	Health       string // one of the RuntimeHealth* values
	// NetworkBindings are the published ports as ECS reports them.
	NetworkBindings []wire.NetworkBinding
}

// ContainerEvent says something happened to a container; the agent
// inspects it to learn what.
type ContainerEvent struct {
	ID     string
	Action string // e.g. "start", "die", "oom", "health_status: healthy"
	Labels map[string]string
}
