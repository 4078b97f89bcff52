package store

import (
	"context"
	"errors"
	"time"
)

// The control plane's record of its own outages. An instance is lost when
// its agent has been away for the cluster's lostInstanceTimeout, but only
// time during which a server could have heard from the agent counts: a
// server that was down for ten minutes must not, once back, find every
// agent that was connected when it went down (their sessions ended with
// it) away for ten minutes and replace every task in the cluster. Nor may
// a restart forget how long an agent had already been away before it.
//
// So each server replica says it is alive every AliveInterval (MarkAlive),
// and whatever a gap between two such marks lasts beyond one interval is
// downtime, added to Downtime.Total. The session layer records, with each
// disconnect, the total at that moment
// (ecs.ContainerInstance.DowntimeAtDisconnect); the time an agent has been
// away is the wall time since it left less the downtime since. Worked
// example, lostInstanceTimeout 300 s:
//
//	12:00:00  agent A leaves; total downtime 0                     → away 0 s
//	12:02:00  the only server is killed (its last mark 12:01:58)   → away 120 s
//	12:12:00  it starts again: a gap of 602 s since the last mark,
//	          597 s of downtime. Agent B, connected at the kill, is
//	          marked disconnected now (total 597 s).
//	12:12:03  B reconnects, A does not
//	12:14:57  A: 897 s since it left, less 597 s of downtime        → away 300 s:
//	          A is lost, and its service tasks are replaced
//
// Up to one interval of an outage is not told from a mark that is merely
// late and counts as the agents' time away: a server restart costs an
// agent that was connected at most AliveInterval of its timeout, and the
// least timeout (10 s) still leaves it as long to reconnect (an agent
// retries every 2 s at most). A mark that is late under load, on the other
// hand, counts as downtime, which only delays a loss.
const downtimeKey = root + "control-plane/downtime"

// AliveInterval is how often each server replica marks the control plane
// alive. Every mark is one small etcd write.
const AliveInterval = 5 * time.Second

// Downtime is the control plane's record of its outages.
type Downtime struct {
	// AliveAt is the last time a server replica marked the control plane
	// alive.
	AliveAt time.Time `json:"aliveAt"`
	// Total is how long, in all, the control plane has been down since
	// the record began.
	Total time.Duration `json:"total"`
}

// At is the total downtime as of now: Total, plus the outage in progress
// if no replica has marked the control plane alive for more than an
// interval (a server just started reads this before its first mark has
// recorded the outage it ends).
func (d Downtime) At(now time.Time) time.Duration {
	if d.AliveAt.IsZero() {
		return d.Total
	}
	return d.Total + max(now.Sub(d.AliveAt)-AliveInterval, 0)
}

// mark records that the control plane is alive at now, adding the outage
// that now ends, if any.
func (d Downtime) mark(now time.Time) Downtime {
	if now.Before(d.AliveAt) { // another replica's clock runs ahead: keep its mark
		return d
	}
	return Downtime{AliveAt: now, Total: d.At(now)}
}

// MarkAlive records that the control plane is alive at now, and returns the
// record as written.
func (s *Store) MarkAlive(ctx context.Context, now time.Time) (Downtime, error) {
	var out Downtime
	_, err := s.Update(ctx, func(tx *Tx) error {
		d, err := tx.getDowntime()
		if err != nil {
			return err
		}
		if out = d.mark(now); out == d {
			return nil
		}
		return putJSON(tx, downtimeKey, out)
	})
	return out, err
}

// GetDowntime reads the record; a zero record before the first mark.
func (s *Store) GetDowntime(ctx context.Context) (Downtime, error) {
	d, err := read[Downtime](ctx, s, downtimeKey)
	if errors.Is(err, ErrNotFound) {
		return Downtime{}, nil
	}
	if err != nil {
		return Downtime{}, err
	}
	return *d, nil
}

func (tx *Tx) getDowntime() (Downtime, error) {
	d, err := getJSON[Downtime](tx, downtimeKey)
	if errors.Is(err, ErrNotFound) {
		return Downtime{}, nil
	}
	if err != nil {
		return Downtime{}, err
	}
	return *d, nil
}

// AwaySince is when an instance's agent left (its DisconnectedAt, zero
// while it is connected), moved later by the control plane's downtime
// since then (downtimeAt is its DowntimeAtDisconnect), so that now −
// AwaySince is how long it has been away while a server was up to hear
// from it. Zero when disconnectedAt is.
func (d Downtime) AwaySince(disconnectedAt time.Time, downtimeAt time.Duration, now time.Time) time.Time {
	if disconnectedAt.IsZero() {
		return time.Time{}
	}
	return disconnectedAt.Add(max(d.At(now)-downtimeAt, 0))
}
