package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

const (
	// runLabel marks what this benchmark makes in Swarm with the run's id:
	// its services, and (as a container label) their containers.
	runLabel = "com.berth.bench-services.run"
	// nodeLabel marks the engine's Swarm node when this benchmark ran
	// 'docker swarm init': only such a swarm is ever reused or left. A
	// swarm without it belongs to someone else and is never touched.
	nodeLabel = "com.berth.bench-services.created"
	// serviceIDLabel is the label Swarm puts on a task's container.
	serviceIDLabel = "com.docker.swarm.service.id"
	// swarmLeaveTimeout bounds 'docker swarm leave --force' and the wait
	// for the node to be inactive: it takes a second or two.
	swarmLeaveTimeout = time.Minute
)

// swarmMode is the engine's Swarm mode, as this benchmark found or made it.
type swarmMode struct {
	e      *engine
	nodeID string
	// created says this benchmark (this run, or an interrupted earlier
	// one, by nodeLabel) initialised the swarm, so that it leaves it.
	created bool
}

// joinSwarm makes the engine a one-node swarm with 'docker swarm init
// --advertise-addr 127.0.0.1', or reuses the swarm an interrupted run of
// this benchmark left (removing that run's services). It refuses any
// other swarm: leaving it would disturb whoever made it, and measuring
// in it would measure their services too.
func joinSwarm(ctx context.Context, e *engine) (*swarmMode, error) {
	info, err := e.api.Info(ctx, client.InfoOptions{})
	if err != nil {
		return nil, fmt.Errorf("docker info: %w", err)
	}
	sw := info.Info.Swarm
	switch sw.LocalNodeState {
	case swarm.LocalNodeStateInactive:
		return initSwarm(ctx, e)
	case swarm.LocalNodeStateActive:
		node, err := e.api.NodeInspect(ctx, sw.NodeID, client.NodeInspectOptions{})
		if err != nil {
			return nil, fmt.Errorf("docker node inspect: %w", err)
		}
		if _, ours := node.Node.Spec.Labels[nodeLabel]; !ours {
			return nil, errors.New("this Docker Engine is already in a swarm that this benchmark did not create; " +
				"it is left alone: run the Swarm half on an engine outside any swarm, or '-only berth'")
		}
		fmt.Fprintln(os.Stderr, "bench-services: reusing the swarm an earlier run of this benchmark created")
		s := &swarmMode{e: e, nodeID: sw.NodeID, created: true}
		return s, s.removeLeftovers(ctx)
	default:
		return nil, fmt.Errorf("this Docker Engine's swarm state is %q (%s); not touching it", sw.LocalNodeState, sw.Error)
	}
}

// initSwarm runs 'docker swarm init' and labels the node as this
// benchmark's.
func initSwarm(ctx context.Context, e *engine) (*swarmMode, error) {
	if _, err := docker(ctx, "swarm", "init", "--advertise-addr", "127.0.0.1"); err != nil {
		return nil, err
	}
	s := &swarmMode{e: e, created: true}
	info, err := e.api.Info(ctx, client.InfoOptions{})
	if err != nil {
		return s, fmt.Errorf("docker info: %w", err)
	}
	s.nodeID = info.Info.Swarm.NodeID
	_, err = docker(ctx, "node", "update", "--label-add", nodeLabel+"="+time.Now().UTC().Format(time.RFC3339), s.nodeID)
	return s, err
}

// removeLeftovers removes every service of this benchmark (an interrupted
// earlier run's, or this run's after a failed create) and waits for their
// containers to be gone.
func (s *swarmMode) removeLeftovers(ctx context.Context) error {
	res, err := s.e.api.ServiceList(ctx, client.ServiceListOptions{Filters: client.Filters{}.Add("label", runLabel)})
	if err != nil {
		return fmt.Errorf("docker service ls: %w", err)
	}
	for _, svc := range res.Items {
		if err := s.remove(ctx, svc.Spec.Name, svc.ID, removeTimeout(maxReplicas)); err != nil {
			return err
		}
	}
	return nil
}

// leave runs 'docker swarm leave --force' if this benchmark created the
// swarm, and waits until the node is inactive. The services are removed
// before; leaving drops the swarm's state (raft log, networks).
func (s *swarmMode) leave(ctx context.Context) error {
	if s == nil || !s.created {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, swarmLeaveTimeout)
	defer cancel()
	if _, err := docker(ctx, "swarm", "leave", "--force"); err != nil {
		return err
	}
	for {
		info, err := s.e.api.Info(ctx, client.InfoOptions{})
		if err == nil && info.Info.Swarm.LocalNodeState == swarm.LocalNodeStateInactive {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("swarm not left after %s (last error: %v): %w", swarmLeaveTimeout, err, ctx.Err())
		case <-time.After(containerPollInterval):
		}
	}
}

// swarmUpdate is one kind of rolling update of the Swarm service.
type swarmUpdate struct {
	rev int
	// flags are added to 'docker service update': none for Swarm's
	// default update config (parallelism 1, delay 0, stop-first, monitor
	// 5 s), or the ones that make it replace every task at once,
	// starting each new task before stopping an old one, as berth's
	// default deployment configuration (maximumPercent 200,
	// minimumHealthyPercent 100) lets it.
	flags []string
}

// args is the 'docker service update' command line.
func (u swarmUpdate) args(name string) []string {
	args := append([]string{"service", "update", "--detach", "--no-resolve-image", "--env-add", revEnv(u.rev)}, u.flags...)
	return append(args, name)
}

var (
	swarmDefaultUpdate    = swarmUpdate{rev: 2}
	swarmStartFirstUpdate = swarmUpdate{rev: 3, flags: []string{"--update-parallelism", "0", "--update-order", "start-first"}}
)

// swarmRun times one Swarm round: create, then (if updates) the default
// rolling update and optionally the start-first one, then removes the
// service (not timed). A failed phase ends the round; its error is
// returned with what was measured before it. The removal's error is
// returned apart: the caller must not go on with the engine in an
// unknown state.
func (s *swarmMode) swarmRun(ctx context.Context, o options, name string, updates bool) (res swarmResult, measureErr, cleanupErr error) {
	t0, cpu0 := time.Now(), takeCPU(nil)
	id, err := docker(ctx, createArgs(o, name, s.e.imageID)...)
	if err != nil {
		// A create that timed out may still have made the service.
		return res, err, s.removeLeftovers(context.WithoutCancel(ctx))
	}
	defer func() { cleanupErr = s.remove(context.WithoutCancel(ctx), name, id, removeTimeout(o.replicas)) }()
	if res.create, err = awaitSteady(ctx, t0, cpu0, nil, o.replicas, phaseTimeout(o.replicas), s.observe(id, 1, t0, false)); err != nil {
		return res, fmt.Errorf("create: %w", err), nil
	}
	if !updates {
		return res, nil, nil
	}
	if res.update, err = s.update(ctx, o, name, id, swarmDefaultUpdate); err != nil {
		return res, fmt.Errorf("rolling update (default config): %w", err), nil
	}
	if o.startFirst {
		if res.startFirst, err = s.update(ctx, o, name, id, swarmStartFirstUpdate); err != nil {
			return res, fmt.Errorf("rolling update (start-first, parallelism 0): %w", err), nil
		}
	}
	return res, nil, nil
}

// createArgs is the 'docker service create' command line: the same
// image, command, memory limit and stop grace period as berth's task
// definition.
func createArgs(o options, name, image string) []string {
	args := []string{"service", "create", "--detach", "--no-resolve-image",
		"--name", name, "--label", runLabel + "=" + o.runID, "--container-label", runLabel + "=" + o.runID,
		"--replicas", strconv.Itoa(o.replicas),
		"--limit-memory", strconv.Itoa(taskMemoryMiB) + "M",
		"--stop-grace-period", strconv.Itoa(taskStopTimeoutS) + "s",
		"--env", revEnv(1),
		image}
	return append(args, taskCommand...)
}

// update starts one rolling update with 'docker service update' and
// times it to steady.
func (s *swarmMode) update(ctx context.Context, o options, name, id string, u swarmUpdate) (phase, error) {
	t0, cpu0 := time.Now(), takeCPU(nil)
	if _, err := docker(ctx, u.args(name)...); err != nil {
		return phase{}, err
	}
	return awaitSteady(ctx, t0, cpu0, nil, o.replicas, phaseTimeout(o.replicas), s.observe(id, u.rev, t0, true))
}

// observe lists the service's tasks (and, during an update, inspects the
// service for its UpdateStatus). A task counts as running when its state
// is running, whatever its desired state, and as of revision rev when its
// spec's environment has BENCH_REV=rev. An update counts as done only
// when Swarm says completed for an update started after t0: the previous
// update's "completed" stays until the new one starts. A paused or
// rolled-back update is an error.
func (s *swarmMode) observe(id string, rev int, t0 time.Time, update bool) observeFunc {
	marker := revEnv(rev)
	return func(ctx context.Context) (observation, error) {
		ctx, cancel := context.WithTimeout(ctx, dockerTimeout)
		defer cancel()
		tasks, err := s.e.api.TaskList(ctx, client.TaskListOptions{Filters: client.Filters{}.Add("service", id)})
		if err != nil {
			return observation{}, fmt.Errorf("task list: %w", err)
		}
		o := observation{done: !update}
		states := map[swarm.TaskState]int{}
		for _, t := range tasks.Items {
			states[t.Status.State]++
			switch {
			case t.Status.State != swarm.TaskStateRunning:
			case t.Spec.ContainerSpec != nil && slices.Contains(t.Spec.ContainerSpec.Env, marker):
				o.running++
			default:
				o.stale++
			}
		}
		o.detail = fmt.Sprintf("tasks by state %v", states)
		if !update {
			return o, nil
		}
		svc, err := s.e.api.ServiceInspect(ctx, id, client.ServiceInspectOptions{})
		if err != nil {
			return observation{}, fmt.Errorf("service inspect: %w", err)
		}
		st := svc.Service.UpdateStatus
		switch {
		case st == nil || st.StartedAt == nil || st.StartedAt.Before(t0):
			o.detail += "; this update not started yet"
		case st.State == swarm.UpdateStateCompleted:
			o.done = true
		case st.State == swarm.UpdateStateUpdating:
			o.detail += "; updating: " + st.Message
		default:
			return observation{}, fmt.Errorf("update %s: %s", st.State, st.Message)
		}
		return o, nil
	}
}

// remove runs 'docker service rm' and waits until the service's
// containers are gone; if they are not by then, it force-removes what is
// left of them and still reports the timeout.
func (s *swarmMode) remove(ctx context.Context, name, id string, timeout time.Duration) error {
	if _, err := docker(ctx, "service", "rm", name); err != nil {
		return err
	}
	err := s.e.awaitNoneLabelled(ctx, serviceIDLabel, id, timeout)
	if err != nil {
		err = errors.Join(err, s.e.removeLabelled(ctx, serviceIDLabel, id))
	}
	return err
}

// revEnv is the environment variable that tells the revisions apart, the
// same on both sides: BENCH_REV=1 at create, 2 after the rolling update.
func revEnv(rev int) string { return "BENCH_REV=" + strconv.Itoa(rev) }

// taskCommand is what every task's container runs on both sides: a shell
// that sleeps and exits at once on SIGTERM. A bare 'sleep' as PID 1
// ignores SIGTERM, so every stop would last the stop grace period, and a
// one-by-one stop-first update of 100 tasks would measure 100 grace
// periods rather than the orchestrator.
var taskCommand = []string{"sh", "-c", `trap "exit 0" TERM; sleep 3600 & wait`}

// shellWords is "docker ARGS..." as a person would type it, for the
// report: the arguments with spaces or quotes in single quotes.
func shellWords(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = a
		if strings.ContainsAny(a, " \"") {
			quoted[i] = "'" + a + "'"
		}
	}
	return "docker " + strings.Join(quoted, " ")
}
