package dockerrt

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/berth-org/berth/internal/agent"
	"github.com/berth-org/berth/internal/wire"
)

// oomRecheckInterval and oomRechecks bound how long Inspect waits to learn
// of an OOM kill the engine's state does not show. Docker 20.10 handles a
// container's exit and its OOM event separately; when the exit is handled
// first, the state says exited 137 without OOMKilled (see noteOOM). So a
// container with a memory limit that died of SIGKILL is inspected again,
// at most four times 50 ms apart, until the state or the "oom" event says
// it was OOM-killed, before its exit is taken as it is.
const (
	oomRecheckInterval = 50 * time.Millisecond
	oomRechecks        = 4
)

// Inspect reads a container's state.
func (r *Runtime) Inspect(ctx context.Context, id string) (agent.ContainerInfo, error) {
	c, err := r.inspect(ctx, id)
	if err != nil {
		return agent.ContainerInfo{}, err
	}
	for i := 0; i < oomRechecks && maybeOOMPending(c) && !r.sawOOM(c.ID); i++ {
		select {
		case <-time.After(oomRecheckInterval):
		case <-ctx.Done():
			return agent.ContainerInfo{}, ctx.Err()
		}
		if c, err = r.inspect(ctx, id); err != nil {
			return agent.ContainerInfo{}, err
		}
	}
	info := containerInfo(c)
	info.OOMKilled = info.OOMKilled || (info.Exited && r.sawOOM(c.ID))
	info.ImageDigest = r.imageDigest(ctx, c.Image)
	return info, nil
}

// List returns the containers labelled for instanceARN, running or not.
// A container removed between the listing and its inspection is left out.
func (r *Runtime) List(ctx context.Context, instanceARN string) ([]agent.ContainerInfo, error) {
	lctx, cancel := context.WithTimeout(ctx, listTimeout)
	res, err := r.cli.ContainerList(lctx, client.ContainerListOptions{
		All:     true,
		Filters: client.Filters{}.Add("label", agent.LabelInstanceARN+"="+instanceARN),
	})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	out := make([]agent.ContainerInfo, 0, len(res.Items))
	for _, s := range res.Items {
		info, err := r.Inspect(ctx, s.ID)
		if errors.Is(err, agent.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// inspect is the engine's inspect, bounded, with a missing container
// wrapping agent.ErrNotFound.
func (r *Runtime) inspect(ctx context.Context, id string) (container.InspectResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, inspectTimeout)
	defer cancel()
	res, err := r.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	switch {
	case cerrdefs.IsNotFound(err):
		return container.InspectResponse{}, fmt.Errorf("%w: %s", agent.ErrNotFound, id)
	case err != nil:
		return container.InspectResponse{}, fmt.Errorf("inspect container %s: %w", id, err)
	}
	return res.Container, nil
}

// imageDigest is what ECS reports as a container's imageDigest: the
// image's registry digest ("sha256:…" of its manifest) when it was pulled
// from a registry, else its local id. Digests are cached per image id;
// an image id names immutable content, so its digest does not change.
func (r *Runtime) imageDigest(ctx context.Context, imageID string) string {
	r.digestMu.Lock()
	d, ok := r.digests[imageID]
	r.digestMu.Unlock()
	if ok {
		return d
	}
	ctx, cancel := context.WithTimeout(ctx, inspectTimeout)
	defer cancel()
	img, err := r.cli.ImageInspect(ctx, imageID)
	if err != nil {
		// The image may have been removed under the container; its id is
		// still what the container runs.
		r.log.Debug("cannot inspect image for its digest", "image", imageID, "err", err)
		return imageID
	}
	digest := imageID // a local image, built or imported here, has no registry digest
	for _, rd := range img.RepoDigests {
		if _, d, ok := strings.Cut(rd, "@"); ok {
			digest = d
			break
		}
	}
	r.digestMu.Lock()
	r.digests[imageID] = digest
	r.digestMu.Unlock()
	return digest
}

// maybeOOMPending reports a container that may have been OOM-killed
// without the engine having recorded it yet: exited on SIGKILL (128+9)
// under a memory limit, OOMKilled not set.
func maybeOOMPending(c container.InspectResponse) bool {
	st := c.State
	return st != nil && st.Status == container.StateExited && st.ExitCode == 137 && !st.OOMKilled &&
		c.HostConfig != nil && c.HostConfig.Memory > 0
}

// containerInfo maps the engine's inspect result to agent.ContainerInfo
// (without ImageDigest, which needs the image).
func containerInfo(c container.InspectResponse) agent.ContainerInfo {
	info := agent.ContainerInfo{
		ID:           c.ID,
		Name:         strings.TrimPrefix(c.Name, "/"),
		RestartCount: c.RestartCount,
	}
	if c.Config != nil {
		info.Labels = c.Config.Labels
	}
	if st := c.State; st != nil {
		info.Running = st.Running
		info.ExitCode = st.ExitCode
		info.OOMKilled = st.OOMKilled
		info.Error = st.Error
		info.Pid = st.Pid
		info.StartedAt = engineTime(st.StartedAt)
		info.FinishedAt = engineTime(st.FinishedAt)
		// The engine stamps StartedAt when its start call returns, which
		// for a process that exits at once can be after FinishedAt (by
		// half a millisecond on 20.10); a container never ends before it
		// starts.
		if !info.FinishedAt.IsZero() && info.FinishedAt.Before(info.StartedAt) {
			info.FinishedAt = info.StartedAt
		}
		info.Health = health(st.Health)
		// A container whose start failed is "created" (or "dead" when
		// its removal failed) and never ran.
		info.Exited = st.Status == container.StateExited ||
			(st.Status == container.StateDead && !info.StartedAt.IsZero())
	}
	info.NetworkBindings = networkBindings(c)
	return info
}

// engineTime parses the engine's RFC 3339 times; its "never" is
// 0001-01-01T00:00:00Z, which becomes the zero time.
func engineTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}

func health(h *container.Health) string {
	if h == nil {
		return agent.RuntimeHealthNone
	}
	switch h.Status {
	case container.Starting:
		return agent.RuntimeHealthStarting
	case container.Healthy:
		return agent.RuntimeHealthHealthy
	case container.Unhealthy:
		return agent.RuntimeHealthUnhealthy
	default:
		return agent.RuntimeHealthNone
	}
}

// networkBindings are a container's published ports as ECS reports them,
// sorted by container port, protocol and bind IP.
//
// In bridge mode they are the engine's NetworkSettings.Ports. Engine 20.10
// publishes a port bound to no particular address twice, on 0.0.0.0 and
// on ::; ECS reports it once, so the :: twin is dropped. In host mode the
// engine publishes nothing; the container's exposed ports are the host's,
// so they are reported on 0.0.0.0 with hostPort = containerPort.
func networkBindings(c container.InspectResponse) []wire.NetworkBinding {
	var out []wire.NetworkBinding
	if c.HostConfig != nil && c.HostConfig.NetworkMode == network.NetworkHost && c.Config != nil {
		for p := range c.Config.ExposedPorts {
			out = append(out, binding("0.0.0.0", p, p.Num()))
		}
	} else if c.NetworkSettings != nil {
		for p, bs := range c.NetworkSettings.Ports {
			anyV4 := slices.ContainsFunc(bs, func(b network.PortBinding) bool {
				return b.HostIP.Is4() && b.HostIP.IsUnspecified()
			})
			for _, b := range bs {
				hostPort, err := strconv.ParseUint(b.HostPort, 10, 16)
				if err != nil || (anyV4 && b.HostIP.Is6() && b.HostIP.IsUnspecified()) {
					continue // unpublished, or the :: twin of 0.0.0.0
				}
				ip := "0.0.0.0"
				if b.HostIP.IsValid() {
					ip = b.HostIP.String()
				}
				out = append(out, binding(ip, p, uint16(hostPort)))
			}
		}
	}
	slices.SortFunc(out, func(a, b wire.NetworkBinding) int {
		return cmp.Or(cmp.Compare(*a.ContainerPort, *b.ContainerPort),
			strings.Compare(string(a.Protocol), string(b.Protocol)),
			strings.Compare(*a.BindIP, *b.BindIP))
	})
	return out
}

func binding(ip string, p network.Port, hostPort uint16) wire.NetworkBinding {
	return wire.NetworkBinding{
		BindIP:        new(ip),
		ContainerPort: new(int32(p.Num())),
		HostPort:      new(int32(hostPort)),
		Protocol:      wire.TransportProtocol(p.Proto()),
	}
}
