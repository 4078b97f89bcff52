package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/berth-org/berth/internal/ecs"
)

// An agent session is a key under agentSessionsPrefix bound to an etcd
// lease. The agent's heartbeats keep the lease alive; when they stop for
// the lease's TTL, etcd deletes the key, and whichever server sees the
// deletion marks the instance's agent disconnected. Because the key lives
// in etcd rather than in one server's memory, this works the same when the
// server holding the session crashes, and with several server replicas.

const agentSessionsPrefix = root + "agent-sessions/"

func agentSessionKey(cluster, instanceID string) string {
	return agentSessionsPrefix + cluster + "/" + instanceID
}

// AgentSession is the stored record of an agent's live session.
type AgentSession struct {
	ID        string    `json:"id"`
	Lease     int64     `json:"lease"`
	StartedAt time.Time `json:"startedAt"`
}

// ErrSessionGone: the session's lease expired or was revoked; the agent
// must open a new session.
var ErrSessionGone = errors.New("agent session expired")

// OpenAgentSession starts a session for an instance's agent, replacing any
// earlier one, and marks the agent connected (which clears when it
// disconnected). The session ends when
// KeepAgentSession is not called within ttl, or on CloseAgentSession.
func (s *Store) OpenAgentSession(ctx context.Context, cluster, instanceID, sessionID string, ttl time.Duration, now time.Time) (int64, error) {
	cctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	lease, err := s.cli.Grant(cctx, int64((ttl+time.Second-1)/time.Second))
	if err != nil {
		return 0, mapEtcdErr(err)
	}
	raw, err := json.Marshal(AgentSession{ID: sessionID, Lease: int64(lease.ID), StartedAt: now})
	if err != nil {
		return 0, fmt.Errorf("encode agent session: %w", err)
	}
	_, err = s.Update(ctx, func(tx *Tx) error {
		inst, err := tx.GetInstance(cluster, instanceID)
		if err != nil {
			return err
		}
		if !inst.AgentConnected {
			inst.AgentConnected = true
			inst.DisconnectedAt, inst.DowntimeAtDisconnect = time.Time{}, 0
			inst.Version++
			if err := tx.PutInstance(inst); err != nil {
				return err
			}
		}
		tx.write(agentSessionKey(cluster, instanceID), write{value: raw, lease: lease.ID})
		return nil
	})
	if err != nil {
		s.revoke(lease.ID)
		return 0, err
	}
	return int64(lease.ID), nil
}

// KeepAgentSession renews the session's lease; ErrSessionGone when it has
// already ended.
func (s *Store) KeepAgentSession(ctx context.Context, lease int64) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	_, err := s.cli.KeepAliveOnce(ctx, clientv3.LeaseID(lease))
	if errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return ErrSessionGone
	}
	if err != nil {
		return mapEtcdErr(err)
	}
	return nil
}

// CloseAgentSession ends a session at once (its stream closed). A newer
// session of the same instance is not affected: its key is bound to its
// own lease.
func (s *Store) CloseAgentSession(lease int64) { s.revoke(clientv3.LeaseID(lease)) }

func (s *Store) revoke(lease clientv3.LeaseID) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	// An error means the lease is already gone or etcd is unreachable; in
	// both cases the lease expires on its own within its TTL.
	_, _ = s.cli.Revoke(ctx, lease)
}

// GetAgentSession reads an instance's live session.
func (s *Store) GetAgentSession(ctx context.Context, cluster, instanceID string) (*AgentSession, error) {
	return read[AgentSession](ctx, s, agentSessionKey(cluster, instanceID))
}

// MarkAgentDisconnected sets an instance's agentConnected to false unless
// a session newer than the ended one is live (its agent reconnected in the
// meantime), and records when: now, with the control plane's downtime so
// far (see Downtime). An instance already disconnected keeps the time it
// has, unless it has none (it was marked before berth recorded the time):
// it gets now, so that the time it has been away starts counting.
//
// A session key older than the end is the ended session itself, seen by a
// read that raced its deletion: etcd notifies watchers of a write a moment
// before concurrent reads see it. It counts as ended; the commit, ordered
// after the deletion, then fails its compare and runs again on fresh reads.
func (s *Store) MarkAgentDisconnected(ctx context.Context, e SessionEnd, now time.Time) (bool, error) {
	changed := false
	key := agentSessionKey(e.Cluster, e.InstanceID)
	_, err := s.Update(ctx, func(tx *Tx) error {
		changed = false
		_, err := tx.get(key)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if err == nil && tx.reads[key] > e.Revision {
			return nil // a newer session is live
		}
		inst, err := tx.GetInstance(e.Cluster, e.InstanceID)
		if errors.Is(err, ErrNotFound) || (err == nil && !unmarked(inst)) {
			return nil
		}
		if err != nil {
			return err
		}
		down, err := tx.getDowntime()
		if err != nil {
			return err
		}
		inst.AgentConnected = false
		inst.DisconnectedAt, inst.DowntimeAtDisconnect = now, down.At(now)
		inst.Version++
		changed = true
		return tx.PutInstance(inst)
	})
	return changed, err
}

// unmarked says the instance's agent is marked connected, or disconnected
// without the time it left (an instance deregistered has left for good).
func unmarked(inst *ecs.ContainerInstance) bool {
	return inst.AgentConnected || inst.DisconnectedAt.IsZero() && inst.Status != ecs.InstanceInactive
}

// SessionEnd names an instance whose agent session ended at Revision: a
// session key created after it belongs to a newer session.
type SessionEnd struct {
	Cluster, InstanceID string
	Revision            int64
}

// WatchSessionEnds reports every instance whose agent is marked connected
// (or disconnected without a time) but has no live session — at start,
// for sessions that ended while no server watched, and from then on as
// sessions end. The channel closes when
// ctx ends or the watch fails (the error is sent on errc first).
func (s *Store) WatchSessionEnds(ctx context.Context) (<-chan SessionEnd, <-chan error) {
	out := make(chan SessionEnd, watchBuffer)
	errc := make(chan error, 1)
	go func() {
		defer close(out)
		defer close(errc)
		if err := s.watchSessionEnds(ctx, out); err != nil && ctx.Err() == nil {
			errc <- err
		}
	}()
	return out, errc
}

func (s *Store) watchSessionEnds(ctx context.Context, out chan<- SessionEnd) error {
	cctx, cancel := context.WithTimeout(ctx, opTimeout)
	sessions, err := s.get(cctx, agentSessionsPrefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	cancel()
	if err != nil {
		return mapEtcdErr(err)
	}
	live := map[string]bool{}
	for _, kv := range sessions.Kvs {
		live[string(kv.Key)] = true
	}
	var stale []SessionEnd
	err = s.scan(ctx, instancesPrefix, "", false, func(kv *mvccpb.KeyValue) (bool, error) {
		inst, err := decodeKV[ecs.ContainerInstance](s.decode, kv)
		if err != nil {
			return false, err
		}
		if unmarked(inst) && !live[agentSessionKey(inst.Cluster, inst.ID)] {
			stale = append(stale, SessionEnd{inst.Cluster, inst.ID, sessions.Header.Revision})
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	for _, e := range stale {
		select {
		case out <- e:
		case <-ctx.Done():
			return nil
		}
	}
	wch := s.cli.Watch(clientv3.WithRequireLeader(ctx), agentSessionsPrefix, clientv3.WithPrefix(),
		clientv3.WithRev(sessions.Header.Revision+1), clientv3.WithFilterPut())
	for resp := range wch {
		if err := resp.Err(); err != nil {
			return fmt.Errorf("watch agent sessions: %w", err)
		}
		for _, ev := range resp.Events {
			cluster, id, _ := strings.Cut(strings.TrimPrefix(string(ev.Kv.Key), agentSessionsPrefix), "/")
			select {
			case out <- SessionEnd{cluster, id, ev.Kv.ModRevision}:
			case <-ctx.Done():
				return nil
			}
		}
	}
	return nil
}
