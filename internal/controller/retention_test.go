package controller

import (
	"errors"
	"testing"
	"time"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func stoppedAt(at time.Time) *ecs.Task {
	return &ecs.Task{ID: "t", Cluster: "default", ContainerInstanceID: "i",
		Known: ecs.Known{LastStatus: ecs.TaskStopped, StoppedAt: at}}
}

func TestExpired(t *testing.T) {
	running := &ecs.Task{Known: ecs.Known{LastStatus: ecs.TaskRunning}}
	cases := []struct {
		name string
		task *ecs.Task
		want bool
	}{
		{"running tasks never expire", running, false},
		{"stopped within the retention period", stoppedAt(t0.Add(-59 * time.Minute)), false},
		{"stopped exactly the retention period ago", stoppedAt(t0.Add(-time.Hour)), false},
		{"stopped longer ago", stoppedAt(t0.Add(-time.Hour - time.Second)), true},
		{"stopped without a time (never reported)", stoppedAt(time.Time{}), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Expired(tc.task, t0, time.Hour); got != tc.want {
				t.Errorf("Expired = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSweepPurgesOnlyExpiredTasks(t *testing.T) {
	ctx, e := testEtcd(t)
	st := store.New(e.Client())
	old, recent := stoppedAt(t0.Add(-2*time.Hour)), stoppedAt(t0.Add(-time.Minute))
	old.ID, recent.ID = "old", "recent"
	if _, err := st.Update(ctx, func(tx *store.Tx) error {
		return errors.Join(tx.CreateTask(old), tx.CreateTask(recent))
	}); err != nil {
		t.Fatal(err)
	}

	r := &Retention{Store: st, Log: quiet, Retention: time.Hour, Now: func() time.Time { return t0 }}
	n, err := r.Sweep(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want 1 purged", n, err)
	}
	if _, err := st.GetTask(ctx, "default", "old"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old task: err = %v, want ErrNotFound", err)
	}
	if _, err := st.GetTask(ctx, "default", "recent"); err != nil {
		t.Errorf("recent task: %v, want it kept", err)
	}
	tasks, _, err := st.ListInstanceTasks(ctx, "default", "i")
	if err != nil || len(tasks) != 1 {
		t.Errorf("instance index lists %d tasks (%v), want only the kept one", len(tasks), err)
	}
}
