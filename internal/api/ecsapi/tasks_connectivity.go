package ecsapi

import (
	"context"
	"strings"

	"github.com/berth-org/berth/internal/wire"
)

// markDisconnected sets connectivity DISCONNECTED on each described task
// whose container instance's agent is disconnected, as ECS reports a task
// whose agent it has lost touch with. connectivityAt stays the time the
// task last went CONNECTED (ECS's definition), which berth knows only as
// the task's creation. The instances' state comes from the placement
// snapshot, brought up to date with one revision check, not from a read
// of each instance.
func (a *API) markDisconnected(ctx context.Context, cluster string, tasks []wire.Task) error {
	ids := make([]string, len(tasks))
	for i := range tasks {
		s := str(tasks[i].ContainerInstanceArn)
		ids[i] = s[strings.LastIndexByte(s, '/')+1:]
	}
	connected, err := a.placer.Connected(ctx, cluster, ids)
	if err != nil {
		return err
	}
	for i := range tasks {
		if !connected[ids[i]] {
			tasks[i].Connectivity = wire.ConnectivityDisconnected
		}
	}
	return nil
}
