package simrt

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/berth-org/berth/internal/agent"
	"github.com/berth-org/berth/internal/wire"
)

func TestNetworkBindings(t *testing.T) {
	cases := []struct {
		name string
		mods []func(c *agent.ContainerConfig)
		want []string
	}{
		{"no mappings", nil, nil},
		{"bridge, dynamic port from the start of the ephemeral range", []func(c *agent.ContainerConfig){port(80, 0, "")},
			[]string{"127.0.0.1:49153->80/tcp"}},
		{"bridge, the host port asked, sorted by container port", []func(c *agent.ContainerConfig){port(8080, 0, ""), port(53, 5353, wire.TransportProtocolUdp)},
			[]string{"127.0.0.1:5353->53/udp", "127.0.0.1:49153->8080/tcp"}},
		{"bridge with no host IP publishes on every address", []func(c *agent.ContainerConfig){port(80, 8080, ""), func(c *agent.ContainerConfig) { c.HostIP = "" }},
			[]string{"0.0.0.0:8080->80/tcp"}},
		{"host mode: the container's port is the host's", []func(c *agent.ContainerConfig){mode(wire.NetworkModeHost), port(80, 0, ""), port(443, 443, "")},
			[]string{"0.0.0.0:80->80/tcp", "0.0.0.0:443->443/tcp"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := New(Config{})
			id := mustRun(t, r, config("app", tc.mods...))
			if got := bindings(inspect(t, r, id)); !slices.Equal(got, tc.want) {
				t.Errorf("bindings = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBindingsAreReportedOnlyWhileRunning(t *testing.T) {
	r := New(Config{})
	id := mustCreate(t, r, config("app", port(80, 0, "")))
	if got := bindings(inspect(t, r, id)); got != nil {
		t.Errorf("created container reports bindings %q, want none until it runs", got)
	}
}

func TestInvalidPortMappingsFailCreate(t *testing.T) {
	cases := []struct {
		name string
		mods []func(c *agent.ContainerConfig)
	}{
		{"none mode", []func(c *agent.ContainerConfig){mode(wire.NetworkModeNone), port(80, 0, "")}},
		{"awsvpc mode", []func(c *agent.ContainerConfig){mode(wire.NetworkModeAwsvpc), port(80, 0, "")}},
		{"host mode with another host port", []func(c *agent.ContainerConfig){mode(wire.NetworkModeHost), port(80, 8080, "")}},
		{"container port out of range", []func(c *agent.ContainerConfig){port(70000, 0, "")}},
		{"no container port", []func(c *agent.ContainerConfig){port(0, 0, "")}},
		{"host port out of range", []func(c *agent.ContainerConfig){port(80, 70000, "")}},
		{"sctp", []func(c *agent.ContainerConfig){port(80, 0, "sctp")}},
		{"one host port twice", []func(c *agent.ContainerConfig){port(80, 8080, ""), port(81, 8080, "")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := New(Config{})
			if _, err := r.Create(context.Background(), config("app", tc.mods...)); !errors.Is(err, agent.ErrCreate) {
				t.Errorf("create: %v, want ErrCreate", err)
			}
			if len(r.ports.held) != 0 {
				t.Errorf("a failed create holds ports %v", r.ports.held)
			}
		})
	}
}

func TestHostPortsAreHeldUntilTheContainerExits(t *testing.T) {
	r := New(Config{})
	ctx := context.Background()
	web := mustRun(t, r, config("web", port(80, 8080, "")))
	if _, err := r.Create(ctx, config("other", port(80, 8080, ""))); !errors.Is(err, agent.ErrCreate) {
		t.Errorf("a second container on host port 8080: %v, want ErrCreate", err)
	}
	udp := mustRun(t, r, config("dns", port(80, 8080, wire.TransportProtocolUdp)))
	if got := bindings(inspect(t, r, udp)); !slices.Equal(got, []string{"127.0.0.1:8080->80/udp"}) {
		t.Errorf("udp on a port tcp holds: %q", got)
	}
	if err := r.Stop(ctx, web, 0); err != nil {
		t.Fatal(err)
	}
	mustRun(t, r, config("other", port(80, 8080, "")))
}

func TestDynamicPortsSkipHeldPortsAndWrap(t *testing.T) {
	r := New(Config{})
	mustRun(t, r, config("fixed", port(80, 49154, "")))
	first := mustRun(t, r, config("first", port(80, 0, "")))
	second := mustRun(t, r, config("second", port(80, 0, "")))
	if got := append(bindings(inspect(t, r, first)), bindings(inspect(t, r, second))...); !slices.Equal(got, []string{"127.0.0.1:49153->80/tcp", "127.0.0.1:49155->80/tcp"}) {
		t.Errorf("dynamic ports = %q, want 49153 and 49155 (49154 is held)", got)
	}
	r.ports.cursor = ephemeralLast - ephemeralFirst // the last port of the range is next
	last := mustRun(t, r, config("last", port(80, 0, "")))
	wrapped := mustRun(t, r, config("wrapped", port(80, 0, "")))
	if got := append(bindings(inspect(t, r, last)), bindings(inspect(t, r, wrapped))...); !slices.Equal(got, []string{"127.0.0.1:65535->80/tcp", "127.0.0.1:49156->80/tcp"}) {
		t.Errorf("dynamic ports at the end of the range = %q, want 65535, then the first free one from the start", got)
	}
}

func TestDynamicPortsRunOut(t *testing.T) {
	r := New(Config{})
	for p := int32(ephemeralFirst); p <= ephemeralLast; p++ {
		r.ports.held[portKey{wire.TransportProtocolTcp, p}] = struct{}{}
	}
	if _, err := r.Create(context.Background(), config("app", port(80, 0, ""))); !errors.Is(err, agent.ErrCreate) {
		t.Errorf("create with every ephemeral port held: %v, want ErrCreate", err)
	}
}
