package store

import (
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/berth-org/berth/internal/ecs"
)

func TestDecideSpace(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name   string
		free   uint64
		raised bool
		want   spaceAction
	}{
		{"plenty of space", 10 << 30, false, spaceKeep},
		{"just above the reserve", DiskReserve, false, spaceKeep},
		{"below the reserve", DiskReserve - 1, false, spaceRaise},
		{"full", 0, false, spaceRaise},
		{"already raised and still full", 0, true, spaceKeep},
		{"raised, back above the reserve but within the hysteresis", DiskReserve + 16*mib, true, spaceKeep},
		{"raised, back above reserve and hysteresis", DiskReserve + diskHysteresis, true, spaceDisarm},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := decideSpace(tc.free, tc.raised); got != tc.want {
				t.Fatalf("decideSpace(%d MiB, raised %v) = %v, want %v", tc.free>>20, tc.raised, got, tc.want)
			}
		})
	}
}

// TestSpaceMonitorRefusesWritesAndServesReads drives the monitor of a
// real embedded etcd with a volume whose free space the test sets: below
// the reserve, a write fails with ErrNoSpace and changes nothing while
// reads are served; with space back, writes are accepted again.
func TestSpaceMonitorRefusesWritesAndServesReads(t *testing.T) {
	e := newTestEtcd(t)
	s := New(e.Client())
	ctx := testCtx(t)
	var free atomic.Uint64
	free.Store(1 << 30)
	m := &spaceMonitor{server: e.etcd.Server, free: func() (uint64, error) { return free.Load(), nil }, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	put := func(name string) error {
		_, err := s.Update(ctx, func(tx *Tx) error { return tx.PutCluster(&ecs.Cluster{Name: name, Status: ecs.ClusterActive}) })
		return err
	}
	if err := put("before"); err != nil {
		t.Fatal(err)
	}

	free.Store(DiskReserve / 2)
	m.check(ctx)
	if err := put("during"); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("write with the volume below its reserve: %v, want ErrNoSpace", err)
	}
	if c, err := s.GetCluster(ctx, "before"); err != nil || c.Name != "before" {
		t.Fatalf("read with the volume below its reserve: %v %v", c, err)
	}
	if _, err := s.GetCluster(ctx, "during"); err == nil {
		t.Fatal("the refused write was stored")
	}

	free.Store(DiskReserve + diskHysteresis)
	m.check(ctx)
	if err := put("after"); err != nil {
		t.Fatalf("write with space back: %v", err)
	}
}
