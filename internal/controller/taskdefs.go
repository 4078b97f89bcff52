package controller

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/berth-org/berth/internal/arn"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
)

// taskDefs reads the task definitions services run, once each: a
// revision's definition never changes (only its status, which running
// services ignore, as on ECS).
type taskDefs struct {
	st    *store.Store
	byARN map[string]*ecs.TaskDefinition
}

func newTaskDefs(st *store.Store) *taskDefs {
	return &taskDefs{st: st, byARN: map[string]*ecs.TaskDefinition{}}
}

// get reads the task definition revision named by its ARN
// (arn:…:task-definition/<family>:<revision>).
func (d *taskDefs) get(ctx context.Context, taskDefARN string) (*ecs.TaskDefinition, error) {
	if td := d.byARN[taskDefARN]; td != nil {
		return td, nil
	}
	a, err := arn.Parse(taskDefARN)
	if err != nil {
		return nil, fmt.Errorf("task definition %q: %w", taskDefARN, err)
	}
	family, rev, ok := strings.Cut(strings.TrimPrefix(a.Resource, "task-definition/"), ":")
	revision, err := strconv.Atoi(rev)
	if !ok || err != nil {
		return nil, fmt.Errorf("task definition %q: not a revision's ARN", taskDefARN)
	}
	td, err := d.st.GetTaskDefinition(ctx, family, revision)
	if err != nil {
		return nil, fmt.Errorf("task definition %s: %w", taskDefARN, err)
	}
	d.byARN[taskDefARN] = td
	return td, nil
}
