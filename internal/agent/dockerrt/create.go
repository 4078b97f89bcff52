package dockerrt

import (
	"context"
	"errors"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/berth-org/berth/internal/agent"
)

// Create translates c (containerSpec), makes sure the Docker volumes it
// mounts exist, and creates the container named c.Name. It does not
// start it. On failure the dynamic host ports allocated for it are freed.
func (r *Runtime) Create(ctx context.Context, c agent.ContainerConfig) (string, error) {
	spec, err := containerSpec(c, r.ports)
	id := ""
	if err == nil {
		id, err = r.create(ctx, c, spec)
	}
	if err != nil {
		r.ports.free(spec.Dynamic)
		return "", err
	}
	r.log.Info("created container", "container", c.Name, "id", id, "task", c.TaskID)
	return id, nil
}

func (r *Runtime) create(ctx context.Context, c agent.ContainerConfig, spec createSpec) (string, error) {
	for _, v := range spec.Volumes {
		if err := r.ensureVolume(ctx, v); err != nil {
			return "", err
		}
	}
	cctx, cancel := context.WithTimeout(ctx, createTimeout)
	defer cancel()
	res, err := r.cli.ContainerCreate(cctx, client.ContainerCreateOptions{
		Name: c.Name, Config: spec.Config, HostConfig: spec.Host,
	})
	if err != nil {
		return "", classify(ctx, agent.ErrCreate, fmt.Errorf("create container %s: %w", c.Name, err))
	}
	for _, w := range res.Warnings {
		r.log.Warn("engine warning on create", "container", c.Name, "warning", w)
	}
	return res.ID, nil
}

// ensureVolume creates v unless it exists. A task-scoped volume is
// created by whichever of the task's containers comes first; the engine
// returns the existing volume to the others. A shared volume is created
// only when autoprovision is set.
func (r *Runtime) ensureVolume(ctx context.Context, v volumeSpec) error {
	vctx, cancel := context.WithTimeout(ctx, volumeTimeout)
	defer cancel()
	if v.Shared {
		_, err := r.cli.VolumeInspect(vctx, v.Name, client.VolumeInspectOptions{})
		switch {
		case err == nil:
			return nil
		case !cerrdefs.IsNotFound(err):
			return classify(ctx, agent.ErrCreate, fmt.Errorf("inspect volume %s: %w", v.Name, err))
		case !v.Autoprovision:
			return createErr("shared volume %s does not exist and autoprovision is not set", v.Name)
		}
	}
	_, err := r.cli.VolumeCreate(vctx, client.VolumeCreateOptions{
		Name: v.Name, Driver: v.Driver, DriverOpts: v.DriverOpts, Labels: v.Labels,
	})
	if err != nil {
		return classify(ctx, agent.ErrCreate, fmt.Errorf("create volume %s: %w", v.Name, err))
	}
	r.log.Debug("volume ready", "volume", v.Name)
	return nil
}

// RemoveTaskVolumes removes the volumes labelled with taskID. The task's
// containers must be removed first: the engine refuses to remove a volume
// in use.
func (r *Runtime) RemoveTaskVolumes(ctx context.Context, taskID string) error {
	lctx, cancel := context.WithTimeout(ctx, listTimeout)
	res, err := r.cli.VolumeList(lctx, client.VolumeListOptions{
		Filters: client.Filters{}.Add("label", labelTaskID+"="+taskID),
	})
	cancel()
	if err != nil {
		return fmt.Errorf("list volumes of task %s: %w", taskID, err)
	}
	var errs []error
	for _, v := range res.Items {
		vctx, cancel := context.WithTimeout(ctx, volumeTimeout)
		_, err := r.cli.VolumeRemove(vctx, v.Name, client.VolumeRemoveOptions{})
		cancel()
		if err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove volume %s: %w", v.Name, err))
			continue
		}
		r.log.Debug("removed volume", "volume", v.Name, "task", taskID)
	}
	return errors.Join(errs...)
}
