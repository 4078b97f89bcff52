package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/jsondecode"
)

// placedTask is a task of cluster c on instance inst.
func placedTask(c, inst string, n int) *ecs.Task {
	return &ecs.Task{ID: fmt.Sprintf("%032x", n), Cluster: c, ContainerInstanceID: inst, DesiredStatus: ecs.TaskRunning}
}

func createTasks(t testing.TB, s *Store, tasks ...*ecs.Task) {
	t.Helper()
	for start := 0; start < len(tasks); start += 50 {
		batch := tasks[start:min(start+50, len(tasks))]
		if _, err := s.Update(testCtx(t), func(tx *Tx) error {
			for _, task := range batch {
				if err := tx.CreateTask(task); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}

func ids(tasks []*ecs.Task) []string {
	out := make([]string, len(tasks))
	for i, task := range tasks {
		out[i] = task.ID
	}
	return out
}

func TestGetTasksReadsManyInOrderAndSkipsUnknownIDs(t *testing.T) {
	s := newTestStore(t)
	var tasks []*ecs.Task
	for n := range 250 { // more than one etcd transaction's worth
		tasks = append(tasks, placedTask("prod", "i-1", n))
	}
	createTasks(t, s, tasks...)
	want := ids(tasks)
	slices.Reverse(want)
	asked := append(slices.Clone(want), fmt.Sprintf("%032x", 999))
	got, err := s.GetTasks(testCtx(t), "prod", asked)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(got), want) {
		t.Fatalf("got %d tasks, want the 250 asked for that exist, in the order asked", len(got))
	}
	if none, err := s.GetTasks(testCtx(t), "other", want[:3]); err != nil || len(none) != 0 {
		t.Fatalf("another cluster's ids: got %d tasks, err %v; want none", len(none), err)
	}
}

func TestListInstanceTasksUsesTheInstanceIndex(t *testing.T) {
	s := newTestStore(t)
	var mine []*ecs.Task
	for n := range 120 {
		task := placedTask("prod", "i-1", n)
		if n%3 == 0 {
			task.ContainerInstanceID = "i-2"
		} else {
			mine = append(mine, task)
		}
		createTasks(t, s, task)
	}
	got, rev, err := s.ListInstanceTasks(testCtx(t), "prod", "i-1")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(got), ids(mine)) || rev == 0 {
		t.Fatalf("got %d tasks at revision %d, want i-1's %d in id order", len(got), rev, len(mine))
	}
}

// runningTask is a task as an agent reports it RUNNING: ARNs, one
// container, timestamps. Its statuses and placement are the arguments.
func runningTask(c, inst, group string, n int, desired, last ecs.TaskStatus) *ecs.Task {
	t := placedTask(c, inst, n)
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	t.ARN = "arn:aws:ecs:us-east-1:000000000000:task/" + c + "/" + t.ID
	t.ClusterARN = "arn:aws:ecs:us-east-1:000000000000:cluster/" + c
	t.TaskDefinitionARN = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1"
	t.ContainerInstanceARN = "arn:aws:ecs:us-east-1:000000000000:container-instance/" + c + "/" + inst
	t.Group, t.DesiredStatus, t.CreatedAt = group, desired, now
	t.Held = ecs.Requirements{CPU: 128, Memory: 256}
	t.Known = ecs.Known{Seq: 2, LastStatus: last, StartedAt: now, Containers: []ecs.Container{{
		Name: "app", ARN: "arn:aws:ecs:us-east-1:000000000000:container/" + t.ID + "/app",
		Image: "registry.example.com/shop/app:1.0", LastStatus: ecs.ContainerRunning, Essential: true, Memory: "256",
	}}}
	return t
}

func placementOf(t *ecs.Task) TaskPlacement {
	p := TaskPlacement{ID: t.ID, Cluster: t.Cluster, ContainerInstanceID: t.ContainerInstanceID, Group: t.Group, DesiredStatus: t.DesiredStatus}
	p.Known.LastStatus = t.Known.LastStatus
	return p
}

// TaskPlacement's fields must decode from a stored ecs.Task: a renamed
// JSON field in either would silently read as empty.
func TestTaskPlacementsDecodeFromStoredTasks(t *testing.T) {
	s := newTestStore(t)
	ctx := testCtx(t)
	rev, err := s.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	events, errc := s.WatchTaskPlacements(ctx, rev+1)
	tasks := []*ecs.Task{
		runningTask("c1", "i1", "family:web", 1, ecs.TaskRunning, ecs.TaskRunning),
		runningTask("c2", "i2", "service:api", 2, ecs.TaskStopped, ecs.TaskStopping),
	}
	createTasks(t, s, tasks...)

	var listed []TaskPlacement
	if err := s.ForEachTaskPlacement(ctx, func(p *TaskPlacement) bool { listed = append(listed, *p); return true }); err != nil {
		t.Fatal(err)
	}
	var watched []TaskPlacement
	for len(watched) < len(tasks) {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("watch ended: %v", <-errc)
			}
			watched = append(watched, *e.Value)
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
	for i, task := range tasks {
		want := placementOf(task)
		if listed[i] != want || watched[i] != want {
			t.Errorf("task %d: listed %+v, watched %+v; want %+v", i, listed[i], watched[i], want)
		}
	}
}

// TaskStop's fields must decode from a stored ecs.Task: a renamed JSON
// field in either would keep stopped tasks forever.
func TestTaskStopsDecodeFromStoredTasks(t *testing.T) {
	s := newTestStore(t)
	stopped := runningTask("c1", "i1", "family:web", 1, ecs.TaskStopped, ecs.TaskStopped)
	stopped.Known.StoppedAt = time.Date(2026, 11, 21, 13, 0, 0, 0, time.UTC)
	tasks := []*ecs.Task{stopped, runningTask("c2", "i2", "service:api", 2, ecs.TaskRunning, ecs.TaskRunning)}
	createTasks(t, s, tasks...)

	var listed []TaskStop
	if err := s.ForEachTaskStop(testCtx(t), func(st *TaskStop) bool { listed = append(listed, *st); return true }); err != nil {
		t.Fatal(err)
	}
	for i, task := range tasks {
		want := TaskStop{ID: task.ID, Cluster: task.Cluster}
		want.Known.LastStatus, want.Known.StoppedAt = task.Known.LastStatus, task.Known.StoppedAt
		if listed[i] != want {
			t.Errorf("task %d: listed %+v, want %+v", i, listed[i], want)
		}
	}
}

// BenchmarkForEachTask lists 2,000 stored tasks whole (ecs.Task, through
// the decode cache) and as what the stopped-task purge needs (TaskStop).
func BenchmarkForEachTask(b *testing.B) {
	s := newTestStore(b)
	tasks := make([]*ecs.Task, 2000)
	for i := range tasks {
		tasks[i] = runningTask("c", "i1", "family:web", i, ecs.TaskRunning, ecs.TaskRunning)
	}
	createTasks(b, s, tasks...)
	ctx := testCtx(b)
	b.Run("ecs.Task", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := s.ForEachTask(ctx, func(*ecs.Task) bool { return true }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("TaskStop", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := s.ForEachTaskStop(ctx, func(*TaskStop) bool { return true }); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDecodeStoredTask(b *testing.B) {
	raw, err := json.Marshal(runningTask("default", "0123456789abcdef0123456789abcdef", "family:web", 1, ecs.TaskRunning, ecs.TaskRunning))
	if err != nil {
		b.Fatal(err)
	}
	decoders := []struct {
		name      string
		unmarshal func([]byte, any) error
	}{
		{"encoding-json", json.Unmarshal},
		{"jsondecode", jsondecode.Unmarshal},
	}
	for _, d := range decoders {
		b.Run("ecs.Task/"+d.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := d.unmarshal(raw, new(taskFields)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("TaskPlacement/"+d.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := d.unmarshal(raw, new(TaskPlacement)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// taskFields is ecs.Task without its JSON methods, which decode with
// jsondecode whichever decoder calls them.
type taskFields ecs.Task

// WatchTaskRoutes streams every creation, and the updates keep wants, each
// with its record as stored.
func TestWatchTaskRoutesKeepsWhatItIsAskedFor(t *testing.T) {
	s := newTestStore(t)
	ctx := testCtx(t)
	rev, err := s.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var asked []ecs.TaskStatus
	events, errc := s.WatchTaskRoutes(ctx, rev+1, func(tp *TaskRoute) bool {
		asked = append(asked, tp.DesiredStatus)
		return tp.DesiredStatus == ecs.TaskStopped
	})
	task := placedTask("prod", "i-1", 1)
	createTasks(t, s, task)
	update := func(edit func(*ecs.Task)) {
		t.Helper()
		edit(task)
		if _, err := s.Update(ctx, func(tx *Tx) error { return tx.PutTask(task) }); err != nil {
			t.Fatal(err)
		}
	}
	update(func(tk *ecs.Task) { tk.Known.LastStatus = ecs.TaskRunning })
	update(func(tk *ecs.Task) { tk.RequestStop(ecs.StopUserInitiated, "test", time.Now()) })

	for i, want := range []ecs.TaskStatus{ecs.TaskRunning, ecs.TaskStopped} {
		select {
		case e := <-events:
			if e.Type != EventPut || e.Value.ID != task.ID || e.Value.DesiredStatus != want {
				t.Fatalf("event %d = %s %+v, want the task desired %s", i, e.Type, e.Value, want)
			}
			var stored ecs.Task
			if err := json.Unmarshal(e.Value.Record, &stored); err != nil || stored.DesiredStatus != want || stored.ID != task.ID {
				t.Fatalf("event %d record = %+v, %v; want the task as stored", i, stored, err)
			}
		case err := <-errc:
			t.Fatal(err)
		case <-ctx.Done():
			t.Fatalf("no event %d", i)
		}
	}
	if want := []ecs.TaskStatus{ecs.TaskRunning, ecs.TaskStopped}; !slices.Equal(asked, want) {
		t.Errorf("keep asked about updates desired %v, want %v (the creation is kept unasked)", asked, want)
	}
}

// countingKV counts the requests a transaction makes of etcd.
type countingKV struct {
	clientv3.KV
	gets, txns int
}

func (k *countingKV) Get(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	k.gets++
	return k.KV.Get(ctx, key, opts...)
}

func (k *countingKV) Txn(ctx context.Context) clientv3.Txn {
	k.txns++
	return k.KV.Txn(ctx)
}

func TestPrefetchTasksReadsThemInOneRequest(t *testing.T) {
	s := newTestStore(t)
	var tasks []*ecs.Task
	for n := range 5 {
		tasks = append(tasks, placedTask("prod", "i-1", n))
	}
	createTasks(t, s, tasks...)
	gone := fmt.Sprintf("%032x", 99)
	kv := &countingKV{KV: s.cli}
	tx := newTx(testCtx(t), kv, newBoundedMap[cachedKV](64), true)

	if err := tx.PrefetchTasks("prod", append(ids(tasks), gone)); err != nil {
		t.Fatal(err)
	}
	for _, want := range tasks {
		if got, err := tx.GetTask("prod", want.ID); err != nil || got.ID != want.ID {
			t.Fatalf("GetTask(%s) = %+v, %v", want.ID, got, err)
		}
	}
	if _, err := tx.GetTask("prod", gone); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetTask of a task that does not exist: %v, want ErrNotFound", err)
	}
	if kv.txns != 1 || kv.gets != 0 {
		t.Errorf("etcd requests: %d transactions, %d gets; want the one prefetch", kv.txns, kv.gets)
	}
}
