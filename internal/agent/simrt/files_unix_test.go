//go:build unix

package simrt

import (
	"errors"
	"math"
	"testing"
)

func TestOpenFilesBeyondTheHardLimitAreRefused(t *testing.T) {
	if err := ensureOpenFiles(64); err != nil {
		t.Errorf("64 open files: %v, want them allowed", err)
	}
	if err := ensureOpenFiles(math.MaxUint64); !errors.Is(err, errOpenFiles) {
		t.Errorf("more open files than any limit: %v, want errOpenFiles", err)
	}
}
