package main

import (
	"context"
	"fmt"
	"os"
)

// runner runs the warm-up and the rounds on the sides that were set up,
// and records each side's failed measurements in rep.
type runner struct {
	o   options
	e   *engine
	sw  *swarmMode // nil with -only berth
	b   *berthSide // nil with -only swarm
	rep *results
}

// warmUp creates a service of o.warmup replicas on each side, waits until
// it is steady and removes it, unmeasured: the first containers after
// the engine's, the swarm's and berth's start pay for cold caches.
func (rn *runner) warmUp(ctx context.Context) error {
	if rn.o.warmup == 0 {
		return nil
	}
	o := rn.o
	o.replicas = o.warmup
	for _, side := range rn.sides(ctx, o, "warm-up", nil) {
		if err := side(); err != nil {
			return fmt.Errorf("warm-up: clean-up: %w", err)
		}
	}
	return ctx.Err()
}

// round runs round r (0-based): the engine floor (with -engine-floor),
// then Swarm then berth in even rounds, berth then Swarm in odd ones, so
// that over two rounds neither side always follows the other. A failed
// measurement is counted and the round goes on; a failed clean-up ends
// the run, since the next measurement would start on an engine in an
// unknown state.
func (rn *runner) round(ctx context.Context, r int) (round, error) {
	rd := round{berthFirst: r%2 == 1}
	if rn.o.floor {
		fmt.Fprintf(os.Stderr, "bench-services: r%d: engine floor, %d containers ...\n", r+1, rn.o.replicas)
		ph, measureErr, cleanupErr := rn.e.floorRun(ctx, rn.o)
		rn.rep.floorErr.Add(labelled(fmt.Sprintf("r%d", r+1), measureErr))
		rd.floor, rd.ranFloor = ph, true
		if cleanupErr != nil {
			return rd, fmt.Errorf("round %d: engine floor clean-up: %w", r+1, cleanupErr)
		}
	}
	sides := rn.sides(ctx, rn.o, fmt.Sprintf("r%d", r+1), &rd)
	if rd.berthFirst {
		sides[0], sides[1] = sides[1], sides[0]
	}
	for _, side := range sides {
		if err := side(); err != nil {
			return rd, fmt.Errorf("round %d: clean-up: %w", r+1, err)
		}
		if err := ctx.Err(); err != nil {
			return rd, err
		}
	}
	return rd, nil
}

// sides returns the two sides' runs, Swarm's first. Each runs its side,
// if it was set up, on a service named after the run and label; records
// a failed measurement; stores the results in rd, or with rd nil (the
// warm-up) creates only; and returns the clean-up's error.
func (rn *runner) sides(ctx context.Context, o options, label string, rd *round) [2]func() error {
	name := fmt.Sprintf("bench-services-%s-%s", o.runID, label)
	updates := rd != nil
	progress := func(side string) {
		fmt.Fprintf(os.Stderr, "bench-services: %s: %s, %d replicas ...\n", label, side, o.replicas)
	}
	swarmSide := func() error {
		if rn.sw == nil {
			return nil
		}
		progress("Swarm")
		res, measureErr, cleanupErr := rn.sw.swarmRun(ctx, o, name, updates)
		rn.rep.swarmErr.Add(labelled(label, measureErr))
		if rd != nil {
			rd.swarm, rd.ranSwarm = res, true
		}
		return cleanupErr
	}
	berthSide := func() error {
		if rn.b == nil {
			return nil
		}
		progress("berth")
		res, measureErr, cleanupErr := rn.b.berthRun(ctx, o, name, updates)
		rn.rep.berthErr.Add(labelled(label, measureErr))
		if rd != nil {
			rd.berth, rd.ranBerth = res, true
		}
		return cleanupErr
	}
	return [2]func() error{swarmSide, berthSide}
}

// labelled prefixes err with the round's label, keeping nil nil.
func labelled(label string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", label, err)
}
