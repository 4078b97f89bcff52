package agentapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/berth-org/berth/internal/agentproto"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
)

// streamWriteTimeout bounds one write to a session stream. A healthy agent
// reads immediately; one that has not taken a message for this long is
// gone, and the session ends.
const streamWriteTimeout = 10 * time.Second

// maxBatch is how many task changes one stream message carries at most.
const maxBatch = 256

// sessionSource is what a session reads from the store besides its feed.
type sessionSource interface {
	// ListInstanceTasks returns an instance's tasks as of one revision,
	// and that revision.
	ListInstanceTasks(ctx context.Context, cluster, instanceID string) ([]*ecs.Task, int64, error)
	GetTaskDefinition(ctx context.Context, family string, revision int) (*ecs.TaskDefinition, error)
}

var _ sessionSource = (*store.Store)(nil)

// stream is one open session: its feed of changes, and the connection
// they go out on. One goroutine runs it (run), and is the only one to
// write on the connection or read from it.
type stream struct {
	sub    *subscriber
	src    sessionSource
	ctx    context.Context            // for store reads; ends when the API closes
	closed <-chan struct{}            // API.Close
	log    *slog.Logger               // the API's; logf names the session's instance
	defs   map[string]json.RawMessage // encoded, by ARN; revisions are immutable
	// snapshot and snapshotRev are the instance's tasks the stream starts
	// with, read after subscribing; changes at or below snapshotRev are
	// in it.
	snapshot    []*ecs.Task
	snapshotRev int64
	// end closes the session: ends its lease (agentConnected turns
	// false) and unsubscribes.
	end func()

	conn     net.Conn
	nextPing time.Time // a ping goes out when nothing else has by then
}

var (
	errSuperseded = errors.New("session superseded, or the task watch restarted; the agent will resynchronize")
	errAgentWrote = errors.New("the agent wrote on its session stream")
)

// run serves the stream on conn until the agent leaves, the session is
// superseded or the API closes, then closes the session and conn.
func (s *stream) run(conn net.Conn) {
	defer conn.Close()
	defer s.end()
	s.conn = conn
	s.sub.bell.attach(conn)
	snapshot := s.snapshot
	s.snapshot = nil // the stream may last days; what it sent need not stay
	if err := s.sendSnapshot(s.snapshotRev, snapshot); err != nil {
		s.logf(slog.LevelWarn, "agent session write failed", "err", err)
		return
	}
	if err := s.follow(); err != nil {
		s.logf(slog.LevelWarn, "agent session ended", "err", err)
	}
}

// follow forwards changes after the snapshot's revision until the agent
// leaves (nil), the API closes (nil), or the session fails. The threshold
// stays the snapshot's: one transaction writes many tasks at one
// revision, and the hub may deliver them across several takes, so only
// what the snapshot already held is skipped.
//
// When the session fell more than maxPending changes behind, it sends a
// fresh snapshot instead (resync), whose revision becomes the threshold.
// Nothing is lost: every dropped change was committed before the take that
// reported the overflow, so before the snapshot's read; every change
// committed after that read is pushed after the take, and queued.
func (s *stream) follow() error {
	for {
		select {
		case <-s.closed:
			return nil
		case <-s.sub.lost:
			return errSuperseded
		default:
		}
		var err error
		cs, overflowed := s.sub.take()
		switch {
		case overflowed:
			err = s.resync()
		case len(cs) > 0:
			err = s.forward(cs)
		case !time.Now().Before(s.nextPing):
			err = s.write(agentproto.Message{Type: agentproto.MessagePing})
		default:
			err = s.sub.bell.sleep(s.nextPing)
		}
		if errors.Is(err, io.EOF) {
			return nil // the agent closed the stream
		}
		if err != nil {
			return err
		}
	}
}

// logf logs msg with the session's cluster and instance. (A logger made
// With them for each session held 500 bytes for the session's life, 2.5
// MB at 5,000 sessions, for a few lines.)
func (s *stream) logf(level slog.Level, msg string, args ...any) {
	s.log.Log(s.ctx, level, msg, append([]any{"cluster", s.sub.key.cluster, "instance", s.sub.key.id}, args...)...)
}

// resync sends the instance's tasks as they are now as a snapshot, whose
// revision becomes the threshold of what follows.
func (s *stream) resync() error {
	tasks, rev, err := s.src.ListInstanceTasks(s.ctx, s.sub.key.cluster, s.sub.key.id)
	if err != nil {
		return err
	}
	s.logf(slog.LevelInfo, "agent session lagged; resynchronizing from a snapshot", "tasks", len(tasks))
	s.snapshotRev = rev
	return s.sendSnapshot(rev, tasks)
}

// sendSnapshot sends tasks as the snapshot at rev.
func (s *stream) sendSnapshot(rev int64, tasks []*ecs.Task) error {
	routes := make([]*store.TaskRoute, len(tasks))
	for i, t := range tasks {
		r, err := store.RouteOf(t)
		if err != nil {
			return err
		}
		routes[i] = r
	}
	return s.send(agentproto.MessageSnapshot, rev, routes)
}

// forward sends the tasks that changed in cs after the snapshot, each once
// in its latest version, in messages of at most maxBatch tasks.
func (s *stream) forward(cs []change) error {
	tasks, revs := collect(cs, s.snapshotRev)
	for len(tasks) > 0 {
		n := min(len(tasks), maxBatch)
		if err := s.send(agentproto.MessageTasks, slices.Max(revs[:n]), tasks[:n]); err != nil {
			return err
		}
		tasks, revs = tasks[n:], revs[n:]
	}
	return nil
}

// collect keeps the changes of cs after revision after, and of each task
// only the latest, in the order the tasks first changed; revs[i] is the
// revision of tasks[i].
func collect(cs []change, after int64) (tasks []*store.TaskRoute, revs []int64) {
	index := map[string]int{}
	for _, c := range cs {
		if c.rev <= after {
			continue
		}
		if i, ok := index[c.task.ID]; ok {
			tasks[i], revs[i] = c.task, c.rev
			continue
		}
		index[c.task.ID] = len(tasks)
		tasks, revs = append(tasks, c.task), append(revs, c.rev)
	}
	return tasks, revs
}

func (s *stream) send(typ agentproto.MessageType, rev int64, tasks []*store.TaskRoute) error {
	defs := make([]json.RawMessage, len(tasks))
	for i, t := range tasks {
		def, err := s.definition(t.TaskDefinitionARN)
		if err != nil {
			return err
		}
		defs[i] = def
	}
	return s.writeLine(tasksLine(typ, rev, tasks, defs))
}

// tasksLine is the agentproto.Message of typ at rev carrying tasks, each
// with its definition (defs[i]), as one line of JSON. It is put together
// by hand because its parts are JSON already: each task as stored, each
// definition as encoded once per session. encoding/json would scan every
// part again to compact it (json.RawMessage), which cost as much as
// encoding the task afresh.
func tasksLine(typ agentproto.MessageType, rev int64, tasks []*store.TaskRoute, defs []json.RawMessage) []byte {
	n := 64
	for i, t := range tasks {
		n += len(t.Record) + len(defs[i]) + 32
	}
	line := append(make([]byte, 0, n), `{"type":`...)
	line = strconv.AppendQuote(line, string(typ)) // a MessageType is plain ASCII
	if rev != 0 {
		line = strconv.AppendInt(append(line, `,"revision":`...), rev, 10)
	}
	if len(tasks) > 0 {
		line = append(line, `,"tasks":[`...)
		for i, t := range tasks {
			if i > 0 {
				line = append(line, ',')
			}
			line = append(append(line, `{"task":`...), t.Record...)
			line = append(append(line, `,"definition":`...), defs[i]...)
			line = append(line, '}')
		}
		line = append(line, ']')
	}
	return append(line, '}', '\n')
}

// write sends one message as one line, in one write.
func (s *stream) write(msg agentproto.Message) error {
	line, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	return s.writeLine(append(line, '\n'))
}

// writeLine sends one line, newline included, in one write.
func (s *stream) writeLine(line []byte) error {
	now := time.Now()
	if err := s.conn.SetWriteDeadline(now.Add(streamWriteTimeout)); err != nil {
		return err
	}
	if _, err := s.conn.Write(line); err != nil {
		return err
	}
	s.nextPing = now.Add(agentproto.PingInterval)
	return nil
}

// definition reads and encodes a task's definition by ARN, once per
// session.
func (s *stream) definition(ref string) (json.RawMessage, error) {
	if d, ok := s.defs[ref]; ok {
		return d, nil
	}
	family, revision, err := splitTaskDefinitionARN(ref)
	if err != nil {
		return nil, err
	}
	td, err := s.src.GetTaskDefinition(s.ctx, family, revision)
	if err != nil {
		return nil, err
	}
	d, err := json.Marshal(&td.Def)
	if err != nil {
		return nil, fmt.Errorf("encode task definition %s: %w", ref, err)
	}
	s.defs[ref] = d
	return d, nil
}

// bell lets a session's goroutine sleep until it has something to do,
// and whoever has something for it (a change queued, the session
// superseded, the API closing) wake it.
//
// Sleeping is a read of the session's connection with a deadline. The
// agent never writes on it, so the read returns only at the deadline, when
// rung (ring moves the deadline into the past), or when the agent has
// closed the connection: one goroutine both waits for work and notices at
// once that its agent left, where a select on channels would need a second
// goroutine blocked in a read for that.
type bell struct {
	mu   sync.Mutex
	rung bool     // rung since the last sleep began
	conn net.Conn // nil until the stream runs; a ring before is kept in rung
	buf  [1]byte
}

// aLongTimeAgo is a deadline in the past: setting it as the read deadline
// makes a pending read return at once.
var aLongTimeAgo = time.Unix(1, 0)

func (b *bell) attach(conn net.Conn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.conn = conn
}

// ring wakes the sleeping session, or makes its next sleep return at once.
func (b *bell) ring() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rung = true
	if b.conn != nil {
		// An error means the connection is closed: the session is
		// ending and needs no waking.
		_ = b.conn.SetReadDeadline(aLongTimeAgo)
	}
}

// sleep returns nil when rung or at until, io.EOF when the agent closed
// the connection, and any other error when the connection failed or the
// agent wrote on it. The deadline is set under the same lock ring takes,
// so a ring either comes before (and sleep returns at once) or moves the
// deadline after it.
func (b *bell) sleep(until time.Time) error {
	b.mu.Lock()
	if b.rung {
		b.rung = false
		b.mu.Unlock()
		return nil
	}
	err := b.conn.SetReadDeadline(until)
	b.mu.Unlock()
	if err != nil {
		return err
	}
	n, err := b.conn.Read(b.buf[:])
	switch {
	case n > 0:
		return errAgentWrote
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil
	default:
		return err
	}
}
