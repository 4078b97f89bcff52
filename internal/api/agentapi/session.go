package agentapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berth-org/berth/internal/agentproto"
	"github.com/berth-org/berth/internal/arn"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// streamWriteTimeout bounds one write to a session stream. A healthy agent
// reads immediately; one that has not taken a message for this long is
// gone, and the session ends.
const streamWriteTimeout = 10 * time.Second

// maxBatch is how many task changes one stream message carries at most.
const maxBatch = 256

// handleSession streams the instance's tasks to its agent: a snapshot,
// then every change, with pings while idle. It holds the agent's session
// (and so agentConnected) open for as long as the stream lasts.
func (a *API) handleSession(w http.ResponseWriter, r *http.Request) {
	inst, err := a.authenticate(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	ctx := r.Context()
	sub := a.hub.subscribe(inst.Cluster, inst.ID)
	defer a.hub.unsubscribe(sub)
	lease, err := a.store.OpenAgentSession(ctx, inst.Cluster, inst.ID, newToken()[:16], a.timeout, a.now())
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	defer a.store.CloseAgentSession(lease)
	log := a.log.With("cluster", inst.Cluster, "instance", inst.ID)
	log.Info("agent session opened")
	defer log.Info("agent session closed")

	tasks, rev, err := a.store.ListInstanceTasks(ctx, inst.Cluster, inst.ID)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	s := &stream{out: responseOut{w, http.NewResponseController(w)}, src: a.store, defs: map[string]*wire.TaskDefinition{},
		closed: a.closed, log: log}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	if err := s.send(ctx, agentproto.MessageSnapshot, rev, tasks); err != nil {
		log.Warn("agent session write failed", "err", err)
		return
	}
	if err := s.follow(ctx, sub, rev); err != nil {
		log.Warn("agent session ended", "err", err)
	}
}

// sessionSource is what a session reads from the store besides its feed.
type sessionSource interface {
	// ListInstanceTasks returns an instance's tasks as of one revision,
	// and that revision.
	ListInstanceTasks(ctx context.Context, cluster, instanceID string) ([]*ecs.Task, int64, error)
	GetTaskDefinition(ctx context.Context, family string, revision int) (*ecs.TaskDefinition, error)
}

var _ sessionSource = (*store.Store)(nil)

// streamOut is where a session's messages go: each message is written
// whole and flushed by one call, within a deadline.
type streamOut interface {
	writeMessage(line []byte, deadline time.Time) error
}

// responseOut writes messages to an HTTP response.
type responseOut struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (o responseOut) writeMessage(line []byte, deadline time.Time) error {
	if err := o.rc.SetWriteDeadline(deadline); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if _, err := o.w.Write(line); err != nil {
		return err
	}
	return o.rc.Flush()
}

// stream writes one session's messages.
type stream struct {
	out    streamOut
	src    sessionSource
	defs   map[string]*wire.TaskDefinition // by ARN; revisions are immutable
	closed <-chan struct{}                 // API.Close
	log    *slog.Logger
}

var errSuperseded = errors.New("session superseded, or the task watch restarted; the agent will resynchronize")

// follow forwards changes after the snapshot's revision until the agent
// leaves. The threshold stays the snapshot's: one transaction writes many
// tasks at one revision, and the hub may deliver them across several
// takes, so only what the snapshot already held is skipped.
//
// When the session fell more than maxPending changes behind, it sends a
// fresh snapshot instead (resync), whose revision becomes the threshold.
// Nothing is lost: every dropped change was committed before the take that
// reported the overflow, so before the snapshot's read; every change
// committed after that read is pushed after the take, and queued.
func (s *stream) follow(ctx context.Context, sub *subscriber, snapshotRev int64) error {
	ping := time.NewTicker(agentproto.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.closed:
			return nil
		case <-sub.lost:
			return errSuperseded
		case <-ping.C:
			if err := s.write(agentproto.Message{Type: agentproto.MessagePing}); err != nil {
				return err
			}
		case <-sub.wake:
			cs, overflowed := sub.take()
			if overflowed {
				rev, err := s.resync(ctx, sub.key)
				if err != nil {
					return err
				}
				snapshotRev = rev
				continue
			}
			if err := s.forward(ctx, cs, snapshotRev); err != nil {
				return err
			}
		}
	}
}

// resync sends the instance's tasks as they are now as a snapshot, and
// returns the revision they were read at.
func (s *stream) resync(ctx context.Context, key instanceKey) (int64, error) {
	tasks, rev, err := s.src.ListInstanceTasks(ctx, key.cluster, key.id)
	if err != nil {
		return 0, err
	}
	s.log.Info("agent session lagged; resynchronizing from a snapshot", "tasks", len(tasks))
	return rev, s.send(ctx, agentproto.MessageSnapshot, rev, tasks)
}

// forward sends the tasks that changed in cs after revision after, each
// once in its latest version, in messages of at most maxBatch tasks.
func (s *stream) forward(ctx context.Context, cs []change, after int64) error {
	tasks, revs := collect(cs, after)
	for len(tasks) > 0 {
		n := min(len(tasks), maxBatch)
		if err := s.send(ctx, agentproto.MessageTasks, slices.Max(revs[:n]), tasks[:n]); err != nil {
			return err
		}
		tasks, revs = tasks[n:], revs[n:]
	}
	return nil
}

// collect keeps the changes of cs after revision after, and of each task
// only the latest, in the order the tasks first changed; revs[i] is the
// revision of tasks[i].
func collect(cs []change, after int64) (tasks []*ecs.Task, revs []int64) {
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

func (s *stream) send(ctx context.Context, typ agentproto.MessageType, rev int64, tasks []*ecs.Task) error {
	msg := agentproto.Message{Type: typ, Revision: rev, Tasks: make([]agentproto.Task, 0, len(tasks))}
	for _, t := range tasks {
		def, err := s.definition(ctx, t.TaskDefinitionARN)
		if err != nil {
			return err
		}
		msg.Tasks = append(msg.Tasks, agentproto.Task{Task: *t, Definition: *def})
	}
	return s.write(msg)
}

func (s *stream) write(msg agentproto.Message) error {
	line, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	return s.out.writeMessage(append(line, '\n'), time.Now().Add(streamWriteTimeout))
}

// definition reads a task's definition by ARN, once per session.
func (s *stream) definition(ctx context.Context, ref string) (*wire.TaskDefinition, error) {
	if d, ok := s.defs[ref]; ok {
		return d, nil
	}
	family, revision, err := splitTaskDefinitionARN(ref)
	if err != nil {
		return nil, err
	}
	td, err := s.src.GetTaskDefinition(ctx, family, revision)
	if err != nil {
		return nil, err
	}
	s.defs[ref] = &td.Def
	return &td.Def, nil
}

func splitTaskDefinitionARN(ref string) (string, int, error) {
	parsed, err := arn.Parse(ref)
	if err != nil {
		return "", 0, err
	}
	family, rev, ok := strings.Cut(parsed.Path(), ":")
	n, err := strconv.Atoi(rev)
	if !ok || err != nil {
		return "", 0, arn.ErrInvalid
	}
	return family, n, nil
}

// handleHeartbeat renews the agent's session. No live session (it timed
// out, or the server restarted) answers NotFound: the agent reopens its
// session stream, and the two sides reconcile from the new snapshot.
func (a *API) handleHeartbeat(w http.ResponseWriter, r *http.Request) {
	inst, err := a.authenticate(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	sess, err := a.store.GetAgentSession(r.Context(), inst.Cluster, inst.ID)
	if err == nil {
		err = a.store.KeepAgentSession(r.Context(), sess.Lease)
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrSessionGone) {
		err = &protoError{http.StatusNotFound, agentproto.CodeNotFound, "The agent has no live session; open one."}
	}
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// runSessionMonitor marks agents disconnected as their sessions end.
func (a *API) runSessionMonitor(ctx context.Context) {
	for ctx.Err() == nil {
		ends, errc := a.store.WatchSessionEnds(ctx)
		for e := range ends {
			changed, err := a.store.MarkAgentDisconnected(ctx, e)
			if err != nil {
				a.log.Warn("cannot mark agent disconnected", "cluster", e.Cluster, "instance", e.InstanceID, "err", err)
			} else if changed {
				a.log.Info("agent disconnected", "cluster", e.Cluster, "instance", e.InstanceID)
			}
		}
		if err := <-errc; err != nil {
			a.log.Warn("agent session watch failed; restarting", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(restartDelay):
		}
	}
}
