package reconcile

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/berth-org/berth/internal/ecs"
)

// documentedThreshold is ECS's rule for the breaker's default threshold
// (BOUNDED_PERCENT 50), computed here in floating point as the reference
// documents it, independently of ecs.CircuitBreaker.Threshold's integer
// arithmetic: clamp(ceil(0.5 × desiredCount), 3, 200). The rounding is
// not documented; berth rounds up.
func documentedThreshold(desired int) int32 {
	return int32(min(max(math.Ceil(0.5*float64(desired)), 3), 200))
}

// TestCircuitBreakerTripsAtTheThresholdForEveryDesiredCount is ECS
// behaviour T6's threshold table, desiredCount 1 to 500, through Step: a
// deployment with threshold−2 failures counted that sees one more stays
// IN_PROGRESS, and one with threshold−1 that sees one more is FAILED.
func TestCircuitBreakerTripsAtTheThresholdForEveryDesiredCount(t *testing.T) {
	rolloutAfter := func(desired int, counted int32) (ecs.RolloutState, int32) {
		d := Step(Input{
			Service:   svc(int32(desired), []ecs.Deployment{dep("ecs-svc/1", "web:1", failedTasks(counted))}, breakerOn(false)),
			Tasks:     []Task{failedToStart("t", "ecs-svc/1")},
			Instances: instances(3), Now: t0,
		})
		prim := d.Service.Primary()
		return prim.RolloutState, prim.FailedTasks
	}
	for desired := 1; desired <= 500; desired++ {
		threshold := documentedThreshold(desired)
		if got := (ecs.CircuitBreaker{Enable: true}).Threshold(int32(desired)); got != threshold {
			t.Errorf("desired %d: Threshold = %d, want %d", desired, got, threshold)
		}
		if state, failed := rolloutAfter(desired, threshold-2); state != ecs.RolloutInProgress || failed != threshold-1 {
			t.Errorf("desired %d (threshold %d): after %d failures the rollout is %s (failed %d), want IN_PROGRESS", desired, threshold, threshold-1, state, failed)
		}
		if state, failed := rolloutAfter(desired, threshold-1); state != ecs.RolloutFailed || failed != threshold {
			t.Errorf("desired %d (threshold %d): after %d failures the rollout is %s (failed %d), want FAILED", desired, threshold, threshold, state, failed)
		}
	}
}

// TestCircuitBreakerFailsADeploymentOfTenAtExactlyFiveFailures is T6's
// "failing image at desired=10": its tasks fail one after another, and
// the deployment is IN_PROGRESS after 4 and FAILED at the 5th; with
// rollback on but no COMPLETED deployment to return to, it stalls: no
// launch, an hour later still.
func TestCircuitBreakerFailsADeploymentOfTenAtExactlyFiveFailures(t *testing.T) {
	w := newWorld(svc(10, nil, breakerOn(true)), instances(3))
	if d := w.step(); len(d.Start) != 1 || d.Start[0].Count != 10 {
		t.Fatalf("first step: %v, want 10 tasks started", actions(d))
	}
	for n, task := range w.tasks {
		w.now = w.now.Add(time.Second)
		w.exit(task) // never RUNNING: the image cannot be pulled
		d := w.step()
		prim := d.Service.Primary()
		want := ecs.RolloutInProgress
		if n+1 >= 5 {
			want = ecs.RolloutFailed
		}
		if prim.RolloutState != want || prim.FailedTasks != int32(n+1) || len(d.Start) > 0 {
			t.Fatalf("after %d failures: %s with failedTasks %d, actions %v; want %s, %d, no start", n+1, prim.RolloutState, prim.FailedTasks, actions(d), want, n+1)
		}
		if n+1 == 5 && !containsEvent(d.Events, fmt.Sprintf(msgFailed, "web", "ecs-svc/1")) {
			t.Errorf("at the 5th failure: events %v, want the deployment failed", d.Events)
		}
	}
	w.now = w.now.Add(time.Hour)
	if d := w.step(); !d.Idle() || len(d.Service.Deployments) != 1 || d.Service.Primary().RolloutState != ecs.RolloutFailed {
		t.Errorf("an hour after the trip: actions %v, deployments %v; want a stalled FAILED deployment", actions(d), deployments(d))
	}
}

func containsEvent(es []ecs.ServiceEvent, msg string) bool {
	for _, e := range es {
		if e.Message == msg {
			return true
		}
	}
	return false
}
