package controller

import (
	"context"
	"log/slog"
	"time"

	"github.com/berth-org/berth/internal/store"
)

const (
	// LeaderTTL is the lease behind a leader's term: when the leader dies
	// or loses etcd, another replica takes over within this long. Short
	// enough that services keep converging through a failover (ECS
	// behaviour R1 asks < 10 s for a 3-node failover), long enough that a
	// GC pause or a slow disk does not flap leadership.
	LeaderTTL = 5 * time.Second
	// campaignRetry is the pause before campaigning again after a
	// campaign failed (etcd unreachable): bounded, and short against
	// LeaderTTL.
	campaignRetry = time.Second
)

// RunAsLeader runs lead while this process leads election name, and
// campaigns again whenever a term ends, until ctx ends. lead's context is
// cancelled when the term ends; lead must return promptly then. Only one
// replica at a time runs lead, as near as a lease can make it: a deposed
// leader may still be finishing a write, so what lead writes must be
// guarded by compare-and-swap like everything else.
func RunAsLeader(ctx context.Context, st *store.Store, log *slog.Logger, name, id string, lead func(context.Context)) {
	for ctx.Err() == nil {
		term, err := st.Campaign(ctx, name, id, LeaderTTL)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("leader campaign failed", "election", name, "err", err)
				sleep(ctx, campaignRetry)
			}
			continue
		}
		log.Info("leading", "election", name, "id", id)
		termCtx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-term.Done():
			case <-termCtx.Done():
			}
			cancel()
		}()
		lead(termCtx)
		cancel()
		if err := term.Resign(context.WithoutCancel(ctx)); err != nil {
			log.Warn("resign failed; the lease will expire", "election", name, "err", err)
		}
		log.Info("no longer leading", "election", name, "id", id)
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
