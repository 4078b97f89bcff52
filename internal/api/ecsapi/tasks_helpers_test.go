package ecsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-org/berth/internal/arn"
	"github.com/berth-org/berth/internal/awsjson"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// Fixtures for the task tests: one embedded etcd per top-level test, shared
// by its subtests, which keep apart by naming their own clusters and
// families.

var testARNs = arn.Builder{Region: "us-east-1", Account: "000000000000"}

// epoch is the fake clock's start; the API truncates times to milliseconds.
var epoch = time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)

// clock is a settable fake clock.
type clock struct{ now atomic.Int64 }

func newClock(start time.Time) *clock {
	c := &clock{}
	c.now.Store(start.UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.now.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.now.Add(int64(d)) }

// env is an API over a real embedded etcd, with a fake clock.
type env struct {
	api   *API
	store *store.Store
	clock *clock
	c     context.Context
	seq   atomic.Int64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	etcd, err := store.StartEmbedded(ctx, t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = etcd.Close() })
	st := store.New(etcd.Client())
	clk := newClock(epoch)
	api, err := New(ctx, Config{Store: st, ARNs: testARNs, Log: log, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &env{api: api, store: st, clock: clk, c: ctx}
}

func (e *env) ctx() context.Context { return e.c }

// name returns a cluster or family name no other subtest uses.
func (e *env) name(prefix string) string { return fmt.Sprintf("%s-%d", prefix, e.seq.Add(1)) }

// --- clusters ---

func (e *env) cluster(t *testing.T) string {
	t.Helper()
	name := e.name("c")
	if _, err := e.api.CreateCluster(e.ctx(), &wire.CreateClusterRequest{ClusterName: ptr(name)}); err != nil {
		t.Fatal(err)
	}
	return name
}

// readyCluster is a cluster with one connected instance of 4 vCPU and 8
// GiB: room for 16 default tasks.
func (e *env) readyCluster(t *testing.T) string {
	t.Helper()
	cluster := e.cluster(t)
	e.agent(t, cluster, 4096, 8192)
	return cluster
}

// --- task definitions ---

type tdOpt func(*wire.RegisterTaskDefinitionRequest)

// container is a container definition with cpu and memory.
func container(name string, cpu, memory int32) wire.ContainerDefinition {
	return wire.ContainerDefinition{Name: ptr(name), Image: ptr("nginx:1.27"), Cpu: ptr(cpu), Memory: ptr(memory)}
}

func withContainers(cs ...wire.ContainerDefinition) tdOpt {
	return func(r *wire.RegisterTaskDefinitionRequest) { r.ContainerDefinitions = cs }
}

// withPorts gives the first container fixed host ports ("80/tcp",
// "53/udp").
func withPorts(ports ...string) tdOpt {
	return func(r *wire.RegisterTaskDefinitionRequest) {
		for _, p := range ports {
			var n int32
			var proto string
			if _, err := fmt.Sscanf(p, "%d/%s", &n, &proto); err != nil {
				panic(err)
			}
			r.ContainerDefinitions[0].PortMappings = append(r.ContainerDefinitions[0].PortMappings,
				wire.PortMapping{ContainerPort: ptr(n), HostPort: ptr(n), Protocol: wire.TransportProtocol(proto)})
		}
	}
}

func withNetworkMode(m wire.NetworkMode) tdOpt {
	return func(r *wire.RegisterTaskDefinitionRequest) { r.NetworkMode = m }
}

func withTDTags(kv ...string) tdOpt {
	return func(r *wire.RegisterTaskDefinitionRequest) { r.Tags = wireTags(kv...) }
}

func withTDConstraint(expr string) tdOpt {
	return func(r *wire.RegisterTaskDefinitionRequest) {
		r.PlacementConstraints = []wire.TaskDefinitionPlacementConstraint{{Type: wire.TaskDefinitionPlacementConstraintTypeMemberOf, Expression: ptr(expr)}}
	}
}

// taskDef registers a new family, by default one container "app" with 256
// CPU and 512 MiB, and returns the family name.
func (e *env) taskDef(t *testing.T, opts ...tdOpt) string {
	t.Helper()
	family := e.name("td")
	in := &wire.RegisterTaskDefinitionRequest{Family: ptr(family), ContainerDefinitions: []wire.ContainerDefinition{container("app", 256, 512)}}
	for _, o := range opts {
		o(in)
	}
	if _, err := e.api.RegisterTaskDefinition(e.ctx(), in); err != nil {
		t.Fatal(err)
	}
	return family
}

func (e *env) deregisterTaskDef(t *testing.T, family string, revision int) {
	t.Helper()
	ref := fmt.Sprintf("%s:%d", family, revision)
	if _, err := e.api.DeregisterTaskDefinition(e.ctx(), &wire.DeregisterTaskDefinitionRequest{TaskDefinition: &ref}); err != nil {
		t.Fatal(err)
	}
}

// --- container instances ---

type instanceOpt func(*wire.RegisterContainerInstanceRequest)

// withReservedPorts sets the TCP and UDP ports the instance reserves; by
// default it reserves TCP 22, as an agent does for SSH.
func withReservedPorts(tcp []string, udp []string) instanceOpt {
	return func(r *wire.RegisterContainerInstanceRequest) {
		r.TotalResources[2].StringSetValue = tcp
		r.TotalResources[3].StringSetValue = udp
	}
}

func inZone(az string) instanceOpt {
	return func(r *wire.RegisterContainerInstanceRequest) {
		r.Attributes = append(r.Attributes, wire.Attribute{Name: ptr("ecs.availability-zone"), Value: ptr(az)})
	}
}

// instance registers a container instance with cpu and memory, as an
// agent registers it (with its PORTS and PORTS_UDP), and returns its id. It
// is not connected: no agent exists in these tests.
func (e *env) instance(t *testing.T, cluster string, cpu, memory int32, opts ...instanceOpt) string {
	t.Helper()
	in := &wire.RegisterContainerInstanceRequest{
		Cluster: ptr(cluster),
		TotalResources: []wire.Resource{
			{Name: ptr(ecs.ResourceCPU), Type: ptr("INTEGER"), IntegerValue: ptr(cpu)},
			{Name: ptr(ecs.ResourceMemory), Type: ptr("INTEGER"), IntegerValue: ptr(memory)},
			{Name: ptr(ecs.ResourcePorts), Type: ptr("STRINGSET"), StringSetValue: []string{"22"}},
			{Name: ptr(ecs.ResourcePortsUDP), Type: ptr("STRINGSET"), StringSetValue: []string{}},
		},
	}
	for _, o := range opts {
		o(in)
	}
	out, err := e.api.RegisterContainerInstance(e.ctx(), in)
	if err != nil {
		t.Fatal(err)
	}
	arn := str(out.ContainerInstance.ContainerInstanceArn)
	return arn[len(arn)-32:]
}

// agent registers an instance and marks its agent connected, as the agent
// session layer does when an agent connects.
func (e *env) agent(t *testing.T, cluster string, cpu, memory int32, opts ...instanceOpt) string {
	t.Helper()
	id := e.instance(t, cluster, cpu, memory, opts...)
	e.editInstance(t, cluster, id, func(i *ecs.ContainerInstance) { i.AgentConnected = true })
	return id
}

// agents registers n connected instances and returns their ids in id
// order: the order first-fit placement tries them in.
func (e *env) agents(t *testing.T, cluster string, n int, cpu, memory int32) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = e.agent(t, cluster, cpu, memory)
	}
	slices.Sort(ids)
	return ids
}

// editInstance changes a stored instance directly, as another writer would.
func (e *env) editInstance(t *testing.T, cluster, id string, change func(*ecs.ContainerInstance)) {
	t.Helper()
	if _, err := e.store.Update(e.ctx(), func(tx *store.Tx) error {
		i, err := tx.GetInstance(cluster, id)
		if err != nil {
			return err
		}
		change(i)
		i.Version++
		return tx.PutInstance(i)
	}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) storedInstance(t *testing.T, cluster, id string) *ecs.ContainerInstance {
	t.Helper()
	i, err := e.store.GetInstance(e.ctx(), cluster, id)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func (e *env) drain(t *testing.T, cluster, id string) {
	t.Helper()
	if _, err := e.api.UpdateContainerInstancesState(e.ctx(), &wire.UpdateContainerInstancesStateRequest{
		Cluster: ptr(cluster), ContainerInstances: []string{id}, Status: wire.ContainerInstanceStatusDraining,
	}); err != nil {
		t.Fatal(err)
	}
}

// remaining is an instance's remaining CPU and MEMORY.
func remaining(i *ecs.ContainerInstance) (cpu, memory int32) {
	for _, r := range i.Remaining {
		switch str(r.Name) {
		case ecs.ResourceCPU:
			cpu = *r.IntegerValue
		case ecs.ResourceMemory:
			memory = *r.IntegerValue
		}
	}
	return cpu, memory
}

// remainingSet is an instance's remaining (that is, in use) ports of one
// protocol.
func remainingSet(i *ecs.ContainerInstance, name string) []string {
	for _, r := range i.Remaining {
		if str(r.Name) == name {
			return r.StringSetValue
		}
	}
	return nil
}

func instanceARN(cluster, id string) string { return testARNs.ContainerInstance(cluster, id) }

// --- tasks ---

// runIn is a RunTask request for family in cluster, edited by opts.
func runIn(cluster, family string, opts ...func(*wire.RunTaskRequest)) *wire.RunTaskRequest {
	in := &wire.RunTaskRequest{Cluster: ptr(cluster), TaskDefinition: ptr(family)}
	for _, o := range opts {
		o(in)
	}
	return in
}

func count(n int32) func(*wire.RunTaskRequest) {
	return func(r *wire.RunTaskRequest) { r.Count = ptr(n) }
}

func (e *env) run(t *testing.T, in *wire.RunTaskRequest) *wire.RunTaskResponse {
	t.Helper()
	out, err := e.api.RunTask(e.ctx(), in)
	if err != nil {
		t.Fatalf("RunTask: %v", err)
	}
	return out
}

// runOne runs one task of family in cluster and returns its id.
func (e *env) runOne(t *testing.T, cluster, family string, opts ...func(*wire.RunTaskRequest)) string {
	t.Helper()
	out := e.run(t, runIn(cluster, family, opts...))
	if len(out.Tasks) != 1 {
		t.Fatalf("RunTask placed %d tasks, want 1; failures %s", len(out.Tasks), asJSON(out.Failures))
	}
	return taskIDOf(str(out.Tasks[0].TaskArn))
}

func taskIDOf(taskARN string) string { return taskARN[len(taskARN)-32:] }

func (e *env) storedTask(t *testing.T, cluster, id string) *ecs.Task {
	t.Helper()
	task, err := e.store.GetTask(e.ctx(), cluster, id)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// report writes what an agent would report for a task.
func (e *env) report(t *testing.T, cluster, id string, k ecs.Known) {
	t.Helper()
	if _, err := e.store.Update(e.ctx(), func(tx *store.Tx) error {
		task, err := tx.GetTask(cluster, id)
		if err != nil {
			return err
		}
		k.Seq = task.Known.Seq + 1
		if !task.ApplyKnown(k) {
			return errors.New("report not applied")
		}
		return tx.PutTask(task)
	}); err != nil {
		t.Fatal(err)
	}
}

// reportStatus reports a task's lastStatus with its containers unchanged.
func (e *env) reportStatus(t *testing.T, cluster, id string, s ecs.TaskStatus) {
	t.Helper()
	k := e.storedTask(t, cluster, id).Known
	k.LastStatus = s
	e.report(t, cluster, id, k)
}

func (e *env) listTasks(t *testing.T, in *wire.ListTasksRequest) []string {
	t.Helper()
	out, err := e.api.ListTasks(e.ctx(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out.TaskArns
}

// state is everything a cluster holds that a task action may change: its
// tasks and its instances, as stored.
func (e *env) state(t *testing.T, cluster string) string {
	t.Helper()
	tasks, err := e.store.ListTasks(e.ctx(), cluster, "", 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	instances, err := e.store.ListInstances(e.ctx(), cluster, "", 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	return asJSON(map[string]any{"tasks": tasks.Items, "instances": instances.Items})
}

// --- assertions ---

// want fails the test with a diff when got differs from want.
func want[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("%s (-want +got):\n%s", what, d)
	}
}

// wantErr asserts err is the ECS error type code with message msg.
func wantErr(t *testing.T, err error, code ecs.Code, msg string) {
	t.Helper()
	var domain *ecs.Error
	var api *awsjson.Error
	switch {
	case errors.As(err, &domain):
		want(t, "error", string(domain.Code)+": "+domain.Message, string(code)+": "+msg)
	case errors.As(err, &api):
		want(t, "error", api.Type+": "+api.Message, string(code)+": "+msg)
	default:
		t.Fatalf("error = %v, want %s: %s", err, code, msg)
	}
}

func asJSON(v any) string {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err)
	}
	return string(raw)
}

func wireTags(kv ...string) []wire.Tag {
	var out []wire.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, wire.Tag{Key: ptr(kv[i]), Value: ptr(kv[i+1])})
	}
	return out
}

// failure is a placement failure as RunTask reports it.
func failure(arn, reason string) wire.Failure {
	return wire.Failure{Arn: ptr(arn), Reason: ptr(reason)}
}

// parallel runs fn in n goroutines and waits for them.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { fn(i) })
	}
	wg.Wait()
}
