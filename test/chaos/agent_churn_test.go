//go:build chaos

package chaos

// A2: an agent killed -9 at random intervals while its services churn: a
// crash-looping service and a rolling deployment.

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/berth-org/berth/test/harness"
)

const (
	// a2Orphans is the scenario's bound for every running container to
	// belong to a task the server knows and means to run.
	a2Orphans = 60 * time.Second
	// a2Sample paces the census of containers and task statuses.
	a2Sample = 250 * time.Millisecond
)

// statusOrder ranks lastStatus along the lifecycle: a task's rank never
// goes down.
var statusOrder = map[string]int{"PROVISIONING": 0, "PENDING": 1, "ACTIVATING": 2, "RUNNING": 3,
	"DEACTIVATING": 4, "STOPPING": 5, "DEPROVISIONING": 6, "STOPPED": 7}

func TestA2AgentKilledDuringChurn(t *testing.T) {
	srv := startServer(t, dataDir(t))
	c := srv.Client(1)
	cluster := createCluster(t, c)
	a := startAgent(t, srv, cluster)
	family, crashy := uniqueName("a2"), uniqueName("a2-crash")
	register(t, c, sleeper(family))
	crash := sleeper(crashy)
	crash.ContainerDefinitions[0].Command = []string{"sh", "-c", "sleep 2; exit 1"}
	register(t, c, crash)
	createService(t, c, cluster, "crashy", crashy, 2)
	createService(t, c, cluster, "web", family, 4)
	awaitRunning(t, c, cluster, "web", 4, harness.ConvergeTimeout)
	rev2 := register(t, c, sleeper(family))
	if _, err := c.UpdateService(ctx(t), &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String("web"), TaskDefinition: aws.String(rev2)}); err != nil {
		t.Fatal(err)
	}

	w := &a2Watch{t: t, c: c, cluster: cluster, instance: a.ARN, rank: map[string]int{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { w.run(stop) })
	kills := 0
	for end := time.Now().Add(time.Duration(scale(180, 30)) * time.Second); time.Now().Before(end); kills++ {
		time.Sleep(time.Duration(1500+rand.IntN(6000)) * time.Millisecond) // U(1.5 s, 7.5 s)
		a.Kill()
		if err := a.Start(); err != nil {
			t.Fatalf("kill %d: the agent does not start again: %v", kills+1, err)
		}
	}
	close(stop)
	wg.Wait()
	start := time.Now()
	await(t, a2Orphans, "every running container belongs to a task meant to run", func() bool {
		orphans := w.orphans()
		return len(orphans) == 0
	})
	figure(t, "A2", "kills", kills, "samples", w.samples, "doubled", w.doubled, "backwards", w.backwards, "orphans_gone_after", time.Since(start).Round(time.Millisecond))
}

// a2Watch samples the agent's containers and the server's tasks.
type a2Watch struct {
	t        *testing.T
	c        *ecs.Client
	cluster  string
	instance string

	samples, doubled, backwards int
	rank                        map[string]int // task → highest lastStatus rank seen
}

func (w *a2Watch) run(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(a2Sample):
		}
		w.samples++
		w.checkContainers()
		w.checkStatuses()
	}
}

// running lists the agent's running containers as "task container" pairs.
func (w *a2Watch) running() []string {
	out, err := harness.Docker("ps", "--filter", "label="+harness.InstanceLabel+"="+w.instance,
		"--format", `{{.Label "com.berth.task-arn"}} {{.Label "com.berth.container-name"}}`)
	if err != nil {
		w.t.Errorf("docker ps: %v: %s", err, out)
		return nil
	}
	return strings.Fields(strings.ReplaceAll(out, " ", "|"))
}

// checkContainers: never two live containers for one task's container.
func (w *a2Watch) checkContainers() {
	seen := map[string]bool{}
	for _, key := range w.running() {
		if seen[key] {
			w.doubled++
			w.t.Errorf("two running containers for %s", key)
		}
		seen[key] = true
	}
}

// checkStatuses: no task's lastStatus ever goes back along the lifecycle.
func (w *a2Watch) checkStatuses() {
	for _, service := range []string{"crashy", "web"} {
		for _, task := range serviceTasks(w.t, w.c, w.cluster, service) {
			arn, r := aws.ToString(task.TaskArn), statusOrder[aws.ToString(task.LastStatus)]
			if r < w.rank[arn] {
				w.backwards++
				w.t.Errorf("task %s went back to %s", arn, aws.ToString(task.LastStatus))
			}
			w.rank[arn] = max(w.rank[arn], r)
		}
	}
}

// orphans are running containers whose task the server does not know or
// does not mean to run.
func (w *a2Watch) orphans() []string {
	var bad []string
	for _, key := range w.running() {
		arn := strings.Split(key, "|")[0]
		out, err := w.c.DescribeTasks(ctx(w.t), &ecs.DescribeTasksInput{Cluster: aws.String(w.cluster), Tasks: []string{arn}})
		if err != nil {
			w.t.Fatal(err)
		}
		if len(out.Tasks) != 1 || aws.ToString(out.Tasks[0].DesiredStatus) != string(types.DesiredStatusRunning) {
			bad = append(bad, fmt.Sprintf("%s (%v)", key, out.Failures))
		}
	}
	return bad
}
