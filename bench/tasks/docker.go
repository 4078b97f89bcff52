package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

const (
	// testImage is built locally by scripts/ensure-docker.sh; no registry
	// is reachable, so nothing here ever pulls.
	testImage = "berth-test/busybox:latest"
	// dockerTimeout bounds one docker CLI command or Engine API call. A
	// container starts in a fraction of a second; tens of seconds mean the
	// engine is stuck.
	dockerTimeout = 60 * time.Second
	// connectTimeout bounds the Engine API ping and version negotiation.
	connectTimeout = 10 * time.Second

	// baselineLabel marks the baseline's containers with the run's id, so
	// that clean-up removes exactly those, and never another user's.
	baselineLabel = "com.berth.bench-tasks.run"
	// instanceLabel is the label the agent puts on its containers, naming
	// its container instance (agent.LabelInstanceARN).
	instanceLabel = "com.berth.instance-arn"
)

// dockerEnv runs the baselines on the Docker Engine the agent uses, and
// cleans up after them and the agent.
type dockerEnv struct {
	api     *client.Client
	runID   string
	version string // e.g. "20.10.24+dfsg1 (API 1.41)", for the report
}

// newDockerEnv connects to the engine the docker CLI and the agent use
// (DOCKER_HOST, else the local socket) and checks the test image exists.
func newDockerEnv(ctx context.Context, runID string) (*dockerEnv, error) {
	api, err := client.New(client.FromEnv)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if _, err := api.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		return nil, errors.Join(fmt.Errorf("docker engine: %w (run 'make docker')", err), api.Close())
	}
	if _, err := api.ImageInspect(ctx, testImage); err != nil {
		return nil, errors.Join(fmt.Errorf("image %s: %w (run 'make docker'; never pulled)", testImage, err), api.Close())
	}
	v, err := api.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("docker version: %w", err), api.Close())
	}
	return &dockerEnv{api: api, runID: runID, version: v.Version + " (API " + v.APIVersion + ")"}, nil
}

// cliRun runs 'docker run -d --rm IMAGE sleep 3600' (plus the baseline
// label) and returns the new container's id and the command's wall time,
// from just before the process starts to its exit.
func (d *dockerEnv) cliRun(ctx context.Context) (string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, dockerTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", "run", "-d", "--rm", "--label", baselineLabel+"="+d.runID, testImage, "sleep", "3600")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	elapsed := time.Since(start)
	if err != nil {
		return "", 0, fmt.Errorf("docker run -d: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), elapsed, nil
}

// cliRemove runs 'docker rm -f' on ids.
func (d *dockerEnv) cliRemove(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, dockerTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", append([]string{"rm", "-f"}, ids...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("docker rm -f: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// apiRun creates and starts the same container through the Engine API:
// ContainerCreate then ContainerStart, the two calls 'docker run -d'
// makes, without the CLI's own process start and set-up. It returns the
// id and the two calls' wall time.
func (d *dockerEnv) apiRun(ctx context.Context) (string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, dockerTimeout)
	defer cancel()
	start := time.Now()
	res, err := d.api.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{
			Image:  testImage,
			Cmd:    []string{"sleep", "3600"},
			Labels: map[string]string{baselineLabel: d.runID},
		},
		HostConfig: &container.HostConfig{AutoRemove: true},
	})
	if err != nil {
		return "", 0, fmt.Errorf("ContainerCreate: %w", err)
	}
	if _, err := d.api.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		return res.ID, 0, fmt.Errorf("ContainerStart: %w", err)
	}
	return res.ID, time.Since(start), nil
}

// apiRemove force-removes ids through the Engine API.
func (d *dockerEnv) apiRemove(ctx context.Context, ids []string) error {
	var errs []error
	for _, id := range ids {
		cctx, cancel := context.WithTimeout(ctx, dockerTimeout)
		_, err := d.api.ContainerRemove(cctx, id, client.ContainerRemoveOptions{Force: true})
		cancel()
		if err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// labelled lists the ids of every container, running or not, with label
// key=value.
func (d *dockerEnv) labelled(ctx context.Context, key, value string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, dockerTimeout)
	defer cancel()
	res, err := d.api.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", key+"="+value)})
	if err != nil {
		return nil, fmt.Errorf("list containers %s=%s: %w", key, value, err)
	}
	ids := make([]string, 0, len(res.Items))
	for _, c := range res.Items {
		ids = append(ids, c.ID)
	}
	return ids, nil
}

// removeLabelled force-removes every container with label key=value and
// returns how many there were.
func (d *dockerEnv) removeLabelled(ctx context.Context, key, value string) (int, error) {
	ids, err := d.labelled(ctx, key, value)
	if err != nil {
		return 0, err
	}
	return len(ids), d.apiRemove(ctx, ids)
}

// awaitNoneLabelled waits until no container with label key=value exists:
// the agent has removed its stopped tasks' containers.
func (d *dockerEnv) awaitNoneLabelled(ctx context.Context, key, value string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		ids, err := d.labelled(ctx, key, value)
		if err == nil && len(ids) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d container(s) %s=%s still there after %s (last error: %v): %w", len(ids), key, value, timeout, err, ctx.Err())
		case <-time.After(statusPollInterval):
		}
	}
}

// otherContainers counts the running containers on the engine that are
// not this run's: another user's load on the same engine and CPUs.
func (d *dockerEnv) otherContainers(ctx context.Context, instanceARN string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, dockerTimeout)
	defer cancel()
	res, err := d.api.ContainerList(ctx, client.ContainerListOptions{})
	if err != nil {
		return 0, fmt.Errorf("list containers: %w", err)
	}
	n := 0
	for _, c := range res.Items {
		if c.Labels[baselineLabel] != d.runID && (instanceARN == "" || c.Labels[instanceLabel] != instanceARN) {
			n++
		}
	}
	return n, nil
}

// parallel calls f(ctx, i) for i in [0, n) on workers goroutines and
// returns the errors joined. Work is handed out in order, so with n = 50
// and 10 workers, 10 calls are always in flight until the last 10.
func parallel(ctx context.Context, n, workers int, f func(ctx context.Context, i int) error) error {
	next := make(chan int)
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for range min(workers, n) {
		wg.Go(func() {
			for i := range next {
				if err := f(ctx, i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}
