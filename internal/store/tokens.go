package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/berth-org/berth/internal/jsondecode"
)

// tokenExpiryBatch is how many clientToken records one transaction of
// ExpireClientTokens deletes: each is read again inside it, and a
// thousand small reads and deletes make a transaction of a few hundred
// KiB, well within etcd's request size.
const tokenExpiryBatch = 500

// ExpireClientTokens deletes the RunTask and CreateService clientToken
// records created before cutoff and reports how many it deleted. Each is
// read again within the deleting transaction, so a record rewritten since
// the scan (a token reused after expiring) is kept.
func (s *Store) ExpireClientTokens(ctx context.Context, cutoff time.Time) (int, error) {
	var keys []string
	for _, prefix := range []string{taskTokensPrefix, serviceTokensPrefix} {
		err := s.scan(ctx, prefix, "", false, func(kv *mvccpb.KeyValue) (bool, error) {
			if expired, err := tokenExpired(kv.Value, cutoff); err != nil {
				return false, fmt.Errorf("decode %s: %w", kv.Key, err)
			} else if expired {
				keys = append(keys, string(kv.Key))
			}
			return true, nil
		})
		if err != nil {
			return 0, err
		}
	}
	deleted := 0
	for start := 0; start < len(keys); start += tokenExpiryBatch {
		batch := keys[start:min(start+tokenExpiryBatch, len(keys))]
		n := 0
		_, err := s.Update(ctx, func(tx *Tx) error {
			n = 0
			for _, key := range batch {
				raw, err := tx.get(key)
				if errors.Is(err, ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				expired, err := tokenExpired(raw, cutoff)
				if err != nil {
					return err
				}
				if !expired {
					continue
				}
				tx.del(key)
				n++
			}
			return nil
		})
		if err != nil {
			return deleted, err
		}
		deleted += n
	}
	return deleted, nil
}

// tokenExpired decodes the creation time both kinds of clientToken record
// carry (TaskToken, ServiceToken) and says whether it is before cutoff.
func tokenExpired(raw []byte, cutoff time.Time) (bool, error) {
	var rec struct {
		CreatedAt time.Time `json:"createdAt"`
	}
	if err := jsondecode.Unmarshal(raw, &rec); err != nil {
		return false, err
	}
	return rec.CreatedAt.Before(cutoff), nil
}
