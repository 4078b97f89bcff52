package agentapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/berth-org/berth/internal/agentproto"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

const testDefARN = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1"

func task(id string) *ecs.Task { return &ecs.Task{ID: id, TaskDefinitionARN: testDefARN} }

func ids(ts []*ecs.Task) []string {
	out := []string{}
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func TestCollect(t *testing.T) {
	cases := []struct {
		name     string
		changes  []change
		snapshot int64
		want     []string
		wantRevs []int64
	}{
		{"changes the snapshot held are skipped", []change{{task("a"), 5}, {task("b"), 6}}, 5, []string{"b"}, []int64{6}},
		{"one task changed twice goes once, latest", []change{{task("a"), 6}, {task("a"), 7}}, 5, []string{"a"}, []int64{7}},
		{"tasks of one transaction share a revision and all go", []change{{task("a"), 6}, {task("b"), 6}, {task("c"), 6}}, 5, []string{"a", "b", "c"}, []int64{6, 6, 6}},
		{"first-change order is kept", []change{{task("b"), 6}, {task("a"), 7}, {task("b"), 8}}, 5, []string{"b", "a"}, []int64{8, 7}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, revs := collect(tc.changes, tc.snapshot)
			if g := ids(got); !slices.Equal(g, tc.want) || !slices.Equal(revs, tc.wantRevs) {
				t.Errorf("collect = %v %v, want %v %v", g, revs, tc.want, tc.wantRevs)
			}
		})
	}
}

// pushN pushes changes of tasks t0, t1, ... at revisions from, from+1, ...
func pushN(s *subscriber, n int, from int64) {
	for i := range n {
		s.push(change{task(fmt.Sprintf("t%d", i)), from + int64(i)})
	}
}

func TestSubscriberQueue(t *testing.T) {
	t.Run("take returns what was pushed, in order, once", func(t *testing.T) {
		s := newSubscriber(instanceKey{"c", "i"})
		pushN(s, 3, 10)
		if len(s.wake) != 1 {
			t.Fatalf("wake holds %d signals after pushes, want 1", len(s.wake))
		}
		cs, overflowed := s.take()
		if overflowed || len(cs) != 3 || cs[0].rev != 10 || cs[2].rev != 12 {
			t.Fatalf("take = %v overflowed %v, want revisions 10..12", cs, overflowed)
		}
		if cs, overflowed := s.take(); len(cs) != 0 || overflowed {
			t.Errorf("second take = %v overflowed %v, want nothing", cs, overflowed)
		}
	})
	t.Run("a full queue drops everything and reports the overflow once", func(t *testing.T) {
		s := newSubscriber(instanceKey{"c", "i"})
		pushN(s, maxPending, 1)
		if cs, _ := s.take(); len(cs) != maxPending {
			t.Fatalf("take after %d pushes = %d changes, want all", maxPending, len(cs))
		}
		pushN(s, maxPending+1, 1)
		pushN(s, 5, 5000) // after the overflow and before the take: dropped too
		cs, overflowed := s.take()
		if !overflowed || len(cs) != 0 {
			t.Fatalf("take after overflow = %d changes, overflowed %v; want none, true", len(cs), overflowed)
		}
		s.push(change{task("later"), 9000})
		cs, overflowed = s.take()
		if overflowed || len(cs) != 1 || cs[0].rev != 9000 {
			t.Errorf("take after the overflow was reported = %v overflowed %v, want the one later change", cs, overflowed)
		}
	})
}

func TestHubSupersedesAndCutsOff(t *testing.T) {
	h := newHub()
	h.setReady(true)
	old := h.subscribe("c", "i")
	cur := h.subscribe("c", "i")
	if !isClosed(old.lost) || isClosed(cur.lost) {
		t.Errorf("after a second subscribe: old lost %v, new lost %v; want true, false", isClosed(old.lost), isClosed(cur.lost))
	}
	h.publish(change{&ecs.Task{ID: "a", Cluster: "c", ContainerInstanceID: "i"}, 7})
	h.publish(change{&ecs.Task{ID: "b", Cluster: "c", ContainerInstanceID: "other"}, 8})
	if cs, _ := cur.take(); len(cs) != 1 || cs[0].task.ID != "a" {
		t.Errorf("subscriber of c/i took %v, want only task a", cs)
	}
	h.setReady(false)
	if !isClosed(cur.lost) {
		t.Error("a watch restart did not cut the session off")
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// fakeSource serves a session's reads: the instance's tasks at rev, and
// one task definition.
type fakeSource struct {
	tasks []*ecs.Task
	rev   int64
	lists int
}

func (f *fakeSource) ListInstanceTasks(context.Context, string, string) ([]*ecs.Task, int64, error) {
	f.lists++
	return f.tasks, f.rev, nil
}

func (f *fakeSource) GetTaskDefinition(_ context.Context, family string, revision int) (*ecs.TaskDefinition, error) {
	if family != "web" || revision != 1 {
		return nil, store.ErrNotFound
	}
	return &ecs.TaskDefinition{}, nil
}

// recordOut hands every message written to the test.
type recordOut chan agentproto.Message

func (o recordOut) writeMessage(line []byte, _ time.Time) error {
	var m agentproto.Message
	if err := json.Unmarshal(line, &m); err != nil {
		return err
	}
	o <- m
	return nil
}

func messageIDs(m agentproto.Message) []string {
	out := []string{}
	for _, t := range m.Tasks {
		out = append(out, t.Task.ID)
	}
	return out
}

// runFollow runs follow on sub from a snapshot at snapshotRev until the
// test ends, and returns the messages it writes.
func runFollow(t *testing.T, src *fakeSource, sub *subscriber, snapshotRev int64) recordOut {
	t.Helper()
	out := make(recordOut, 16)
	s := &stream{out: out, src: src, defs: map[string]*wire.TaskDefinition{}, closed: make(chan struct{}),
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.follow(ctx, sub, snapshotRev) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("follow: %v", err)
		}
	})
	return out
}

func next(t *testing.T, out recordOut) agentproto.Message {
	t.Helper()
	select {
	case m := <-out:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message from the session")
		return agentproto.Message{}
	}
}

func TestFollowForwardsChangesInBatches(t *testing.T) {
	sub := newSubscriber(instanceKey{"c", "i"})
	sub.push(change{task("old"), 5}) // the snapshot at 5 held it
	pushN(sub, maxBatch+1, 6)
	out := runFollow(t, &fakeSource{}, sub, 5)
	first, second := next(t, out), next(t, out)
	if first.Type != agentproto.MessageTasks || len(first.Tasks) != maxBatch || first.Tasks[0].Task.ID != "t0" || first.Revision != int64(5+maxBatch) {
		t.Errorf("first message: %s of %d tasks from %v at %d; want tasks of %d from t0 at %d",
			first.Type, len(first.Tasks), messageIDs(first)[:1], first.Revision, maxBatch, 5+maxBatch)
	}
	if got := messageIDs(second); !slices.Equal(got, []string{fmt.Sprintf("t%d", maxBatch)}) || second.Revision != int64(6+maxBatch) {
		t.Errorf("second message: %v at %d, want the last task at %d", got, second.Revision, 6+maxBatch)
	}
}

// A session that falls more than maxPending changes behind gets a fresh
// snapshot in the same stream, then the changes after it: none is lost.
func TestFollowResyncsAfterOverflow(t *testing.T) {
	sub := newSubscriber(instanceKey{"c", "i"})
	pushN(sub, maxPending+1, 11) // revisions 11..1035: more than the queue keeps
	src := &fakeSource{tasks: []*ecs.Task{task("t0"), task("t7")}, rev: 2000}
	out := runFollow(t, src, sub, 10)

	snap := next(t, out)
	if snap.Type != agentproto.MessageSnapshot || snap.Revision != 2000 || !slices.Equal(messageIDs(snap), []string{"t0", "t7"}) {
		t.Fatalf("after the overflow: %s %v at %d, want a snapshot of t0, t7 at 2000", snap.Type, messageIDs(snap), snap.Revision)
	}
	// The watch may still deliver changes the snapshot held (it trails
	// etcd); only those after the snapshot's revision go out.
	sub.push(change{task("t7"), 1999})
	sub.push(change{task("t9"), 2001})
	m := next(t, out)
	if m.Type != agentproto.MessageTasks || !slices.Equal(messageIDs(m), []string{"t9"}) || m.Revision != 2001 {
		t.Errorf("after the resync: %s %v at %d, want tasks [t9] at 2001", m.Type, messageIDs(m), m.Revision)
	}
	if src.lists != 1 {
		t.Errorf("the instance's tasks were listed %d times, want once", src.lists)
	}
}
