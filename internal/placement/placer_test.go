package placement

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/scheduler"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

const testCluster = "default"

// replica is one server's placement: its own store (and transaction
// cache), cache and placer, over the etcd every replica shares.
type replica struct {
	st     *store.Store
	placer *Placer
}

// newReplicas starts an embedded etcd and n replicas over it, their
// caches running until the test ends.
func newReplicas(t *testing.T, n int) []*replica {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e, err := store.StartEmbedded(ctx, t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = e.Close() })
	var out []*replica
	for range n {
		st := store.New(e.Client())
		c := NewCache(st, log)
		go c.Run(ctx)
		out = append(out, &replica{st: st, placer: NewPlacer(c)})
	}
	return out
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// putInstance stores a connected ACTIVE instance with memory MiB free.
func putInstance(t *testing.T, st *store.Store, id string, memory int32) {
	t.Helper()
	res := func(v int32) []wire.Resource {
		return []wire.Resource{
			{Name: new(ecs.ResourceCPU), Type: new("INTEGER"), IntegerValue: new(int32(4096))},
			{Name: new(ecs.ResourceMemory), Type: new("INTEGER"), IntegerValue: new(v)},
		}
	}
	inst := &ecs.ContainerInstance{ID: id, ARN: "arn:aws:ecs:us-east-1:000000000000:container-instance/default/" + id,
		Cluster: testCluster, Status: ecs.InstanceActive, AgentConnected: true, Registered: res(memory), Remaining: res(memory)}
	if _, err := st.Update(testCtx(t), func(tx *store.Tx) error { return tx.PutInstance(inst) }); err != nil {
		t.Fatal(err)
	}
}

// binpackMemory asks for count tasks of 256 MiB, binpacked by memory, so
// the fullest instance that fits is chosen: a deterministic choice.
func binpackMemory(count int) scheduler.Request {
	return scheduler.Request{Count: count, Needs: ecs.Requirements{CPU: 1, Memory: 256}, Group: "family:web",
		Strategies: []scheduler.Strategy{{Type: scheduler.Binpack, Field: scheduler.FieldMemory}}}
}

var seq int

func newTaskID() string { seq++; return fmt.Sprintf("task-%d", seq) }

// commit binds plan in a transaction of r and writes what a RunTask
// writes: each task, and each host with its holds.
func (r *replica) commit(ctx context.Context, plan *Plan) error {
	_, err := r.st.Update(ctx, func(tx *store.Tx) error {
		hosts, err := r.placer.Bind(ctx, tx, plan)
		if err != nil {
			return err
		}
		for i, id := range plan.TaskIDs {
			h := hosts[plan.Hosts[i]]
			if err := tx.CreateTask(&ecs.Task{ID: id, Cluster: testCluster, ContainerInstanceID: h.ID,
				Group: plan.Request.Group, Held: plan.Request.Needs, DesiredStatus: ecs.TaskRunning}); err != nil {
				return err
			}
		}
		for _, h := range hosts {
			if err := tx.PutInstance(h); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// TestBindReplansWhatAnotherReplicaFilledFirst: replicas A and B both plan
// a task on "small", which has room for one; B commits first. A's commit
// reads small as B left it, a record A's snapshot has not accounted for,
// so A waits for its cache to see it and places its task again: on "big"
// when it has room, nowhere (RESOURCE:MEMORY) when it has not. Neither
// oversubscribes small.
func TestBindReplansWhatAnotherReplicaFilledFirst(t *testing.T) {
	cases := []struct {
		name      string
		bigMemory int32 // 0: no second instance
		wantHosts []string
		wantFail  string
	}{
		{name: "another instance has room", bigMemory: 1024, wantHosts: []string{"big"}},
		{name: "no other instance", wantFail: ecs.ReasonResourceMem},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t)
			rs := newReplicas(t, 2)
			a, b := rs[0], rs[1]
			putInstance(t, a.st, "small", 256)
			if c.bigMemory > 0 {
				putInstance(t, a.st, "big", c.bigMemory)
			}
			planA, err := a.placer.Plan(ctx, testCluster, binpackMemory(1), newTaskID)
			if err != nil {
				t.Fatal(err)
			}
			planB, err := b.placer.Plan(ctx, testCluster, binpackMemory(1), newTaskID)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(planA.Hosts, []string{"small"}) || !slices.Equal(planB.Hosts, []string{"small"}) {
				t.Fatalf("plans before either commits: A on %v, B on %v; want both on small", planA.Hosts, planB.Hosts)
			}
			if err := b.commit(ctx, planB); err != nil {
				t.Fatal(err)
			}
			if err := a.commit(ctx, planA); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(planA.Hosts, c.wantHosts) {
				t.Errorf("A's task placed on %v, want %v", planA.Hosts, c.wantHosts)
			}
			if got := failureReason(planA.Failure); got != c.wantFail {
				t.Errorf("A's failure %q, want %q", got, c.wantFail)
			}
			small, err := a.st.GetInstance(ctx, testCluster, "small")
			if err != nil {
				t.Fatal(err)
			}
			if remainingMemory(small) != 0 {
				t.Errorf("small has %d MiB remaining, want 0 (B's task alone)", remainingMemory(small))
			}
		})
	}
}

func failureReason(f *scheduler.Failure) string {
	if f == nil {
		return ""
	}
	return f.Reason
}

func remainingMemory(i *ecs.ContainerInstance) int32 {
	for _, r := range i.Remaining {
		if r.Name != nil && *r.Name == ecs.ResourceMemory && r.IntegerValue != nil {
			return *r.IntegerValue
		}
	}
	return -1
}
