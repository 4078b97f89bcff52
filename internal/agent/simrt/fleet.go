package simrt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/berth-org/berth/internal/agent"
	"github.com/berth-org/berth/internal/agentproto"
)

const (
	// MaxInstances bounds one fleet: 100,000 instances need as many open
	// files (one connection per session stream) in the fleet's process
	// and in the server's.
	MaxInstances = 100_000
	// registerConcurrency is how many registrations are in flight at once.
	// Each is a few etcd transactions on the server; 32 keep it busy
	// without queueing thousands of requests behind etcd, and a fleet of
	// 5,000 registers in seconds (docs/agent.md has the measurement).
	registerConcurrency = 32
	// registerAttempts bounds the tries of one instance's registration. A
	// server busy with thousands of registrations and sessions may time
	// one out (each try is bounded by the protocol's request timeout,
	// 10 s); a refusal (bad credentials, no such cluster) is final.
	registerAttempts = 3
	// registerRetryDelay paces those tries, leaving the server time to
	// catch up.
	registerRetryDelay = time.Second
	// maxShortConns bounds the connections of the fleet's request-response
	// calls (heartbeats, reports). One takes about a millisecond on a
	// healthy server, so 256 in flight is far more than 5,000 agents
	// heartbeating every 15 s need; past it, calls wait for a connection,
	// each still bounded by the protocol's request timeout.
	maxShortConns = 256
	// fileHeadroom is the open files a fleet needs besides one per
	// session stream: its short-call connections and a few of its own.
	fileHeadroom = maxShortConns + 64
	// streamHeaderTimeout bounds how long opening a session may take before
	// the server answers, as agentproto.NewClient's does.
	streamHeaderTimeout = 10 * time.Second
)

// errOpenFiles: the process may not open a file per instance.
var errOpenFiles = errors.New("not enough open files for one connection per simulated instance")

// FleetConfig describes the simulated instances of a fleet. Every
// instance registers with the same resources and attributes, in its own
// availability zone, round-robin over Zones.
type FleetConfig struct {
	Instances   int
	Server      string
	Cluster     string
	Credentials *agentproto.BootstrapCredentials // required: every instance registers anew
	Zones       []string
	// InstanceType, CPUs, MemoryMiB, Attributes, HostIP, AllowPrivileged
	// and CleanupWait are each instance's, as agent.Config's.
	InstanceType    string
	CPUs            int
	MemoryMiB       int
	Attributes      map[string]string
	HostIP          string
	AllowPrivileged bool
	CleanupWait     time.Duration
	StartDelay      time.Duration // Config.StartDelay of every instance's runtime
	// Log is the fleet's own log; AgentLog every agent's (nil: Log).
	Log, AgentLog *slog.Logger
}

func (c FleetConfig) validate() error {
	switch {
	case c.Instances < 1 || c.Instances > MaxInstances:
		return fmt.Errorf("a fleet has 1 to %d instances, not %d", MaxInstances, c.Instances)
	case c.StartDelay < 0:
		return fmt.Errorf("the start delay must not be negative, got %s", c.StartDelay)
	case len(c.Zones) == 0:
		return errors.New("a fleet needs at least one availability zone")
	case c.CPUs < 1 || c.MemoryMiB < 1:
		return fmt.Errorf("a simulated instance needs CPU and memory, got %d cores and %d MiB", c.CPUs, c.MemoryMiB)
	case c.Credentials == nil:
		return errors.New("simulated instances register anew each time, which needs the server's credentials")
	}
	for _, z := range c.Zones {
		if z == "" {
			return errors.New("an availability zone must not be empty")
		}
	}
	return nil
}

// Fleet is N simulated container instances in one process.
type Fleet struct {
	cfg        FleetConfig
	agents     []*agent.Agent
	registered chan struct{}
}

// NewFleet returns a fleet; Run registers and runs it.
func NewFleet(cfg FleetConfig) (*Fleet, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := ensureOpenFiles(uint64(cfg.Instances) + fileHeadroom); err != nil {
		return nil, fmt.Errorf("%d simulated instances: %w", cfg.Instances, err)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.AgentLog == nil {
		cfg.AgentLog = cfg.Log
	}
	f := &Fleet{cfg: cfg, agents: make([]*agent.Agent, cfg.Instances), registered: make(chan struct{})}
	clients := sharedHTTP(cfg.Instances)
	for i := range f.agents {
		f.agents[i] = agent.New(agent.Config{
			Server: cfg.Server, Cluster: cfg.Cluster, Credentials: cfg.Credentials,
			Attributes: cfg.Attributes, AvailabilityZone: cfg.Zones[i%len(cfg.Zones)], InstanceType: cfg.InstanceType,
			CPUs: cfg.CPUs, MemoryMiB: cfg.MemoryMiB, HostIP: cfg.HostIP, AllowPrivileged: cfg.AllowPrivileged,
			CleanupWait: cfg.CleanupWait, Runtime: New(Config{StartDelay: cfg.StartDelay}),
			State: agent.NewMemoryState(), HTTP: clients, Log: cfg.AgentLog,
		})
	}
	return f, nil
}

// sharedHTTP are the HTTP clients every agent of a fleet of n uses:
// streams need a connection each (HTTP/1.1), so their transport is
// unbounded; every other call shares a pool of at most maxShortConns,
// all of which may stay idle between heartbeats rather than be closed
// and reopened.
func sharedHTTP(n int) *agent.HTTPClients {
	short := http.DefaultTransport.(*http.Transport).Clone()
	conns := min(n, maxShortConns)
	short.MaxConnsPerHost, short.MaxIdleConns, short.MaxIdleConnsPerHost = conns, conns, conns
	stream := http.DefaultTransport.(*http.Transport).Clone()
	stream.ResponseHeaderTimeout = streamHeaderTimeout
	return &agent.HTTPClients{Short: &http.Client{Transport: short}, Stream: &http.Client{Transport: stream}}
}

// Registered is closed once every instance has registered.
func (f *Fleet) Registered() <-chan struct{} { return f.registered }

// InstanceARNs are the instances' ARNs ("" for one not yet registered).
func (f *Fleet) InstanceARNs() []string {
	out := make([]string, len(f.agents))
	for i, a := range f.agents {
		out[i] = a.InstanceARN()
	}
	return out
}

// Run registers every instance, at most registerConcurrency at a time,
// each starting to run as soon as it is registered, and runs them until
// ctx ends. A registration that fails stops the fleet with its error
// (instances registered by then stay registered, disconnected). An
// instance whose agent stops (deregistered) is logged; the others go on.
func (f *Fleet) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	log := f.cfg.Log.With("cluster", f.cfg.Cluster)
	log.Info("registering simulated instances", "n", len(f.agents), "server", f.cfg.Server,
		"zones", f.cfg.Zones, "concurrency", registerConcurrency)
	began := time.Now()
	var runs sync.WaitGroup
	err := f.register(ctx, func(a *agent.Agent) {
		runs.Go(func() {
			if err := a.Run(ctx); err != nil && ctx.Err() == nil {
				log.Error("simulated instance stopped", "instance", a.InstanceARN(), "err", err)
			}
		})
	})
	if err == nil && ctx.Err() == nil {
		log.Info("simulated instances registered", "n", len(f.agents), "elapsed", time.Since(began).Round(time.Millisecond))
		close(f.registered)
	}
	if err != nil {
		cancel()
	}
	runs.Wait()
	return err
}

// register registers every agent, handing each to run once it is
// registered, and returns the first failure.
func (f *Fleet) register(parent context.Context, run func(*agent.Agent)) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	slots := make(chan struct{}, registerConcurrency)
	for i, a := range f.agents {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			err := registerWithRetries(ctx, a)
			<-slots
			if err != nil {
				if parent.Err() != nil {
					return // the fleet is stopping, not failing
				}
				once.Do(func() {
					first = fmt.Errorf("simulated instance %d of %d: %w", i+1, len(f.agents), err)
					cancel()
				})
				return
			}
			run(a)
		})
	}
	wg.Wait()
	return first
}

// registerWithRetries registers a, trying again after a failure that may
// be the server's passing overload. (A try that timed out may yet have
// registered an instance on the server; it stays there, disconnected.)
func registerWithRetries(ctx context.Context, a *agent.Agent) error {
	var err error
	for range registerAttempts {
		if err = a.Register(ctx); err == nil || refused(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(registerRetryDelay):
		}
	}
	return err
}

// refused reports whether the server answered a registration with a
// refusal that trying again cannot change.
func refused(err error) bool {
	var e *agentproto.Error
	return errors.As(err, &e) && e.Status/100 == 4
}
