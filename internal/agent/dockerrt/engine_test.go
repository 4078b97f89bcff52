package dockerrt

// Integration tests against the real Docker Engine. They need
// scripts/ensure-docker.sh to have run (an engine, and the local image
// berth-test/busybox:latest); without it they fail, saying so. Each test
// runs in parallel with its own instance ARN and task id, and removes its
// containers and volumes when it ends.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/berth-org/berth/internal/agent"
	"github.com/berth-org/berth/internal/wire"
)

const (
	// testImage is built locally by scripts/ensure-docker.sh; no test
	// pulls from a registry.
	testImage = "berth-test/busybox:latest"
	// testTimeout bounds each test's engine calls and waits; containers
	// here start in well under a second.
	testTimeout = 30 * time.Second
	// cleanupTimeout bounds removing a test's containers and volumes.
	cleanupTimeout = 30 * time.Second
)

// testRuntime is one Runtime shared by every test, as the agent shares
// one: its dynamic port reservations are process-wide.
var testRuntime = sync.OnceValues(func() (*Runtime, error) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	rt, err := New(ctx, "", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, err
	}
	if _, err := rt.cli.ImageInspect(ctx, testImage); err != nil {
		return nil, errors.Join(err, rt.Close())
	}
	return rt, nil
})

// env is one test's corner of the engine.
type env struct {
	t    *testing.T
	ctx  context.Context
	rt   *Runtime
	arn  string // the container instance
	task string // the task id
}

// newEnv marks t parallel and gives it a fresh instance ARN and task id.
func newEnv(t *testing.T) *env {
	t.Helper()
	t.Parallel()
	rt, err := testRuntime()
	if err != nil {
		t.Fatalf("Docker Engine or %s unavailable; run scripts/ensure-docker.sh first: %v", testImage, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return (&env{t: t, ctx: ctx, rt: rt}).sibling()
}

// sibling is another instance and task in the same test; its containers
// are removed at the end of the test too.
func (e *env) sibling() *env {
	id := randomID(e.t)
	s := &env{t: e.t, ctx: e.ctx, rt: e.rt, arn: "arn:aws:ecs:us-east-1:000000000000:container-instance/berth-test/" + id, task: id}
	e.t.Cleanup(s.cleanup)
	return s
}

func (e *env) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	cs, err := e.rt.List(ctx, e.arn)
	if err != nil {
		e.t.Errorf("cleanup: %v", err)
		return
	}
	for _, c := range cs {
		if err := e.rt.Remove(ctx, c.ID); err != nil {
			e.t.Errorf("cleanup: %v", err)
		}
	}
	if err := e.rt.RemoveTaskVolumes(ctx, e.task); err != nil {
		e.t.Errorf("cleanup: %v", err)
	}
}

// config is container name of e's task, running testImage with command;
// mods edit its definition.
func (e *env) config(name string, command []string, mods ...func(d *wire.ContainerDefinition)) agent.ContainerConfig {
	c := agent.ContainerConfig{
		Name:   "berth-" + e.task + "-" + name,
		TaskID: e.task,
		Labels: map[string]string{
			agent.LabelInstanceARN:   e.arn,
			agent.LabelCluster:       "berth-test",
			agent.LabelTaskARN:       "arn:aws:ecs:us-east-1:000000000000:task/berth-test/" + e.task,
			agent.LabelContainerName: name,
		},
		Def:    &wire.ContainerDefinition{Name: new(name), Image: new(testImage), Command: command},
		HostIP: "127.0.0.1",
	}
	for _, m := range mods {
		m(c.Def)
	}
	return c
}

func (e *env) create(c agent.ContainerConfig) string {
	e.t.Helper()
	id, err := e.rt.Create(e.ctx, c)
	if err != nil {
		e.t.Fatalf("Create(%s): %v", c.Name, err)
	}
	return id
}

// run creates and starts c.
func (e *env) run(c agent.ContainerConfig) string {
	e.t.Helper()
	id := e.create(c)
	if err := e.rt.Start(e.ctx, id); err != nil {
		e.t.Fatalf("Start(%s): %v", c.Name, err)
	}
	return id
}

func (e *env) inspect(id string) agent.ContainerInfo {
	e.t.Helper()
	info, err := e.rt.Inspect(e.ctx, id)
	if err != nil {
		e.t.Fatalf("Inspect: %v", err)
	}
	return info
}

// waitExit waits, without polling, until container id is not running.
func (e *env) waitExit(id string) agent.ContainerInfo {
	e.t.Helper()
	w := e.rt.cli.ContainerWait(e.ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case <-w.Result:
	case err := <-w.Error:
		e.t.Fatalf("waiting for %s to exit: %v", id, err)
	}
	return e.inspect(id)
}

// waitEvent reads events until container id reports action.
func (e *env) waitEvent(events <-chan agent.ContainerEvent, id, action string) {
	e.t.Helper()
	for ev := range events {
		if ev.ID == id && ev.Action == action {
			return
		}
	}
	e.t.Fatalf("event stream ended (%v) before %q of %s", e.ctx.Err(), action, id)
}

func randomID(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func TestEngineVersionAndCachedImage(t *testing.T) {
	e := newEnv(t)
	v, err := e.rt.Version(e.ctx)
	if err != nil || v.Release == "" || !strings.HasPrefix(v.API, "1.") {
		t.Fatalf("Version() = %+v, %v; want a release and a negotiated 1.x API version", v, err)
	}
	if pulled, err := e.rt.EnsureImage(e.ctx, testImage); err != nil || pulled {
		t.Fatalf("EnsureImage(%s) = %v, %v; want a cached image, not pulled", testImage, pulled, err)
	}
}

func TestDynamicPortIsPublishedOnHostIP(t *testing.T) {
	e := newEnv(t)
	id := e.run(e.config("web", []string{"httpd", "-f", "-p", "80", "-h", "/www"}, func(d *wire.ContainerDefinition) {
		d.PortMappings = []wire.PortMapping{{ContainerPort: new(int32(80))}}
	}))

	info := e.inspect(id)
	if len(info.NetworkBindings) != 1 {
		t.Fatalf("bindings = %v, want one", info.NetworkBindings)
	}
	hostPort := *info.NetworkBindings[0].HostPort
	if hostPort < ephemeralFirst || hostPort > ephemeralLast {
		t.Fatalf("host port %d is outside the ephemeral range", hostPort)
	}
	want := []wire.NetworkBinding{bound("127.0.0.1", 80, hostPort, "tcp")}
	if diff := cmp.Diff(want, info.NetworkBindings); diff != "" {
		t.Errorf("bindings (-want +got):\n%s", diff)
	}
	got := []any{info.Running, info.Pid > 0, info.StartedAt.IsZero(), info.ImageDigest != "", info.Health, info.Labels[agent.LabelContainerName]}
	if diff := cmp.Diff([]any{true, true, false, true, agent.RuntimeHealthNone, "web"}, got); diff != "" {
		t.Errorf("[running, pid>0, startedAt zero, has image digest, health, container label] (-want +got):\n%s", diff)
	}

	body := httpGet(t, e.ctx, "http://127.0.0.1:"+strconv.Itoa(int(hostPort))+"/")
	if body != "ok\n" {
		t.Errorf("GET / = %q, want the image's index.html, %q", body, "ok\n")
	}
}

// httpGet retries until the server answers: httpd listens a few
// milliseconds after the container starts.
func httpGet(t *testing.T, ctx context.Context, url string) string {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("GET %s: %v", url, err)
		case <-tick.C:
		}
	}
}

func TestExitCodePropagates(t *testing.T) {
	e := newEnv(t)
	id := e.run(e.config("exit3", []string{"sh", "-c", "exit 3"}))
	info := e.waitExit(id)
	got := []any{info.Running, info.Exited, info.ExitCode, info.OOMKilled, info.FinishedAt.Before(info.StartedAt)}
	if diff := cmp.Diff([]any{false, true, 3, false, false}, got); diff != "" {
		t.Errorf("[running, exited, exit code, OOM-killed, finished before started] (-want +got):\n%s", diff)
	}
}

func TestMemoryHardLimitOOMKills(t *testing.T) {
	e := newEnv(t)
	// The subshell's string doubles until the kernel kills it at 8 MiB.
	// Engine 20.10 on cgroup v1 misses an OOM (no "oom" event, OOMKilled
	// false) when it happens in the first milliseconds, before the shim
	// watches the cgroup, or when the killed process is the container's
	// last and the cgroup is gone before the notification is read. The
	// sleeps keep the OOM clear of both; no runtime can recover a missed
	// one afterwards.
	script := "sleep 1; (x=a; while true; do x=$x$x; done); status=$?; sleep 1; exit $status"
	id := e.run(e.config("hog", []string{"sh", "-c", script}, func(d *wire.ContainerDefinition) {
		d.Memory = new(int32(8))
	}))
	info := e.waitExit(id)
	got := []any{info.Exited, info.OOMKilled, info.ExitCode}
	if diff := cmp.Diff([]any{true, true, 137}, got); diff != "" {
		t.Errorf("[exited, OOM-killed, exit code] (-want +got):\n%s", diff)
	}
}

func TestStartFailureWrapsErrStart(t *testing.T) {
	e := newEnv(t)
	id := e.create(e.config("nope", []string{"/no/such/program"}))
	if err := e.rt.Start(e.ctx, id); !errors.Is(err, agent.ErrStart) {
		t.Fatalf("Start = %v, want ErrStart", err)
	}
	info := e.inspect(id)
	if info.Running || info.Exited || info.Error == "" {
		t.Errorf("after a failed start: running %v, exited %v, error %q; want neither, and the engine's error",
			info.Running, info.Exited, info.Error)
	}
}

func TestHealthCheck(t *testing.T) {
	cases := []struct {
		name    string
		command string
		want    string
	}{
		{name: "passing check turns healthy", command: "true", want: agent.RuntimeHealthHealthy},
		{name: "failing check turns unhealthy", command: "exit 1", want: agent.RuntimeHealthUnhealthy},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			events, _ := e.rt.Events(e.ctx, e.arn)
			id := e.run(e.config("app", []string{"sleep", "600"}, func(d *wire.ContainerDefinition) {
				d.HealthCheck = &wire.HealthCheck{Command: []string{"CMD-SHELL", tc.command}, Interval: new(int32(1)), Retries: new(int32(1))}
			}))
			e.waitEvent(events, id, "health_status: "+tc.want)
			if got := e.inspect(id).Health; got != tc.want {
				t.Errorf("Health = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestStopTimeout(t *testing.T) {
	cases := []struct {
		name     string
		trap     string // the shell's SIGTERM handler
		timeout  time.Duration
		exitCode int
		fast     bool // stopped well before the timeout
	}{
		{name: "a container that handles SIGTERM exits at once", trap: `"exit 0"`, timeout: 20 * time.Second, exitCode: 0, fast: true},
		{name: "a container that ignores SIGTERM is killed after the timeout", trap: `""`, timeout: time.Second, exitCode: 137},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			events, _ := e.rt.Events(e.ctx, e.arn)
			// Healthy once the trap is set: stopping before would race it.
			script := "trap " + tc.trap + " TERM; echo > /tmp/ready; sleep 600 & wait"
			id := e.run(e.config("app", []string{"sh", "-c", script}, func(d *wire.ContainerDefinition) {
				d.HealthCheck = &wire.HealthCheck{Command: []string{"CMD", "cat", "/tmp/ready"}, Interval: new(int32(1))}
			}))
			e.waitEvent(events, id, "health_status: healthy")

			begin := time.Now()
			if err := e.rt.Stop(e.ctx, id, tc.timeout); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			took := time.Since(begin)
			info := e.inspect(id)
			got := []any{info.Exited, info.ExitCode, took < tc.timeout/2, took >= tc.timeout}
			want := []any{true, tc.exitCode, tc.fast, !tc.fast}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("[exited, exit code, stopped early, stopped after the timeout] (-want +got):\n%s\n(took %v)", diff, took)
			}
			if err := e.rt.Stop(e.ctx, id, tc.timeout); err != nil {
				t.Errorf("stopping a stopped container: %v", err)
			}
		})
	}
}

func TestListAndEventsAreScopedToTheInstance(t *testing.T) {
	e := newEnv(t)
	other := e.sibling()
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	events, errc := e.rt.Events(ctx, e.arn)

	theirs := other.run(other.config("theirs", []string{"sleep", "600"}))
	ours := e.run(e.config("ours", []string{"true"}))
	var seen []string
	for ev := range events {
		if ev.ID != ours {
			t.Fatalf("event %q of another instance's container %s (theirs is %s)", ev.Action, ev.ID, theirs)
		}
		if ev.Labels[agent.LabelContainerName] != "ours" {
			t.Errorf("event labels = %v, want berth's labels", ev.Labels)
		}
		seen = append(seen, ev.Action)
		if ev.Action == "die" {
			break
		}
	}
	if diff := cmp.Diff([]string{"start", "die"}, seen); diff != "" {
		t.Errorf("events of ours (-want +got):\n%s", diff)
	}
	cancel()
	for range events { // drained and closed once ctx ends
	}
	if err := <-errc; err != nil {
		t.Errorf("errc after cancel = %v, want nothing", err)
	}

	for _, tc := range []struct {
		env  *env
		want []string
	}{{e, []string{ours}}, {other, []string{theirs}}} {
		cs, err := e.rt.List(e.ctx, tc.env.arn)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		if diff := cmp.Diff(tc.want, ids); diff != "" {
			t.Errorf("List(%s) (-want +got):\n%s", tc.env.arn, diff)
		}
	}
}

func TestTaskVolumesAreCreatedAndRemoved(t *testing.T) {
	e := newEnv(t)
	c := e.config("app", []string{"true"}, func(d *wire.ContainerDefinition) {
		d.MountPoints = []wire.MountPoint{
			{SourceVolume: new("scratch"), ContainerPath: new("/scratch")},
			{SourceVolume: new("data"), ContainerPath: new("/data"), ReadOnly: new(true)},
		}
	})
	c.Volumes = []wire.Volume{
		{Name: new("scratch")},
		{Name: new("data"), DockerVolumeConfiguration: &wire.DockerVolumeConfiguration{Scope: wire.ScopeTask}},
	}
	id := e.create(c)
	names := []string{taskVolumeName(e.task, "scratch"), taskVolumeName(e.task, "data")}
	for _, name := range names {
		res, err := e.rt.cli.VolumeInspect(e.ctx, name, client.VolumeInspectOptions{})
		if err != nil {
			t.Fatalf("volume %s after Create: %v", name, err)
		}
		if got := res.Volume.Labels[labelTaskID]; got != e.task {
			t.Errorf("volume %s task label = %q, want %q", name, got, e.task)
		}
	}

	if err := e.rt.Remove(e.ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := e.rt.RemoveTaskVolumes(e.ctx, e.task); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if _, err := e.rt.cli.VolumeInspect(e.ctx, name, client.VolumeInspectOptions{}); !cerrdefs.IsNotFound(err) {
			t.Errorf("volume %s after RemoveTaskVolumes: %v, want not found", name, err)
		}
	}
}

func TestSharedVolumeNeedsAutoprovision(t *testing.T) {
	e := newEnv(t)
	shared := "berth-test-shared-" + e.task
	t.Cleanup(func() {
		e.cleanup() // the container first: a volume in use cannot be removed
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if _, err := e.rt.cli.VolumeRemove(ctx, shared, client.VolumeRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
			t.Errorf("cleanup: %v", err)
		}
	})
	withShared := func(autoprovision bool) agent.ContainerConfig {
		c := e.config("app", []string{"true"}, func(d *wire.ContainerDefinition) {
			d.MountPoints = []wire.MountPoint{{SourceVolume: new(shared), ContainerPath: new("/cache")}}
		})
		c.Volumes = []wire.Volume{{Name: new(shared), DockerVolumeConfiguration: &wire.DockerVolumeConfiguration{
			Scope: wire.ScopeShared, Autoprovision: new(autoprovision),
		}}}
		return c
	}

	if _, err := e.rt.Create(e.ctx, withShared(false)); !errors.Is(err, agent.ErrCreate) {
		t.Fatalf("Create with a missing shared volume, no autoprovision = %v, want ErrCreate", err)
	}
	e.create(withShared(true))
	if err := e.rt.RemoveTaskVolumes(e.ctx, e.task); err != nil {
		t.Fatal(err)
	}
	if _, err := e.rt.cli.VolumeInspect(e.ctx, shared, client.VolumeInspectOptions{}); err != nil {
		t.Errorf("shared volume after RemoveTaskVolumes: %v, want it kept", err)
	}
}

func TestPrivilegedIsRefused(t *testing.T) {
	e := newEnv(t)
	_, err := e.rt.Create(e.ctx, e.config("root", []string{"true"}, func(d *wire.ContainerDefinition) {
		d.Privileged = new(true)
	}))
	if !errors.Is(err, agent.ErrPrivileged) {
		t.Fatalf("Create(privileged) = %v, want ErrPrivileged", err)
	}
	if cs, err := e.rt.List(e.ctx, e.arn); err != nil || len(cs) != 0 {
		t.Errorf("List after a refused create = %v, %v; want no container", cs, err)
	}
}

func TestPullOfAbsentImageFails(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	if pulled, err := e.rt.EnsureImage(ctx, "127.0.0.1:1/none:latest"); !errors.Is(err, agent.ErrPull) || pulled {
		t.Fatalf("EnsureImage(absent) = %v, %v; want ErrPull", pulled, err)
	}
}

func TestMissingContainer(t *testing.T) {
	e := newEnv(t)
	missing := "berth-" + e.task + "-missing"
	if _, err := e.rt.Inspect(e.ctx, missing); !errors.Is(err, agent.ErrNotFound) {
		t.Errorf("Inspect(missing) = %v, want ErrNotFound", err)
	}
	if err := e.rt.Stop(e.ctx, missing, time.Second); !errors.Is(err, agent.ErrNotFound) {
		t.Errorf("Stop(missing) = %v, want ErrNotFound", err)
	}
	if err := e.rt.Remove(e.ctx, missing); err != nil {
		t.Errorf("Remove(missing) = %v, want nil", err)
	}
}

// TestEngineAcceptsTheTranslation runs a container using most of what
// containerSpec translates, and checks from inside that it took effect.
func TestEngineAcceptsTheTranslation(t *testing.T) {
	e := newEnv(t)
	data := e.run(e.config("data", []string{"sleep", "600"}))
	out := t.TempDir()
	script := `exec > /out/report 2>&1
echo "env=$GREETING"; echo "pwd=$(pwd)"; echo "hostname=$(cat /etc/hostname)"; echo "nofile=$(ulimit -n)"
echo "pid1=$(cat /proc/1/cmdline)"; echo "hosts:"; cat /etc/hosts; echo "resolv:"; cat /etc/resolv.conf
if echo x > /tmp/x; then echo rootfs=writable; else echo rootfs=readonly; fi
if echo x > /run/x; then echo tmpfs=writable; fi`
	c := e.config("app", []string{"sh", "-c", script}, func(d *wire.ContainerDefinition) {
		d.Cpu, d.Memory, d.MemoryReservation = new(int32(256)), new(int32(64)), new(int32(32))
		d.Environment = []wire.KeyValuePair{{Name: new("GREETING"), Value: new("hello")}}
		d.WorkingDirectory, d.User, d.Hostname = new("/run"), new("0"), new("app-host")
		d.ExtraHosts = []wire.HostEntry{{Hostname: new("extra.example"), IpAddress: new("10.9.9.9")}}
		d.DnsServers, d.DnsSearchDomains = []string{"10.0.0.2"}, []string{"corp.example"}
		d.ReadonlyRootFilesystem, d.StopTimeout = new(true), new(int32(5))
		d.Ulimits = []wire.Ulimit{{Name: wire.UlimitNameNofile, SoftLimit: new(int32(1234)), HardLimit: new(int32(2048))}}
		d.LinuxParameters = &wire.LinuxParameters{InitProcessEnabled: new(true), SharedMemorySize: new(int32(16)),
			Tmpfs: []wire.Tmpfs{{ContainerPath: new("/run"), Size: new(int32(8))}}}
		d.DockerLabels = map[string]string{"team": "a"}
		d.MountPoints = []wire.MountPoint{{SourceVolume: new("out"), ContainerPath: new("/out")}}
		d.VolumesFrom = []wire.VolumeFrom{{SourceContainer: new("data"), ReadOnly: new(true)}}
		d.Links = []string{"data:db"}
	})
	c.Volumes = []wire.Volume{{Name: new("out"), Host: &wire.HostVolumeProperties{SourcePath: new(out)}}}
	c.VolumesFrom = map[string]string{"data": data}

	info := e.waitExit(e.run(c))
	report, err := os.ReadFile(filepath.Join(out, "report"))
	if err != nil {
		t.Fatal(err)
	}
	if info.ExitCode != 0 || info.Labels["team"] != "a" {
		t.Errorf("exit code %d, labels %v; want 0 and the dockerLabels", info.ExitCode, info.Labels)
	}
	for _, want := range []string{"env=hello", "pwd=/run", "hostname=app-host", "nofile=1234", "pid1=/sbin/docker-init",
		"10.9.9.9\textra.example", "\tdb ", "nameserver 10.0.0.2", "search corp.example", "rootfs=readonly", "tmpfs=writable"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}
