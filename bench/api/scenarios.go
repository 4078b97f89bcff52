package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/berth-org/berth/bench/internal/benchkit"
)

const (
	// describeFamilies × describeRevisions definitions are registered
	// before the describe scenarios, which read them round robin.
	describeFamilies  = 4
	describeRevisions = 3
)

// taskDefRef is one pre-registered revision.
type taskDefRef struct {
	ref      string // "family:revision"
	family   string
	revision int32
}

// berthBench holds what berth's scenarios share.
type berthBench struct {
	srv              *berthProcess
	refs             []taskDefRef
	describeBodyFile string // a real DescribeTaskDefinition answer of refs[0]
}

// newBerthBench registers the definitions the describe scenarios read and
// captures one describe answer for the null server.
func newBerthBench(ctx context.Context, srv *berthProcess, tmp string) (*berthBench, error) {
	var dials atomic.Int64
	c := newECSClient(srv.url, &dials)
	b := &berthBench{srv: srv}
	for f := range describeFamilies {
		family := fmt.Sprintf("bench-describe-%d", f)
		for range describeRevisions {
			cctx, cancel := context.WithTimeout(ctx, callTimeout)
			rev, err := register(cctx, c, benchTaskDefinition(family))
			cancel()
			if err != nil {
				return nil, fmt.Errorf("seed task definitions: %w", err)
			}
			b.refs = append(b.refs, taskDefRef{ref: fmt.Sprintf("%s:%d", family, rev), family: family, revision: rev})
		}
	}
	capture := &capturingClient{inner: newHTTPClient(&dials)}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	r := b.refs[0]
	if err := describe(cctx, benchkit.NewECSClient(srv.url, benchRegion, benchKey, capture), r.ref, r.family, r.revision); err != nil {
		return nil, fmt.Errorf("capture a describe answer: %w", err)
	}
	b.describeBodyFile = filepath.Join(tmp, "describe-answer.json")
	if err := os.WriteFile(b.describeBodyFile, capture.body, 0o600); err != nil {
		return nil, err
	}
	return b, nil
}

// describeScenario: DescribeTaskDefinition of pre-registered "family:rev"
// references, each worker walking all of them from its own offset.
func (b *berthBench) describeScenario(concurrency int) scenario {
	dials := &atomic.Int64{}
	return scenario{
		name: fmt.Sprintf("describe-c%d", concurrency), key: fmt.Sprintf("describe_c%d", concurrency),
		concurrency: concurrency, conns: dials, cpu: &cpuMeter{serverPID: b.srv.pid()},
		newWorker: func(w int) (callFunc, error) {
			c := newECSClient(b.srv.url, dials)
			return func(ctx context.Context, seq int) error {
				r := b.refs[(w*5+seq)%len(b.refs)]
				return describe(ctx, c, r.ref, r.family, r.revision)
			}, nil
		},
	}
}

// nullScenario: the describe call against the null server, which answers
// with a captured describe answer of refs[0].
func (b *berthBench) nullScenario(np *nullProcess, concurrency int) scenario {
	dials := &atomic.Int64{}
	r := b.refs[0]
	return scenario{
		name: fmt.Sprintf("null-c%d", concurrency), key: fmt.Sprintf("null_c%d", concurrency),
		concurrency: concurrency, conns: dials, cpu: &cpuMeter{serverPID: np.pid()},
		newWorker: func(int) (callFunc, error) {
			c := newECSClient(np.url, dials)
			return func(ctx context.Context, _ int) error {
				return describe(ctx, c, r.ref, r.family, r.revision)
			}, nil
		},
	}
}

// registerScenario: RegisterTaskDefinition with one family per worker, so
// writers never contend on a family. Each worker checks that its family's
// revisions come back 1, 2, 3, ...
func (b *berthBench) registerScenario(concurrency int) scenario {
	dials := &atomic.Int64{}
	return scenario{
		name: fmt.Sprintf("register-c%d", concurrency), key: fmt.Sprintf("register_c%d", concurrency),
		concurrency: concurrency, conns: dials, cpu: &cpuMeter{serverPID: b.srv.pid()},
		newWorker: func(w int) (callFunc, error) {
			c := newECSClient(b.srv.url, dials)
			in := benchTaskDefinition(fmt.Sprintf("bench-register-c%d-w%02d", concurrency, w))
			var last int32
			return func(ctx context.Context, _ int) error {
				rev, err := register(ctx, c, in)
				if err != nil {
					return err
				}
				want := last + 1
				last = rev
				if rev != want {
					return fmt.Errorf("RegisterTaskDefinition %s: got revision %d, want %d", aws.ToString(in.Family), rev, want)
				}
				return nil
			}, nil
		},
	}
}

// registerOneFamilyScenario: every worker registers into one family, the
// contended worst case. Afterwards the family's latest revision must equal
// the number of successful registrations: none lost, none issued twice.
func (b *berthBench) registerOneFamilyScenario(concurrency int) scenario {
	dials := &atomic.Int64{}
	family := fmt.Sprintf("bench-register-c%d-onefamily", concurrency)
	return scenario{
		name: fmt.Sprintf("register-c%d-onefamily", concurrency), key: fmt.Sprintf("register_c%d_onefamily", concurrency),
		concurrency: concurrency, conns: dials, cpu: &cpuMeter{serverPID: b.srv.pid()},
		newWorker: func(int) (callFunc, error) {
			c := newECSClient(b.srv.url, dials)
			in := benchTaskDefinition(family)
			return func(ctx context.Context, _ int) error {
				_, err := register(ctx, c, in)
				return err
			}, nil
		},
		check: func(ctx context.Context, okTotal int) error {
			var d atomic.Int64
			out, err := newECSClient(b.srv.url, &d).DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(family)})
			if err != nil {
				return err
			}
			if got := out.TaskDefinition.Revision; int(got) != okTotal {
				return fmt.Errorf("family %s: latest revision %d after %d successful registrations", family, got, okTotal)
			}
			return nil
		},
	}
}
