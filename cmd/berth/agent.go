package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-org/berth/internal/agent"
	"github.com/berth-org/berth/internal/agent/dockerrt"
	"github.com/berth-org/berth/internal/agentproto"
	"github.com/berth-org/berth/internal/awsjson"
)

// attributeFlags collects repeated --attribute name=value flags.
type attributeFlags map[string]string

func (a attributeFlags) String() string { return fmt.Sprint(map[string]string(a)) }

func (a attributeFlags) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("want name=value, got %q", s)
	}
	a[name] = value
	return nil
}

func runAgent(ctx context.Context, args []string, stderr io.Writer) error {
	fset := flag.NewFlagSet("berth agent", flag.ContinueOnError)
	fset.SetOutput(stderr)
	attrs := attributeFlags{}
	var cfg agent.Config
	fset.StringVar(&cfg.Server, "server", "http://"+defaultListen, "URL of the berth server")
	fset.StringVar(&cfg.Cluster, "cluster", "default", "cluster to join")
	fset.StringVar(&cfg.DataDir, "data-dir", filepath.Join(defaultDataDir(), "agent"), "agent state: identity and task state")
	fset.Var(attrs, "attribute", "custom attribute name=value (repeatable)")
	fset.StringVar(&cfg.AvailabilityZone, "availability-zone", "", "the ecs.availability-zone attribute")
	fset.StringVar(&cfg.InstanceType, "instance-type", "", "the ecs.instance-type attribute")
	fset.IntVar(&cfg.CPUs, "cpu", 0, "cores to offer, 1024 CPU units each (default: every core)")
	fset.IntVar(&cfg.MemoryMiB, "memory", 0, "MiB of memory to offer (default: the machine's, less 256 MiB for the system)")
	fset.StringVar(&cfg.HostIP, "host-ip", "127.0.0.1", "address container ports are published on")
	fset.BoolVar(&cfg.AllowPrivileged, "allow-privileged", false, "allow task definitions with privileged containers")
	fset.DurationVar(&cfg.CleanupWait, "cleanup-wait", agent.DefaultCleanupWait, "how long a stopped task's containers are kept before removal")
	dockerHost := fset.String("docker-host", "", "Docker Engine address (default: DOCKER_HOST or the local socket)")
	credFile := fset.String("credentials", "", "the server's credentials file, to sign the first registration (default: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
	logLevel := fset.String("log-level", "info", "log level: debug, info, warn or error")
	debugListen := fset.String("debug-listen", "", "serve Go profiles (/debug/pprof/) on this address, unauthenticated: use a loopback address (default: off)")
	var sim simulateFlags
	sim.register(fset)
	if err := fset.Parse(args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	cfg.Log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg.Attributes = attrs
	creds, err := bootstrapCredentials(*credFile)
	if err != nil {
		return err
	}
	cfg.Credentials = creds
	if *debugListen != "" {
		if err := serveDebug(ctx, *debugListen, cfg.Log); err != nil {
			return err
		}
	}
	if sim.instances != 0 {
		return runSimulate(ctx, fset, sim, cfg, level)
	}
	rt, err := dockerrt.New(ctx, *dockerHost, cfg.Log)
	if err != nil {
		return err
	}
	cfg.Runtime = rt
	return agent.New(cfg).Run(ctx)
}

// bootstrapCredentials are the keys the first registration is signed
// with: the first key of a credentials file, else the AWS environment.
func bootstrapCredentials(path string) (*agentproto.BootstrapCredentials, error) {
	region := agentRegion()
	if path != "" {
		creds, err := awsjson.LoadCredentialsFile(path)
		if err != nil {
			return nil, err
		}
		for id, secret := range creds {
			return &agentproto.BootstrapCredentials{AccessKeyID: id, SecretAccessKey: secret, Region: region}, nil
		}
		return nil, errors.New("--credentials: the file holds no key")
	}
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return nil, nil // an agent with a saved identity needs none
	}
	return &agentproto.BootstrapCredentials{AccessKeyID: id, SecretAccessKey: secret, Region: region}, nil
}

// agentRegion is the region registrations are signed for: AWS_REGION, or
// the server's default.
func agentRegion() string {
	if region := os.Getenv("AWS_REGION"); region != "" {
		return region
	}
	return defaultRegion
}

// devAgents runs n agents in this process against the dev server, each
// with its own data dir and availability zone, sharing the local Docker
// Engine.
func devAgents(ctx context.Context, n int, url, region, dataDir string, log *slog.Logger) (<-chan error, error) {
	errc := make(chan error, n)
	if n == 0 {
		return errc, nil
	}
	rt, err := dockerrt.New(ctx, "", log)
	if err != nil {
		return nil, fmt.Errorf("berth dev runs its agents on Docker Engine, which is not reachable (run scripts/ensure-docker.sh, or use --agents 0): %w", err)
	}
	for i := range n {
		zone := fmt.Sprintf("%s%c", region, 'a'+rune(i%26))
		a := agent.New(agent.Config{
			Server: url, Cluster: "default", DataDir: filepath.Join(dataDir, "agents", fmt.Sprint(i+1)),
			Credentials:      &agentproto.BootstrapCredentials{AccessKeyID: devAccessKeyID, SecretAccessKey: devSecretAccessKey, Region: region},
			AvailabilityZone: zone, InstanceType: "berth.dev", Runtime: rt, Log: log.With("agent", i+1),
		})
		go func() { errc <- a.Run(ctx) }()
	}
	return errc, nil
}
