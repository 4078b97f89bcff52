package ecs

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

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

// The service controller's bookkeeping is persisted with the service: a
// restarted controller must find it as it was left.
func TestControllerBookkeepingSurvivesTheStore(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	in := Service{
		Deployments: []Deployment{{
			ID: "ecs-svc/2", SettledTasks: []string{"a", "b"}, LaunchFailures: 3, NextLaunchAt: at, Rollback: true,
		}},
		Stable: &Deployment{ID: "ecs-svc/1", TaskDefinitionARN: "web:1", RolloutState: RolloutCompleted},
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Service
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in.Deployments, out.Deployments) || !reflect.DeepEqual(in.Stable, out.Stable) {
		t.Errorf("after a round trip through JSON:\n got %+v %+v\nwant %+v %+v", out.Deployments, out.Stable, in.Deployments, in.Stable)
	}
}
