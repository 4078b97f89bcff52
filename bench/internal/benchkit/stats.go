package benchkit

import (
	"slices"
	"time"
)

// Median is the middle of d, or the mean of the middle two for an even
// count; 0 when d is empty. d is not modified.
//
// Worked example: [3s 1s 2s 10s] sorts to [1s 2s 3s 10s] → (2s+3s)/2 = 2.5s.
func Median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(d))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
