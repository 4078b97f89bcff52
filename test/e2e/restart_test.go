package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

const (
	// restartCycles is how many kill -9 / restart cycles one run goes
	// through, each continuing from the state the previous one recovered.
	restartCycles = 3
	// restartWriters register task definitions concurrently...
	restartWriters = 16
	// ...into this many families, so that writers contend for revisions.
	restartFamilies = 4
	// restartClientAttempts is each writer's SDK attempts per call: a call
	// in flight at the kill may be retried and acknowledged after the
	// restart.
	restartClientAttempts = 3
	// restartCallTimeout bounds one registration, retries included.
	restartCallTimeout = 20 * time.Second
	// restartWriterBackoff paces a writer after a failed call, so that
	// sixteen writers facing a dead server do not spin on the CPU the
	// restarting server needs. It waits on the stop signal, too.
	restartWriterBackoff = 5 * time.Millisecond
	// restartKillAfterMin and restartKillAfterMax bound the fault
	// injection: how long the writers run before the kill.
	restartKillAfterMin = 300 * time.Millisecond
	restartKillAfterMax = 1500 * time.Millisecond
	// restartVerifiers describe revisions concurrently during verification.
	restartVerifiers = 8
	// restartSeedEnv replays a run: set it to the seed a run logged.
	restartSeedEnv = "BERTH_E2E_RESTART_SEED"
	// restartWriteIDEnv is the environment variable whose value identifies
	// the call that registered a revision.
	restartWriteIDEnv = "BERTH_WRITE_ID"
)

// TestRestartAfterKill9 is the restart-safety acceptance test. Sixteen
// clients register task definitions into four families as fast as they
// can while the server is killed with SIGKILL at a random moment and then
// restarted. After each restart, for every family:
//
//   - every acknowledged registration is describable at the revision and
//     ARN it was acknowledged with, with exactly the container definition
//     that was sent (a per-call value in its environment proves which);
//   - no two acknowledged registrations share a revision;
//   - the family's revisions are exactly 1..max, without a gap. A revision
//     nobody acknowledged is allowed (committed, but the response was lost
//     in the kill); it must hold a definition some client sent;
//   - the next registration gets max+1.
//
// The cycle runs three times, each continuing from the recovered state.
func TestRestartAfterKill9(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(restartSeedEnv); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", restartSeedEnv, s, err)
		}
	}
	t.Logf("seed %d (replay with %s=%d)", seed, restartSeedEnv, seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	srv, err := startServer(t.TempDir(), "server", "--auth", "strict")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.stop(); err != nil {
			t.Errorf("stop berth: %v", err)
		}
		if t.Failed() {
			t.Logf("berth log (last start):\n%s", srv.log())
		}
	})

	families := make([]string, restartFamilies)
	for i := range families {
		families[i] = uniqueName(t, "restart")
	}
	ledger := newRestartLedger(families)

	for cycle := 1; cycle <= restartCycles; cycle++ {
		killAfter := restartKillAfterMin + time.Duration(rng.Int64N(int64(restartKillAfterMax-restartKillAfterMin)+1))
		ok := t.Run(fmt.Sprintf("cycle %d", cycle), func(t *testing.T) {
			runRestartCycle(t, srv, ledger, cycle, killAfter)
		})
		if !ok {
			break // later cycles would build on a state already wrong
		}
	}
}

// runRestartCycle runs the writers, kills the server after killAfter,
// restarts it, stops the writers and verifies every family.
func runRestartCycle(t *testing.T, srv *server, ledger *restartLedger, cycle int, killAfter time.Duration) {
	c := ctx(t)
	stop := make(chan struct{})
	var killed atomic.Bool
	var stats restartStats
	var wg sync.WaitGroup
	for w := range restartWriters {
		cli := retryingClientFor(srv, restartClientAttempts)
		wg.Go(func() { restartWriter(c, cli, ledger, &stats, &killed, stop, cycle, w) })
	}

	// Fault injection: let the writers run for a random while, then kill -9.
	select {
	case <-time.After(killAfter):
	case <-c.Done():
		close(stop)
		wg.Wait()
		t.Fatalf("test context ended before the kill: %v", c.Err())
	}
	killed.Store(true)
	srv.kill()
	ackedBeforeKill := stats.acked.Load()

	restartedAt := time.Now()
	err := srv.start()
	healthyAfter := time.Since(restartedAt)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("restart: %v", err)
	}

	t.Logf("killed after %s; restart→healthy %s", killAfter.Round(time.Millisecond), healthyAfter.Round(time.Millisecond))
	t.Logf("acknowledged writes: %d (%d before the kill, %d after the restart); failed calls: %d",
		stats.acked.Load(), ackedBeforeKill, stats.acked.Load()-ackedBeforeKill, stats.failed.Load())
	if n := stats.failedBeforeKill.Load(); n > 0 {
		t.Errorf("%d calls failed before the kill, want 0; first: %v", n, *stats.firstFailure.Load())
	}
	if ackedBeforeKill == 0 {
		t.Errorf("no write was acknowledged in the %s before the kill: the test proved nothing", killAfter)
	}
	if d := ledger.duplicateRevisions(); len(d) > 0 {
		t.Errorf("duplicate revisions: %d acknowledged to two calls, want 0: %s", len(d), restartFirstFew(d))
	}

	api := clientFor(t, srv)
	for _, family := range ledger.families {
		t.Run(family, func(t *testing.T) {
			verifyRestartFamily(t, api, ledger, family, cycle)
		})
	}
}

// restartStats counts one cycle's calls.
type restartStats struct {
	acked, failed    atomic.Int64
	failedBeforeKill atomic.Int64
	firstFailure     atomic.Pointer[error]
}

// restartWriter registers task definitions, cycling through the
// families, until stop is closed. Each call carries a write ID no other
// call uses; only calls that returned success are acknowledged.
func restartWriter(c context.Context, cli *ecs.Client, ledger *restartLedger, stats *restartStats, killed *atomic.Bool, stop <-chan struct{}, cycle, writer int) {
	for seq := 0; ; seq++ {
		select {
		case <-stop:
			return
		default:
		}
		family := ledger.families[(writer+seq)%len(ledger.families)]
		writeID := fmt.Sprintf("c%d-w%02d-%06d", cycle, writer, seq)
		ledger.sent(writeID)
		callCtx, cancel := context.WithTimeout(c, restartCallTimeout)
		out, err := cli.RegisterTaskDefinition(callCtx, restartRegistration(family, writeID))
		cancel()
		if err == nil {
			stats.acked.Add(1)
			ledger.acknowledge(family, writeID, out.TaskDefinition)
			continue
		}
		stats.failed.Add(1)
		if !killed.Load() {
			// The call ended before the kill: the server was up and
			// should have answered.
			stats.failedBeforeKill.Add(1)
			stats.firstFailure.CompareAndSwap(nil, &err)
		}
		select {
		case <-stop:
			return
		case <-time.After(restartWriterBackoff):
		}
	}
}

// restartContainer is the container definition a registration sends.
// Every member the server would otherwise fill with a default is set, so
// that the stored definition must equal it exactly.
func restartContainer(writeID string) types.ContainerDefinition {
	return types.ContainerDefinition{
		Name:      aws.String("app"),
		Image:     aws.String("registry.example.com/team/app:1.4.2"),
		Memory:    aws.Int32(128),
		Essential: aws.Bool(true),
		Command:   []string{"serve", "--port", "8080"},
		PortMappings: []types.PortMapping{
			{ContainerPort: aws.Int32(8080), Protocol: types.TransportProtocolTcp},
		},
		Environment: []types.KeyValuePair{
			{Name: aws.String("LOG_LEVEL"), Value: aws.String("info")},
			{Name: aws.String(restartWriteIDEnv), Value: aws.String(writeID)},
		},
	}
}

func restartRegistration(family, writeID string) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family:               aws.String(family),
		ContainerDefinitions: []types.ContainerDefinition{restartContainer(writeID)},
	}
}

// restartWriteID is the write ID a stored definition carries, or "".
func restartWriteID(td *types.TaskDefinition) string {
	for _, c := range td.ContainerDefinitions {
		for _, kv := range c.Environment {
			if aws.ToString(kv.Name) == restartWriteIDEnv {
				return aws.ToString(kv.Value)
			}
		}
	}
	return ""
}

// restartAck is one acknowledged registration.
type restartAck struct {
	revision int32
	arn      string
	writeID  string
}

// restartLedger is what the clients know: every write ID sent and every
// registration acknowledged, across all cycles.
type restartLedger struct {
	families []string

	mu         sync.Mutex
	sentIDs    map[string]bool
	acks       map[string]map[int32]restartAck // family → revision → ack
	duplicates []string
}

func newRestartLedger(families []string) *restartLedger {
	l := &restartLedger{families: families, sentIDs: map[string]bool{}, acks: map[string]map[int32]restartAck{}}
	for _, f := range families {
		l.acks[f] = map[int32]restartAck{}
	}
	return l
}

func (l *restartLedger) sent(writeID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sentIDs[writeID] = true
}

func (l *restartLedger) wasSent(writeID string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sentIDs[writeID]
}

// acknowledge records a successful registration. A revision acknowledged
// twice is recorded as a duplicate; the first acknowledgement stays.
func (l *restartLedger) acknowledge(family, writeID string, td *types.TaskDefinition) {
	ack := restartAck{writeID: writeID}
	if td != nil {
		ack.revision, ack.arn = td.Revision, aws.ToString(td.TaskDefinitionArn)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if prev, dup := l.acks[family][ack.revision]; dup {
		l.duplicates = append(l.duplicates, fmt.Sprintf("%s:%d acknowledged to %s and %s", family, ack.revision, prev.writeID, writeID))
		return
	}
	l.acks[family][ack.revision] = ack
}

func (l *restartLedger) duplicateRevisions() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.duplicates)
}

// acked returns a family's acknowledgements in revision order.
func (l *restartLedger) acked(family string) []restartAck {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]restartAck, 0, len(l.acks[family]))
	for _, a := range l.acks[family] {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b restartAck) int { return int(a.revision - b.revision) })
	return out
}

// verifyRestartFamily checks one family against the ledger, then
// registers its next revision.
func verifyRestartFamily(t *testing.T, api *ecs.Client, ledger *restartLedger, family string, cycle int) {
	c := ctx(t)
	acked := ledger.acked(family)

	// The family's revisions are exactly 1..max.
	var listed []string
	pages := ecs.NewListTaskDefinitionsPaginator(api, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(c)
		if err != nil {
			t.Fatalf("list task definitions: %v", err)
		}
		listed = append(listed, page.TaskDefinitionArns...)
	}
	revisions := make([]int32, len(listed))
	for i, arn := range listed {
		revisions[i] = restartRevisionOf(t, arn, family)
	}
	var maxRev int32
	if len(revisions) > 0 {
		maxRev = revisions[len(revisions)-1]
	}
	var gaps []string
	for i, rev := range revisions {
		if rev != int32(i+1) {
			gaps = append(gaps, fmt.Sprintf("listing position %d holds revision %d", i+1, rev))
		}
	}
	if len(gaps) > 0 || int(maxRev) != len(revisions) {
		t.Errorf("gaps: the listing holds %d revisions up to %d, %d out of place, want exactly 1..max: %s",
			len(revisions), maxRev, len(gaps), restartFirstFew(gaps))
	}

	// Every acknowledged registration is there, exactly as sent.
	ackedRevs := map[int32]bool{}
	var lost []string
	described := restartDescribe(c, api, restartARNs(acked))
	for _, a := range acked {
		ackedRevs[a.revision] = true
		d := described[a.arn]
		switch {
		case d.err != nil:
			lost = append(lost, fmt.Sprintf("%s (%s): %v", a.arn, a.writeID, d.err))
		case d.td.Revision != a.revision || aws.ToString(d.td.TaskDefinitionArn) != a.arn || aws.ToString(d.td.Family) != family:
			lost = append(lost, fmt.Sprintf("%s (%s): described as %s", a.arn, a.writeID, aws.ToString(d.td.TaskDefinitionArn)))
		case !reflect.DeepEqual(d.td.ContainerDefinitions, []types.ContainerDefinition{restartContainer(a.writeID)}):
			lost = append(lost, fmt.Sprintf("%s (%s): container definition differs from the one sent (stored write ID %q)", a.arn, a.writeID, restartWriteID(d.td)))
		case a.revision > maxRev:
			lost = append(lost, fmt.Sprintf("%s (%s): describable but not listed (last listed revision %d)", a.arn, a.writeID, maxRev))
		}
	}
	if len(lost) > 0 {
		t.Errorf("acknowledged lost: %d of %d, want 0: %s", len(lost), len(acked), restartFirstFew(lost))
	}

	// A revision nobody acknowledged was committed while its response was
	// lost in the kill: it must hold a definition some client sent.
	var unacked []string
	for _, rev := range revisions {
		if !ackedRevs[rev] {
			unacked = append(unacked, fmt.Sprintf("%s:%d", family, rev))
		}
	}
	var phantoms []string
	for ref, d := range restartDescribe(c, api, unacked) {
		switch {
		case d.err != nil:
			phantoms = append(phantoms, fmt.Sprintf("%s: %v", ref, d.err))
		case !ledger.wasSent(restartWriteID(d.td)):
			phantoms = append(phantoms, fmt.Sprintf("%s holds write ID %q, which no client sent", ref, restartWriteID(d.td)))
		case !reflect.DeepEqual(d.td.ContainerDefinitions, []types.ContainerDefinition{restartContainer(restartWriteID(d.td))}):
			phantoms = append(phantoms, fmt.Sprintf("%s: container definition differs from the one sent with write ID %q", ref, restartWriteID(d.td)))
		}
	}
	if len(phantoms) > 0 {
		t.Errorf("unacknowledged revisions that are not a lost response: %d: %s", len(phantoms), restartFirstFew(phantoms))
	}
	t.Logf("revisions 1..%d: %d acknowledged, %d committed without acknowledgement", maxRev, len(acked), len(unacked))

	// The next registration continues the sequence.
	writeID := fmt.Sprintf("c%d-next-%s", cycle, family)
	ledger.sent(writeID)
	out, err := api.RegisterTaskDefinition(c, restartRegistration(family, writeID))
	if err != nil {
		t.Fatalf("register after restart: %v", err)
	}
	if out.TaskDefinition.Revision != maxRev+1 {
		t.Errorf("register after restart: revision %d, want max+1 = %d", out.TaskDefinition.Revision, maxRev+1)
	}
	ledger.acknowledge(family, writeID, out.TaskDefinition)
}

// restartRevisionOf parses the revision of a task definition ARN of family.
func restartRevisionOf(t *testing.T, arn, family string) int32 {
	t.Helper()
	rest, ok := strings.CutPrefix(arn, fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:", testRegion, testAccount, family))
	n, err := strconv.ParseInt(rest, 10, 32)
	if !ok || err != nil {
		t.Fatalf("listed ARN %q is not a revision of %s", arn, family)
	}
	return int32(n)
}

func restartARNs(acked []restartAck) []string {
	refs := make([]string, len(acked))
	for i, a := range acked {
		refs[i] = a.arn
	}
	return refs
}

type restartDescribed struct {
	td  *types.TaskDefinition
	err error
}

// describeRevisions describes each reference, a few at a time.
func restartDescribe(c context.Context, api *ecs.Client, refs []string) map[string]restartDescribed {
	out := make(map[string]restartDescribed, len(refs))
	var mu sync.Mutex
	work := make(chan string)
	var wg sync.WaitGroup
	for range restartVerifiers {
		wg.Go(func() {
			for ref := range work {
				resp, err := api.DescribeTaskDefinition(c, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)})
				d := restartDescribed{err: err}
				if err == nil {
					d.td = resp.TaskDefinition
				}
				mu.Lock()
				out[ref] = d
				mu.Unlock()
			}
		})
	}
	for _, ref := range refs {
		work <- ref
	}
	close(work)
	wg.Wait()
	return out
}

// firstFew joins the first few items of a long list of findings.
func restartFirstFew(items []string) string {
	const n = 5
	if len(items) <= n {
		return strings.Join(items, "; ")
	}
	return strings.Join(items[:n], "; ") + fmt.Sprintf("; and %d more", len(items)-n)
}
