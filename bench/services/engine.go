package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/moby/moby/client"

	"github.com/berth-org/berth/bench/internal/benchkit"
)

const (
	// testImage is built locally by scripts/ensure-docker.sh ('make
	// docker'); no registry is reachable, so neither side ever pulls.
	testImage = "berth-test/busybox:latest"
	// dockerTimeout bounds one docker CLI command or Engine API call: a
	// 'docker service create' or a task list takes milliseconds.
	dockerTimeout = benchkit.DockerTimeout
	// connectTimeout bounds the Engine API ping and version negotiation.
	connectTimeout = 10 * time.Second
	// containerPollInterval paces the unmeasured waits for containers to
	// be gone: fast enough not to lengthen the run, slow enough not to
	// load the 2-CPU machine between measurements.
	containerPollInterval = 250 * time.Millisecond

	// instanceLabel is the label the agent puts on its containers, naming
	// its container instance (agent.LabelInstanceARN).
	instanceLabel = "com.berth.instance-arn"
)

// engine is the Docker Engine both sides run on: the berth agents create
// their containers on it, and Swarm mode runs in it.
type engine struct {
	api     *client.Client
	version string // e.g. "20.10.24+dfsg1 (API 1.41)", for the report
	// imageID is testImage's full ID ("sha256:..."). Swarm is given the
	// image by ID: a Swarm task given a tag asks the registry for the
	// newest image before every container start (and, with no registry
	// reachable, logs "pulling image failed" and goes on), while one given
	// an ID skips the pull. berth's agent never pulls an image it has.
	imageID string
}

// newEngine connects to the engine the docker CLI and the agents use
// (DOCKER_HOST, else the local socket) and checks the test image exists.
func newEngine(ctx context.Context) (*engine, error) {
	api, err := client.New(client.FromEnv)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if _, err := api.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		return nil, errors.Join(fmt.Errorf("docker engine: %w (run 'make docker')", err), api.Close())
	}
	img, err := api.ImageInspect(ctx, testImage)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("image %s: %w (run 'make docker'; never pulled)", testImage, err), api.Close())
	}
	v, err := api.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("docker version: %w", err), api.Close())
	}
	return &engine{api: api, version: v.Version + " (API " + v.APIVersion + ")", imageID: img.ID}, nil
}

// docker runs the docker CLI with args, bounded by dockerTimeout, and
// returns its trimmed standard output.
func docker(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, dockerTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("docker %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// removeLabelled force-removes every container with label key=value: the
// last resort of a clean-up, after the orchestrator had its chance.
func (e *engine) removeLabelled(ctx context.Context, key, value string) error {
	_, err := benchkit.RemoveLabelled(ctx, e.api, key, value)
	return err
}

// awaitNoneLabelled waits until no container with label key=value exists.
func (e *engine) awaitNoneLabelled(ctx context.Context, key, value string, timeout time.Duration) error {
	return benchkit.AwaitNoneLabelled(ctx, e.api, key, value, timeout, containerPollInterval)
}

// runningContainers counts the engine's running containers. Counted after
// the set-up and before the rounds, none are this run's: they are another
// user's load on the same engine and CPUs.
func (e *engine) runningContainers(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, dockerTimeout)
	defer cancel()
	res, err := e.api.ContainerList(ctx, client.ContainerListOptions{})
	if err != nil {
		return 0, fmt.Errorf("list containers: %w", err)
	}
	return len(res.Items), nil
}
