package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/berth-org/berth/internal/store"
)

const (
	// etcdValueSize is the baseline's value size, about a stored task
	// definition's.
	etcdValueSize = 2048
	// etcdGetKeys is how many keys the Get baseline reads, round robin.
	etcdGetKeys = 16
	etcdPrefix  = "/bench/"
)

// etcdBaseline is an embedded etcd started exactly as berth starts its own
// (store.StartEmbedded: same options, same in-process client), in this
// process, so that its throughput is what berth's storage can do at best on
// this machine.
type etcdBaseline struct {
	e     *store.Embedded
	level *slog.LevelVar
	value string
}

func startEtcdBaseline(ctx context.Context, dir string) (*etcdBaseline, error) {
	// Only errors: etcd's info logs would drown the report.
	level := &slog.LevelVar{}
	level.Set(slog.LevelError)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	e, err := store.StartEmbedded(ctx, dir, log)
	if err != nil {
		return nil, err
	}
	b := &etcdBaseline{e: e, level: level, value: strings.Repeat("x", etcdValueSize)}
	for i := range etcdGetKeys {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		_, err := e.Client().Put(cctx, b.getKey(i), b.value)
		cancel()
		if err != nil {
			_ = e.Close()
			return nil, fmt.Errorf("seed etcd baseline: %w", err)
		}
	}
	return b, nil
}

func (b *etcdBaseline) getKey(i int) string { return fmt.Sprintf("%sget/%04d", etcdPrefix, i) }

// close stops etcd. Shutting down, etcd logs its closed listeners as
// errors; they are not, so logging stops first.
func (b *etcdBaseline) close() error {
	b.level.Set(slog.LevelError + 4)
	return b.e.Close()
}

// getScenario reads 2 KB values with the client's default (linearizable)
// Get, as berth's DescribeTaskDefinition does.
func (b *etcdBaseline) getScenario(concurrency int) scenario {
	cli := b.e.Client()
	return scenario{
		name: fmt.Sprintf("etcd-get-c%d", concurrency), key: fmt.Sprintf("etcd_get_c%d", concurrency),
		concurrency: concurrency,
		cpu:         &cpuMeter{},
		newWorker: func(w int) (callFunc, error) {
			return func(ctx context.Context, seq int) error {
				key := b.getKey((w + seq) % etcdGetKeys)
				resp, err := cli.Get(ctx, key)
				if err != nil {
					return err
				}
				if len(resp.Kvs) != 1 || len(resp.Kvs[0].Value) != etcdValueSize {
					return fmt.Errorf("etcd get %s: wrong answer", key)
				}
				return nil
			}, nil
		},
	}
}

// putScenario writes 2 KB values to new keys, as each RegisterTaskDefinition
// writes a new revision's key.
func (b *etcdBaseline) putScenario(concurrency int) scenario {
	cli := b.e.Client()
	return scenario{
		name: fmt.Sprintf("etcd-put-c%d", concurrency), key: fmt.Sprintf("etcd_put_c%d", concurrency),
		concurrency: concurrency,
		cpu:         &cpuMeter{},
		newWorker: func(w int) (callFunc, error) {
			return func(ctx context.Context, seq int) error {
				_, err := cli.Put(ctx, fmt.Sprintf("%sput-c%d/%02d/%010d", etcdPrefix, concurrency, w, seq), b.value)
				return err
			}, nil
		},
	}
}
