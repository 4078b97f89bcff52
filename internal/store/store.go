package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Sentinel errors. Callers match them with errors.Is.
var (
	// ErrNotFound: the key does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a transaction kept losing compare-and-swap races and gave
	// up after maxTxAttempts.
	ErrConflict = errors.New("too many concurrent updates")
	// ErrNoSpace: etcd refused a write because its backend quota is full.
	// Reads are still served.
	ErrNoSpace = errors.New("the data store is out of space")
)

const (
	// maxTxAttempts bounds optimistic retries of one Update. Each retry
	// means another writer committed a key this transaction read; 64
	// losses in a row means pathological contention, reported as
	// ErrConflict rather than spinning.
	maxTxAttempts = 64
	// minRetryBackoff and maxRetryBackoff bound the jittered pause before
	// a retry: it doubles with each lost race, from about one etcd commit
	// (a millisecond) up to 50 ms, so that competing writers spread apart
	// instead of colliding again. Worked example: the fourth retry waits a
	// random time in [0, 8 ms); from the seventh on, in [0, 50 ms).
	minRetryBackoff = time.Millisecond
	maxRetryBackoff = 50 * time.Millisecond
	// opTimeout bounds one etcd round trip. A single-node etcd answers in
	// milliseconds; an external cluster mid-election takes a few seconds.
	// Past this the API answers ServerException instead of hanging.
	opTimeout = 10 * time.Second
	// listBatch is how many keys one scan fetches from etcd at a time.
	listBatch = 500
)

// Store is typed access to berth's state in etcd. Reads outside a
// transaction return shared values: copy before modifying one. Writes go
// through Update, which commits only if nothing it read has changed since;
// values read inside a transaction are the transaction's own to modify.
type Store struct {
	cli    *clientv3.Client
	decode *boundedMap[decoded]
	reads  *boundedMap[cachedKV]
	groups [numQueues]group // see UpdateGrouped
	// maxTxnOps is the etcd server's limit of operations, and of
	// compares, in one transaction (its --max-txn-ops).
	maxTxnOps int
	// readOpts go with every read outside a transaction (see get).
	readOpts []clientv3.OpOption
}

// defaultMaxTxnOps is etcd's default --max-txn-ops.
const defaultMaxTxnOps = 128

// New returns a Store over cli, for an etcd that allows etcd's default
// number of operations per transaction (see WithMaxTxnOps).
func New(cli *clientv3.Client) *Store {
	return &Store{cli: cli, decode: newBoundedMap[decoded](decodeCacheSize), reads: newBoundedMap[cachedKV](txCacheSize),
		maxTxnOps: defaultMaxTxnOps}
}

// WithMaxTxnOps tells the store its etcd allows n operations per
// transaction, so that UpdateGrouped can group more; it returns s.
func (s *Store) WithMaxTxnOps(n int) *Store {
	s.maxTxnOps = n
	return s
}

// WithLocalReads tells the store its etcd is a single member, as the
// embedded one always is, and returns s. Reads outside a transaction are
// then served from that member's applied state (etcd's serializable
// reads), without a ReadIndex round through raft. They stay linearizable:
// etcd acknowledges a write only once its member has applied it, so a
// read that starts after the acknowledgement sees it, and a single member
// never has a newer leader whose writes it lacks. A write that a watch
// has just delivered is another matter: etcd notifies watchers before the
// write is readable, so a reader acting on the event syncs to the event's
// revision (placement.Cache.SyncTo) or reads in a transaction, whose
// reads commit checks. On a cluster of several members a serializable
// read may lag; there reads stay etcd's linearizable ones. Each RunTask
// reads three times outside its transaction (the cluster, the task
// definition, the revision placement waits for); under load, waiting for
// their ReadIndex rounds behind the raft loop's applies took a sixth of
// RunTask's time in bench-placement (7.0 of 40 s in a 5 s execution trace
// of 8 clients).
func (s *Store) WithLocalReads() *Store {
	s.readOpts = []clientv3.OpOption{clientv3.WithSerializable()}
	return s
}

// get is a read outside any transaction: linearizable, from the local
// member's state with WithLocalReads.
func (s *Store) get(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	return s.cli.Get(ctx, key, append(slices.Clip(opts), s.readOpts...)...)
}

// Client is the underlying etcd client.
func (s *Store) Client() *clientv3.Client { return s.cli }

// Update runs fn in an optimistic transaction and commits its writes
// atomically, on the condition that every key fn read still has the mod
// revision it had when read (absent keys must still be absent). When another
// writer got there first, fn runs again on fresh reads, so fn must be free of
// side effects other than through tx. It returns the etcd revision of the
// commit (0 when fn wrote nothing).
//
// The first attempt reads keys this process has seen before from a local
// cache (see txcache.go); retries read from etcd.
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) (int64, error) {
	for attempt := 0; attempt < maxTxAttempts; attempt++ {
		tx := newTx(ctx, s.cli, s.reads, attempt == 0)
		tx.decoded = s.decode
		if err := fn(tx); err != nil {
			return 0, err
		}
		rev, ok, err := tx.commit()
		if err != nil {
			return 0, err
		}
		if ok {
			tx.runHooks(rev)
			return rev, nil
		}
		select {
		case <-time.After(retryBackoff(attempt)):
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	return 0, ErrConflict
}

// retryBackoff is the full-jitter pause before retry number attempt+1.
func retryBackoff(attempt int) time.Duration {
	ceiling := maxRetryBackoff
	if attempt < 16 && minRetryBackoff<<attempt < maxRetryBackoff {
		ceiling = minRetryBackoff << attempt
	}
	return time.Duration(rand.Int64N(int64(ceiling)))
}

// Tx is one attempt of an optimistic transaction. Reads are recorded with
// their mod revisions; writes are buffered until commit. A Tx sees its own
// buffered writes.
type Tx struct {
	ctx     context.Context
	kv      clientv3.KV
	cache   *boundedMap[cachedKV]
	decoded *boundedMap[decoded] // the store's decoded values (getShared); nil: none
	cached  bool                 // reads may come from cache
	reads   map[string]int64     // key → mod revision when read; 0 = absent
	pending map[string]write     // key → buffered write
	order   []string             // keys of pending, in first-write order
	hooks   []func(rev int64)
	// journal records how to undo each read and write since the first
	// savepoint, so that one function of a group can be rolled back
	// (see UpdateGrouped); nil while no savepoint was taken.
	journal []undo
}

// OnCommit calls fn with the commit's revision once the transaction has
// committed, before Update returns, and before UpdateGrouped commits
// anything else. It is not called for an attempt that does not commit.
func (tx *Tx) OnCommit(fn func(rev int64)) { tx.hooks = append(tx.hooks, fn) }

func (tx *Tx) runHooks(rev int64) {
	for _, h := range tx.hooks {
		h(rev)
	}
}

type write struct {
	value  []byte
	delete bool
	lease  clientv3.LeaseID // the key lives only as long as this lease; 0: forever
	// shared is value decoded, when the writer handed it over (putShared)
	// for later readers in the transaction to share (getShared).
	shared any
}

func newTx(ctx context.Context, kv clientv3.KV, cache *boundedMap[cachedKV], cached bool) *Tx {
	return &Tx{ctx: ctx, kv: kv, cache: cache, cached: cached, reads: map[string]int64{}, pending: map[string]write{}}
}

// get returns the raw value of key, or ErrNotFound.
func (tx *Tx) get(key string) ([]byte, error) {
	if w, ok := tx.pending[key]; ok {
		if w.delete {
			return nil, ErrNotFound
		}
		return w.value, nil
	}
	e, hit := cachedKV{}, false
	if tx.cached {
		e, hit = tx.cache.get(key)
	}
	if !hit {
		var err error
		if e, err = tx.fetch(key); err != nil {
			return nil, err
		}
		tx.cache.put(key, e)
	}
	if _, seen := tx.reads[key]; !seen && tx.journal != nil {
		tx.journal = append(tx.journal, undo{key: key, read: true})
	}
	tx.reads[key] = e.modRev
	if e.modRev == 0 {
		return nil, ErrNotFound
	}
	return e.value, nil
}

// prefetch reads into the read cache, in one etcd request per
// taskReadBatch keys, those of keys the transaction may take from it and
// does not have there yet: a function that then reads them one by one
// (a state report, its tasks) waits for one round trip instead of one per
// key, and a grouped commit, whose functions run one after another, is
// not held up by them. Values are checked at commit like any cached read.
func (tx *Tx) prefetch(keys []string) error {
	if !tx.cached {
		return nil // this attempt reads afresh from etcd, key by key
	}
	var missing []string
	for _, key := range keys {
		if _, written := tx.pending[key]; written {
			continue
		}
		if _, hit := tx.cache.get(key); !hit && !slices.Contains(missing, key) {
			missing = append(missing, key)
		}
	}
	ctx, cancel := context.WithTimeout(tx.ctx, opTimeout)
	defer cancel()
	return getKeys(ctx, tx.kv, missing, []clientv3.OpOption{clientv3.WithSerializable()}, func(i int, kv *mvccpb.KeyValue) error {
		e := cachedKV{} // absent
		if kv != nil {
			e = cachedKV{value: kv.Value, modRev: kv.ModRevision}
		}
		tx.cache.put(missing[i], e)
		return nil
	})
}

// getKeys reads keys, taskReadBatch of them per etcd transaction, each
// with opts, and calls visit with each key's index in keys and its value
// (nil when the key is absent).
func getKeys(ctx context.Context, kv clientv3.KV, keys []string, opts []clientv3.OpOption, visit func(i int, kv *mvccpb.KeyValue) error) error {
	for start := 0; start < len(keys); start += taskReadBatch {
		batch := keys[start:min(start+taskReadBatch, len(keys))]
		ops := make([]clientv3.Op, len(batch))
		for i, key := range batch {
			ops[i] = clientv3.OpGet(key, opts...)
		}
		resp, err := kv.Txn(ctx).Then(ops...).Commit()
		if err != nil {
			return mapEtcdErr(err)
		}
		for i, r := range resp.Responses {
			var found *mvccpb.KeyValue
			if kvs := r.GetResponseRange().Kvs; len(kvs) > 0 {
				found = kvs[0]
			}
			if err := visit(start+i, found); err != nil {
				return err
			}
		}
	}
	return nil
}

// fetch reads key from etcd. Serializable is enough: a stale read fails the
// commit's compare.
func (tx *Tx) fetch(key string) (cachedKV, error) {
	ctx, cancel := context.WithTimeout(tx.ctx, opTimeout)
	defer cancel()
	resp, err := tx.kv.Get(ctx, key, clientv3.WithSerializable())
	if err != nil {
		return cachedKV{}, mapEtcdErr(err)
	}
	if len(resp.Kvs) == 0 {
		return cachedKV{}, nil
	}
	return cachedKV{value: resp.Kvs[0].Value, modRev: resp.Kvs[0].ModRevision}, nil
}

func (tx *Tx) put(key string, value []byte) { tx.write(key, write{value: value}) }

func (tx *Tx) del(key string) { tx.write(key, write{delete: true}) }

func (tx *Tx) write(key string, w write) {
	prev, had := tx.pending[key]
	if !had {
		tx.order = append(tx.order, key)
	}
	if tx.journal != nil {
		tx.journal = append(tx.journal, undo{key: key, had: had, prev: prev})
	}
	tx.pending[key] = w
}

// commit applies the buffered writes if every key read is unchanged. A
// transaction that wrote nothing commits nothing, but its reads are still
// checked, linearizably, so a read-only transaction never returns stale
// values.
//
// Reads are serializable (local to the member) and checked only here.
// That matters even on one member: etcd tells watchers of a write before
// the write is readable (watchableStoreTxnWrite.End notifies, then ends
// the write), so a controller that reads on a watch event can read the
// state from before it. A transaction of compares alone would not catch
// that: etcd runs it as a serializable read too. A linearizable range in
// it (readBarrier) makes etcd wait until the member has applied every
// committed write, the one the event told of included, before comparing.
// (A service created that way looked deleted to the service controller,
// which then never started its tasks.)
func (tx *Tx) commit() (rev int64, ok bool, err error) {
	if len(tx.pending) == 0 && len(tx.reads) == 0 {
		return 0, true, nil
	}
	cmps := make([]clientv3.Cmp, 0, len(tx.reads))
	for key, modRev := range tx.reads {
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(key), "=", modRev))
	}
	ops := make([]clientv3.Op, 0, len(tx.order))
	for _, key := range tx.order {
		if w := tx.pending[key]; w.delete {
			ops = append(ops, clientv3.OpDelete(key))
		} else {
			ops = append(ops, clientv3.OpPut(key, string(w.value), clientv3.WithLease(w.lease)))
		}
	}
	if len(ops) == 0 {
		ops = append(ops, readBarrier)
	}
	ctx, cancel := context.WithTimeout(tx.ctx, opTimeout)
	defer cancel()
	resp, err := tx.kv.Txn(ctx).If(cmps...).Then(ops...).Commit()
	if err != nil {
		return 0, false, mapEtcdErr(err)
	}
	if !resp.Succeeded {
		return 0, false, nil
	}
	if len(tx.pending) == 0 {
		return 0, true, nil
	}
	// Every key the commit wrote now has the commit's revision as its mod
	// revision, so the cache knows its exact state.
	for _, key := range tx.order {
		w := tx.pending[key]
		if w.delete {
			tx.cache.put(key, cachedKV{})
		} else {
			tx.cache.put(key, cachedKV{value: w.value, modRev: resp.Header.Revision})
		}
	}
	return resp.Header.Revision, true, nil
}

// readBarrier is a linearizable read of nothing much (one key's count):
// in a transaction, it makes etcd run the transaction only once the member
// has applied every write committed before it (see commit).
var readBarrier = clientv3.OpGet(root+"read-barrier", clientv3.WithCountOnly())

// getJSON decodes the value at key into a new T.
func getJSON[T any](tx *Tx, key string) (*T, error) {
	raw, err := tx.get(key)
	if err != nil {
		return nil, err
	}
	v := new(T)
	if err := unmarshalJSON(raw, v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", key, err)
	}
	return v, nil
}

// getShared is getJSON for records read on every request and replaced
// field by field, never modified in place: it decodes nothing when the
// value is one this transaction wrote with putShared, or one the store's
// decoded-value cache holds at the mod revision read. The result is a copy
// of a shared value: the caller may set its fields, but must replace its
// slices, maps and pointers rather than modify what they refer to.
func getShared[T any](tx *Tx, key string) (*T, error) {
	if w, ok := tx.pending[key]; ok && !w.delete {
		if v, ok := w.shared.(*T); ok {
			c := *v
			return &c, nil
		}
	}
	raw, err := tx.get(key)
	if err != nil {
		return nil, err
	}
	if _, written := tx.pending[key]; written || tx.decoded == nil {
		return getJSON[T](tx, key)
	}
	v, err := decodeAt[T](tx.decoded, key, raw, tx.reads[key])
	if err != nil {
		return nil, err
	}
	c := *v
	return &c, nil
}

// putShared is putJSON keeping a copy of v for getShared: the caller
// keeps its own v, and must not modify in place what v's slices, maps and
// pointers refer to.
func putShared[T any](tx *Tx, key string, v *T) error {
	raw, err := marshalJSON(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	c := *v
	tx.write(key, write{value: raw, shared: &c})
	return nil
}

func putJSON(tx *Tx, key string, v any) error {
	raw, err := marshalJSON(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	tx.put(key, raw)
	return nil
}

// read returns the decoded value at key, read linearizably outside any
// transaction. The value is shared; see Store.
func read[T any](ctx context.Context, s *Store, key string) (*T, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	resp, err := s.get(ctx, key)
	if err != nil {
		return nil, mapEtcdErr(err)
	}
	if len(resp.Kvs) == 0 {
		return nil, ErrNotFound
	}
	return decodeKV[T](s.decode, resp.Kvs[0])
}

// scan calls visit for each key under prefix that sorts after 'after'
// (ascending, or descending before 'after' when desc is set), in batches
// of listBatch, until visit returns false or the keys run out. An empty
// 'after' starts at the first (or, descending, the last) key.
func (s *Store) scan(ctx context.Context, prefix, after string, desc bool, visit func(kv *mvccpb.KeyValue) (more bool, err error)) error {
	return s.scanFrom(ctx, prefix, after, desc, listBatch, visit)
}

// scanFrom is scan whose first batch is first keys (at most listBatch): a
// page of 100 that keeps what it reads needs 101, and a first batch of
// 500 read five times that from etcd (BenchmarkListInstancesPage, pages
// of 100 instances of 1.5 KB: 1.4 MB and 0.70 ms per page → 0.30 MB and
// 0.17–0.30 ms).
func (s *Store) scanFrom(ctx context.Context, prefix, after string, desc bool, first int, visit func(kv *mvccpb.KeyValue) (more bool, err error)) error {
	end := clientv3.GetPrefixRangeEnd(prefix)
	lo, hi := prefix, end
	batch := min(max(first, 1), listBatch)
	for {
		switch {
		case after != "" && !desc:
			lo = after + "\x00"
		case after != "" && desc:
			hi = after
		}
		opts := []clientv3.OpOption{clientv3.WithRange(hi), clientv3.WithLimit(int64(batch))}
		if desc {
			opts = append(opts, clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend))
		}
		cctx, cancel := context.WithTimeout(ctx, opTimeout)
		resp, err := s.get(cctx, lo, opts...)
		cancel()
		if err != nil {
			return mapEtcdErr(err)
		}
		for _, kv := range resp.Kvs {
			more, err := visit(kv)
			if err != nil || !more {
				return err
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return nil
		}
		after = string(resp.Kvs[len(resp.Kvs)-1].Key)
		batch = listBatch // what the first batch did not keep may be sparse
	}
}

func mapEtcdErr(err error) error {
	if errors.Is(err, rpctypes.ErrNoSpace) || errors.Is(err, rpctypes.ErrGRPCNoSpace) {
		return fmt.Errorf("%w: %w", ErrNoSpace, err)
	}
	return fmt.Errorf("etcd: %w", err)
}
