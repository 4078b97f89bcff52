package agent

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/berth-org/berth/internal/agentproto"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

const (
	// defaultStopTimeout is how long a container gets between its stop
	// signal and SIGKILL when its definition sets no stopTimeout: the ECS
	// agent's ECS_CONTAINER_STOP_TIMEOUT default.
	defaultStopTimeout = 30 * time.Second
	// maxStepsPerWake bounds the steps one wake-up takes before it reports
	// and waits again, so a task can never spin the agent.
	maxStepsPerWake = 64
	// retryDelay paces a step that failed for a reason outside the task
	// (the engine unreachable): decide again after it.
	retryDelay = time.Second
	// oomReason is ECS's container reason for a container the kernel
	// killed at its memory limit.
	oomReason = "OutOfMemoryError: Container killed due to memory usage"
)

// runner drives one task in rounds: it observes the containers, asks
// decide for the next step, applies it, persists, and reports. One
// goroutine at a time runs its rounds (drive), and only it writes the
// task's known state. It runs only while there are rounds to run: a
// wake-up (the server's new view, a container event, the time the last
// round asked for) starts one, and it leaves when no wake-up came during
// its last round. A task at rest holds no goroutine, so a simulated fleet
// of 100,000 running tasks has no 100,000 stacks for the collector to
// scan and shrink, and for the next round to grow again (measured in
// docs/performance.md).
type runner struct {
	agent *Agent
	id    string
	arn   string
	log   *slog.Logger
	// timer wakes the runner when its last round asked to be woken; nil
	// until one did. Only the goroutine running rounds touches it.
	timer *time.Timer

	mu sync.Mutex
	// active says a goroutine is running rounds, or that the task was
	// forgotten and runs none; again, that a wake-up came meanwhile and
	// the goroutine must run another round before it leaves. Both
	// guarded by mu.
	active, again bool
	payload       agentproto.Task // the server's latest view; guarded by mu
	orphan        bool            // guarded by mu
	resent        bool            // guarded by mu: report the state again
	// stopping names the containers whose stop call is in flight (see
	// stopContainer); guarded by mu.
	stopping map[string]bool

	st         *taskState // owned by the goroutine running rounds
	containers []wire.ContainerDefinition
	dirty      bool
	// reported is the known state last handed to the reporter (at first,
	// the server's); force reports the next commit whatever changed.
	reported ecs.Known
	force    bool
}

func newRunner(a *Agent, id string, st *taskState) *runner {
	r := &runner{agent: a, id: id, arn: st.Payload.Task.ARN, st: st, payload: st.Payload, orphan: st.Orphaned,
		log: a.log.With("task", id), stopping: map[string]bool{}, reported: cloneKnown(st.Known)}
	if r.st.RuntimeIDs == nil {
		r.st.RuntimeIDs = map[string]string{}
	}
	if r.st.StartedAt == nil {
		r.st.StartedAt = map[string]time.Time{}
	}
	r.containers = ecs.ApplyOverrides(&st.Payload.Definition, st.Payload.Task.Overrides)
	return r
}

// update hands the runner the server's latest view of its task.
func (r *runner) update(p agentproto.Task) {
	r.mu.Lock()
	if p.Task.Version >= r.payload.Task.Version {
		r.payload = p
	}
	r.mu.Unlock()
	r.poke()
}

// abandon tells the runner the server no longer has its task.
func (r *runner) abandon() {
	r.mu.Lock()
	r.orphan = true
	r.mu.Unlock()
	r.poke()
}

// resend reports the task's state again, whether or not it changed: after
// a new session, so the server reconciles with everything the agent knows.
func (r *runner) resend() {
	r.mu.Lock()
	r.resent = true
	r.mu.Unlock()
	r.poke()
}

// poke asks for a round: it starts a goroutine to run rounds unless one
// is running, which then runs another.
func (r *runner) poke() {
	r.mu.Lock()
	if r.active {
		r.again = true
		r.mu.Unlock()
		return
	}
	r.active = true
	r.mu.Unlock()
	if !r.agent.spawn(r.drive) {
		r.mu.Lock()
		r.active = false // the agent is stopping
		r.mu.Unlock()
	}
}

// drive runs rounds until one ends with no wake-up having come during
// it, the task is forgotten, or the agent stops (its containers keep
// running).
func (r *runner) drive() {
	ctx := r.agent.ctx
	for ctx.Err() == nil {
		wakeAt, done := r.round(ctx)
		if done {
			if r.timer != nil {
				r.timer.Stop()
			}
			return // active stays set: a forgotten task runs no more rounds
		}
		if !wakeAt.IsZero() {
			r.wakeAt(wakeAt)
		}
		r.mu.Lock()
		if !r.again {
			r.active = false
			r.mu.Unlock()
			return
		}
		r.again = false
		r.mu.Unlock()
	}
	r.mu.Lock()
	r.active = false
	r.mu.Unlock()
}

// wakeAt has the runner woken at t, instead of when a round last asked.
func (r *runner) wakeAt(t time.Time) {
	d := max(time.Until(t), 0)
	if r.timer == nil {
		r.timer = time.AfterFunc(d, r.poke)
		return
	}
	r.timer.Reset(d)
}

// round observes, steps until there is nothing to do, and reports. It
// returns when to wake up again, or done when the task is forgotten.
func (r *runner) round(ctx context.Context) (time.Time, bool) {
	r.mu.Lock()
	desired, orphan := r.payload.Task.DesiredStatus, r.orphan
	r.st.Payload, r.st.Orphaned = r.payload, orphan
	if r.resent {
		r.resent, r.dirty, r.force = false, true, true
	}
	r.mu.Unlock()
	if orphan {
		desired = ecs.TaskStopped
	}
	r.observe(ctx)
	for range maxStepsPerWake {
		act := decide(r.view(desired, orphan))
		if act.kind == actWait {
			r.persist()
			r.report()
			if r.st.Removed {
				// Forget the task once the server has its final state; a
				// later snapshot still listing it as STOPPED is ignored.
				if r.agent.reporter.settled(r.st.Payload.Task.ARN) {
					r.agent.forget(r.id)
					return time.Time{}, true
				}
				return time.Now().Add(retryDelay), false
			}
			return act.wakeAt, false
		}
		if err := r.apply(ctx, act); err != nil {
			r.log.Warn("task step failed; retrying", "step", act.kind, "container", act.container, "err", err)
			r.persist()
			r.report()
			return time.Now().Add(retryDelay), false
		}
		if act.changesContainers() {
			r.observe(ctx)
		}
		r.persist()
	}
	r.report()
	return time.Now(), false
}

func (r *runner) view(desired ecs.TaskStatus, orphan bool) view {
	cleanupAt := r.st.CleanupAt
	if orphan {
		cleanupAt = time.Time{}
	}
	r.mu.Lock()
	signalled := maps.Clone(r.stopping)
	r.mu.Unlock()
	created := map[string]bool{}
	for name, id := range r.st.RuntimeIDs {
		created[name] = id != ""
	}
	return view{
		desired: desired, def: &r.st.Payload.Definition, containers: r.containers, known: &r.st.Known,
		created: created, startedAt: r.st.StartedAt, signalled: signalled,
		cleanupAt: cleanupAt, removed: r.st.Removed, now: r.agent.now(),
	}
}

// persist saves the known state if it changed, after every step: a
// crash can never have reported what the agent then forgets.
func (r *runner) persist() {
	if !r.dirty {
		return
	}
	r.dirty = false
	r.st.Known.Seq++
	r.st.Known.HealthStatus = ecs.TaskHealth(r.st.Known.Containers)
	if err := r.agent.state.saveTask(r.id, r.st); err != nil {
		r.log.Error("cannot persist task state", "err", err)
	}
}

// report hands the persisted known state to the reporter if it moved in a
// way worth reporting since the last report, or a resend asked. It runs
// when a round ends, not after each step: the steps of one round (the
// last container starting, then the task RUNNING) go out as one report.
func (r *runner) report() {
	if !r.force && !worthReporting(r.reported, r.st.Known) {
		return
	}
	r.force = false
	r.reported = cloneKnown(r.st.Known)
	r.agent.reporter.enqueue(agentproto.TaskState{TaskARN: r.st.Payload.Task.ARN, Known: cloneKnown(r.st.Known)})
}

// worthReporting says whether the known state moved in a way the ECS
// agent reports: the task reaching RUNNING or any later status, a
// container's status, health, exit code, reason or network bindings, or a
// stop code. The rest (PENDING → ACTIVATING, pull times, runtime ids, image
// digests, and the task's health, which its containers' decide) rides
// along with the next report, as the ECS agent sends pull times with the
// RUNNING state change. A task's way to RUNNING is then one report: its
// record is written twice (created, RUNNING) instead of four times.
func worthReporting(last, cur ecs.Known) bool {
	if last.LastStatus != cur.LastStatus && !cur.LastStatus.Before(ecs.TaskRunning) ||
		last.StopCode != cur.StopCode || last.StoppedReason != cur.StoppedReason ||
		len(last.Containers) != len(cur.Containers) {
		return true
	}
	for i, c := range cur.Containers {
		if !containerEqual(reportedPart(last.Containers[i]), reportedPart(c)) {
			return true
		}
	}
	return false
}

// reportedPart is what of a container is worth a report of its own: no
// runtime id or image digest, and no health as UNKNOWN (the server creates
// containers with none; the agent's first look says UNKNOWN).
func reportedPart(c ecs.Container) ecs.Container {
	c.RuntimeID, c.ImageDigest = "", ""
	if c.HealthStatus == "" {
		c.HealthStatus = ecs.HealthUnknown
	}
	return c
}

func cloneKnown(k ecs.Known) ecs.Known {
	k.Containers = slices.Clone(k.Containers)
	return k
}

// observe inspects the task's containers and folds what it sees into the
// known state.
func (r *runner) observe(ctx context.Context) {
	for i := range r.st.Known.Containers {
		c := &r.st.Known.Containers[i]
		id := r.st.RuntimeIDs[c.Name]
		if id == "" || c.LastStatus == ecs.ContainerStopped && r.st.Removed {
			continue
		}
		info, err := r.agent.rt.Inspect(ctx, id)
		if errors.Is(err, ErrNotFound) {
			r.containerVanished(c)
			continue
		}
		if err != nil {
			r.log.Warn("cannot inspect container", "container", c.Name, "err", err)
			continue
		}
		r.fold(c, info)
	}
}

// containerVanished handles a container removed behind the agent's back.
func (r *runner) containerVanished(c *ecs.Container) {
	if _, started := r.st.StartedAt[c.Name]; !started {
		delete(r.st.RuntimeIDs, c.Name) // never started: create it again
		return
	}
	if c.LastStatus != ecs.ContainerStopped {
		c.LastStatus = ecs.ContainerStopped
		c.Reason = "The container was removed outside the agent."
		r.dirty = true
	}
}

func (r *runner) fold(c *ecs.Container, info ContainerInfo) {
	next := *c
	next.RuntimeID = info.ID
	next.ImageDigest = info.ImageDigest
	switch {
	case info.Running:
		next.LastStatus = ecs.ContainerRunning
		next.NetworkBindings = info.NetworkBindings
		if _, ok := r.st.StartedAt[c.Name]; !ok {
			// Started by an agent that died before persisting it.
			r.st.StartedAt[c.Name] = info.StartedAt
			r.dirty = true
		}
	case info.Exited:
		next.LastStatus = ecs.ContainerStopped
		code := int32(info.ExitCode)
		next.ExitCode = &code
		next.NetworkBindings = nil
		if info.OOMKilled {
			next.Reason = oomReason
		}
		if _, ok := r.st.StartedAt[c.Name]; !ok {
			r.st.StartedAt[c.Name] = info.StartedAt
			r.dirty = true
		}
	}
	next.HealthStatus = containerHealth(r.containerDef(c.Name), info.Health)
	if !containerEqual(*c, next) {
		*c = next
		r.dirty = true
	}
}

func containerHealth(def *wire.ContainerDefinition, h string) string {
	if def == nil || def.HealthCheck == nil {
		return ecs.HealthUnknown
	}
	switch h {
	case RuntimeHealthHealthy:
		return ecs.HealthHealthy
	case RuntimeHealthUnhealthy:
		return ecs.HealthUnhealthy
	}
	return ecs.HealthUnknown
}

func containerEqual(a, b ecs.Container) bool {
	return a.RuntimeID == b.RuntimeID && a.ImageDigest == b.ImageDigest && a.LastStatus == b.LastStatus &&
		a.Reason == b.Reason && a.HealthStatus == b.HealthStatus && equalExit(a.ExitCode, b.ExitCode) &&
		slices.EqualFunc(a.NetworkBindings, b.NetworkBindings, bindingEqual)
}

func equalExit(a, b *int32) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func bindingEqual(a, b wire.NetworkBinding) bool {
	return str(a.BindIP) == str(b.BindIP) && i32(a.ContainerPort) == i32(b.ContainerPort) &&
		i32(a.HostPort) == i32(b.HostPort) && a.Protocol == b.Protocol
}

func i32(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

func (r *runner) containerDef(name string) *wire.ContainerDefinition {
	return containerDef(r.containers, name)
}

// labels are the labels every container of this task carries.
func (r *runner) labels(container string) map[string]string {
	return map[string]string{
		LabelInstanceARN:   r.agent.identity().InstanceARN,
		LabelCluster:       r.st.Payload.Task.Cluster,
		LabelTaskARN:       r.st.Payload.Task.ARN,
		LabelContainerName: container,
	}
}

func (r *runner) volumesFrom(def *wire.ContainerDefinition) map[string]string {
	out := map[string]string{}
	for _, vf := range def.VolumesFrom {
		out[str(vf.SourceContainer)] = r.st.RuntimeIDs[str(vf.SourceContainer)]
	}
	return maps.Clone(out)
}
