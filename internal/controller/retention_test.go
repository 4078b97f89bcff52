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

func TestExpireClientTokensKeepsTheLast24Hours(t *testing.T) {
	ctx, e := testEtcd(t)
	st := store.New(e.Client())
	cutoff := t0.Add(-ClientTokenRetention)
	if _, err := st.Update(ctx, func(tx *store.Tx) error {
		return errors.Join(
			tx.PutTaskToken("default", "old-run", &store.TaskToken{TaskARNs: []string{"a"}, CreatedAt: cutoff.Add(-time.Second)}),
			tx.PutTaskToken("default", "recent-run", &store.TaskToken{TaskARNs: []string{"b"}, CreatedAt: cutoff.Add(time.Second)}),
			tx.PutServiceToken("default", "old-create", &store.ServiceToken{ServiceName: "s", CreatedAt: cutoff.Add(-time.Hour)}),
			tx.PutServiceToken("other", "recent-create", &store.ServiceToken{ServiceName: "s", CreatedAt: t0}),
		)
	}); err != nil {
		t.Fatal(err)
	}

	n, err := st.ExpireClientTokens(ctx, cutoff)
	if err != nil || n != 2 {
		t.Fatalf("ExpireClientTokens = %d, %v; want 2 expired", n, err)
	}
	for _, tc := range []struct {
		name string
		get  func(tx *store.Tx) error
		kept bool
	}{
		{"RunTask token older than 24 h", func(tx *store.Tx) error { _, err := tx.GetTaskToken("default", "old-run"); return err }, false},
		{"RunTask token within 24 h", func(tx *store.Tx) error { _, err := tx.GetTaskToken("default", "recent-run"); return err }, true},
		{"CreateService token older than 24 h", func(tx *store.Tx) error { _, err := tx.GetServiceToken("default", "old-create"); return err }, false},
		{"CreateService token within 24 h", func(tx *store.Tx) error { _, err := tx.GetServiceToken("other", "recent-create"); return err }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got error
			if _, err := st.Update(ctx, func(tx *store.Tx) error { got = tc.get(tx); return nil }); err != nil {
				t.Fatal(err)
			}
			if kept := got == nil; kept != tc.kept || got != nil && !errors.Is(got, store.ErrNotFound) {
				t.Errorf("read: err %v; want kept %v", got, tc.kept)
			}
		})
	}
	if n, err := st.ExpireClientTokens(ctx, cutoff); err != nil || n != 0 {
		t.Errorf("second ExpireClientTokens = %d, %v; want 0 (idempotent)", n, err)
	}
}
