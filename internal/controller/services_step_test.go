package controller

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/berth-org/berth/internal/api/ecsapi"
	"github.com/berth-org/berth/internal/arn"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/placement"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
)

// TestUnplaceableServiceIsWrittenOnce: a service whose task cannot be
// placed (its cluster's only instance has no agent connected) is written
// once, with the event saying so; stepping it again on that write writes
// nothing and asks to be looked at again after unplacedRetry. (It used to
// write the same service again at every step, and each write, coming
// back through the watch, stepped it again: a busy loop of writes for as
// long as the task stayed unplaceable, e.g. while agents reconnected
// after a server restart.)
func TestUnplaceableServiceIsWrittenOnce(t *testing.T) {
	ctx, e := testEtcd(t)
	st := store.New(e.Client())
	cache := placement.NewCache(st, quiet)
	go cache.Run(ctx)
	placer := placement.NewPlacer(cache)
	arns := arn.Builder{Region: "us-east-1", Account: "000000000000"}
	api, err := ecsapi.New(ctx, ecsapi.Config{Store: st, ARNs: arns, Log: quiet, Placer: placer})
	if err != nil {
		t.Fatal(err)
	}
	const cluster, name = "c", "web"
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(api.CreateCluster(ctx, &wire.CreateClusterRequest{ClusterName: ptr(cluster)}))
	must(api.RegisterContainerInstance(ctx, &wire.RegisterContainerInstanceRequest{Cluster: ptr(cluster), TotalResources: []wire.Resource{
		{Name: ptr(ecs.ResourceCPU), Type: ptr("INTEGER"), IntegerValue: ptr(int32(2048))},
		{Name: ptr(ecs.ResourceMemory), Type: ptr("INTEGER"), IntegerValue: ptr(int32(2048))},
	}}))
	must(api.RegisterTaskDefinition(ctx, &wire.RegisterTaskDefinitionRequest{Family: ptr("app"), ContainerDefinitions: []wire.ContainerDefinition{
		{Name: ptr("app"), Image: ptr("nginx:1.27"), Memory: ptr(int32(64))},
	}}))
	must(api.CreateService(ctx, &wire.CreateServiceRequest{Cluster: ptr(cluster), ServiceName: ptr(name), TaskDefinition: ptr("app"), DesiredCount: ptr(int32(1))}))

	c := &Services{Store: st, Placer: placer, ARNs: arns, Log: quiet}
	k := serviceKey{cluster, name}
	// step steps the service as a session that has just listed the store
	// sees it: after the previous step's write came back.
	step := func() (int64, time.Time) {
		t.Helper()
		l := &loop{Services: c, w: newWorld(), defs: newTaskDefs(st)}
		if err := l.list(ctx); err != nil {
			t.Fatal(err)
		}
		wrote, wake, err := l.step(ctx, k, l.w.services[k])
		if err != nil {
			t.Fatal(err)
		}
		return wrote, wake
	}

	if wrote, _ := step(); wrote == 0 {
		t.Fatal("the first step wrote nothing; want the service with the event that its task cannot be placed")
	}
	svc, err := st.GetService(ctx, cluster, name)
	if err != nil {
		t.Fatal(err)
	}
	const unplaced = "(service web) was unable to place a task because no container instance met all of its requirements."
	if len(svc.Events) == 0 || !strings.HasPrefix(svc.Events[0].Message, unplaced) {
		t.Fatalf("newest event %v, want %q…", svc.Events[:min(len(svc.Events), 1)], unplaced)
	}
	before := time.Now()
	wrote, wake := step()
	if wrote != 0 {
		t.Fatalf("the second step wrote the service again (revision %d); want no write while nothing changed", wrote)
	}
	if due := before.Add(unplacedRetry).Truncate(time.Millisecond); wake.Before(due) {
		t.Fatalf("wake %s, want the unplaced retry, %s after the step", wake, unplacedRetry)
	}
}

func ptr[T any](v T) *T { return &v }

// TestStepWritesThroughAStaleCachedRead: a transaction's first read comes
// from the store's cache, which can be behind the world the step decided
// on (the world is fed by the watch; the cache by this process's own
// transactions, which may put their values after the watch delivered a
// newer one, and never by another server replica's). The step must not
// take such a read for the truth: the commit's compare fails on it and the
// transaction runs again on fresh reads. Two readers here share one etcd,
// as two replicas do: the controller's store has cached the service as it
// was before the API's write: absent, before CreateService (the step took
// the service for deleted and wrote nothing, so its tasks never started),
// or at its older revision, before an UpdateService (taken for a change
// the world had yet to see; fixed before this test). Either way the
// service waited for a watch event that had already come.
func TestStepWritesThroughAStaleCachedRead(t *testing.T) {
	for _, tc := range []struct {
		name string
		// write is the API's write, after the controller's store cached
		// what it read of the service.
		write func(ctx context.Context, api *ecsapi.API) error
		// exists says the service exists when the controller's store
		// reads it first.
		exists bool
	}{
		{"the service's creation", func(ctx context.Context, api *ecsapi.API) error {
			_, err := api.CreateService(ctx, &wire.CreateServiceRequest{Cluster: ptr("c"), ServiceName: ptr("web"), TaskDefinition: ptr("app"), DesiredCount: ptr(int32(1))})
			return err
		}, false},
		{"an update", func(ctx context.Context, api *ecsapi.API) error {
			_, err := api.UpdateService(ctx, &wire.UpdateServiceRequest{Cluster: ptr("c"), Service: ptr("web"), DesiredCount: ptr(int32(2))})
			return err
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, e := testEtcd(t)
			apiStore, controllerStore := store.New(e.Client()), store.New(e.Client())
			cache := placement.NewCache(controllerStore, quiet)
			go cache.Run(ctx)
			placer := placement.NewPlacer(cache)
			arns := arn.Builder{Region: "us-east-1", Account: "000000000000"}
			api, err := ecsapi.New(ctx, ecsapi.Config{Store: apiStore, ARNs: arns, Log: quiet, Placer: placer})
			if err != nil {
				t.Fatal(err)
			}
			must := func(_ any, err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(api.CreateCluster(ctx, &wire.CreateClusterRequest{ClusterName: ptr("c")}))
			must(api.RegisterTaskDefinition(ctx, &wire.RegisterTaskDefinitionRequest{Family: ptr("app"), ContainerDefinitions: []wire.ContainerDefinition{
				{Name: ptr("app"), Image: ptr("nginx:1.27"), Memory: ptr(int32(64))},
			}}))
			if tc.exists {
				must(api.CreateService(ctx, &wire.CreateServiceRequest{Cluster: ptr("c"), ServiceName: ptr("web"), TaskDefinition: ptr("app"), DesiredCount: ptr(int32(1))}))
			}
			// The controller's store reads the service in a transaction,
			// which caches what it read.
			must(controllerStore.Update(ctx, func(tx *store.Tx) error {
				_, err := tx.GetService("c", "web")
				if errors.Is(err, store.ErrNotFound) {
					return nil
				}
				return err
			}))
			if err := tc.write(ctx, api); err != nil {
				t.Fatal(err)
			}

			c := &Services{Store: controllerStore, Placer: placer, ARNs: arns, Log: quiet}
			l := &loop{Services: c, w: newWorld(), defs: newTaskDefs(controllerStore)}
			if err := l.list(ctx); err != nil {
				t.Fatal(err)
			}
			k := serviceKey{"c", "web"}
			wrote, _, err := l.step(ctx, k, l.w.services[k])
			if err != nil {
				t.Fatal(err)
			}
			// The cluster has no instance: the step writes the event that
			// the service's task cannot be placed.
			svc, err := apiStore.GetService(ctx, "c", "web")
			if err != nil {
				t.Fatal(err)
			}
			if wrote == 0 || len(svc.Events) == 0 {
				t.Fatalf("the step wrote nothing (revision %d, events %v); want the service with the event that its task cannot be placed", wrote, svc.Events)
			}
		})
	}
}
