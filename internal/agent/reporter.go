package agent

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/berth-org/berth/internal/agentproto"
)

const (
	// maxReportBatch is how many task states one report carries; the
	// server accepts up to 500.
	maxReportBatch = 200
	// reportRetryMin and reportRetryMax bound the pause before resending a
	// report that failed (server restarting or unreachable): short enough
	// that a restarted server hears from its agents at once, capped so a
	// long outage costs a request every few seconds.
	reportRetryMin = 50 * time.Millisecond
	reportRetryMax = 2 * time.Second
)

// reporter sends task states to the server in batches. It keeps only the
// latest state of each task, so however far the agent runs ahead of the
// server, one report per task catches it up; a state stays pending until
// the server has acknowledged it.
type reporter struct {
	client    *agentproto.Client
	log       *slog.Logger
	onUnknown func(taskARNs []string)

	mu       sync.Mutex
	pending  map[string]agentproto.TaskState
	inflight map[string]agentproto.TaskState
	kick     chan struct{}
}

func newReporter(c *agentproto.Client, log *slog.Logger, onUnknown func([]string)) *reporter {
	return &reporter{client: c, log: log, onUnknown: onUnknown,
		pending: map[string]agentproto.TaskState{}, inflight: map[string]agentproto.TaskState{}, kick: make(chan struct{}, 1)}
}

func (p *reporter) enqueue(ts agentproto.TaskState) {
	p.mu.Lock()
	p.pending[ts.TaskARN] = ts
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// settled reports whether every state of the task has been acknowledged.
func (p *reporter) settled(taskARN string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, a := p.pending[taskARN]
	_, b := p.inflight[taskARN]
	return !a && !b
}

func (p *reporter) take() []agentproto.TaskState {
	p.mu.Lock()
	defer p.mu.Unlock()
	var batch []agentproto.TaskState
	for arn, ts := range p.pending {
		if len(batch) == maxReportBatch {
			break
		}
		batch = append(batch, ts)
		p.inflight[arn] = ts
		delete(p.pending, arn)
	}
	return batch
}

// settle ends a batch: on failure its states go back to pending unless a
// newer state of the same task is already there.
func (p *reporter) settle(batch []agentproto.TaskState, failed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ts := range batch {
		delete(p.inflight, ts.TaskARN)
		if _, newer := p.pending[ts.TaskARN]; failed && !newer {
			p.pending[ts.TaskARN] = ts
		}
	}
}

func (p *reporter) run(ctx context.Context) {
	delay := reportRetryMin
	for {
		batch := p.take()
		if len(batch) == 0 {
			select {
			case <-ctx.Done():
				return
			case <-p.kick:
				continue
			}
		}
		ack, err := p.client.Report(ctx, agentproto.StateReport{Tasks: batch})
		p.settle(batch, err != nil)
		if err != nil {
			p.log.Warn("task state report failed; retrying", "tasks", len(batch), "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			delay = min(delay*2, reportRetryMax)
			continue
		}
		delay = reportRetryMin
		if len(ack.Unknown) > 0 {
			p.onUnknown(ack.Unknown)
		}
	}
}
