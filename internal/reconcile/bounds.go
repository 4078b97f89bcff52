package reconcile

import "github.com/berth-org/berth/internal/ecs"

// bounds are the limits a service's tasks keep at every instant, from its
// deploymentConfiguration: at least floor of them healthy, at most ceiling
// of them RUNNING or PENDING (or on their way to STOPPED: a task counts
// against the ceiling until it has stopped).
type bounds struct {
	floor   int // minimumHealthyPercent of desired, rounded up
	ceiling int // maximumPercent of desired, rounded down
}

// boundsOf computes the bounds for desired tasks. ECS rounds the floor up
// and the ceiling down, so that neither limit is ever crossed by rounding.
//
// Worked examples (the ECS developer guide's own):
//
//	desired 4, minimumHealthyPercent 50:  floor   = ceil(4×50/100)    = 2
//	  → the scheduler may stop 2 of 4 old tasks before starting any new one.
//	desired 2, minimumHealthyPercent 75:  floor   = ceil(2×75/100)    = 2
//	  → it can stop none first.
//	desired 3, maximumPercent 150:        ceiling = floor(3×150/100)  = 4
//	  → 4 tasks in all: one new task may start before an old one stops.
//	desired 3, maximumPercent 125:        ceiling = floor(3×125/100)  = 3
//	  → none may start first.
//
// With minimumHealthyPercent 100 and maximumPercent 100 a rolling update
// can neither stop nor start a task: it stalls, as it does on ECS, which
// asks users to leave room for at least one of the two.
//
// Two clamps keep absurd settings from doing harm: the floor is never
// above desired (a minimumHealthyPercent over 100 would forbid every
// stop, even a scale-in), and the ceiling never below it (a maximumPercent
// under 100, which CreateService refuses, would forbid desired itself). A
// maximumPercent of 0 means unset and takes the default for the strategy.
func boundsOf(desired int, cfg ecs.DeploymentConfiguration, strategy ecs.SchedulingStrategy) bounds {
	maxPct := int(cfg.MaximumPercent)
	if maxPct <= 0 {
		maxPct = ecs.DefaultMaximumPercent
		if strategy == ecs.SchedulingDaemon {
			maxPct = ecs.DefaultDaemonMaximumPercent
		}
	}
	minPct := max(int(cfg.MinimumHealthyPercent), 0)
	return bounds{
		floor:   min(ceilDiv(desired*minPct, 100), desired),
		ceiling: max(desired*maxPct/100, desired),
	}
}

// ceilDiv is ⌈a/b⌉ for a ≥ 0, b > 0.
func ceilDiv(a, b int) int { return (a + b - 1) / b }
