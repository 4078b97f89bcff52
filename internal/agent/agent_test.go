package agent

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/berth-org/berth/internal/agentproto"
	"github.com/berth-org/berth/internal/api/agentapi"
	"github.com/berth-org/berth/internal/api/ecsapi"
	"github.com/berth-org/berth/internal/arn"
	"github.com/berth-org/berth/internal/awsjson"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// awaitTimeout bounds every wait for the agent and server to converge; on
// this fake engine they do in milliseconds.
const awaitTimeout = 15 * time.Second

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// cluster is a real control plane (embedded etcd, ECS and agent APIs over
// HTTP) for agents with a fake engine.
type cluster struct {
	t     *testing.T
	store *store.Store
	ecs   *ecsapi.API
	url   string
	arns  arn.Builder
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e, err := store.StartEmbedded(ctx, t.TempDir(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	st := store.New(e.Client())
	arns := arn.Builder{Region: "us-east-1", Account: "000000000000"}
	api, err := ecsapi.New(ctx, ecsapi.Config{Store: st, ARNs: arns, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	agents := agentapi.New(agentapi.Config{Store: st, ECS: api, ARNs: arns, Log: quiet,
		Verifier: &awsjson.Verifier{Mode: awsjson.AuthAnyKey}, HeartbeatTimeout: 5 * time.Second})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		agents.Run(ctx)
	}()
	srv := httptest.NewServer(agents.Handler())
	t.Cleanup(func() {
		agents.Close()
		srv.Close()
		cancel()
		wg.Wait()
	})
	return &cluster{t: t, store: st, ecs: api, url: srv.URL, arns: arns}
}

// startAgent runs an agent on rt with its state in dir until the returned
// stop is called (or the test ends).
func (c *cluster) startAgent(rt Runtime, dir string) (*Agent, func()) {
	c.t.Helper()
	return c.startAgentWith(rt, dir, nil)
}

// startAgentWith is startAgent with the configuration edited by edit (nil
// for none).
func (c *cluster) startAgentWith(rt Runtime, dir string, edit func(*Config)) (*Agent, func()) {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := Config{Server: c.url, Cluster: "default", DataDir: dir, Runtime: rt, Log: quiet,
		CPUs: 2, MemoryMiB: 2048, AvailabilityZone: "us-east-1a",
		Credentials: &agentproto.BootstrapCredentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret", Region: "us-east-1"}}
	if edit != nil {
		edit(&cfg)
	}
	a := New(cfg)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				c.t.Errorf("agent: %v", err)
			}
		})
	}
	c.t.Cleanup(stop)
	c.await("the agent registers and connects", func() bool {
		if a.InstanceARN() == "" {
			return false
		}
		inst := c.instance(a.InstanceARN())
		return inst != nil && inst.AgentConnected
	})
	return a, stop
}

func (c *cluster) instance(instanceARN string) *ecs.ContainerInstance {
	parsed, _ := arn.Parse(instanceARN)
	cl, id, _ := strings.Cut(parsed.Path(), "/")
	inst, err := c.store.GetInstance(context.Background(), cl, id)
	if err != nil {
		return nil
	}
	return inst
}

// await polls cond until it holds, failing the test after awaitTimeout.
func (c *cluster) await(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(awaitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// register registers a task definition with the given containers.
func (c *cluster) register(family string, containers ...wire.ContainerDefinition) string {
	c.t.Helper()
	out, err := c.ecs.RegisterTaskDefinition(context.Background(), &wire.RegisterTaskDefinitionRequest{Family: &family, ContainerDefinitions: containers})
	if err != nil {
		c.t.Fatal(err)
	}
	return *out.TaskDefinition.TaskDefinitionArn
}

// place writes a task of taskDef onto the agent's instance, as RunTask
// would, and returns its id.
func (c *cluster) place(a *Agent, taskDef string) string {
	c.t.Helper()
	return c.placeMany(a, taskDef, 1)[0]
}

// placeMany writes n tasks in one transaction, so that their changes share
// one etcd revision, as a RunTask with count n does.
func (c *cluster) placeMany(a *Agent, taskDef string, n int) []string {
	c.t.Helper()
	inst := c.instance(a.InstanceARN())
	family, _, _ := strings.Cut(strings.TrimPrefix(taskDef, "arn:aws:ecs:us-east-1:000000000000:task-definition/"), ":")
	var ids []string
	_, err := c.store.Update(context.Background(), func(tx *store.Tx) error {
		ids = ids[:0]
		for range n {
			id := strings.ReplaceAll(uuid.NewString(), "-", "")
			ids = append(ids, id)
			if err := c.createTask(tx, inst, taskDef, family, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		c.t.Fatal(err)
	}
	return ids
}

// createTask writes one task onto inst within tx, holding its resources.
func (c *cluster) createTask(tx *store.Tx, inst *ecs.ContainerInstance, taskDef, family, id string) error {
	t := &ecs.Task{ID: id, ARN: c.arns.Task("default", id), Cluster: "default", ClusterARN: c.arns.Cluster("default"),
		TaskDefinitionARN: taskDef, Family: family, ContainerInstanceID: inst.ID, ContainerInstanceARN: inst.ARN,
		Group: "family:" + family, DesiredStatus: ecs.TaskRunning, Version: 1, CreatedAt: time.Now(),
		Held:  ecs.Requirements{CPU: 128, Memory: 64},
		Known: ecs.Known{LastStatus: ecs.TaskPending, Containers: []ecs.Container{{Name: "app", LastStatus: ecs.ContainerPending, Essential: true}}}}
	i, err := tx.GetInstance(inst.Cluster, inst.ID)
	if err != nil {
		return err
	}
	i.Hold(t.Held)
	if err := tx.PutInstance(i); err != nil {
		return err
	}
	return tx.CreateTask(t)
}

func (c *cluster) task(id string) *ecs.Task {
	t, err := c.store.GetTask(context.Background(), "default", id)
	if err != nil {
		c.t.Fatal(err)
	}
	return t
}

func (c *cluster) stop(id string) {
	c.t.Helper()
	_, err := c.store.Update(context.Background(), func(tx *store.Tx) error {
		t, err := tx.GetTask("default", id)
		if err != nil {
			return err
		}
		t.RequestStop(ecs.StopUserInitiated, "test", time.Now())
		return tx.PutTask(t)
	})
	if err != nil {
		c.t.Fatal(err)
	}
}

func (c *cluster) awaitStatus(id string, want ecs.TaskStatus) *ecs.Task {
	c.t.Helper()
	var t *ecs.Task
	c.await("task "+id+" is "+string(want), func() bool {
		t = c.task(id)
		return t.Known.LastStatus == want
	})
	return t
}

func appContainer() wire.ContainerDefinition {
	return wire.ContainerDefinition{Name: ptr("app"), Image: ptr("busybox"), Memory: ptr(int32(64))}
}

func TestAgentRunsAndStopsATask(t *testing.T) {
	c := newCluster(t)
	rt := newFakeRuntime()
	a, _ := c.startAgent(rt, t.TempDir())
	id := c.place(a, c.register("web", appContainer()))

	running := c.awaitStatus(id, ecs.TaskRunning)
	if running.Known.StartedAt.IsZero() || running.Known.PullStartedAt.IsZero() || running.Known.Containers[0].RuntimeID == "" {
		t.Errorf("running task lacks timestamps or runtime id: %+v", running.Known)
	}
	c.stop(id)
	stopped := c.awaitStatus(id, ecs.TaskStopped)
	if code, reason := stopped.StopCodeAndReason(); code != ecs.StopUserInitiated || reason != "test" {
		t.Errorf("stop code and reason = %q, %q", code, reason)
	}
	if !stopped.Released {
		t.Error("a stopped task still holds its resources")
	}
	inst := c.instance(a.InstanceARN())
	if fits, _ := inst.Fits(ecs.Requirements{CPU: 2048, Memory: 2048}); !fits {
		t.Errorf("instance did not get its resources back: %+v", inst.Remaining)
	}
}

// The way to RUNNING (pull, create, start) is one report: the task record
// is written at creation and once more, RUNNING with everything the agent
// learnt on the way.
func TestAgentReportsTheWayToRunningOnce(t *testing.T) {
	c := newCluster(t)
	rt := newFakeRuntime()
	rt.gate = make(chan struct{})
	a, _ := c.startAgent(rt, t.TempDir())
	id := c.place(a, c.register("web", appContainer()))
	arn := c.task(id).ARN

	c.await("the container created and its start called", func() bool { return rt.enteredStart() == 1 })
	c.await("every report so far acknowledged", func() bool { return a.reporter.settled(arn) })
	if got := c.task(id); got.Version != 1 {
		t.Errorf("before RUNNING the task was written %d times, want once (created): %+v", got.Version, got.Known)
	}
	close(rt.gate)
	running := c.awaitStatus(id, ecs.TaskRunning)
	if running.Version != 2 || running.Known.PullStartedAt.IsZero() || running.Known.Containers[0].RuntimeID == "" {
		t.Errorf("RUNNING: version %d, want 2, with pull times and runtime id: %+v", running.Version, running.Known)
	}
}

func TestWorthReporting(t *testing.T) {
	pending := ecs.Known{LastStatus: ecs.TaskPending, Containers: []ecs.Container{{Name: "app", LastStatus: ecs.ContainerPending}}}
	change := func(edit func(*ecs.Known)) ecs.Known {
		k := cloneKnown(pending)
		edit(&k)
		return k
	}
	for _, tc := range []struct {
		name string
		next ecs.Known
		want bool
	}{
		{"nothing", pending, false},
		{"pull times", change(func(k *ecs.Known) { k.PullStartedAt, k.PullStoppedAt = time.Unix(1, 0), time.Unix(2, 0) }), false},
		{"runtime id and digest", change(func(k *ecs.Known) { k.Containers[0].RuntimeID, k.Containers[0].ImageDigest = "c1", "sha256:1" }), false},
		{"activating", change(func(k *ecs.Known) { k.LastStatus = ecs.TaskActivating }), false},
		{"task health of containers without checks", change(func(k *ecs.Known) { k.HealthStatus = ecs.HealthUnknown }), false},
		{"running", change(func(k *ecs.Known) { k.LastStatus = ecs.TaskRunning }), true},
		{"stopping", change(func(k *ecs.Known) { k.LastStatus = ecs.TaskStopping }), true},
		{"container health", change(func(k *ecs.Known) { k.Containers[0].HealthStatus = ecs.HealthHealthy }), true},
		{"container status", change(func(k *ecs.Known) { k.Containers[0].LastStatus = ecs.ContainerRunning }), true},
		{"container reason", change(func(k *ecs.Known) { k.Containers[0].Reason = "CannotCreateContainerError" }), true},
		{"stop code", change(func(k *ecs.Known) { k.StopCode = ecs.StopTaskFailedToStart }), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := worthReporting(pending, tc.next); got != tc.want {
				t.Errorf("worthReporting = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAgentRunsEveryTaskOfOneTransaction(t *testing.T) {
	c := newCluster(t)
	a, _ := c.startAgent(newFakeRuntime(), t.TempDir())
	td := c.register("batch", appContainer())
	for range 3 {
		for _, id := range c.placeMany(a, td, 10) {
			c.awaitStatus(id, ecs.TaskRunning)
		}
	}
}

func TestAgentStopsTaskWhenEssentialContainerExits(t *testing.T) {
	c := newCluster(t)
	rt := newFakeRuntime()
	a, _ := c.startAgent(rt, t.TempDir())
	id := c.place(a, c.register("batch", appContainer()))
	c.awaitStatus(id, ecs.TaskRunning)

	info, _ := rt.byName("berth-" + id + "-app")
	rt.exit(info.ID, 3)
	stopped := c.awaitStatus(id, ecs.TaskStopped)
	if code, reason := stopped.StopCodeAndReason(); code != ecs.StopEssentialContainerExited || reason != ecs.ReasonEssentialContainerExited {
		t.Errorf("stop code and reason = %q, %q", code, reason)
	}
	if ec := stopped.Known.Containers[0].ExitCode; ec == nil || *ec != 3 {
		t.Errorf("exit code = %v, want 3", ec)
	}
	if stopped.DesiredStatus != ecs.TaskStopped || stopped.StoppingAt.IsZero() {
		t.Errorf("desiredStatus %s, stoppingAt %v; want STOPPED with a time, as ECS records a task that stopped on its own", stopped.DesiredStatus, stopped.StoppingAt)
	}
}

func TestAgentRestartReadoptsRunningTasks(t *testing.T) {
	c := newCluster(t)
	rt := newFakeRuntime()
	dir := t.TempDir()
	a, stop := c.startAgent(rt, dir)
	var ids []string
	for range 5 {
		ids = append(ids, c.place(a, c.register("web", appContainer())))
	}
	for _, id := range ids {
		c.awaitStatus(id, ecs.TaskRunning)
	}
	startsBefore := rt.startCount()
	stop()

	b, _ := c.startAgent(rt, dir)
	if b.InstanceARN() != a.InstanceARN() {
		t.Fatalf("restarted agent registered %s, want the same instance %s", b.InstanceARN(), a.InstanceARN())
	}
	// A task placed after the restart runs, proving the new session works;
	// by then the re-adopted ones have been reported again.
	late := c.place(b, c.register("web", appContainer()))
	c.awaitStatus(late, ecs.TaskRunning)
	if got := rt.startCount(); got != startsBefore+1 {
		t.Errorf("containers started after restart = %d, want 1 (only the new task)", got-startsBefore)
	}
	for _, id := range ids {
		if got := c.task(id).Known.LastStatus; got != ecs.TaskRunning {
			t.Errorf("task %s is %s after the agent restart, want RUNNING", id, got)
		}
	}
}

func TestAgentDisconnectAndReconnect(t *testing.T) {
	c := newCluster(t)
	rt := newFakeRuntime()
	dir := t.TempDir()
	a, stop := c.startAgent(rt, dir)
	id := c.place(a, c.register("web", appContainer()))
	c.awaitStatus(id, ecs.TaskRunning)

	stop()
	c.await("the instance shows its agent disconnected", func() bool { return !c.instance(a.InstanceARN()).AgentConnected })
	c.stop(id) // issued while the agent is away

	c.startAgent(rt, dir)
	c.awaitStatus(id, ecs.TaskStopped)
}

// A snapshot in the middle of a session (the server resynchronizing one
// that fell behind) replaces what the agent knows, as the first one does;
// a tasks message only adds to it.
func TestAgentAppliesALaterSnapshotAsTheFirst(t *testing.T) {
	c := newCluster(t)
	rt := newFakeRuntime()
	a, _ := c.startAgent(rt, t.TempDir())
	id := c.place(a, c.register("web", appContainer()))
	c.awaitStatus(id, ecs.TaskRunning)
	container := "berth-" + id + "-app"

	a.receive(agentproto.Message{Type: agentproto.MessageTasks})
	if _, ok := rt.byName(container); !ok {
		t.Fatal("a tasks message without the task removed its container")
	}
	a.receive(agentproto.Message{Type: agentproto.MessageSnapshot})
	c.await("the container of the task the snapshot lacks is removed", func() bool {
		_, ok := rt.byName(container)
		return !ok
	})
}

func TestAgentTokenOnlyReadsItsOwnInstance(t *testing.T) {
	c := newCluster(t)
	a, _ := c.startAgent(newFakeRuntime(), t.TempDir())
	b, _ := c.startAgent(newFakeRuntime(), t.TempDir())
	id := c.place(a, c.register("web", appContainer()))
	c.awaitStatus(id, ecs.TaskRunning)

	// b's client, speaking for a's instance with b's token, is refused.
	client := agentproto.NewClient(c.url)
	client.SetIdentity(a.InstanceARN(), b.identity().Token)
	if _, err := client.OpenSession(context.Background()); !agentproto.HasCode(err, agentproto.CodeUnauthorized) {
		t.Errorf("session with another instance's token: err = %v, want Unauthorized", err)
	}
	// b reporting a's task with its own identity changes nothing.
	client.SetIdentity(b.InstanceARN(), b.identity().Token)
	ack, err := client.Report(context.Background(), agentproto.StateReport{Tasks: []agentproto.TaskState{
		{TaskARN: c.task(id).ARN, Known: ecs.Known{Seq: 1 << 40, LastStatus: ecs.TaskStopped}},
	}})
	if err != nil || ack.Applied != 0 || len(ack.Unknown) != 1 {
		t.Errorf("report of another instance's task: ack %+v, err %v; want it unknown and unapplied", ack, err)
	}
	if got := c.task(id).Known.LastStatus; got != ecs.TaskRunning {
		t.Errorf("task is %s, want RUNNING", got)
	}
}

func TestAgentProtocolRejectsBadRequests(t *testing.T) {
	c := newCluster(t)
	a, _ := c.startAgent(newFakeRuntime(), t.TempDir())
	token := a.identity().Token
	post := func(path, instance, token, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, c.url+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set(agentproto.HeaderInstance, instance)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e agentproto.ErrorBody
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, e.Code
	}
	tooMany := `{"tasks":[` + strings.TrimSuffix(strings.Repeat(`{"taskArn":"x"},`, 501), ",") + `]}`
	cases := []struct {
		name, path, instance, token, body string
		status                            int
		code                              string
	}{
		{"report without a token", agentproto.PathState, a.InstanceARN(), "", `{"tasks":[]}`, 401, agentproto.CodeUnauthorized},
		{"report with a wrong token", agentproto.PathState, a.InstanceARN(), "not-the-token", `{"tasks":[]}`, 401, agentproto.CodeUnauthorized},
		{"report for an instance that is not an ARN", agentproto.PathState, "i-123", token, `{"tasks":[]}`, 401, agentproto.CodeUnauthorized},
		{"report that is not JSON", agentproto.PathState, a.InstanceARN(), token, `{"tasks":`, 400, agentproto.CodeBadRequest},
		{"report of over 500 tasks", agentproto.PathState, a.InstanceARN(), token, tooMany, 400, agentproto.CodeBadRequest},
		{"heartbeat with a wrong token", agentproto.PathHeartbeat, a.InstanceARN(), "x", `{}`, 401, agentproto.CodeUnauthorized},
		{"unsigned first registration", agentproto.PathRegister, "", "", `{"cluster":"default"}`, 401, agentproto.CodeUnauthorized},
		{"registration that is not JSON", agentproto.PathRegister, "", "", `nope`, 400, agentproto.CodeBadRequest},
		{"re-registration of another instance with this token", agentproto.PathRegister, a.InstanceARN(), token,
			`{"cluster":"default","containerInstanceArn":"arn:aws:ecs:us-east-1:000000000000:container-instance/default/0123456789abcdef0123456789abcdef"}`, 401, agentproto.CodeUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if status, code := post(tc.path, tc.instance, tc.token, tc.body); status != tc.status || code != tc.code {
				t.Errorf("got %d %s, want %d %s", status, code, tc.status, tc.code)
			}
		})
	}
	if inst := c.instance(a.InstanceARN()); !inst.AgentConnected || inst.Version == 0 {
		t.Errorf("bad requests disturbed the instance: %+v", inst)
	}
}
