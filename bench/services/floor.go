package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// floorWorkers is how many containers the engine floor creates and starts
// at once. On the 2-CPU machine 100 containers took 13.7 s with 2
// workers, 12.0 s with 3, 10.9 s with 4, 10.8 s with 8 and 11.0 s with
// 32 or 100: past 4 the engine is the limit, not the caller.
const floorWorkers = 8

// floorLabel marks the engine floor's containers with the run's id.
const floorLabel = "com.berth.bench-services.floor"

// floorRun times the engine floor: the Docker Engine API alone creating
// and starting o.replicas containers like berth's tasks and Swarm's
// (same image, command, environment, memory limit, CPU shares, stop
// timeout and default bridge network), floorWorkers at a time, until
// the same 100 ms poll sees them all running. No orchestrator can start
// its containers on this engine faster, so it bounds the ratio any of
// them can reach on create. The containers are removed after.
func (e *engine) floorRun(ctx context.Context, o options) (ph phase, measureErr, cleanupErr error) {
	t0, cpu0 := time.Now(), takeCPU(nil)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer func() {
		cctx := context.WithoutCancel(ctx)
		cleanupErr = errors.Join(e.removeLabelled(cctx, floorLabel, o.runID),
			e.awaitNoneLabelled(cctx, floorLabel, o.runID, removeTimeout(o.replicas)))
	}()
	started := make(chan error, 1)
	go func() { started <- e.startContainers(ctx, o) }()
	ph, err := awaitSteady(ctx, t0, cpu0, nil, o.replicas, phaseTimeout(o.replicas), e.observeFloor(o))
	if err != nil {
		cancel()
		return ph, errors.Join(err, <-started), nil
	}
	return ph, <-started, nil
}

// startContainers creates and starts o.replicas containers with
// floorWorkers workers, and returns the first failure.
func (e *engine) startContainers(ctx context.Context, o options) error {
	jobs := make(chan int)
	errs := make(chan error, floorWorkers)
	var wg sync.WaitGroup
	for range floorWorkers {
		wg.Go(func() {
			for range jobs {
				if err := e.startOne(ctx, o); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	go func() {
		defer close(jobs)
		for i := range o.replicas {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	return <-errs // nil when the channel is empty
}

// startOne creates and starts one container as berth's agent configures
// a task's (bridge network, json-file log driver: the engine's defaults).
func (e *engine) startOne(ctx context.Context, o options) error {
	ctx, cancel := context.WithTimeout(ctx, dockerTimeout)
	defer cancel()
	stop := taskStopTimeoutS
	r, err := e.api.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{
			Image: testImage, Cmd: taskCommand, Env: []string{revEnv(1)},
			Labels: map[string]string{floorLabel: o.runID}, StopTimeout: &stop,
		},
		HostConfig: &container.HostConfig{
			Resources: container.Resources{Memory: taskMemoryMiB << 20, CPUShares: taskCPU},
		},
	})
	if err != nil {
		return fmt.Errorf("engine floor: create: %w", err)
	}
	if _, err := e.api.ContainerStart(ctx, r.ID, client.ContainerStartOptions{}); err != nil {
		return fmt.Errorf("engine floor: start: %w", err)
	}
	return nil
}

// observeFloor counts the floor's running containers; it is done as soon
// as they all run (there is no rollout to finish).
func (e *engine) observeFloor(o options) observeFunc {
	return func(ctx context.Context) (observation, error) {
		ctx, cancel := context.WithTimeout(ctx, dockerTimeout)
		defer cancel()
		res, err := e.api.ContainerList(ctx, client.ContainerListOptions{
			Filters: client.Filters{}.Add("label", floorLabel+"="+o.runID).Add("status", "running"),
		})
		if err != nil {
			return observation{}, fmt.Errorf("list containers: %w", err)
		}
		n := len(res.Items)
		return observation{running: n, done: true, detail: fmt.Sprintf("%d containers running", n)}, nil
	}
}
