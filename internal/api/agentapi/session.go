package agentapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
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
	s := &stream{w: w, rc: http.NewResponseController(w), defs: map[string]*wire.TaskDefinition{}, api: a}
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

// stream writes one session's messages.
type stream struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	defs map[string]*wire.TaskDefinition // by ARN; revisions are immutable
	api  *API
}

var errSuperseded = errors.New("session superseded or lagging; the agent will resynchronize")

// follow forwards changes after the snapshot's revision until the agent
// leaves. The threshold stays the snapshot's: one transaction writes many
// tasks at one revision, and the hub may deliver them across several
// batches, so only what the snapshot already held is skipped.
func (s *stream) follow(ctx context.Context, sub *subscriber, snapshotRev int64) error {
	ping := time.NewTicker(agentproto.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.api.closed:
			return nil
		case <-sub.lost:
			return errSuperseded
		case <-ping.C:
			if err := s.write(agentproto.Message{Type: agentproto.MessagePing}); err != nil {
				return err
			}
		case c := <-sub.changes:
			batch, last := collect(c, sub.changes, snapshotRev)
			if len(batch) == 0 {
				continue
			}
			if err := s.send(ctx, agentproto.MessageTasks, last, batch); err != nil {
				return err
			}
		}
	}
}

// collect gathers c and any changes already queued behind it, skipping
// those the snapshot (at revision after) already contained, and keeping
// only the latest version of each task.
func collect(c change, more <-chan change, after int64) ([]*ecs.Task, int64) {
	var out []*ecs.Task
	index := map[string]int{}
	last := after
	add := func(c change) {
		if c.rev <= after {
			return
		}
		last = max(last, c.rev)
		if i, ok := index[c.task.ID]; ok {
			out[i] = c.task
			return
		}
		index[c.task.ID] = len(out)
		out = append(out, c.task)
	}
	add(c)
	for len(out) < maxBatch {
		select {
		case c := <-more:
			add(c)
		default:
			return out, last
		}
	}
	return out, last
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
	if err := s.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if err := json.NewEncoder(s.w).Encode(msg); err != nil {
		return err
	}
	return s.rc.Flush()
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
	td, err := s.api.store.GetTaskDefinition(ctx, family, revision)
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
