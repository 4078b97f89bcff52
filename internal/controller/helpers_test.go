package controller

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/berth-org/berth/internal/store"
)

// testTimeout bounds each controller test: an embedded etcd starts in
// well under a second and every step is milliseconds.
const testTimeout = time.Minute

// quiet is a logger for tests, which read outcomes, not logs.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testEtcd starts a real embedded etcd for the test, stopped at its end,
// and a context bounded by testTimeout.
func testEtcd(t *testing.T) (context.Context, *store.Embedded) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	e, err := store.StartEmbedded(ctx, t.TempDir(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return ctx, e
}
