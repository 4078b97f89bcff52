package simrt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berth-org/berth/internal/agent"
	"github.com/berth-org/berth/internal/wire"
)

// EngineVersion is what a simulated instance reports as its Docker
// version ("DockerVersion: simulated" in versionInfo).
const EngineVersion = "simulated"

// APIVersion is the Docker Engine API version a simulated engine claims
// to speak, from which its agent derives its docker-remote-api
// capabilities: fixed, so that every simulated instance advertises the
// same modern set, that of Docker Engine 27 (API 1.47), whatever the
// machine runs.
const APIVersion = "1.47"

// Config configures one simulated engine.
type Config struct {
	// StartDelay is how long after its creation a container becomes
	// running; 0 makes it running as soon as it is started.
	StartDelay time.Duration
	// Now is the clock of the state's timestamps; nil means time.Now.
	Now func() time.Time
}

// Runtime is a simulated container engine for one container instance.
// It is safe for concurrent use.
type Runtime struct {
	startDelay time.Duration
	now        func() time.Time

	mu         sync.Mutex
	containers map[string]*container // by id
	byName     map[string]string     // engine name → id
	ports      hostPorts
	subs       map[*subscription]struct{}
	pids       int
}

// container is one simulated container. info is what Inspect returns;
// its Labels map and NetworkBindings slice are never changed in place,
// so a copy of info may share them.
type container struct {
	info     agent.ContainerInfo
	readyAt  time.Time // created + StartDelay: running no sooner
	health   bool      // the definition has a health check
	bindings []wire.NetworkBinding
	ports    []portKey // host ports held until exit or removal
}

var _ agent.Runtime = (*Runtime)(nil)

// New returns an engine with no containers.
func New(cfg Config) *Runtime {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Runtime{startDelay: cfg.StartDelay, now: cfg.Now, containers: map[string]*container{},
		byName: map[string]string{}, ports: newHostPorts(), subs: map[*subscription]struct{}{}}
}

// Version reports EngineVersion and APIVersion.
func (r *Runtime) Version(context.Context) (agent.EngineVersion, error) {
	return agent.EngineVersion{Release: EngineVersion, API: APIVersion}, nil
}

// EnsureImage has every image: it never pulls.
func (r *Runtime) EnsureImage(context.Context, string) (bool, error) { return false, nil }

// RemoveTaskVolumes has nothing to remove: no volume is ever created.
func (r *Runtime) RemoveTaskVolumes(context.Context, string) error { return nil }

// Create records a container and binds its host ports. It keeps c.Labels
// as given (the agent builds a fresh map for each call) rather than copy
// it for every container of 100,000.
func (r *Runtime) Create(_ context.Context, c agent.ContainerConfig) (string, error) {
	if c.Def.Privileged != nil && *c.Def.Privileged && !c.AllowPrivileged {
		return "", fmt.Errorf("%w (container %s)", agent.ErrPrivileged, c.Name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, taken := r.byName[c.Name]; taken {
		return "", fmt.Errorf("%w: the container name %s is already in use", agent.ErrCreate, c.Name)
	}
	bindings, held, err := r.ports.bind(c)
	if err != nil {
		return "", err
	}
	id := newID()
	r.containers[id] = &container{
		info:    agent.ContainerInfo{ID: id, Name: c.Name, Labels: c.Labels},
		readyAt: r.now().Add(r.startDelay),
		health:  c.Def.HealthCheck != nil, bindings: bindings, ports: held,
	}
	r.byName[c.Name] = id
	return id, nil
}

// Start waits until the container is StartDelay old, or ctx ends, then
// makes it running and emits "start". Starting a running container does
// nothing; a simulated container that exited is not started again.
func (r *Runtime) Start(ctx context.Context, id string) error {
	r.mu.Lock()
	c, ok := r.containers[id]
	var wait time.Duration
	if ok {
		wait = c.readyAt.Sub(r.now())
	}
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %w: %s", agent.ErrStart, agent.ErrNotFound, id)
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return fmt.Errorf("start container %s: %w", id, ctx.Err())
		case <-t.C:
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok = r.containers[id]
	switch {
	case !ok:
		return fmt.Errorf("%w: %w: %s (removed while starting)", agent.ErrStart, agent.ErrNotFound, id)
	case c.info.Running:
		return nil
	case c.info.Exited:
		return fmt.Errorf("%w: container %s has exited, and simulated containers are not restarted", agent.ErrStart, id)
	}
	r.pids++
	c.info.Running, c.info.StartedAt, c.info.Pid = true, r.now(), r.pids
	c.info.NetworkBindings = c.bindings
	if c.health {
		c.info.Health = agent.RuntimeHealthHealthy
	}
	r.emit(c, "start")
	return nil
}

// Stop makes a running container exit with code 0 at once and emits
// "die"; the grace period is not waited for, since nothing runs. A
// container that is not running is left as it is.
func (r *Runtime) Stop(_ context.Context, id string, _ time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[id]
	if !ok {
		return fmt.Errorf("%w: %s", agent.ErrNotFound, id)
	}
	if !c.info.Running {
		return nil
	}
	c.info.Running, c.info.Exited, c.info.ExitCode, c.info.FinishedAt = false, true, 0, r.now()
	c.info.NetworkBindings, c.info.Health = nil, agent.RuntimeHealthNone
	r.ports.release(c.ports)
	c.ports = nil
	r.emit(c, "die")
	return nil
}

// Inspect returns the container's state.
func (r *Runtime) Inspect(_ context.Context, id string) (agent.ContainerInfo, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[id]
	if !ok {
		return agent.ContainerInfo{}, fmt.Errorf("%w: %s", agent.ErrNotFound, id)
	}
	return c.info, nil
}

// Remove forgets a container and frees the host ports it still held.
// Removing a missing container is not an error.
func (r *Runtime) Remove(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[id]
	if !ok {
		return nil
	}
	r.ports.release(c.ports)
	delete(r.byName, c.info.Name)
	delete(r.containers, id)
	return nil
}

// List returns the containers labelled for instanceARN.
func (r *Runtime) List(_ context.Context, instanceARN string) ([]agent.ContainerInfo, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []agent.ContainerInfo
	for _, c := range r.containers {
		if c.info.Labels[agent.LabelInstanceARN] == instanceARN {
			out = append(out, c.info)
		}
	}
	return out, nil
}

// idPrefix makes ids unique across processes too; idSeq within one.
var (
	idPrefix = randomHex(16)
	idSeq    atomic.Uint64
)

// newID returns a container id of 64 hex digits, like Docker's.
func newID() string { return fmt.Sprintf("%s%032x", idPrefix, idSeq.Add(1)) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}
