package agentapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/berth-org/berth/internal/agentproto"
	"github.com/berth-org/berth/internal/arn"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
)

// handleSession opens the instance's session stream: a snapshot of its
// tasks, then every change, with pings while idle. Once the snapshot is
// read, it takes the connection over from net/http and hands it to a
// goroutine of the session's own (stream.run), and returns: an open
// session then costs its connection, that one goroutine and what it
// holds, not also net/http's connection state and buffers (10 KiB) and
// its second goroutine, which waits to notice the client leave. At 5,000
// sessions that was 110 MB of heap and stacks. The session (and so
// agentConnected) lasts as long as the stream.
func (a *API) handleSession(w http.ResponseWriter, r *http.Request) {
	inst, err := a.authenticate(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	s, err := a.openStream(r.Context(), inst)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	conn, err := hijackStream(w)
	if err != nil {
		s.end()
		a.log.Error("agent session stream not started", "cluster", inst.Cluster, "instance", inst.ID, "err", err)
		return
	}
	if !a.track() {
		s.end()
		_ = conn.Close()
		return
	}
	go func() {
		defer a.sessions.Done()
		s.run(conn)
	}()
}

// openStream subscribes to the instance's task changes, opens its agent
// session (agentConnected) and reads the snapshot the stream starts with.
// On error, whatever it opened is closed again.
func (a *API) openStream(ctx context.Context, inst *ecs.ContainerInstance) (*stream, error) {
	sub := a.hub.subscribe(inst.Cluster, inst.ID)
	lease, err := a.store.OpenAgentSession(ctx, inst.Cluster, inst.ID, newToken()[:16], a.timeout, a.now())
	if err != nil {
		a.hub.unsubscribe(sub)
		return nil, err
	}
	tasks, rev, err := a.store.ListInstanceTasks(ctx, inst.Cluster, inst.ID)
	if err != nil {
		a.hub.unsubscribe(sub)
		a.store.CloseAgentSession(lease)
		return nil, err
	}
	s := &stream{
		sub: sub, src: a.store, ctx: a.base, closed: a.closed, log: a.log,
		defs:     map[string]json.RawMessage{},
		snapshot: tasks, snapshotRev: rev,
	}
	s.end = func() {
		a.store.CloseAgentSession(lease)
		a.hub.unsubscribe(sub)
		s.logf(slog.LevelInfo, "agent session closed")
	}
	s.logf(slog.LevelInfo, "agent session opened")
	return s, nil
}

// sessionHeader answers a session request once its connection is taken
// over. The body is the stream, delimited by the connection's close.
const sessionHeader = "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nConnection: close\r\n\r\n"

// hijackStream takes the session's connection over from net/http and
// writes the response header.
func hijackStream(w http.ResponseWriter) (net.Conn, error) {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, fmt.Errorf("take over the connection: %w", err)
	}
	// The agent sends nothing after its request; bytes here would be
	// lost with net/http's reader, which is not kept.
	if brw.Reader.Buffered() > 0 {
		_ = conn.Close()
		return nil, errors.New("the agent sent data after its session request")
	}
	if err := conn.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil {
		_ = conn.Close()
		return nil, err
	}
	if _, err := io.WriteString(conn, sessionHeader); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return conn, nil
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
			changed, err := a.store.MarkAgentDisconnected(ctx, e, a.now())
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

// runAlive marks the control plane alive at once and then every
// store.AliveInterval, so that the time no server ran is not counted
// against agents (see store.Downtime). A failed mark is logged and tried
// again at the next tick: a gap it leaves only delays an instance's loss.
func (a *API) runAlive(ctx context.Context) {
	tick := time.NewTicker(store.AliveInterval)
	defer tick.Stop()
	for {
		if _, err := a.store.MarkAlive(ctx, a.now()); err != nil && ctx.Err() == nil {
			a.log.Warn("cannot mark the control plane alive", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
