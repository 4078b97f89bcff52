//go:build chaos

package chaos

// R2: a server restart churns nothing. R3: a scale-up made while no
// scheduler runs is carried out after it comes back, within the bounds.

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/berth-org/berth/test/harness"
)

// canary is the service that proves the controller has run after a
// restart (see TestR2ServerRestartChurnsNothing).
const canary = "canary"

// TestR2ServerRestartChurnsNothing restarts the server again and again
// under services in steady state (alternately SIGTERM and kill -9): every
// service keeps exactly its tasks, with the same containers, and no task
// is started or stopped.
//
// Proof that the controller ran after each restart, rather than a settle
// window: a canary service is scaled to a task on every instance and back
// to none, each waited for. A new leader steps every service once before it
// reads its watch, so the canary's second change is read only after a full
// round of steps; and its tasks reach RUNNING and STOPPED only through the
// agents, so every agent is back too.
func TestR2ServerRestartChurnsNothing(t *testing.T) {
	services, perService, restarts, agents := scale(50, 8), scale(4, 2), scale(10, 2), 4
	srv := startServer(t, dataDir(t))
	c := srv.Client(1)
	cluster := createCluster(t, c)
	var fleet []*harness.Agent
	for range agents {
		fleet = append(fleet, startAgent(t, srv, cluster))
	}
	family := uniqueName("r2")
	register(t, c, sleeper(family))
	names := make([]string, services)
	for i := range names {
		names[i] = fmt.Sprintf("web-%d", i+1)
		createService(t, c, cluster, names[i], family, int32(perService))
	}
	createService(t, c, cluster, canary, family, 0, func(in *ecs.CreateServiceInput) {
		in.PlacementConstraints = []types.PlacementConstraint{{Type: types.PlacementConstraintTypeDistinctInstance}}
	})
	forEach(names, func(name string) { awaitCompleted(t, c, cluster, name) })
	before := fingerprints(t, c, cluster, names)

	for i := range restarts {
		start := time.Now()
		if i%2 == 0 {
			if err := srv.Stop(); err != nil {
				t.Fatal(err)
			}
		} else {
			srv.Kill()
		}
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		healthy := time.Since(start)
		for _, a := range fleet {
			if err := a.AwaitConnected(c, true); err != nil {
				t.Fatal(err)
			}
		}
		scaleCanary(t, c, cluster, agents)
		scaleCanary(t, c, cluster, 0)
		after := fingerprints(t, c, cluster, names)
		changed := 0
		for _, name := range names {
			if before[name] != after[name] {
				changed++
				t.Errorf("restart %d: service %s changed:\nbefore %s\nafter  %s", i+1, name, before[name], after[name])
			}
		}
		figure(t, "R2", "restart", i+1, "kill9", i%2 == 1, "services", services, "tasks", services*perService, "changed_services", changed, "healthy_after", healthy.Round(time.Millisecond))
		if t.Failed() {
			return
		}
	}
}

// scaleCanary sets the canary's desiredCount and waits until it runs that
// many tasks and no other.
func scaleCanary(t *testing.T, c *ecs.Client, cluster string, n int) {
	t.Helper()
	if _, err := c.UpdateService(ctx(t), &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(canary), DesiredCount: aws.Int32(int32(n))}); err != nil {
		t.Fatal(err)
	}
	awaitRunning(t, c, cluster, canary, n, harness.ConvergeTimeout)
}

// fingerprints maps each service to the fingerprint of its tasks.
func fingerprints(t *testing.T, c *ecs.Client, cluster string, names []string) map[string]string {
	t.Helper()
	var mu sync.Mutex
	out := map[string]string{}
	forEach(names, func(name string) {
		f := fingerprint(serviceTasks(t, c, cluster, name))
		mu.Lock()
		out[name] = f
		mu.Unlock()
	})
	return out
}

// forEach runs fn for each name, eight at a time.
func forEach(names []string, fn func(string)) {
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for _, name := range names {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(name)
		})
	}
	wg.Wait()
}

// r3Converge is the scenario's bound: 9 RUNNING within 30 s of the
// scheduler's return.
const r3Converge = 30 * time.Second

// TestR3ScaleUpWhileTheSchedulerIsDown raises a service from 4 to 9 tasks
// while the server runs without its controllers (killed, then restarted
// with --controllers=false), then restarts it whole: the service reaches 9
// RUNNING within 30 s, never with more tasks present than maximumPercent
// allows, and nothing happened while the scheduler was away.
func TestR3ScaleUpWhileTheSchedulerIsDown(t *testing.T) {
	srv := startServer(t, dataDir(t))
	c := srv.Client(1)
	cluster := createCluster(t, c)
	for range 3 {
		startAgent(t, srv, cluster)
	}
	family := uniqueName("r3")
	register(t, c, sleeper(family))
	createService(t, c, cluster, "web", family, 4, func(in *ecs.CreateServiceInput) {
		in.DeploymentConfiguration = &types.DeploymentConfiguration{MaximumPercent: aws.Int32(100), MinimumHealthyPercent: aws.Int32(50)}
	})
	awaitRunning(t, c, cluster, "web", 4, harness.ConvergeTimeout)

	full := srv.Args
	srv.Kill()
	srv.Args = append(slices.Clone(full), "--controllers=false")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateService(ctx(t), &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String("web"), DesiredCount: aws.Int32(9)}); err != nil {
		t.Fatal(err)
	}
	if running, present := census(serviceTasks(t, c, cluster, "web")); running != 4 || present != 4 {
		t.Fatalf("with no scheduler, the service has %d running and %d present tasks, want 4 and 4", running, present)
	}
	srv.Kill()
	srv.Args = full
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	ceiling := 9 // maximumPercent 100 of desiredCount 9
	most := 0
	await(t, r3Converge, "9 tasks RUNNING", func() bool {
		running, present := census(serviceTasks(t, c, cluster, "web"))
		most = max(most, present)
		if present > ceiling {
			t.Fatalf("%d tasks present, above maximumPercent's %d", present, ceiling)
		}
		return running == 9 && present == 9
	})
	figure(t, "R3", "converged_after", time.Since(back).Round(time.Millisecond), "most_present", most, "ceiling", ceiling)
}
