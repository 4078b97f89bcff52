package placement

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRevisionReadsAreSharedButNeverStale: 64 concurrent callers share
// far fewer reads than 64, and each gets the result of a read that began
// after it called.
func TestRevisionReadsAreSharedButNeverStale(t *testing.T) {
	var r revisionReads
	var started atomic.Int64 // reads begun so far; a read returns its number
	read := func(context.Context) (int64, error) {
		n := started.Add(1)
		time.Sleep(time.Millisecond) // a round trip, during which callers queue
		return n, nil
	}
	const callers = 64
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			before := started.Load()
			got, err := r.after(context.Background(), read)
			if err != nil {
				t.Error(err)
			}
			if got <= before {
				t.Errorf("got read %d, which began before the call (%d had begun)", got, before)
			}
		})
	}
	wg.Wait()
	if n := started.Load(); n >= callers {
		t.Errorf("%d callers made %d reads: none shared", callers, n)
	}
	t.Logf("%d callers, %d reads", callers, started.Load())
}
