package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/berth-org/berth/internal/agent"
	"github.com/berth-org/berth/internal/agent/simrt"
)

// What a simulated instance offers and how it behaves when the flags do
// not say: a simulated instance must never read the machine it runs on.
const (
	defaultSimCPUs         = 4
	defaultSimMemoryMiB    = 8192
	defaultSimInstanceType = "berth.sim"
	// defaultSimStartDelay is a small image's pull-and-start time on a
	// warm host.
	defaultSimStartDelay = time.Second
	// simCleanupWait replaces --cleanup-wait's 3 h when it is not given:
	// a simulated task's containers hold nothing to inspect, only the
	// fleet's memory, which under churn would grow for 3 hours.
	simCleanupWait = time.Minute
)

// simulateFlags are berth agent's --simulate flags.
type simulateFlags struct {
	instances  int
	startDelay time.Duration
	zones      string
}

func (s *simulateFlags) register(fset *flag.FlagSet) {
	fset.IntVar(&s.instances, "simulate", 0, fmt.Sprintf("run this many simulated container instances (at most %d) in this process, without Docker; 0 runs this machine's containers", simrt.MaxInstances))
	fset.DurationVar(&s.startDelay, "simulate-start-delay", defaultSimStartDelay, "with --simulate: how long after its creation a simulated container is running")
	fset.StringVar(&s.zones, "simulate-zones", "", "with --simulate: comma-separated availability zones, one per instance round-robin (default: <region>a,<region>b,<region>c)")
}

// runSimulate runs a fleet of simulated instances until ctx ends. cfg is
// the agent configuration the flags made; --data-dir and --docker-host
// have no use here.
func runSimulate(ctx context.Context, fset *flag.FlagSet, sim simulateFlags, cfg agent.Config, level slog.Level) error {
	set := map[string]bool{}
	fset.Visit(func(f *flag.Flag) { set[f.Name] = true })
	fc, err := sim.fleetConfig(cfg, set["cleanup-wait"])
	if err != nil {
		return err
	}
	for _, name := range []string{"data-dir", "docker-host"} {
		if set[name] {
			cfg.Log.Warn("flag has no use with --simulate", "flag", "--"+name)
		}
	}
	fc.Log = cfg.Log
	fc.AgentLog = slog.New(levelHandler{min: simAgentLevel(level), Handler: cfg.Log.Handler()})
	fleet, err := simrt.NewFleet(fc)
	if err != nil {
		return err
	}
	return fleet.Run(ctx)
}

// fleetConfig checks the flags and fills in a simulated instance's
// defaults.
func (s simulateFlags) fleetConfig(cfg agent.Config, cleanupWaitSet bool) (simrt.FleetConfig, error) {
	fc := simrt.FleetConfig{
		Instances: s.instances, Server: cfg.Server, Cluster: cfg.Cluster, Credentials: cfg.Credentials,
		InstanceType: cfg.InstanceType, CPUs: cfg.CPUs, MemoryMiB: cfg.MemoryMiB, Attributes: cfg.Attributes,
		HostIP: cfg.HostIP, AllowPrivileged: cfg.AllowPrivileged, CleanupWait: cfg.CleanupWait, StartDelay: s.startDelay,
	}
	switch {
	case s.instances < 0 || s.instances > simrt.MaxInstances:
		return fc, fmt.Errorf("--simulate must be between 0 and %d, got %d", simrt.MaxInstances, s.instances)
	case s.startDelay < 0:
		return fc, fmt.Errorf("--simulate-start-delay must not be negative, got %s", s.startDelay)
	case cfg.CPUs < 0 || cfg.MemoryMiB < 0:
		return fc, fmt.Errorf("--cpu and --memory must be positive, got %d and %d", cfg.CPUs, cfg.MemoryMiB)
	case cfg.Credentials == nil:
		return fc, errors.New("--simulate registers new instances, which needs the server's credentials: --credentials, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	zones, err := simZones(s.zones, agentRegion())
	if err != nil {
		return fc, err
	}
	fc.Zones = zones
	if fc.CPUs == 0 {
		fc.CPUs = defaultSimCPUs
	}
	if fc.MemoryMiB == 0 {
		fc.MemoryMiB = defaultSimMemoryMiB
	}
	if fc.InstanceType == "" {
		fc.InstanceType = defaultSimInstanceType
	}
	if !cleanupWaitSet {
		fc.CleanupWait = simCleanupWait
	}
	return fc, nil
}

// simZones parses --simulate-zones; empty means three zones of region.
func simZones(flagValue, region string) ([]string, error) {
	if flagValue == "" {
		return []string{region + "a", region + "b", region + "c"}, nil
	}
	zones := strings.Split(flagValue, ",")
	for i, z := range zones {
		zones[i] = strings.TrimSpace(z)
		if zones[i] == "" {
			return nil, fmt.Errorf("--simulate-zones: an empty zone in %q", flagValue)
		}
	}
	return zones, nil
}

// simAgentLevel is the simulated agents' log level: warn, so that
// thousands of instances do not each log their registration and session,
// unless debug was asked for.
func simAgentLevel(level slog.Level) slog.Level {
	if level < slog.LevelInfo {
		return level
	}
	return max(level, slog.LevelWarn)
}

// levelHandler logs only records at min or above, through a handler that
// may be shared (its writes stay serialized by it).
type levelHandler struct {
	min slog.Level
	slog.Handler
}

func (h levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return levelHandler{h.min, h.Handler.WithAttrs(attrs)}
}

func (h levelHandler) WithGroup(name string) slog.Handler {
	return levelHandler{h.min, h.Handler.WithGroup(name)}
}
