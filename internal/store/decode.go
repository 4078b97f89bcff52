package store

import (
	"encoding/json"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/berth-org/berth/internal/jsondecode"
)

// decodeCacheSize bounds the decoded-value cache by an estimate of the
// heap its entries take (decoded.weight). A hot task definition is
// described over and over by deploy tools and, later, by the scheduler;
// decoding its JSON was a third of DescribeTaskDefinition's server CPU.
// 2 MiB holds hundreds of definitions of a few KiB. The cache was bounded
// to 4,096 entries instead: instances of 1.3 KB, listed and read by every
// agent request, kept it full at 8 MB of heap, and as many large
// definitions (up to 64 KiB each) could have held hundreds of MB.
const decodeCacheSize = 2 << 20

// decodeEntryOverhead estimates what an entry costs besides its key and
// value: its map slot and the decoded value's own header.
const decodeEntryOverhead = 96

// decoded is a key's value as decoded at one mod revision. A value of a
// key at a given mod revision never changes, so a hit is always exact.
// Values are shared: callers must not modify them.
type decoded struct {
	modRev int64
	value  any
	size   int // estimated heap of the entry: see weight
}

// weight is the entry's estimated heap in the cache: its key, its value
// decoded, which takes about twice its JSON, and decodeEntryOverhead.
// Worked example: an agent session of 98 bytes under a 70-byte key weighs
// 70 + 196 + 96 = 362; 5,000 of them, 1.8 MB.
func (d decoded) weight() int { return d.size }

// decodeKV returns the value of kv as a *T, from the cache when kv's mod
// revision was decoded before.
func decodeKV[T any](c *boundedMap[decoded], kv *mvccpb.KeyValue) (*T, error) {
	return decodeAt[T](c, string(kv.Key), kv.Value, kv.ModRevision)
}

// decodeAt returns raw, the value of key at modRev, as a *T, from the cache
// when it was decoded before.
func decodeAt[T any](c *boundedMap[decoded], key string, raw []byte, modRev int64) (*T, error) {
	if e, ok := c.get(key); ok && e.modRev == modRev {
		if v, ok := e.value.(*T); ok {
			return v, nil
		}
	}
	v := new(T)
	if err := unmarshalJSON(raw, v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", key, err)
	}
	c.put(key, decoded{modRev: modRev, value: v, size: len(key) + 2*len(raw) + decodeEntryOverhead})
	return v, nil
}

// unmarshalJSON is jsondecode.Unmarshal, calling a value's own
// UnmarshalJSON directly: Unmarshal would first parse the whole value to
// find its end before handing it over, and a task (ecs.Task has its own
// encoding) is decoded on every read and report. The method decodes with
// jsondecode itself, which still rejects malformed input.
func unmarshalJSON(raw []byte, v any) error {
	if u, ok := v.(json.Unmarshaler); ok {
		return u.UnmarshalJSON(raw)
	}
	return jsondecode.Unmarshal(raw, v)
}

// marshalJSON is json.Marshal, calling a value's own MarshalJSON
// directly: json.Marshal would scan its output again to compact and
// validate it, which doubled the cost of encoding a task.
func marshalJSON(v any) ([]byte, error) {
	if m, ok := v.(json.Marshaler); ok {
		return m.MarshalJSON()
	}
	return json.Marshal(v)
}
