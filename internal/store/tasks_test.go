package store

import (
	"fmt"
	"slices"
	"testing"

	"github.com/berth-org/berth/internal/ecs"
)

// placedTask is a task of cluster c on instance inst.
func placedTask(c, inst string, n int) *ecs.Task {
	return &ecs.Task{ID: fmt.Sprintf("%032x", n), Cluster: c, ContainerInstanceID: inst, DesiredStatus: ecs.TaskRunning}
}

func createTasks(t *testing.T, s *Store, tasks ...*ecs.Task) {
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
