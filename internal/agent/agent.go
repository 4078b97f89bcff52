package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/berth-org/berth/internal/agentproto"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/version"
	"github.com/berth-org/berth/internal/wire"
)

const (
	// DefaultCleanupWait is how long a stopped task's containers are kept
	// for inspection before removal: ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION's
	// default (3 hours).
	DefaultCleanupWait = 3 * time.Hour
	// reconnectMin and reconnectMax bound the pause between attempts to
	// reopen a session: quick after a blip, capped so an outage costs one
	// attempt every few seconds.
	reconnectMin = 50 * time.Millisecond
	reconnectMax = 2 * time.Second
	// runtimeCallTimeout bounds the agent's own engine queries at start.
	runtimeCallTimeout = 30 * time.Second
)

// Config is what an agent needs.
type Config struct {
	Server  string // e.g. http://127.0.0.1:4040
	Cluster string
	DataDir string
	// Credentials sign the first registration (the server's keys). An
	// agent with a saved identity does not need them.
	Credentials      *agentproto.BootstrapCredentials
	Attributes       map[string]string
	AvailabilityZone string
	InstanceType     string
	CPUs             int // cores to offer; 0 means every core
	MemoryMiB        int // 0 means the machine's memory minus reservedMemoryMiB
	HostIP           string
	AllowPrivileged  bool
	CleanupWait      time.Duration // 0 means DefaultCleanupWait
	Runtime          Runtime
	// State keeps the agent's identity and task states; nil means files
	// in DataDir. NewMemoryState keeps them in memory only.
	State StateStore
	// HTTP, when set, carries the agent protocol over HTTP clients that
	// many agents in one process share; nil gives the agent its own.
	HTTP *HTTPClients
	Log  *slog.Logger
	Now  func() time.Time
}

// HTTPClients are the HTTP clients an agent's protocol calls go through
// (agentproto.NewClientWith).
type HTTPClients struct {
	Short  *http.Client // register, report, heartbeat
	Stream *http.Client // session streams: no Timeout
}

// Agent runs one container instance's tasks.
type Agent struct {
	cfg      Config
	rt       Runtime
	state    StateStore
	client   *agentproto.Client
	reporter *reporter
	log      *slog.Logger
	now      func() time.Time

	mu      sync.Mutex
	id      identity
	runners map[string]*runner
	ctx     context.Context // the runners' context, set by Run
	// wg counts the goroutines Run waits for before it returns: runners'
	// rounds and their stop calls. goMu guards adding to it against
	// closed, which Run sets before it waits, so that a wake-up after
	// that (a runner's timer) starts nothing. goMu is a leaf lock: it
	// is taken under mu.
	wg     sync.WaitGroup
	goMu   sync.Mutex
	closed bool
	// endSession ends the current session, for heartbeats to force a
	// reconnect.
	endSession context.CancelFunc
	// heartbeatInterval is the server's, from the registration answer.
	heartbeatInterval time.Duration
}

// New returns an agent; Run starts it.
func New(cfg Config) *Agent {
	if cfg.CleanupWait <= 0 {
		cfg.CleanupWait = DefaultCleanupWait
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.HostIP == "" {
		cfg.HostIP = "127.0.0.1"
	}
	if cfg.State == nil {
		cfg.State = disk{cfg.DataDir}
	}
	client := agentproto.NewClient(cfg.Server)
	if cfg.HTTP != nil {
		client = agentproto.NewClientWith(cfg.Server, cfg.HTTP.Short, cfg.HTTP.Stream)
	}
	a := &Agent{cfg: cfg, rt: cfg.Runtime, state: cfg.State, client: client,
		log: cfg.Log.With("cluster", cfg.Cluster), now: cfg.Now, runners: map[string]*runner{}}
	a.reporter = newReporter(a.client, a.log, a.abandon)
	return a
}

// InstanceARN is the registered instance's ARN ("" before Run registers).
func (a *Agent) InstanceARN() string { return a.identity().InstanceARN }

func (a *Agent) identity() identity {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.id
}

// Run registers the instance (unless Register did), re-adopts the tasks
// and containers it had, and runs until ctx ends. Containers keep running
// after it returns.
func (a *Agent) Run(ctx context.Context) error {
	if a.InstanceARN() == "" {
		if err := a.Register(ctx); err != nil {
			return err
		}
	}
	a.log = a.log.With("instance", a.InstanceARN())
	a.ctx = ctx
	a.goMu.Lock()
	a.closed = false
	a.goMu.Unlock()
	if err := a.adopt(ctx); err != nil {
		return err
	}
	var loops sync.WaitGroup
	for _, loop := range []func(context.Context){a.reporter.run, a.watchEvents, a.heartbeats} {
		loops.Add(1)
		go func() {
			defer loops.Done()
			loop(ctx)
		}()
	}
	err := a.sessions(ctx)
	loops.Wait()
	a.goMu.Lock()
	a.closed = true
	a.goMu.Unlock()
	a.wg.Wait()
	return err
}

// spawn runs fn in a goroutine Run waits for, and reports whether it did:
// once Run is done (or about to wait for the last ones), nothing starts.
func (a *Agent) spawn(fn func()) bool {
	a.goMu.Lock()
	defer a.goMu.Unlock()
	if a.closed || a.ctx.Err() != nil {
		return false
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		fn()
	}()
	return true
}

// Register joins the cluster, as the saved instance when there is one.
// Run calls it; calling it first lets a caller pace the registrations of
// many agents (berth agent --simulate).
func (a *Agent) Register(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(ctx, runtimeCallTimeout)
	engine, err := a.rt.Version(rctx)
	cancel()
	if err != nil {
		return fmt.Errorf("container engine: %w", err)
	}
	cpus, mem := a.cfg.CPUs, a.cfg.MemoryMiB
	if cpus <= 0 {
		cpus = runtime.NumCPU()
	}
	if mem <= 0 {
		total, err := machineMemoryMiB()
		if err != nil {
			return err
		}
		mem = max(total-reservedMemoryMiB, 0)
	}
	if _, err := parseAPIVersion(engine.API); err != nil {
		a.log.Warn("no docker-remote-api capabilities: tasks that need them will not be placed here", "err", err)
	}
	// Every registration, first or not, sends the attributes in full: the
	// server replaces the agent's built-in ones, so capabilities follow an
	// engine upgrade or a change of --allow-privileged at the next start.
	req := agentproto.RegisterRequest{
		Cluster:        a.cfg.Cluster,
		TotalResources: totalResources(cpus, mem),
		Attributes:     attributes(a.cfg, engine.API),
		VersionInfo:    wire.VersionInfo{AgentVersion: ptr(version.String()), DockerVersion: ptr("DockerVersion: " + engine.Release)},
	}
	saved, err := a.state.loadIdentity()
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	var resp agentproto.RegisterResponse
	switch {
	case saved != nil && saved.Cluster == a.cfg.Cluster:
		req.ContainerInstanceARN = saved.InstanceARN
		a.client.SetIdentity(saved.InstanceARN, saved.Token)
		resp, err = a.client.Register(ctx, req, nil)
		if agentproto.HasCode(err, agentproto.CodeUnauthorized) && a.cfg.Credentials != nil {
			resp, err = a.client.Register(ctx, req, a.cfg.Credentials)
		}
	case a.cfg.Credentials == nil:
		return errors.New("the agent has no saved identity and no credentials to register with")
	default:
		resp, err = a.client.Register(ctx, req, a.cfg.Credentials)
	}
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	id := identity{Server: a.cfg.Server, Cluster: a.cfg.Cluster, InstanceARN: resp.ContainerInstanceARN, Token: resp.Token}
	if err := a.state.saveIdentity(&id); err != nil {
		return fmt.Errorf("save identity: %w", err)
	}
	a.client.SetIdentity(id.InstanceARN, id.Token)
	a.heartbeatInterval = time.Duration(resp.HeartbeatIntervalMillis) * time.Millisecond
	if a.heartbeatInterval <= 0 {
		a.heartbeatInterval = agentproto.HeartbeatInterval(agentproto.DefaultHeartbeatTimeout)
	}
	a.mu.Lock()
	a.id = id
	a.mu.Unlock()
	a.log.Info("registered", "instance", id.InstanceARN, "cpu", cpus*1024, "memory", mem)
	return nil
}

// adopt restarts a runner for every task in the data dir. Each finds its
// containers by id and carries on; nothing is restarted.
func (a *Agent) adopt(ctx context.Context) error {
	states, err := a.state.loadTasks()
	if err != nil {
		return fmt.Errorf("load task state: %w", err)
	}
	for id, st := range states {
		a.startRunner(id, st)
	}
	if len(states) > 0 {
		a.log.Info("re-adopted tasks", "tasks", len(states))
	}
	return nil
}

func (a *Agent) startRunner(id string, st *taskState) *runner {
	r := newRunner(a, id, st)
	a.mu.Lock()
	a.runners[id] = r
	a.mu.Unlock()
	r.poke() // its first round
	return r
}

// apply hands the server's tasks to their runners, starting runners for
// new ones. With a snapshot, local tasks the server no longer has are
// abandoned, and every local task's state is reported again, except
// those just started from the server's own state.
func (a *Agent) apply(tasks []agentproto.Task, snapshot bool) {
	seen, fresh := map[string]bool{}, map[string]bool{}
	for _, t := range tasks {
		seen[t.Task.ID] = true
		a.mu.Lock()
		r := a.runners[t.Task.ID]
		a.mu.Unlock()
		switch {
		case r != nil:
			r.update(t)
		case t.Task.Known.LastStatus == ecs.TaskStopped:
			// Finished and forgotten here; the server has its final state.
		default:
			a.startRunner(t.Task.ID, &taskState{Payload: t, Known: cloneKnown(t.Task.Known)})
			fresh[t.Task.ID] = true
		}
	}
	if !snapshot {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for id, r := range a.runners {
		if !seen[id] {
			r.abandon()
		}
		if !fresh[id] {
			r.resend()
		}
	}
}

// abandon stops and forgets tasks the server says it does not have.
func (a *Agent) abandon(taskARNs []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.runners {
		for _, arn := range taskARNs {
			if r.arn == arn {
				r.abandon()
			}
		}
	}
}

func (a *Agent) forget(id string) {
	if err := a.state.removeTask(id); err != nil {
		a.log.Error("cannot remove task state", "task", id, "err", err)
	}
	a.mu.Lock()
	delete(a.runners, id)
	a.mu.Unlock()
}

// findContainer looks a task's container up by its labels.
func (a *Agent) findContainer(ctx context.Context, taskARN, name string) string {
	cs, err := a.rt.List(ctx, a.InstanceARN())
	if err != nil {
		return ""
	}
	for _, c := range cs {
		if c.Labels[LabelTaskARN] == taskARN && c.Labels[LabelContainerName] == name {
			return c.ID
		}
	}
	return ""
}
