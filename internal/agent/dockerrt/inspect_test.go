package dockerrt

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/network"

	"github.com/berth-org/berth/internal/agent"
	"github.com/berth-org/berth/internal/wire"
)

const never = "0001-01-01T00:00:00Z"

// inspected is what the engine reports for a container that is running
// since 10:00:00, in bridge mode, publishing nothing; mods edit it.
func inspected(mods ...func(c *container.InspectResponse)) container.InspectResponse {
	c := container.InspectResponse{
		ID:   "c0ffee",
		Name: "/berth-t1-app",
		State: &container.State{
			Status: container.StateRunning, Running: true, Pid: 4242,
			StartedAt: "2026-01-02T10:00:00.5Z", FinishedAt: never,
		},
		Config:          &container.Config{Labels: map[string]string{agent.LabelContainerName: "app"}},
		HostConfig:      &container.HostConfig{NetworkMode: "bridge"},
		NetworkSettings: &container.NetworkSettings{},
	}
	for _, m := range mods {
		m(&c)
	}
	return c
}

// info is what inspected() maps to; mods edit it.
func info(mods ...func(i *agent.ContainerInfo)) agent.ContainerInfo {
	i := agent.ContainerInfo{
		ID: "c0ffee", Name: "berth-t1-app", Labels: map[string]string{agent.LabelContainerName: "app"},
		Running: true, Pid: 4242, StartedAt: time.Date(2026, 1, 2, 10, 0, 0, 5e8, time.UTC),
	}
	for _, m := range mods {
		m(&i)
	}
	return i
}

func bound(ip string, containerPort, hostPort int32, proto wire.TransportProtocol) wire.NetworkBinding {
	return wire.NetworkBinding{BindIP: new(ip), ContainerPort: new(containerPort), HostPort: new(hostPort), Protocol: proto}
}

// stopped makes inspected() a container that stopped at 10:05:00 with
// status and exit code.
func stopped(status container.ContainerState, code int) func(c *container.InspectResponse) {
	return func(c *container.InspectResponse) {
		c.State.Status, c.State.Running, c.State.Pid, c.State.ExitCode = status, false, 0, code
		c.State.FinishedAt = "2026-01-02T10:05:00Z"
	}
}

// finished is stopped's effect on info().
func finished(i *agent.ContainerInfo) {
	i.Running, i.Pid, i.FinishedAt = false, 0, time.Date(2026, 1, 2, 10, 5, 0, 0, time.UTC)
}

type infoCase struct {
	name string
	in   container.InspectResponse
	want agent.ContainerInfo
}

func TestContainerInfo(t *testing.T) {
	for _, tc := range slices.Concat(stateCases(), bindingCases()) {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, containerInfo(tc.in), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("info (-want +got):\n%s", diff)
			}
		})
	}
}

func stateCases() []infoCase {
	return []infoCase{
		{name: "running", in: inspected(), want: info()},
		{
			name: "exited with a code",
			in:   inspected(stopped(container.StateExited, 3)),
			want: info(finished, func(i *agent.ContainerInfo) { i.Exited, i.ExitCode = true, 3 }),
		},
		{
			name: "killed at its memory limit",
			in: inspected(stopped(container.StateExited, 137), func(c *container.InspectResponse) {
				c.State.OOMKilled = true
			}),
			want: info(finished, func(i *agent.ContainerInfo) { i.Exited, i.ExitCode, i.OOMKilled = true, 137, true }),
		},
		{
			name: "created and never started: not exited, times zero",
			in: inspected(func(c *container.InspectResponse) {
				c.State = &container.State{Status: container.StateCreated, StartedAt: never, FinishedAt: never}
			}),
			want: info(func(i *agent.ContainerInfo) { i.Running, i.Pid, i.StartedAt = false, 0, time.Time{} }),
		},
		{
			name: "start failed: the engine's error, not exited",
			in: inspected(func(c *container.InspectResponse) {
				c.State = &container.State{Status: container.StateCreated, ExitCode: 127, Error: "exec: \"nope\": not found",
					StartedAt: never, FinishedAt: never}
			}),
			want: info(func(i *agent.ContainerInfo) {
				i.Running, i.Pid, i.StartedAt, i.ExitCode, i.Error = false, 0, time.Time{}, 127, "exec: \"nope\": not found"
			}),
		},
		{
			name: "dead after running counts as exited",
			in:   inspected(stopped(container.StateDead, 0)),
			want: info(finished, func(i *agent.ContainerInfo) { i.Exited = true }),
		},
		{
			name: "an exit stamped before the start is moved to the start",
			in: inspected(stopped(container.StateExited, 0), func(c *container.InspectResponse) {
				c.State.FinishedAt = "2026-01-02T10:00:00.4995Z"
			}),
			want: info(finished, func(i *agent.ContainerInfo) { i.Exited, i.FinishedAt = true, i.StartedAt }),
		},
		{
			name: "health and restarts",
			in: inspected(func(c *container.InspectResponse) {
				c.State.Health, c.RestartCount = &container.Health{Status: container.Unhealthy}, 2
			}),
			want: info(func(i *agent.ContainerInfo) { i.Health, i.RestartCount = agent.RuntimeHealthUnhealthy, 2 }),
		},
	}
}

func bindingCases() []infoCase {
	return []infoCase{
		{
			name: "published ports, sorted; the :: twin of 0.0.0.0 is dropped",
			in: inspected(func(c *container.InspectResponse) {
				c.NetworkSettings.Ports = network.PortMap{
					port(80, network.TCP): published("49200"),
					port(53, network.UDP): {
						{HostIP: netip.MustParseAddr("0.0.0.0"), HostPort: "5353"}, {HostIP: netip.MustParseAddr("::"), HostPort: "5353"},
					},
					port(9000, network.TCP): nil, // exposed, not published
				}
			}),
			want: info(func(i *agent.ContainerInfo) {
				i.NetworkBindings = []wire.NetworkBinding{bound("0.0.0.0", 53, 5353, "udp"), bound("127.0.0.1", 80, 49200, "tcp")}
			}),
		},
		{
			name: "host mode reports exposed ports as the host's",
			in: inspected(func(c *container.InspectResponse) {
				c.HostConfig.NetworkMode = "host"
				c.Config.ExposedPorts = network.PortSet{port(8080, network.TCP): {}}
			}),
			want: info(func(i *agent.ContainerInfo) {
				i.NetworkBindings = []wire.NetworkBinding{bound("0.0.0.0", 8080, 8080, "tcp")}
			}),
		},
	}
}

func TestContainerEventKeepsBerthLabels(t *testing.T) {
	m := events.Message{Type: events.ContainerEventType, Action: events.ActionHealthStatusHealthy, Actor: events.Actor{
		ID:         "c0ffee",
		Attributes: map[string]string{agent.LabelTaskARN: "arn:task", "image": "busybox", "name": "berth-t1-app", "team": "a"},
	}}
	want := agent.ContainerEvent{ID: "c0ffee", Action: "health_status: healthy", Labels: map[string]string{agent.LabelTaskARN: "arn:task"}}
	if diff := cmp.Diff(want, containerEvent(m)); diff != "" {
		t.Errorf("event (-want +got):\n%s", diff)
	}
}

func TestMaybeOOMPending(t *testing.T) {
	exited := func(code int, oom bool) func(c *container.InspectResponse) {
		return func(c *container.InspectResponse) {
			c.State.Status, c.State.Running, c.State.ExitCode, c.State.OOMKilled = container.StateExited, false, code, oom
		}
	}
	limited := func(c *container.InspectResponse) { c.HostConfig.Memory = 16 << 20 }
	cases := []struct {
		name string
		c    container.InspectResponse
		want bool
	}{
		{"SIGKILL under a memory limit, not yet recorded as OOM", inspected(exited(137, false), limited), true},
		{"recorded as OOM", inspected(exited(137, true), limited), false},
		{"SIGKILL without a memory limit", inspected(exited(137, false)), false},
		{"another exit code", inspected(exited(1, false), limited), false},
		{"running", inspected(limited), false},
	}
	for _, c := range cases {
		if got := maybeOOMPending(c.c); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
