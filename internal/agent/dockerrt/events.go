package dockerrt

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/berth-org/berth/internal/agent"
)

// berthLabelPrefix starts every label berth sets (agent.Label*).
const berthLabelPrefix = "com.berth."

// Events streams the start, die, oom and health_status events of the
// containers labelled for instanceARN until ctx ends or the stream fails.
// The engine reports health changes as "health_status: healthy" (or
// unhealthy, starting); the filter "health_status" matches them all.
//
// The event channel is closed when the stream ends; errc then receives
// the stream's error, if it failed (not when ctx ended), and is closed,
// so that a caller may range over events and then read errc once. The
// subscription is in place when Events returns: an event that happens
// after it is delivered.
func (r *Runtime) Events(ctx context.Context, instanceARN string) (<-chan agent.ContainerEvent, <-chan error) {
	out := make(chan agent.ContainerEvent)
	errc := make(chan error, 1)
	f := client.Filters{}.
		Add("type", string(events.ContainerEventType)).
		Add("label", agent.LabelInstanceARN+"="+instanceARN).
		Add("event", string(events.ActionStart), string(events.ActionDie), string(events.ActionOOM),
			string(events.ActionHealthStatus))
	res := r.cli.Events(ctx, client.EventsListOptions{Filters: f})
	go func() {
		defer close(errc)
		defer close(out)
		for {
			select {
			case <-ctx.Done():
				return
			case m := <-res.Messages:
				if m.Action == events.ActionOOM {
					r.noteOOM(m.Actor.ID)
				}
				select {
				case out <- containerEvent(m):
				case <-ctx.Done():
					return
				}
			case err := <-res.Err:
				if ctx.Err() == nil {
					if err == nil {
						err = errors.New("stream closed by the engine")
					}
					errc <- fmt.Errorf("docker events: %w", err)
				}
				return
			}
		}
	}()
	return out, errc
}

// containerEvent keeps only berth's labels of the event's attributes,
// which mix the container's labels with the engine's own keys (name,
// image, exitCode).
func containerEvent(m events.Message) agent.ContainerEvent {
	ev := agent.ContainerEvent{ID: m.Actor.ID, Action: string(m.Action), Labels: map[string]string{}}
	for k, v := range m.Actor.Attributes {
		if strings.HasPrefix(k, berthLabelPrefix) {
			ev.Labels[k] = v
		}
	}
	return ev
}
