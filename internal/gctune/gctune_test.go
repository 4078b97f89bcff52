package gctune

import "testing"

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name string
		live uint64
		want int
	}{
		{"nothing measured yet", 0, MaxPercent},
		{"small heap: capped", 16 * mib, 400},
		{"64 MiB: GOGC=400 gives it the same headroom", 64 * mib, 400},
		{"the bench's burst end", 200 * mib, 128},
		{"exactly the headroom", 256 * mib, 100},
		{"large heap: Go's default", 2048 * mib, 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percent(tc.live); got != tc.want {
				t.Errorf("Percent(%d MiB) = %d, want %d", tc.live/mib, got, tc.want)
			}
		})
	}
}
