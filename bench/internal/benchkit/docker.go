package benchkit

import (
	"context"
	"errors"
	"fmt"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// DockerTimeout bounds one Engine API call or docker CLI command of a
// benchmark. A container starts in a fraction of a second and a list
// takes milliseconds; tens of seconds mean the engine is stuck.
const DockerTimeout = 60 * time.Second

// LabelledContainers lists the ids of every container, running or not,
// with label key=value.
func LabelledContainers(ctx context.Context, api *client.Client, key, value string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, DockerTimeout)
	defer cancel()
	res, err := api.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", key+"="+value)})
	if err != nil {
		return nil, fmt.Errorf("list containers %s=%s: %w", key, value, err)
	}
	ids := make([]string, 0, len(res.Items))
	for _, c := range res.Items {
		ids = append(ids, c.ID)
	}
	return ids, nil
}

// RemoveLabelled force-removes every container with label key=value and
// returns how many there were.
func RemoveLabelled(ctx context.Context, api *client.Client, key, value string) (int, error) {
	ids, err := LabelledContainers(ctx, api, key, value)
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, id := range ids {
		cctx, cancel := context.WithTimeout(ctx, DockerTimeout)
		_, err := api.ContainerRemove(cctx, id, client.ContainerRemoveOptions{Force: true})
		cancel()
		if err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove %s: %w", id, err))
		}
	}
	return len(ids), errors.Join(errs...)
}

// AwaitNoneLabelled polls every interval until no container with label
// key=value exists, or timeout passes.
func AwaitNoneLabelled(ctx context.Context, api *client.Client, key, value string, timeout, interval time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		ids, err := LabelledContainers(ctx, api, key, value)
		if err == nil && len(ids) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d container(s) %s=%s still there after %s (last error: %v): %w", len(ids), key, value, timeout, err, ctx.Err())
		case <-time.After(interval):
		}
	}
}
