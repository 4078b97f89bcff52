package ecsapi

import (
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// TestConcurrentRunTaskNeverOversubscribes races 16 RunTask calls of 2
// tasks each (32 asked for) against 4 instances with room for 5 tasks each
// (20). The calls go through two API replicas, each with its own store and
// transaction cache, sharing one etcd, as two berth servers would.
//
// Exactly 20 tasks must be placed, and on every instance what its tasks
// hold must equal registered − remaining, with nothing remaining below 0.
func TestConcurrentRunTaskNeverOversubscribes(t *testing.T) {
	e := newEnv(t)
	replica, err := New(e.ctx(), Config{Store: store.New(e.store.Client()), ARNs: testARNs, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	replicas := []*API{e.api, replica}
	const (
		instances = 4
		perTask   = 256 // CPU units
		room      = 5   // tasks per instance
		callers   = 16
		perCall   = 2
	)
	cluster := e.cluster(t)
	ids := e.agents(t, cluster, instances, perTask*room, 8192)
	family := e.taskDef(t, withContainers(container("app", perTask, 64)))

	var placed, unplaced atomic.Int64
	parallel(callers, func(i int) {
		out, err := replicas[i%len(replicas)].RunTask(e.ctx(), runIn(cluster, family, count(perCall)))
		if err != nil {
			t.Error(err)
			return
		}
		placed.Add(int64(len(out.Tasks)))
		if len(out.Tasks) < perCall && len(out.Failures) == 0 {
			t.Errorf("%d of %d tasks placed and no failures", len(out.Tasks), perCall)
		}
		unplaced.Add(int64(perCall - len(out.Tasks)))
	})
	want(t, "tasks placed and unplaced", []int64{placed.Load(), unplaced.Load()}, []int64{instances * room, callers*perCall - instances*room})

	for _, id := range ids {
		tasks, _, err := e.store.ListInstanceTasks(e.ctx(), cluster, id)
		if err != nil {
			t.Fatal(err)
		}
		var held ecs.Requirements
		for _, task := range tasks {
			held.CPU += task.Held.CPU
			held.Memory += task.Held.Memory
		}
		cpu, memory := remaining(e.storedInstance(t, cluster, id))
		if cpu < 0 || memory < 0 {
			t.Errorf("instance %s: remaining CPU %d, MEMORY %d: oversubscribed", id, cpu, memory)
		}
		want(t, "instance "+id+": held CPU and MEMORY", []int32{held.CPU, held.Memory}, []int32{perTask*room - cpu, 8192 - memory})
		want(t, "instance "+id+": tasks", len(tasks), room)
	}
	want(t, "tasks in the cluster", len(e.listTasks(t, &wire.ListTasksRequest{Cluster: ptr(cluster)})), instances*room)
}
