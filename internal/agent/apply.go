package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/berth-org/berth/internal/ecs"
)

// apply carries out one step decide chose. An error means the step could
// not be tried (the engine unreachable) and will be decided again; a step
// that fails for the task's own reasons (an image that cannot be pulled)
// instead records that in the known state.
func (r *runner) apply(ctx context.Context, act action) error {
	now := r.agent.now()
	switch act.kind {
	case actPull:
		return r.pull(ctx)
	case actStatus:
		r.setStatus(act.status, now)
	case actFail:
		r.fail(act.container, act.stopCode, act.reason)
	case actCreate:
		return r.create(ctx, act.container)
	case actStart:
		if err := r.agent.rt.Start(ctx, r.st.RuntimeIDs[act.container]); err != nil {
			if errors.Is(err, ErrStart) {
				r.fail(act.container, ecs.StopTaskFailedToStart, err.Error())
				return nil
			}
			return err
		}
		// After the call: the engine starts the process at its end, and a
		// dependency's startTimeout counts from then (dependenciesMet).
		r.st.StartedAt[act.container] = r.agent.now()
		r.dirty = true
	case actStop:
		r.stopContainer(ctx, act.container)
	case actRemove:
		for _, id := range r.st.RuntimeIDs {
			if err := r.agent.rt.Remove(ctx, id); err != nil {
				return err
			}
		}
		if err := r.agent.rt.RemoveTaskVolumes(ctx, r.id); err != nil {
			return err
		}
		r.st.Removed = true
		r.dirty = true
	default:
		return fmt.Errorf("unknown step %d", act.kind)
	}
	return nil
}

// setStatus moves the task's lastStatus forward and stamps the times ECS
// reports for it.
func (r *runner) setStatus(s ecs.TaskStatus, now time.Time) {
	k := &r.st.Known
	k.LastStatus = s
	switch s {
	case ecs.TaskRunning:
		k.StartedAt = now
	case ecs.TaskDeprovisioning:
		k.ExecutionStoppedAt = now
	case ecs.TaskStopped:
		if k.ExecutionStoppedAt.IsZero() {
			k.ExecutionStoppedAt = now
		}
		k.StoppedAt = now
		r.st.CleanupAt = now.Add(r.agent.cfg.CleanupWait)
		for i := range k.Containers {
			k.Containers[i].LastStatus = ecs.ContainerStopped
			k.Containers[i].NetworkBindings = nil
		}
	}
	r.dirty = true
}

// fail stops the task on the agent's own account. The first reason
// stands; a container named in the failure gets the reason too, as ECS
// reports CannotPullContainerError on the container.
func (r *runner) fail(container, code, reason string) {
	k := &r.st.Known
	if k.StopCode == "" {
		k.StopCode, k.StoppedReason = code, reason
		r.dirty = true
	}
	if code == ecs.StopTaskFailedToStart {
		if c := knownContainer(k, container); c != nil && c.Reason == "" {
			c.Reason = reason
			r.dirty = true
		}
	}
}

func (r *runner) pull(ctx context.Context) error {
	k := &r.st.Known
	k.PullStartedAt = r.agent.now()
	r.dirty = true
	for _, c := range r.containers {
		if _, err := r.agent.rt.EnsureImage(ctx, str(c.Image)); err != nil {
			if !errors.Is(err, ErrPull) {
				k.PullStartedAt = time.Time{}
				return err
			}
			r.fail(str(c.Name), ecs.StopTaskFailedToStart, err.Error())
			break
		}
	}
	k.PullStoppedAt = r.agent.now()
	return nil
}

func (r *runner) create(ctx context.Context, name string) error {
	def := r.containerDef(name)
	cfg := ContainerConfig{
		Name:            "berth-" + r.id + "-" + name,
		TaskID:          r.id,
		Labels:          r.labels(name),
		Def:             def,
		NetworkMode:     r.st.Payload.Definition.NetworkMode,
		Volumes:         r.st.Payload.Definition.Volumes,
		VolumesFrom:     r.volumesFrom(def),
		HostIP:          r.agent.cfg.HostIP,
		AllowPrivileged: r.agent.cfg.AllowPrivileged,
	}
	id, err := r.agent.rt.Create(ctx, cfg)
	if err != nil {
		// A container of this name may exist: created by an agent that
		// died before recording it. Adopt it rather than make another.
		if existing := r.agent.findContainer(ctx, r.st.Payload.Task.ARN, name); existing != "" {
			r.st.RuntimeIDs[name] = existing
			r.dirty = true
			return nil
		}
		if errors.Is(err, ErrPrivileged) {
			// Refused by this agent's policy, which ECS words as a create
			// failure.
			err = fmt.Errorf("%w: %w", ErrCreate, err)
		}
		if errors.Is(err, ErrCreate) {
			r.fail(name, ecs.StopTaskFailedToStart, err.Error())
			return nil
		}
		return err
	}
	r.st.RuntimeIDs[name] = id
	r.dirty = true
	return nil
}

// stopContainer sends a container its stop signal, and SIGKILL after its
// stopTimeout, without waiting: the engine's stop call returns only once
// the container has exited, up to stopTimeout later, and the task's other
// containers must not wait for it (decideStop). The call runs in its own
// goroutine, and the container is "signalled" (view.signalled) until it
// returns; then the runner looks again. A call that failed (the engine
// unreachable) is retried after retryDelay, as any failed step is; a
// stop cut short by the agent stopping is sent again by the next agent
// to run the task, since its container is still running.
func (r *runner) stopContainer(ctx context.Context, name string) {
	timeout := defaultStopTimeout
	if def := r.containerDef(name); def != nil && def.StopTimeout != nil {
		timeout = time.Duration(*def.StopTimeout) * time.Second
	}
	id := r.st.RuntimeIDs[name]
	r.mu.Lock()
	r.stopping[name] = true
	r.mu.Unlock()
	started := r.agent.spawn(func() {
		err := r.agent.rt.Stop(ctx, id, timeout)
		if err != nil && !errors.Is(err, ErrNotFound) && ctx.Err() == nil {
			r.log.Warn("cannot stop container; retrying", "container", name, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(retryDelay):
			}
		}
		r.mu.Lock()
		delete(r.stopping, name)
		r.mu.Unlock()
		r.poke()
	})
	if !started { // the agent is stopping: the next one sends the stop
		r.mu.Lock()
		delete(r.stopping, name)
		r.mu.Unlock()
	}
}
