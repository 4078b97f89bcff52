package simrt

import (
	"context"
	"errors"

	"github.com/berth-org/berth/internal/agent"
)

// eventBuffer is how many events a subscriber may fall behind before its
// stream is ended. The agent takes each event at once (it only wakes the
// task's runner), and a burst on one instance is a few events per task
// placed at once, so 64 is never reached by a healthy agent; if it is,
// the agent re-inspects everything, which loses nothing.
const eventBuffer = 64

// errOverflow ends the event stream of a subscriber that fell behind.
var errOverflow = errors.New("simulated event stream: the subscriber fell behind; re-inspect and subscribe again")

// subscription is one Events stream.
type subscription struct {
	instanceARN string
	out         chan agent.ContainerEvent
	errc        chan error
	stop        func() bool // unregisters the context's AfterFunc
}

// Events streams the start and die events of the containers labelled for
// instanceARN until ctx ends. The subscription is in place when Events
// returns. It costs no goroutine: events are sent by whoever changes a
// container, never blocking, and the stream is closed by ctx's AfterFunc.
func (r *Runtime) Events(ctx context.Context, instanceARN string) (<-chan agent.ContainerEvent, <-chan error) {
	s := &subscription{instanceARN: instanceARN, out: make(chan agent.ContainerEvent, eventBuffer), errc: make(chan error, 1)}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.subs[s] = struct{}{}
	// The AfterFunc runs in a goroutine of its own, so it waits for r.mu
	// even when ctx has already ended.
	s.stop = context.AfterFunc(ctx, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.end(s, nil)
	})
	return s.out, s.errc
}

// end closes s's stream, after sending err if there is one. r.mu is held.
func (r *Runtime) end(s *subscription, err error) {
	if _, ok := r.subs[s]; !ok {
		return
	}
	delete(r.subs, s)
	if s.stop != nil {
		s.stop()
	}
	if err != nil {
		s.errc <- err
	}
	close(s.out)
	close(s.errc)
}

// emit sends an event about c to the subscribers of its instance. r.mu is
// held.
func (r *Runtime) emit(c *container, action string) {
	ev := agent.ContainerEvent{ID: c.info.ID, Action: action, Labels: c.info.Labels}
	for s := range r.subs {
		if s.instanceARN != c.info.Labels[agent.LabelInstanceARN] {
			continue
		}
		select {
		case s.out <- ev:
		default:
			r.end(s, errOverflow)
		}
	}
}
