//go:build chaos

package chaos

// R1: kill -9 the server in the middle of a thousand concurrent writes, and
// prove that nothing it acknowledged is lost, that a retried clientToken
// never duplicates, that task definition revisions are never reused, and
// that the server serves again within 5 s.

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/berth-org/berth/test/harness"
)

const (
	// r1Clients is the scenario's 32 concurrent API clients.
	r1Clients = 32
	// r1Families are the families every client registers into at once,
	// so that revisions are contended.
	r1Families = 4
	// r1ServeAgain is the scenario's bound on a single node's recovery:
	// from the restarted process's exec to a served API call.
	r1ServeAgain = 5 * time.Second
	// r1Fleet is the simulated instances the RunTask calls place on: the
	// scenario is the control plane's, so no container need start.
	r1Fleet = 20
)

// r1Kind is one kind of write the load makes.
type r1Kind int

const (
	r1RunTask r1Kind = iota
	r1Register
	r1CreateService
	r1UpdateService
)

// r1Op is one write and what came of it. Acked is true only when the
// server answered 2xx; an op that failed may or may not have happened.
type r1Op struct {
	kind   r1Kind
	token  string // RunTask and CreateService clientToken, RunTask startedBy
	family string
	svc    string // CreateService name; UpdateService target
	count  int32  // UpdateService desiredCount

	acked bool
	// sent and answered bound when the write took effect, if it did: an
	// unanswered write may have taken effect any time after it was sent.
	sent, answered time.Time
	taskARNs       []string // RunTask
	revision       int32    // RegisterTaskDefinition
	svcARN         string   // CreateService
}

func TestR1ServerKill9DuringWrites(t *testing.T) {
	dir := dataDir(t)
	srv := startServer(t, dir)
	c := srv.Client(1)
	cluster := createCluster(t, c)
	startFleet(t, srv, cluster, r1Fleet)
	families := make([]string, r1Families)
	for i := range families {
		families[i] = uniqueName("r1")
		register(t, c, sleeper(families[i]))
	}
	rounds, perRound := scale(5, 2), scale(1000, 300)
	var all []*r1Op
	for round := range rounds {
		ops := r1Ops(round, perRound, families)
		killedAt := r1Load(t, srv, cluster, ops)
		all = append(all, ops...)

		restart := time.Now()
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		await(t, r1ServeAgain, "the restarted server answers ListClusters", func() bool {
			_, err := c.ListClusters(ctx(t), &ecs.ListClustersInput{})
			return err == nil
		})
		serving := time.Since(restart)
		awaitFleet(t, c, cluster, r1Fleet)
		acked := 0
		for _, op := range ops {
			if op.acked {
				acked++
			}
		}
		figure(t, "R1", "round", round+1, "writes", len(ops), "acked", acked, "killed_after", killedAt.Round(time.Millisecond), "serving_again", serving.Round(time.Millisecond))
		r1Verify(t, c, cluster, all)
	}
	r1VerifyRevisionsNeverReused(t, c, families, all)
}

// r1Ops is one round's writes, shuffled: 40 % RunTask with a clientToken,
// 30 % RegisterTaskDefinition, 10 % CreateService with a clientToken,
// 20 % UpdateService of this round's services.
func r1Ops(round, n int, families []string) []*r1Op {
	var ops []*r1Op
	services := n / 10
	for i := range n {
		op := &r1Op{token: fmt.Sprintf("r1-%d-%d", round, i), family: families[i%len(families)]}
		switch {
		case i < services:
			op.kind, op.svc = r1CreateService, fmt.Sprintf("svc-%d-%d", round, i)
		case i < services*3:
			op.kind, op.svc, op.count = r1UpdateService, fmt.Sprintf("svc-%d-%d", round, i%services), int32(i%3)
		case i < services*6:
			op.kind = r1Register
		default:
			op.kind = r1RunTask
		}
		ops = append(ops, op)
	}
	rand.Shuffle(len(ops), func(i, j int) { ops[i], ops[j] = ops[j], ops[i] })
	return ops
}

// r1Load runs ops from r1Clients clients and kill -9s the server at a
// random point while they run. It returns when the server is dead and
// every client has stopped; it reports how long after the start it killed.
func r1Load(t *testing.T, srv *harness.Server, cluster string, ops []*r1Op) time.Duration {
	t.Helper()
	queue := make(chan *r1Op, len(ops))
	for _, op := range ops {
		queue <- op
	}
	close(queue)
	var (
		wg      sync.WaitGroup
		started = time.Now()
		stop    = make(chan struct{})
	)
	for range r1Clients {
		c := srv.Client(1)
		wg.Go(func() {
			for op := range queue {
				select {
				case <-stop:
					return
				default:
				}
				r1Do(t, c, cluster, op)
			}
		})
	}
	// A random point of the load, past its first quarter so that every
	// round has acknowledged writes to lose: for 1,000 writes, between
	// 250 ms and 1 s in (the load runs at 400–1,000 writes/s on the 2-core
	// machine).
	span := time.Duration(len(ops)) * time.Millisecond
	time.Sleep(span/4 + time.Duration(rand.Int64N(int64(span*3/4))))
	srv.Kill()
	killedAt := time.Since(started)
	close(stop)
	wg.Wait()
	return killedAt
}

// r1Do makes one write and records what the server acknowledged.
func r1Do(t *testing.T, c *ecs.Client, cluster string, op *r1Op) {
	var err error
	op.sent = time.Now()
	switch op.kind {
	case r1RunTask:
		var out *ecs.RunTaskOutput
		if out, err = c.RunTask(ctx(t), r1RunTaskInput(cluster, op)); err == nil {
			for _, task := range out.Tasks {
				op.taskARNs = append(op.taskARNs, aws.ToString(task.TaskArn))
			}
			if len(out.Failures) > 0 {
				err = fmt.Errorf("RunTask failures: %v", out.Failures)
			}
		}
	case r1Register:
		var out *ecs.RegisterTaskDefinitionOutput
		if out, err = c.RegisterTaskDefinition(ctx(t), sleeper(op.family)); err == nil {
			op.revision = out.TaskDefinition.Revision
		}
	case r1CreateService:
		var out *ecs.CreateServiceOutput
		if out, err = c.CreateService(ctx(t), r1CreateServiceInput(cluster, op)); err == nil {
			op.svcARN = aws.ToString(out.Service.ServiceArn)
		}
	case r1UpdateService:
		_, err = c.UpdateService(ctx(t), &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(op.svc), DesiredCount: aws.Int32(op.count)})
		var notFound *types.ServiceNotFoundException
		if errors.As(err, &notFound) {
			op.kind = -1 // its service was not created yet: nothing to check
		}
	}
	op.acked, op.answered = err == nil, time.Now()
}

func r1RunTaskInput(cluster string, op *r1Op) *ecs.RunTaskInput {
	return &ecs.RunTaskInput{Cluster: aws.String(cluster), TaskDefinition: aws.String(op.family), Count: aws.Int32(1),
		ClientToken: aws.String(op.token), StartedBy: aws.String(op.token)}
}

func r1CreateServiceInput(cluster string, op *r1Op) *ecs.CreateServiceInput {
	return &ecs.CreateServiceInput{Cluster: aws.String(cluster), ServiceName: aws.String(op.svc), TaskDefinition: aws.String(op.family),
		DesiredCount: aws.Int32(0), ClientToken: aws.String(op.token)}
}

// r1Verify checks every op so far against the restarted server, from
// r1Clients clients at once.
func r1Verify(t *testing.T, c *ecs.Client, cluster string, ops []*r1Op) {
	t.Helper()
	queue := make(chan *r1Op, len(ops))
	for _, op := range ops {
		queue <- op
	}
	close(queue)
	var wg sync.WaitGroup
	for range r1Clients {
		wg.Go(func() {
			for op := range queue {
				switch op.kind {
				case r1RunTask:
					r1VerifyRunTask(t, c, cluster, op)
				case r1Register:
					if op.acked {
						r1VerifyRevision(t, c, op)
					}
				case r1CreateService:
					r1VerifyCreateService(t, c, cluster, op)
				}
			}
		})
	}
	wg.Wait()
	r1VerifyUpdates(t, c, cluster, ops)
}

// r1VerifyRunTask: an acked RunTask's tasks are all describable, and the
// same call retried, acked or not, answers with one set of tasks, which
// are the only tasks its token ever started.
func r1VerifyRunTask(t *testing.T, c *ecs.Client, cluster string, op *r1Op) {
	t.Helper()
	out, err := c.RunTask(ctx(t), r1RunTaskInput(cluster, op))
	if err != nil || len(out.Tasks) != 1 {
		t.Errorf("retried RunTask %s: %v %v", op.token, err, out)
		return
	}
	retried := []string{aws.ToString(out.Tasks[0].TaskArn)}
	if op.acked && !slices.Equal(retried, op.taskARNs) {
		t.Errorf("acked RunTask %s gave %v; retried after the crash it gives %v", op.token, op.taskARNs, retried)
	}
	listed, err := c.ListTasks(ctx(t), &ecs.ListTasksInput{Cluster: aws.String(cluster), StartedBy: aws.String(op.token), DesiredStatus: types.DesiredStatusRunning})
	if err != nil {
		t.Error(err)
		return
	}
	if !slices.Equal(listed.TaskArns, retried) {
		t.Errorf("RunTask %s (acked %v): tasks started by it %v, want exactly %v", op.token, op.acked, listed.TaskArns, retried)
	}
}

// r1VerifyRevision: an acked revision is describable as what was
// registered.
func r1VerifyRevision(t *testing.T, c *ecs.Client, op *r1Op) {
	t.Helper()
	ref := fmt.Sprintf("%s:%d", op.family, op.revision)
	out, err := c.DescribeTaskDefinition(ctx(t), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)})
	if err != nil {
		t.Errorf("acked revision %s: %v", ref, err)
		return
	}
	if got := aws.ToString(out.TaskDefinition.ContainerDefinitions[0].Image); got != harness.TestImage {
		t.Errorf("acked revision %s has image %q", ref, got)
	}
}

// r1VerifyCreateService: the call retried with its token answers with
// the service an acked call created.
func r1VerifyCreateService(t *testing.T, c *ecs.Client, cluster string, op *r1Op) {
	t.Helper()
	out, err := c.CreateService(ctx(t), r1CreateServiceInput(cluster, op))
	if err != nil {
		t.Errorf("retried CreateService %s (acked %v): %v", op.svc, op.acked, err)
		return
	}
	if op.acked && aws.ToString(out.Service.ServiceArn) != op.svcARN {
		t.Errorf("retried CreateService %s gave %s, want %s", op.svc, aws.ToString(out.Service.ServiceArn), op.svcARN)
	}
}

// r1VerifyUpdates: each updated service's desiredCount is the value of an
// update that may have been the last to take effect, as a register's
// linearizability allows. Updates of one service run concurrently, so an
// update is ruled out only by an acked update sent after it was answered;
// an unanswered one (the crash took its answer) is never ruled out, as it
// may have taken effect at any time after it was sent.
func r1VerifyUpdates(t *testing.T, c *ecs.Client, cluster string, ops []*r1Op) {
	t.Helper()
	updates := map[string][]*r1Op{}
	for _, op := range ops {
		if op.kind == r1UpdateService && !op.sent.IsZero() { // the kill left some unsent
			updates[op.svc] = append(updates[op.svc], op)
		}
	}
	for svc, ups := range updates {
		if !slices.ContainsFunc(ups, func(op *r1Op) bool { return op.acked }) {
			continue // the service may not even exist
		}
		allowed := map[int32]bool{}
		for _, op := range ups {
			superseded := op.acked && slices.ContainsFunc(ups, func(x *r1Op) bool { return x.acked && x.sent.After(op.answered) })
			if !superseded {
				allowed[op.count] = true
			}
		}
		out, err := c.DescribeServices(ctx(t), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{svc}})
		if err != nil || len(out.Services) != 1 {
			t.Fatalf("describe %s: %v %v", svc, err, out)
		}
		if got := out.Services[0].DesiredCount; !allowed[got] {
			t.Errorf("service %s: desiredCount %d, want one of %v (the updates that may have taken effect last)", svc, got, allowed)
		}
	}
}

// r1VerifyRevisionsNeverReused: acked revisions are distinct per family,
// and a registration now gets a revision above every one of them.
func r1VerifyRevisionsNeverReused(t *testing.T, c *ecs.Client, families []string, ops []*r1Op) {
	t.Helper()
	for _, family := range families {
		seen := map[int32]bool{}
		var highest int32
		for _, op := range ops {
			if op.kind != r1Register || op.family != family || !op.acked {
				continue
			}
			if seen[op.revision] {
				t.Errorf("family %s: revision %d acknowledged twice", family, op.revision)
			}
			seen[op.revision], highest = true, max(highest, op.revision)
		}
		out, err := c.RegisterTaskDefinition(ctx(t), sleeper(family))
		if err != nil {
			t.Fatal(err)
		}
		if out.TaskDefinition.Revision <= highest {
			t.Errorf("family %s: a new registration got revision %d, at or below acked revision %d", family, out.TaskDefinition.Revision, highest)
		}
	}
}
