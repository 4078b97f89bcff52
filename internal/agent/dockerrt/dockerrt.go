package dockerrt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/berth-org/berth/internal/agent"
)

// Timeouts of the engine calls. Each bounds one call on top of the
// caller's context; the values follow the ECS agent's dockerclient
// timeouts where it has one.
const (
	// connectTimeout bounds New's ping and API version negotiation. A
	// local engine answers in milliseconds; one that has not answered in
	// 10 s is not usable.
	connectTimeout = 10 * time.Second
	// versionTimeout bounds Version, a constant the engine answers from
	// memory.
	versionTimeout = 10 * time.Second
	// inspectTimeout bounds container and image inspects, which take
	// milliseconds but queue behind the engine's container lock when it is
	// busy creating or removing many containers (the ECS agent allows 30 s).
	inspectTimeout = 30 * time.Second
	// listTimeout bounds listing containers or volumes, which walks every
	// container of the engine.
	listTimeout = time.Minute
	// pullTimeout bounds one image pull. Multi-GB images from remote
	// registries take minutes; past this the container stops with
	// CannotPullContainerError.
	pullTimeout = 10 * time.Minute
	// createTimeout bounds ContainerCreate, which prepares the container's
	// overlay layer and copies image data into new volumes; the ECS agent
	// allows 4 minutes.
	createTimeout = 4 * time.Minute
	// volumeTimeout bounds one volume create, inspect or remove. The local
	// driver is instant; plugin drivers may call a remote storage service.
	volumeTimeout = time.Minute
	// startTimeout bounds ContainerStart, which sets up the network
	// namespace, mounts and port proxies; the ECS agent allows 3 minutes.
	startTimeout = 3 * time.Minute
	// stopSlack is what Stop allows beyond the container's grace period:
	// the engine's SIGKILL and its wait for the exit to be recorded.
	stopSlack = 30 * time.Second
	// removeTimeout bounds ContainerRemove, which deletes the container's
	// writable layer; a large one takes minutes (the ECS agent allows 5).
	removeTimeout = 5 * time.Minute
)

// Runtime is agent.Runtime on a Docker Engine. It is safe for concurrent
// use.
type Runtime struct {
	cli   *client.Client
	log   *slog.Logger
	ports *hostPorts

	digestMu sync.Mutex
	digests  map[string]string // image id → repo digest, for images that have one

	// ooms holds the containers the engine reported an "oom" event for
	// (see noteOOM), at most maxOOMs of them.
	oomMu sync.Mutex
	ooms  map[string]bool
}

// maxOOMs bounds Runtime.ooms. An entry matters only until the agent has
// inspected the container after its exit, moments later; a thousand OOM
// kills between an exit and its inspection do not happen.
const maxOOMs = 1024

// noteOOM records that the engine reported container id killed for memory.
// Docker 20.10 records OOMKilled in the container's state only if its OOM
// event is handled before its exit event; under load the order can flip,
// and the state then says exited 137 without OOMKilled, for good. The
// event itself still arrives.
func (r *Runtime) noteOOM(id string) {
	r.oomMu.Lock()
	defer r.oomMu.Unlock()
	if r.ooms == nil {
		r.ooms = map[string]bool{}
	}
	if len(r.ooms) >= maxOOMs {
		clear(r.ooms)
	}
	r.ooms[id] = true
}

func (r *Runtime) sawOOM(id string) bool {
	r.oomMu.Lock()
	defer r.oomMu.Unlock()
	return r.ooms[id]
}

var _ agent.Runtime = (*Runtime)(nil)

// New connects to the engine at host ("" means DOCKER_HOST, else the
// default unix socket) and negotiates the API version, so that an
// unreachable or incompatible engine fails here and not on first use.
// log may be nil.
func New(ctx context.Context, host string, log *slog.Logger) (*Runtime, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := []client.Opt{client.FromEnv}
	if host != "" {
		opts = append(opts, client.WithHost(host))
	}
	cli, err := client.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		return nil, errors.Join(fmt.Errorf("docker engine at %q: %w", cli.DaemonHost(), err), cli.Close())
	}
	log.Info("connected to docker engine", "host", cli.DaemonHost(), "api", cli.ClientVersion())
	return &Runtime{cli: cli, log: log, ports: newHostPorts(), digests: map[string]string{}}, nil
}

// Close releases the client's idle connections.
func (r *Runtime) Close() error {
	if err := r.cli.Close(); err != nil {
		return fmt.Errorf("docker client: %w", err)
	}
	return nil
}

// Version is the engine's release, e.g. "20.10.24+dfsg1", and the API
// version New negotiated with it: every request goes out at that version,
// so it, not the engine's highest, is what the agent can use.
func (r *Runtime) Version(ctx context.Context) (agent.EngineVersion, error) {
	ctx, cancel := context.WithTimeout(ctx, versionTimeout)
	defer cancel()
	v, err := r.cli.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return agent.EngineVersion{}, fmt.Errorf("docker version: %w", err)
	}
	return agent.EngineVersion{Release: v.Version, API: r.cli.ClientVersion()}, nil
}

// EnsureImage pulls image unless the engine has it. It never pulls an
// image it has, even for a "latest" tag: berth's hosts may reach no
// registry (ECS_IMAGE_PULL_BEHAVIOR=prefer-cached).
func (r *Runtime) EnsureImage(ctx context.Context, image string) (bool, error) {
	ictx, cancel := context.WithTimeout(ctx, inspectTimeout)
	_, err := r.cli.ImageInspect(ictx, image)
	cancel()
	switch {
	case err == nil:
		return false, nil
	case !cerrdefs.IsNotFound(err):
		return false, classify(ctx, agent.ErrPull, fmt.Errorf("inspect image %s: %w", image, err))
	}
	r.log.Info("pulling image", "image", image)
	pctx, cancel := context.WithTimeout(ctx, pullTimeout)
	defer cancel()
	resp, err := r.cli.ImagePull(pctx, image, client.ImagePullOptions{})
	if err == nil {
		// Wait reads the progress stream to its end and returns the
		// engine's error message, if the pull failed part way.
		err = errors.Join(resp.Wait(pctx), resp.Close())
	}
	if err != nil {
		return false, classify(ctx, agent.ErrPull, fmt.Errorf("pull %s: %w", image, err))
	}
	r.log.Info("pulled image", "image", image)
	return true, nil
}

// Start starts a created container.
func (r *Runtime) Start(ctx context.Context, id string) error {
	sctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	if _, err := r.cli.ContainerStart(sctx, id, client.ContainerStartOptions{}); err != nil {
		return classify(ctx, agent.ErrStart, fmt.Errorf("start container %s: %w", id, err))
	}
	r.log.Debug("started container", "container", id)
	return nil
}

// Stop sends the container's stop signal (the image's STOPSIGNAL, else
// SIGTERM) and SIGKILL once timeout has passed. The timeout is rounded up
// to whole seconds, the engine's unit. A missing container wraps
// agent.ErrNotFound.
func (r *Runtime) Stop(ctx context.Context, id string, timeout time.Duration) error {
	secs := int(math.Ceil(max(timeout, 0).Seconds()))
	sctx, cancel := context.WithTimeout(ctx, time.Duration(secs)*time.Second+stopSlack)
	defer cancel()
	_, err := r.cli.ContainerStop(sctx, id, client.ContainerStopOptions{Timeout: &secs})
	switch {
	case cerrdefs.IsNotFound(err):
		return fmt.Errorf("%w: %s", agent.ErrNotFound, id)
	case err != nil:
		return fmt.Errorf("stop container %s: %w", id, err)
	}
	r.log.Debug("stopped container", "container", id, "timeout", timeout)
	return nil
}

// Remove removes a container, running or not, with its anonymous volumes,
// and frees the dynamic host ports it held.
func (r *Runtime) Remove(ctx context.Context, id string) error {
	name := "" // the ports' owner
	if c, err := r.inspect(ctx, id); err == nil {
		name = strings.TrimPrefix(c.Name, "/")
	} else if !errors.Is(err, agent.ErrNotFound) {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, removeTimeout)
	defer cancel()
	_, err := r.cli.ContainerRemove(rctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("remove container %s: %w", id, err)
	}
	if name != "" {
		r.ports.Release(name)
	}
	r.log.Debug("removed container", "container", id)
	return nil
}

// classify wraps err in sentinel (agent.ErrPull, ErrCreate, ErrStart),
// the errors the agent reports as the container's failure, unless err
// says nothing about the container: the caller gave up (its ctx ended),
// or the engine could not be reached. Those are returned unwrapped so
// that the agent tries again. The runtime's own timeout expiring is the
// container's failure, as in the ECS agent.
func classify(ctx context.Context, sentinel, err error) error {
	if ctx.Err() != nil || client.IsErrConnectionFailed(err) {
		return err
	}
	return fmt.Errorf("%w: %w", sentinel, err)
}
