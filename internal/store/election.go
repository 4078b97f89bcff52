package store

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/etcd/client/v3/concurrency"
)

const electionsPrefix = root + "elections/"

// Term is this process's leadership of one election: it lasts until Done
// is closed (its lease expired or was revoked, or Resign was called).
type Term struct {
	session  *concurrency.Session
	election *concurrency.Election
}

// Campaign blocks until this process leads the election called name, or
// ctx ends. id names the candidate in logs and in the election key. The
// term is held by a lease of ttl: a leader that dies (or is cut off from
// etcd) loses it within ttl, and another candidate takes over.
func (s *Store) Campaign(ctx context.Context, name, id string, ttl time.Duration) (*Term, error) {
	session, err := concurrency.NewSession(s.cli, concurrency.WithTTL(int(max(ttl/time.Second, 1))), concurrency.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("open an election session: %w", err)
	}
	election := concurrency.NewElection(session, electionsPrefix+name)
	if err := election.Campaign(ctx, id); err != nil {
		_ = session.Close()
		return nil, fmt.Errorf("campaign for %s: %w", name, err)
	}
	return &Term{session: session, election: election}, nil
}

// Done is closed when the term ends.
func (t *Term) Done() <-chan struct{} { return t.session.Done() }

// Resign ends the term at once, so another candidate need not wait for
// the lease to expire. It revokes the lease itself, with a context of its
// own: the session's may be done already (the process is shutting down),
// and the session would then fail to revoke it.
func (t *Term) Resign(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	t.session.Orphan() // stop keeping the lease alive
	if _, err := t.session.Client().Revoke(ctx, t.session.Lease()); err != nil {
		return fmt.Errorf("resign: revoke the leader's lease: %w", mapEtcdErr(err))
	}
	return nil
}
