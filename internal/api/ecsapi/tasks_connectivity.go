package ecsapi

import (
	"context"
	"errors"
	"strings"

	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// markDisconnected sets connectivity DISCONNECTED on each described task
// whose container instance's agent is disconnected, as ECS reports a task
// whose agent it has lost touch with. connectivityAt stays the time the
// task last went CONNECTED (ECS's definition), which berth knows only as
// the task's creation. Each instance is read once per call, from the
// store's cache.
func (a *API) markDisconnected(ctx context.Context, cluster string, tasks []wire.Task) error {
	connected := map[string]bool{}
	for i := range tasks {
		id := instanceIDOf(tasks[i].ContainerInstanceArn)
		up, seen := connected[id]
		if !seen {
			inst, err := a.store.GetInstance(ctx, cluster, id)
			switch {
			case errors.Is(err, store.ErrNotFound): // deregistered and purged
			case err != nil:
				return err
			default:
				up = inst.AgentConnected
			}
			connected[id] = up
		}
		if !up {
			tasks[i].Connectivity = wire.ConnectivityDisconnected
		}
	}
	return nil
}

// instanceIDOf is the id at the end of a container instance ARN.
func instanceIDOf(arn *string) string {
	s := str(arn)
	return s[strings.LastIndexByte(s, '/')+1:]
}
