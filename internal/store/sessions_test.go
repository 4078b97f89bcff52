package store

import (
	"testing"
	"time"

	"github.com/berth-org/berth/internal/ecs"
)

func TestSessionEndIsReported(t *testing.T) {
	s := newTestStore(t)
	ctx := testCtx(t)
	if _, err := s.Update(ctx, func(tx *Tx) error {
		return tx.PutInstance(&ecs.ContainerInstance{ID: "i1", Cluster: "c", Status: ecs.InstanceActive})
	}); err != nil {
		t.Fatal(err)
	}
	ends, _ := s.WatchSessionEnds(ctx)
	lease, err := s.OpenAgentSession(ctx, "c", "i1", "s1", 5*time.Second, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s.CloseAgentSession(lease)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e := <-ends:
			changed, err := s.MarkAgentDisconnected(ctx, e, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if changed {
				return
			}
		case <-deadline:
			t.Fatal("no session end reported")
		}
	}
}
