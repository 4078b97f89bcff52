package simrt

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestEventsAndListSeeOnlyTheirInstance(t *testing.T) {
	r := New(Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	eventsA, _ := r.Events(ctx, instanceA)
	eventsB, _ := r.Events(ctx, instanceB)
	a := mustRun(t, r, config("a"))
	b := mustRun(t, r, config("b", on(instanceB)))

	if ev := nextEvent(t, eventsA); ev.ID != a {
		t.Errorf("instance A saw an event of %s, want only its own container %s", ev.ID, a)
	}
	if ev := nextEvent(t, eventsB); ev.ID != b {
		t.Errorf("instance B saw an event of %s, want only its own container %s", ev.ID, b)
	}
	listed, err := r.List(ctx, instanceA)
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 || listed[0].ID != a {
		t.Errorf("List(A) = %+v, want only %s", listed, a)
	}
}

func TestEventStreamClosesWhenItsContextEnds(t *testing.T) {
	r := New(Config{})
	ctx, cancel := context.WithCancel(context.Background())
	events, errc := r.Events(ctx, instanceA)
	cancel()
	select {
	case _, open := <-events:
		if open {
			t.Fatal("an event on an idle stream")
		}
	case <-time.After(eventTimeout):
		t.Fatal("the stream stayed open after its context ended")
	}
	if err := <-errc; err != nil {
		t.Errorf("errc after the context ended: %v, want none", err)
	}
	mustRun(t, r, config("app")) // emits to no one, blocks on nothing
}

func TestEventStreamEndsWhenTheSubscriberFallsBehind(t *testing.T) {
	r := New(Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, errc := r.Events(ctx, instanceA)
	for i := range eventBuffer + 1 {
		mustRun(t, r, config(string(rune('a'+i%26))+string(rune('a'+i/26))))
	}
	received := 0
	for range events {
		received++
	}
	if received != eventBuffer {
		t.Errorf("received %d events before the stream ended, want the %d buffered", received, eventBuffer)
	}
	if err := <-errc; !errors.Is(err, errOverflow) {
		t.Errorf("errc = %v, want errOverflow so that the agent re-inspects", err)
	}
	if len(r.subs) != 0 {
		t.Errorf("%d subscriptions remain after the stream ended", len(r.subs))
	}
	again, _ := r.Events(ctx, instanceA)
	id := mustRun(t, r, config("late"))
	if ev := nextEvent(t, again); ev.ID != id || ev.Action != "start" {
		t.Errorf("after resubscribing: %+v, want start of %s", ev, id)
	}
}
