package ecs

import "testing"

func TestCircuitBreakerThreshold(t *testing.T) {
	cases := []struct {
		name    string
		breaker CircuitBreaker
		desired int32
		want    int32
	}{
		{"default clamps small services up to 3", CircuitBreaker{}, 4, 3},
		{"default is half, rounded up", CircuitBreaker{}, 11, 6},
		{"default clamps large services down to 200", CircuitBreaker{}, 1000, 200},
		{"bounded percent with its own value", CircuitBreaker{ThresholdType: ThresholdBoundedPercent, ThresholdValue: 20}, 100, 20},
		{"unbounded percent has no clamp", CircuitBreaker{ThresholdType: ThresholdUnboundedPercent, ThresholdValue: 50}, 1000, 500},
		{"unbounded percent is at least 1", CircuitBreaker{ThresholdType: ThresholdUnboundedPercent, ThresholdValue: 10}, 0, 1},
		{"count is the value", CircuitBreaker{ThresholdType: ThresholdCount, ThresholdValue: 7}, 100, 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.breaker.Threshold(c.desired); got != c.want {
				t.Errorf("Threshold(%d) = %d, want %d", c.desired, got, c.want)
			}
		})
	}
}

func TestAddEventKeepsNewestHundred(t *testing.T) {
	var s Service
	for i := range 150 {
		s.AddEvent(ServiceEvent{ID: string(rune('a' + i%26))})
	}
	if len(s.Events) != MaxServiceEvents {
		t.Fatalf("len(Events) = %d, want %d", len(s.Events), MaxServiceEvents)
	}
}
