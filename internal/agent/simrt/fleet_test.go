package simrt

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/berth-org/berth/internal/agentproto"
)

// fleetConfig is a valid fleet of three, changed by mod.
func fleetConfig(mod func(c *FleetConfig)) FleetConfig {
	c := FleetConfig{Instances: 3, Server: "http://127.0.0.1:1", Cluster: "default",
		Credentials: &agentproto.BootstrapCredentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret", Region: "us-east-1"},
		Zones:       []string{"us-east-1a"}, CPUs: 4, MemoryMiB: 8192, StartDelay: time.Second}
	mod(&c)
	return c
}

func TestNewFleetRejectsNonsense(t *testing.T) {
	cases := []struct {
		name string
		mod  func(c *FleetConfig)
	}{
		{"no instances", func(c *FleetConfig) { c.Instances = 0 }},
		{"too many instances", func(c *FleetConfig) { c.Instances = MaxInstances + 1 }},
		{"negative start delay", func(c *FleetConfig) { c.StartDelay = -time.Second }},
		{"no zones", func(c *FleetConfig) { c.Zones = nil }},
		{"an empty zone", func(c *FleetConfig) { c.Zones = []string{"us-east-1a", ""} }},
		{"no memory", func(c *FleetConfig) { c.MemoryMiB = 0 }},
		{"no credentials", func(c *FleetConfig) { c.Credentials = nil }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewFleet(fleetConfig(tc.mod)); err == nil {
				t.Error("NewFleet accepted it")
			}
		})
	}
	if _, err := NewFleet(fleetConfig(func(*FleetConfig) {})); err != nil {
		t.Errorf("a valid fleet: %v", err)
	}
}

func TestRegistrationRefusalsAreFinal(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"unauthorized", &agentproto.Error{Status: 401, Code: agentproto.CodeUnauthorized}, true},
		{"no such cluster", &agentproto.Error{Status: 400, Code: "ClusterNotFoundException"}, true},
		{"server error", &agentproto.Error{Status: 500, Code: agentproto.CodeInternal}, false},
		{"timeout", context.DeadlineExceeded, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := refused(fmt.Errorf("register: %w", tc.err)); got != tc.want {
				t.Errorf("refused = %v, want %v", got, tc.want)
			}
		})
	}
}
