package controller

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
)

// DefaultTaskRetention is how long a stopped task stays describable: ECS
// keeps stopped tasks visible "for at least one hour" (DescribeTasks).
const DefaultTaskRetention = time.Hour

// ClientTokenRetention is how long a RunTask or CreateService clientToken
// is remembered. ECS documents no expiry; AWS's idempotency tokens
// elsewhere (EC2's RunInstances) stay valid "for at least 24 hours", and
// a retry comes within minutes. Without an expiry every token ever used
// would stay in the store.
const ClientTokenRetention = 24 * time.Hour

// tokenSweepEvery is how often expired clientTokens are looked for: each
// sweep reads every token record, so once an hour, which keeps a token at
// most 25 hours, rather than with every task sweep (each minute).
const tokenSweepEvery = time.Hour

// Retention purges tasks that have been STOPPED for longer than the
// retention period, and clientToken records older than
// ClientTokenRetention.
type Retention struct {
	Store     *store.Store
	Log       *slog.Logger
	Retention time.Duration // 0 means DefaultTaskRetention
	Now       func() time.Time
}

// Expired reports whether a task is to be purged at now: it is STOPPED
// and stopped more than retention ago.
func Expired(t *ecs.Task, now time.Time, retention time.Duration) bool {
	return expired(t.Known.LastStatus, t.Known.StoppedAt, now, retention)
}

func expired(last ecs.TaskStatus, stoppedAt, now time.Time, retention time.Duration) bool {
	return last == ecs.TaskStopped && !stoppedAt.IsZero() && now.Sub(stoppedAt) > retention
}

// Run sweeps every tenth of the retention period (at least every second,
// at most every minute) until ctx ends: a task is purged at most 10% late.
func (r *Retention) Run(ctx context.Context) {
	retention := r.retention()
	every := min(max(retention/10, time.Second), time.Minute)
	tick := time.NewTicker(every)
	defer tick.Stop()
	var tokensSweptAt time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if n, err := r.Sweep(ctx); err != nil && ctx.Err() == nil {
			r.Log.Warn("task retention sweep failed", "err", err)
		} else if n > 0 {
			r.Log.Info("purged stopped tasks", "tasks", n)
		}
		if now := r.Now(); now.Sub(tokensSweptAt) >= tokenSweepEvery {
			tokensSweptAt = now
			if n, err := r.Store.ExpireClientTokens(ctx, now.Add(-ClientTokenRetention)); err != nil && ctx.Err() == nil {
				r.Log.Warn("clientToken expiry failed", "err", err)
			} else if n > 0 {
				r.Log.Info("expired clientTokens", "tokens", n)
			}
		}
	}
}

func (r *Retention) retention() time.Duration {
	if r.Retention <= 0 {
		return DefaultTaskRetention
	}
	return r.Retention
}

// Sweep purges every expired task and reports how many it purged. It
// lists each task's stop alone (store.TaskStop), then reads an expired
// task whole in the transaction that purges it.
func (r *Retention) Sweep(ctx context.Context) (int, error) {
	now, retention := r.Now(), r.retention()
	var due []*store.TaskStop
	err := r.Store.ForEachTaskStop(ctx, func(t *store.TaskStop) bool {
		if expired(t.Known.LastStatus, t.Known.StoppedAt, now, retention) {
			due = append(due, t)
		}
		return true
	})
	if err != nil {
		return 0, err
	}
	purged := 0
	for _, t := range due {
		_, err := r.Store.Update(ctx, func(tx *store.Tx) error {
			cur, err := tx.GetTask(t.Cluster, t.ID)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			if err != nil || !Expired(cur, now, retention) {
				return err
			}
			tx.DeleteTask(cur)
			return nil
		})
		if err != nil {
			return purged, err
		}
		purged++
	}
	return purged, nil
}
