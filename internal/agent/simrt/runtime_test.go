package simrt

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/berth-org/berth/internal/agent"
	"github.com/berth-org/berth/internal/wire"
)

// eventTimeout bounds every wait for an event; the runtime emits them
// synchronously, so anything past milliseconds is a bug.
const eventTimeout = 5 * time.Second

const (
	instanceA = "arn:aws:ecs:us-east-1:000000000000:container-instance/default/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	instanceB = "arn:aws:ecs:us-east-1:000000000000:container-instance/default/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// config is a container named name of a task on instanceA, changed by
// mods.
func config(name string, mods ...func(c *agent.ContainerConfig)) agent.ContainerConfig {
	c := agent.ContainerConfig{
		Name: "berth-task-" + name, TaskID: "task",
		Labels: map[string]string{agent.LabelInstanceARN: instanceA, agent.LabelTaskARN: "arn:task/" + name, agent.LabelContainerName: name},
		Def:    &wire.ContainerDefinition{Name: &name, Image: new("busybox")},
		HostIP: "127.0.0.1",
	}
	for _, m := range mods {
		m(&c)
	}
	return c
}

func on(instanceARN string) func(c *agent.ContainerConfig) {
	return func(c *agent.ContainerConfig) { c.Labels[agent.LabelInstanceARN] = instanceARN }
}

func mode(m wire.NetworkMode) func(c *agent.ContainerConfig) {
	return func(c *agent.ContainerConfig) { c.NetworkMode = m }
}

// port maps containerPort to hostPort (0: dynamic) over proto ("": tcp).
func port(containerPort, hostPort int32, proto wire.TransportProtocol) func(c *agent.ContainerConfig) {
	return func(c *agent.ContainerConfig) {
		pm := wire.PortMapping{ContainerPort: &containerPort, Protocol: proto}
		if hostPort != 0 {
			pm.HostPort = &hostPort
		}
		c.Def.PortMappings = append(c.Def.PortMappings, pm)
	}
}

func mustCreate(t *testing.T, r *Runtime, c agent.ContainerConfig) string {
	t.Helper()
	id, err := r.Create(context.Background(), c)
	if err != nil {
		t.Fatalf("create %s: %v", c.Name, err)
	}
	return id
}

func mustRun(t *testing.T, r *Runtime, c agent.ContainerConfig) string {
	t.Helper()
	id := mustCreate(t, r, c)
	if err := r.Start(context.Background(), id); err != nil {
		t.Fatalf("start %s: %v", c.Name, err)
	}
	return id
}

func inspect(t *testing.T, r *Runtime, id string) agent.ContainerInfo {
	t.Helper()
	info, err := r.Inspect(context.Background(), id)
	if err != nil {
		t.Fatalf("inspect %s: %v", id, err)
	}
	return info
}

// nextEvent awaits the next event on events.
func nextEvent(t *testing.T, events <-chan agent.ContainerEvent) agent.ContainerEvent {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("the event stream closed")
		}
		return ev
	case <-time.After(eventTimeout):
		t.Fatal("no event")
	}
	return agent.ContainerEvent{}
}

// bindings renders a container's network bindings, e.g.
// "127.0.0.1:49153->80/tcp".
func bindings(info agent.ContainerInfo) []string {
	var out []string
	for _, b := range info.NetworkBindings {
		out = append(out, fmt.Sprintf("%s:%d->%d/%s", *b.BindIP, *b.HostPort, *b.ContainerPort, b.Protocol))
	}
	return out
}

func TestStartedContainerRunsAfterTheStartDelay(t *testing.T) {
	const delay = 50 * time.Millisecond
	r := New(Config{StartDelay: delay})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, _ := r.Events(ctx, instanceA)
	id := mustCreate(t, r, config("app"))
	if info := inspect(t, r, id); info.Running || info.Exited {
		t.Fatalf("a created container is running %v, exited %v; want neither", info.Running, info.Exited)
	}

	began := time.Now()
	if err := r.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took < delay {
		t.Errorf("Start returned after %s, before the start delay of %s", took, delay)
	}
	if ev := nextEvent(t, events); ev.ID != id || ev.Action != "start" || ev.Labels[agent.LabelTaskARN] != "arn:task/app" {
		t.Errorf("event = %+v, want start of %s with its labels", ev, id)
	}
	if info := inspect(t, r, id); !info.Running || info.StartedAt.IsZero() || info.Pid == 0 {
		t.Errorf("started container: %+v, want running with a start time and a pid", info)
	}
}

func TestStartDelayCountsFromCreate(t *testing.T) {
	const delay = 50 * time.Millisecond
	r := New(Config{StartDelay: delay})
	first, second := mustCreate(t, r, config("first")), mustCreate(t, r, config("second"))
	began := time.Now()
	for _, id := range []string{first, second} {
		if err := r.Start(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(began); took >= 2*delay {
		t.Errorf("two containers created together took %s to start, want one start delay (%s)", took, delay)
	}
}

func TestStartEndsWithItsContext(t *testing.T) {
	r := New(Config{StartDelay: time.Hour})
	id := mustCreate(t, r, config("app"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := r.Start(ctx, id)
	if !errors.Is(err, context.Canceled) || errors.Is(err, agent.ErrStart) {
		t.Errorf("Start with an ended context: %v; want context.Canceled, not the container's failure", err)
	}
	if inspect(t, r, id).Running {
		t.Error("the container runs although its start was abandoned")
	}
}

func TestStopExitsWithZeroAndEmitsDie(t *testing.T) {
	r := New(Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	id := mustRun(t, r, config("app", port(80, 0, "")))
	events, _ := r.Events(ctx, instanceA)

	if err := r.Stop(ctx, id, time.Hour); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, events); ev.ID != id || ev.Action != "die" {
		t.Errorf("event = %+v, want die of %s", ev, id)
	}
	info := inspect(t, r, id)
	if info.Running || !info.Exited || info.ExitCode != 0 || info.FinishedAt.IsZero() || info.NetworkBindings != nil {
		t.Errorf("stopped container: %+v, want exited 0 with a finish time and no bindings", info)
	}
	if err := r.Stop(ctx, id, time.Hour); err != nil {
		t.Errorf("stopping a stopped container: %v, want no error", err)
	}
	if err := r.Start(ctx, id); !errors.Is(err, agent.ErrStart) {
		t.Errorf("restarting an exited container: %v, want ErrStart", err)
	}
}

func TestContainerLifecycleErrors(t *testing.T) {
	r := New(Config{})
	ctx := context.Background()
	mustCreate(t, r, config("app"))
	if _, err := r.Create(ctx, config("app")); !errors.Is(err, agent.ErrCreate) {
		t.Errorf("a second container of the same name: %v, want ErrCreate", err)
	}
	privileged := config("root", func(c *agent.ContainerConfig) { c.Def.Privileged = new(true) })
	if _, err := r.Create(ctx, privileged); !errors.Is(err, agent.ErrPrivileged) {
		t.Errorf("privileged without AllowPrivileged: %v, want ErrPrivileged", err)
	}
	privileged.AllowPrivileged = true
	mustCreate(t, r, privileged)
	if _, err := r.Inspect(ctx, "missing"); !errors.Is(err, agent.ErrNotFound) {
		t.Errorf("inspect of a missing container: %v, want ErrNotFound", err)
	}
	if err := r.Start(ctx, "missing"); !errors.Is(err, agent.ErrStart) || !errors.Is(err, agent.ErrNotFound) {
		t.Errorf("start of a missing container: %v, want ErrStart and ErrNotFound", err)
	}
	if err := r.Remove(ctx, "missing"); err != nil {
		t.Errorf("remove of a missing container: %v, want none", err)
	}
	if v, err := r.Version(ctx); v != (agent.EngineVersion{Release: EngineVersion, API: APIVersion}) || err != nil {
		t.Errorf("Version = %+v, %v", v, err)
	}
	if pulled, err := r.EnsureImage(ctx, "nginx"); pulled || err != nil {
		t.Errorf("EnsureImage = %v, %v; want every image present", pulled, err)
	}
}

func TestRemovedContainerIsGoneAndItsNameFree(t *testing.T) {
	r := New(Config{})
	ctx := context.Background()
	id := mustRun(t, r, config("app", port(80, 8080, "")))
	if err := r.Remove(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Inspect(ctx, id); !errors.Is(err, agent.ErrNotFound) {
		t.Errorf("inspect after remove: %v, want ErrNotFound", err)
	}
	again := mustRun(t, r, config("app", port(80, 8080, "")))
	if again == id {
		t.Error("a new container got the removed one's id")
	}
}

func TestHealthCheckedContainerIsHealthyWhileRunning(t *testing.T) {
	r := New(Config{})
	id := mustRun(t, r, config("app", func(c *agent.ContainerConfig) {
		c.Def.HealthCheck = &wire.HealthCheck{Command: []string{"CMD", "true"}}
	}))
	if h := inspect(t, r, id).Health; h != agent.RuntimeHealthHealthy {
		t.Errorf("health = %q, want healthy", h)
	}
	plain := mustRun(t, r, config("plain"))
	if h := inspect(t, r, plain).Health; h != agent.RuntimeHealthNone {
		t.Errorf("health without a check = %q, want none", h)
	}
}
