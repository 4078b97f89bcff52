package dockerrt

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/moby/moby/client"

	"github.com/berth-org/berth/internal/agent"
)

// TestUnreachableEngineIsNotTheContainersFault checks that an engine that
// cannot be reached, or a caller that gave up, never turns into a
// container failure (ErrPull, ErrCreate, ErrStart), which the agent would
// report as final; those errors are for the agent to retry.
func TestUnreachableEngineIsNotTheContainersFault(t *testing.T) {
	host := "unix://" + filepath.Join(t.TempDir(), "no-docker.sock")
	if _, err := New(t.Context(), host, nil); err == nil {
		t.Fatalf("New(%s) succeeded without an engine", host)
	}
	cli, err := client.New(client.WithHost(host))
	if err != nil {
		t.Fatal(err)
	}
	r := &Runtime{cli: cli, log: slog.New(slog.DiscardHandler), ports: newHostPorts(), digests: map[string]string{}}
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()

	for _, ctx := range []context.Context{t.Context(), cancelled} {
		_, pullErr := r.EnsureImage(ctx, "busybox")
		_, createErr := r.Create(ctx, cfg())
		startErr := r.Start(ctx, "c0ffee")
		for _, err := range []error{pullErr, createErr, startErr} {
			if err == nil || errors.Is(err, agent.ErrPull) || errors.Is(err, agent.ErrCreate) || errors.Is(err, agent.ErrStart) {
				t.Errorf("ctx err %v: got %v, want an error that is not the container's failure", ctx.Err(), err)
			}
		}
	}
}
