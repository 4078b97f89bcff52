package agent

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/berth-org/berth/internal/agentproto"
)

// errInactive: the instance was deregistered; the agent stops.
var errInactive = errors.New("the container instance was deregistered")

// sessions keeps a session open, reopening it after every failure, until
// ctx ends or the instance is deregistered.
func (a *Agent) sessions(ctx context.Context) error {
	delay := reconnectMin
	for ctx.Err() == nil {
		opened, err := a.session(ctx)
		if agentproto.HasCode(err, agentproto.CodeInactive) {
			a.log.Error("instance deregistered; agent stopping")
			return errInactive
		}
		if ctx.Err() != nil {
			return nil
		}
		if opened {
			delay = reconnectMin
		}
		a.log.Warn("session ended; reconnecting", "err", err, "in", delay)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay/2 + rand.N(delay/2+1)):
		}
		delay = min(delay*2, reconnectMax)
	}
	return nil
}

// session runs one session: the snapshot, then changes, until the stream
// fails or a heartbeat finds the session gone.
func (a *Agent) session(ctx context.Context) (opened bool, err error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.mu.Lock()
	a.endSession = cancel
	a.mu.Unlock()
	s, err := a.client.OpenSession(sctx)
	if err != nil {
		return false, err
	}
	defer s.Close()
	msg, err := s.Next()
	if err != nil {
		return false, err
	}
	if msg.Type != agentproto.MessageSnapshot {
		return false, errors.New("session did not start with a snapshot")
	}
	a.apply(msg.Tasks, true)
	a.log.Info("session open", "tasks", len(msg.Tasks))
	for {
		msg, err := s.Next()
		if err != nil {
			return true, err
		}
		a.receive(msg)
	}
}

// receive applies a session message after the first. A later snapshot is
// the server resynchronizing a session that fell too far behind: it is
// applied as the first one is, so a task it lacks is stopped and
// forgotten.
func (a *Agent) receive(msg agentproto.Message) {
	a.apply(msg.Tasks, msg.Type == agentproto.MessageSnapshot)
}

// heartbeats proves the agent alive at the interval the server asked for.
// A session the server no longer has is ended here, so it is reopened.
func (a *Agent) heartbeats(ctx context.Context) {
	tick := time.NewTicker(a.heartbeatInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		err := a.client.Heartbeat(ctx)
		switch {
		case err == nil:
		case agentproto.HasCode(err, agentproto.CodeNotFound):
			a.mu.Lock()
			end := a.endSession
			a.mu.Unlock()
			if end != nil {
				end()
			}
		default:
			a.log.Warn("heartbeat failed", "err", err)
		}
	}
}

// watchEvents wakes a task's runner whenever one of its containers
// changes. After the event stream fails, every runner is woken to look
// again, since events may have been missed.
func (a *Agent) watchEvents(ctx context.Context) {
	for ctx.Err() == nil {
		events, errc := a.rt.Events(ctx, a.InstanceARN())
		for ev := range events {
			a.wakeTask(ev.Labels[LabelTaskARN])
		}
		if err := <-errc; err != nil && ctx.Err() == nil {
			a.log.Warn("container event stream failed; resubscribing", "err", err)
		}
		a.wakeAll()
		select {
		case <-ctx.Done():
		case <-time.After(reconnectMax):
		}
	}
}

func (a *Agent) wakeTask(taskARN string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.runners {
		if r.arn == taskARN {
			r.poke()
			return
		}
	}
}

func (a *Agent) wakeAll() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.runners {
		r.poke()
	}
}
