package agentapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-org/berth/internal/agentproto"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

const testDefARN = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1"

func task(id string) *ecs.Task { return &ecs.Task{ID: id, TaskDefinitionARN: testDefARN} }

// route is task(id) as the hub forwards it.
func route(id string) *store.TaskRoute { return routeOf(task(id)) }

func routeOf(t *ecs.Task) *store.TaskRoute {
	r, err := store.RouteOf(t)
	if err != nil {
		panic(err)
	}
	return r
}

func ids(ts []*store.TaskRoute) []string {
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
		{"changes the snapshot held are skipped", []change{{route("a"), 5}, {route("b"), 6}}, 5, []string{"b"}, []int64{6}},
		{"one task changed twice goes once, latest", []change{{route("a"), 6}, {route("a"), 7}}, 5, []string{"a"}, []int64{7}},
		{"tasks of one transaction share a revision and all go", []change{{route("a"), 6}, {route("b"), 6}, {route("c"), 6}}, 5, []string{"a", "b", "c"}, []int64{6, 6, 6}},
		{"first-change order is kept", []change{{route("b"), 6}, {route("a"), 7}, {route("b"), 8}}, 5, []string{"b", "a"}, []int64{8, 7}},
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
		s.push(change{route(fmt.Sprintf("t%d", i)), from + int64(i)})
	}
}

func TestAgentMustHear(t *testing.T) {
	for _, tc := range []struct {
		name    string
		desired ecs.TaskStatus
		want    bool
	}{
		{"its agent's report", ecs.TaskRunning, false},
		{"a stop, or a report of a stopping task", ecs.TaskStopped, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := agentMustHear(&store.TaskRoute{DesiredStatus: tc.desired}); got != tc.want {
				t.Errorf("agentMustHear = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSubscriberQueue(t *testing.T) {
	t.Run("take returns what was pushed, in order, once", func(t *testing.T) {
		s := newSubscriber(instanceKey{"c", "i"})
		pushN(s, 3, 10)
		if !s.bell.rung {
			t.Fatal("pushes did not ring the bell")
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
		s.push(change{route("later"), 9000})
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
	h.publish(change{routeOf(&ecs.Task{ID: "a", Cluster: "c", ContainerInstanceID: "i"}), 7})
	h.publish(change{routeOf(&ecs.Task{ID: "b", Cluster: "c", ContainerInstanceID: "other"}), 8})
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
	lists atomic.Int32
}

func (f *fakeSource) ListInstanceTasks(context.Context, string, string) ([]*ecs.Task, int64, error) {
	f.lists.Add(1)
	return f.tasks, f.rev, nil
}

func (f *fakeSource) GetTaskDefinition(_ context.Context, family string, revision int) (*ecs.TaskDefinition, error) {
	if family != "web" || revision != 1 {
		return nil, store.ErrNotFound
	}
	return &ecs.TaskDefinition{}, nil
}

// agentEnd is the agent's end of a session stream run over a pipe.
type agentEnd struct {
	t     *testing.T
	conn  net.Conn
	lines *bufio.Scanner
	done  chan struct{} // closed when the stream's run returned
	ended atomic.Bool   // the session was closed (stream.end ran)
}

// startStream runs a stream on sub, starting with a snapshot of snapshot
// at snapshotRev, over a pipe whose other end the test reads as the agent.
func startStream(t *testing.T, src *fakeSource, sub *subscriber, closed chan struct{}, snapshot []*ecs.Task, snapshotRev int64) *agentEnd {
	t.Helper()
	server, client := net.Pipe()
	a := &agentEnd{t: t, conn: client, lines: bufio.NewScanner(client), done: make(chan struct{})}
	a.lines.Buffer(nil, 1<<20)
	s := &stream{sub: sub, src: src, ctx: context.Background(), closed: closed,
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), defs: map[string]json.RawMessage{},
		snapshot: snapshot, snapshotRev: snapshotRev, end: func() { a.ended.Store(true) }}
	go func() {
		defer close(a.done)
		s.run(server)
	}()
	t.Cleanup(func() {
		_ = client.Close()
		<-a.done
	})
	return a
}

// next reads the next message other than a ping.
func (a *agentEnd) next() agentproto.Message {
	a.t.Helper()
	_ = a.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for a.lines.Scan() {
		var m agentproto.Message
		if err := json.Unmarshal(a.lines.Bytes(), &m); err != nil {
			a.t.Fatal(err)
		}
		if m.Type != agentproto.MessagePing {
			return m
		}
	}
	a.t.Fatalf("no message from the session: %v", a.lines.Err())
	return agentproto.Message{}
}

// awaitEnd waits for the stream to return, having closed the session.
func (a *agentEnd) awaitEnd(why string) {
	a.t.Helper()
	go func() { _, _ = io.Copy(io.Discard, a.conn) }() // a pipe write waits for its reader
	select {
	case <-a.done:
	case <-time.After(10 * time.Second):
		a.t.Fatalf("the stream did not end after %s", why)
	}
	if !a.ended.Load() {
		a.t.Errorf("the stream ended after %s without closing the session", why)
	}
}

func messageIDs(m agentproto.Message) []string {
	out := []string{}
	for _, t := range m.Tasks {
		out = append(out, t.Task.ID)
	}
	return out
}

func TestStreamSendsSnapshotThenChangesInBatches(t *testing.T) {
	sub := newSubscriber(instanceKey{"c", "i"})
	sub.push(change{route("old"), 5}) // the snapshot at 5 holds it
	pushN(sub, maxBatch+1, 6)
	a := startStream(t, &fakeSource{}, sub, make(chan struct{}), []*ecs.Task{task("old")}, 5)
	if m := a.next(); m.Type != agentproto.MessageSnapshot || !slices.Equal(messageIDs(m), []string{"old"}) || m.Revision != 5 {
		t.Fatalf("first message: %s %v at %d, want the snapshot [old] at 5", m.Type, messageIDs(m), m.Revision)
	}
	first, second := a.next(), a.next()
	if first.Type != agentproto.MessageTasks || len(first.Tasks) != maxBatch || first.Tasks[0].Task.ID != "t0" || first.Revision != int64(5+maxBatch) {
		t.Errorf("second message: %s of %d tasks from %s at %d; want tasks, %d of them from t0, at %d",
			first.Type, len(first.Tasks), first.Tasks[0].Task.ID, first.Revision, maxBatch, 5+maxBatch)
	}
	if got := messageIDs(second); !slices.Equal(got, []string{fmt.Sprintf("t%d", maxBatch)}) || second.Revision != int64(6+maxBatch) {
		t.Errorf("third message: %v at %d, want the last task at %d", got, second.Revision, 6+maxBatch)
	}
	// A change pushed while the stream sleeps wakes it.
	sub.push(change{route("new"), 1000})
	if m := a.next(); !slices.Equal(messageIDs(m), []string{"new"}) {
		t.Errorf("after a push: %v, want [new]", messageIDs(m))
	}
}

// A session that falls more than maxPending changes behind gets a fresh
// snapshot in the same stream, then the changes after it: none is lost.
func TestStreamResyncsAfterOverflow(t *testing.T) {
	sub := newSubscriber(instanceKey{"c", "i"})
	pushN(sub, maxPending+1, 11) // revisions 11..1035: more than the queue keeps
	src := &fakeSource{tasks: []*ecs.Task{task("t0"), task("t7")}, rev: 2000}
	a := startStream(t, src, sub, make(chan struct{}), nil, 10)
	if m := a.next(); m.Type != agentproto.MessageSnapshot || len(m.Tasks) != 0 {
		t.Fatalf("first message: %s of %d tasks, want the empty first snapshot", m.Type, len(m.Tasks))
	}
	snap := a.next()
	if snap.Type != agentproto.MessageSnapshot || snap.Revision != 2000 || !slices.Equal(messageIDs(snap), []string{"t0", "t7"}) {
		t.Fatalf("after the overflow: %s %v at %d, want a snapshot of t0, t7 at 2000", snap.Type, messageIDs(snap), snap.Revision)
	}
	// The watch may still deliver changes the snapshot held (it trails
	// etcd); only those after the snapshot's revision go out.
	sub.push(change{route("t7"), 1999})
	sub.push(change{route("t9"), 2001})
	m := a.next()
	if m.Type != agentproto.MessageTasks || !slices.Equal(messageIDs(m), []string{"t9"}) || m.Revision != 2001 {
		t.Errorf("after the resync: %s %v at %d, want tasks [t9] at 2001", m.Type, messageIDs(m), m.Revision)
	}
	if n := src.lists.Load(); n != 1 {
		t.Errorf("the instance's tasks were listed %d times, want once", n)
	}
}

func TestStreamEnds(t *testing.T) {
	start := func(t *testing.T, closed chan struct{}) (*subscriber, *agentEnd) {
		sub := newSubscriber(instanceKey{"c", "i"})
		a := startStream(t, &fakeSource{}, sub, closed, nil, 1)
		if m := a.next(); m.Type != agentproto.MessageSnapshot {
			t.Fatalf("first message: %s, want the snapshot", m.Type)
		}
		return sub, a
	}
	t.Run("when the agent closes its connection", func(t *testing.T) {
		_, a := start(t, make(chan struct{}))
		_ = a.conn.Close()
		a.awaitEnd("the agent closed its connection")
	})
	t.Run("when a newer session supersedes it", func(t *testing.T) {
		sub, a := start(t, make(chan struct{}))
		sub.markLost()
		a.awaitEnd("it was superseded")
	})
	t.Run("when the API closes", func(t *testing.T) {
		closed := make(chan struct{})
		sub, a := start(t, closed)
		close(closed)
		sub.bell.ring() // as hub.wakeAll does
		a.awaitEnd("the API closed")
	})
}

// tasksLine puts together by hand exactly what encoding/json makes of the
// same message.
func TestTasksLineIsTheMessageEncoded(t *testing.T) {
	def := wire.TaskDefinition{Family: new("web"), ContainerDefinitions: []wire.ContainerDefinition{{Name: new("app"), Image: new("busybox")}}}
	encodedDef, err := json.Marshal(&def)
	if err != nil {
		t.Fatal(err)
	}
	stopped := task("b")
	stopped.DesiredStatus, stopped.Known.LastStatus = ecs.TaskStopped, ecs.TaskRunning
	for _, tc := range []struct {
		name  string
		typ   agentproto.MessageType
		rev   int64
		tasks []*ecs.Task
	}{
		{"an empty snapshot", agentproto.MessageSnapshot, 0, nil},
		{"one task", agentproto.MessageTasks, 7, []*ecs.Task{task("a")}},
		{"two tasks", agentproto.MessageTasks, 1 << 40, []*ecs.Task{task("a"), stopped}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := agentproto.Message{Type: tc.typ, Revision: tc.rev}
			var routes []*store.TaskRoute
			var defs []json.RawMessage
			for _, tk := range tc.tasks {
				want.Tasks = append(want.Tasks, agentproto.Task{Task: *tk, Definition: def})
				routes, defs = append(routes, routeOf(tk)), append(defs, encodedDef)
			}
			wantLine, err := json.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			if got := tasksLine(tc.typ, tc.rev, routes, defs); string(got) != string(wantLine)+"\n" {
				t.Errorf("tasksLine =\n%s\nwant\n%s", got, wantLine)
			}
		})
	}
}
