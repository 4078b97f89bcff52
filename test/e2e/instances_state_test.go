package e2e

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// --- DescribeContainerInstances ---

func TestDescribeContainerInstances(t *testing.T) {
	t.Parallel()
	c := client(t)
	cluster := instanceCluster(t)
	registered := registerInstance(t, c, cluster, withInstanceTags("team", "platform"))
	arn := aws.ToString(registered.ContainerInstanceArn)
	describe := func(t *testing.T, in *ecs.DescribeContainerInstancesInput) *ecs.DescribeContainerInstancesOutput {
		t.Helper()
		in.Cluster = aws.String(cluster)
		out, err := c.DescribeContainerInstances(ctx(t), in)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	t.Run("by id and by ARN", func(t *testing.T) {
		t.Parallel()
		out := describe(t, &ecs.DescribeContainerInstancesInput{ContainerInstances: []string{instanceIDOf(arn), arn}})
		if len(out.ContainerInstances) != 2 || len(out.Failures) != 0 {
			t.Fatalf("got %d instances, failures %s; want 2 instances", len(out.ContainerInstances), dump(out.Failures))
		}
		for _, got := range out.ContainerInstances {
			want := registered
			want.Tags = nil // only with include TAGS
			if !sameJSON(got, want) {
				t.Errorf("described =\n%s\nwant\n%s", dump(got), dump(want))
			}
		}
	})

	t.Run("unknown instances are MISSING failures with their full ARN", func(t *testing.T) {
		t.Parallel()
		other := instanceCluster(t)
		foreign := aws.ToString(registerInstance(t, c, other).ContainerInstanceArn)
		unknownARN := instanceARN(cluster, strings.Repeat("f", 32))
		out := describe(t, &ecs.DescribeContainerInstancesInput{ContainerInstances: []string{unknownInstanceID, arn, unknownARN, foreign}})
		if len(out.ContainerInstances) != 1 || aws.ToString(out.ContainerInstances[0].ContainerInstanceArn) != arn {
			t.Fatalf("instances = %s, want only %s", dump(out.ContainerInstances), arn)
		}
		var got []string
		for _, f := range out.Failures {
			if aws.ToString(f.Reason) != "MISSING" {
				t.Errorf("failure %s: reason %q, want MISSING", aws.ToString(f.Arn), aws.ToString(f.Reason))
			}
			got = append(got, aws.ToString(f.Arn))
		}
		if want := []string{instanceARN(cluster, unknownInstanceID), unknownARN, foreign}; !slices.Equal(got, want) {
			t.Fatalf("failure ARNs = %v, want %v", got, want)
		}
	})

	t.Run("100 instances may be asked for in one call", func(t *testing.T) {
		t.Parallel()
		refs := make([]string, 100)
		for i := range refs {
			refs[i] = fmt.Sprintf("%032x", i)
		}
		if out := describe(t, &ecs.DescribeContainerInstancesInput{ContainerInstances: refs}); len(out.Failures) != 100 {
			t.Fatalf("got %d failures, want 100", len(out.Failures))
		}
	})

	t.Run("include TAGS shows the tags, and only then", func(t *testing.T) {
		t.Parallel()
		with := describeInstance(t, c, cluster, arn, types.ContainerInstanceFieldTags)
		if want := map[string]string{"team": "platform"}; !maps.Equal(tagMap(with.Tags), want) {
			t.Errorf("with TAGS: tags = %v, want %v", tagMap(with.Tags), want)
		}
		if without := describeInstance(t, c, cluster, arn); len(without.Tags) != 0 {
			t.Errorf("without TAGS: tags = %v, want none", tagMap(without.Tags))
		}
	})

	t.Run("include CONTAINER_INSTANCE_HEALTH reports INSUFFICIENT_DATA, and only then", func(t *testing.T) {
		t.Parallel()
		with := describeInstance(t, c, cluster, arn, types.ContainerInstanceFieldContainerInstanceHealth)
		if with.HealthStatus == nil || with.HealthStatus.OverallStatus != types.InstanceHealthCheckStateInsufficientData {
			t.Errorf("with CONTAINER_INSTANCE_HEALTH: healthStatus = %s, want overallStatus INSUFFICIENT_DATA", dump(with.HealthStatus))
		}
		if len(with.Tags) != 0 {
			t.Errorf("with CONTAINER_INSTANCE_HEALTH: tags = %v, want none", tagMap(with.Tags))
		}
		if without := describeInstance(t, c, cluster, arn); without.HealthStatus != nil {
			t.Errorf("without CONTAINER_INSTANCE_HEALTH: healthStatus = %s, want none", dump(without.HealthStatus))
		}
		both := describeInstance(t, c, cluster, arn, types.ContainerInstanceField("").Values()...)
		if both.HealthStatus == nil || len(both.Tags) != 1 {
			t.Errorf("with both: healthStatus %s, tags %v; want both", dump(both.HealthStatus), tagMap(both.Tags))
		}
	})

	t.Run("a deregistered instance is still described as INACTIVE", func(t *testing.T) {
		t.Parallel()
		gone := aws.ToString(registerInstance(t, c, cluster).ContainerInstanceArn)
		deregisterInstance(t, c, cluster, gone)
		if got := describeInstance(t, c, cluster, gone); aws.ToString(got.Status) != "INACTIVE" {
			t.Fatalf("status = %s, want INACTIVE", aws.ToString(got.Status))
		}
	})
}

func TestDescribeContainerInstancesRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	c := client(t)
	cluster := instanceCluster(t)
	tooMany := make([]string, 101)
	for i := range tooMany {
		tooMany[i] = unknownInstanceID
	}
	deleted := instanceCluster(t)
	deleteCluster(t, deleted)
	tests := []struct {
		name    string
		in      ecs.DescribeContainerInstancesInput
		wantErr func(testing.TB, error, string)
		msg     string
	}{
		{name: "101 instances", in: ecs.DescribeContainerInstancesInput{Cluster: &cluster, ContainerInstances: tooMany},
			wantErr: wantAPIError[*types.InvalidParameterException], msg: "containerInstances can have at most 100 items."},
		{name: "no instances", in: ecs.DescribeContainerInstancesInput{Cluster: &cluster, ContainerInstances: []string{}},
			wantErr: wantAPIError[*types.InvalidParameterException], msg: "containerInstances is required."},
		{
			name:    "unknown include value",
			in:      ecs.DescribeContainerInstancesInput{Cluster: &cluster, ContainerInstances: []string{unknownInstanceID}, Include: []types.ContainerInstanceField{"HEALTH"}},
			wantErr: wantAPIError[*types.InvalidParameterException], msg: `Invalid value "HEALTH" for include. Valid values: TAGS, CONTAINER_INSTANCE_HEALTH.`,
		},
		{name: "unknown cluster", in: ecs.DescribeContainerInstancesInput{Cluster: aws.String(cluster + "-nope"), ContainerInstances: []string{unknownInstanceID}},
			wantErr: wantAPIError[*types.ClusterNotFoundException], msg: "Cluster not found."},
		{name: "deleted cluster", in: ecs.DescribeContainerInstancesInput{Cluster: &deleted, ContainerInstances: []string{unknownInstanceID}},
			wantErr: wantAPIError[*types.ClusterNotFoundException], msg: "Cluster not found."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.DescribeContainerInstances(ctx(t), &tt.in)
			tt.wantErr(t, err, tt.msg)
		})
	}
}

// --- ListContainerInstances ---

func TestListContainerInstances(t *testing.T) {
	t.Parallel()
	c := client(t)

	t.Run("by status, and by default every status but INACTIVE", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		arns := registerInstances(t, c, cluster, 3)
		active, draining, inactive := arns[0], arns[1], arns[2]
		setInstancesState(t, c, cluster, types.ContainerInstanceStatusDraining, draining)
		deregisterInstance(t, c, cluster, inactive)
		tests := []struct {
			status types.ContainerInstanceStatus
			want   []string
		}{
			{status: "", want: []string{active, draining}},
			{status: types.ContainerInstanceStatusActive, want: []string{active}},
			{status: types.ContainerInstanceStatusDraining, want: []string{draining}},
			{status: types.ContainerInstanceStatusRegistering, want: []string{}},
			{status: types.ContainerInstanceStatusDeregistering, want: []string{}},
			{status: types.ContainerInstanceStatusRegistrationFailed, want: []string{}},
		}
		for _, tt := range tests {
			got := listInstances(t, c, cluster, tt.status, 0)
			slices.Sort(got)
			slices.Sort(tt.want)
			if !slices.Equal(got, tt.want) {
				t.Errorf("status %q: got %v, want %v", tt.status, got, tt.want)
			}
		}
	})

	t.Run("lists only the cluster's own instances", func(t *testing.T) {
		t.Parallel()
		mine, other := instanceCluster(t), instanceCluster(t)
		want := registerInstances(t, c, mine, 2)
		registerInstances(t, c, other, 2)
		got := listInstances(t, c, clusterARN(mine), "", 0)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	})

	for _, size := range []int32{1, 2, 5} {
		t.Run(fmt.Sprintf("pages of %d over 5 instances miss nothing and repeat nothing", size), func(t *testing.T) {
			t.Parallel()
			cluster := instanceCluster(t)
			want := registerInstances(t, c, cluster, 5)
			in := &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster), MaxResults: aws.Int32(size)}
			p := ecs.NewListContainerInstancesPaginator(c, in)
			var got []string
			var pages []int
			for p.HasMorePages() {
				out, err := p.NextPage(ctx(t))
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, out.ContainerInstanceArns...)
				pages = append(pages, len(out.ContainerInstanceArns))
				if last := len(got) == 5; last != (out.NextToken == nil) {
					t.Fatalf("after %d instances nextToken = %v; want a token until the last page only", len(got), aws.ToString(out.NextToken))
				}
			}
			wantPages := map[int32][]int{1: {1, 1, 1, 1, 1}, 2: {2, 2, 1}, 5: {5}}[size]
			if !slices.Equal(pages, wantPages) {
				t.Errorf("page sizes = %v, want %v", pages, wantPages)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}

	t.Run("an instance deregistered between pages is not listed later", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		arns := registerInstances(t, c, cluster, 4)
		slices.Sort(arns) // the listing's order is by id
		first, err := c.ListContainerInstances(ctx(t), &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster), MaxResults: aws.Int32(2)})
		if err != nil {
			t.Fatal(err)
		}
		deregisterInstance(t, c, cluster, arns[3])
		second, err := c.ListContainerInstances(ctx(t), &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster), MaxResults: aws.Int32(2), NextToken: first.NextToken})
		if err != nil {
			t.Fatal(err)
		}
		if got := append(first.ContainerInstanceArns, second.ContainerInstanceArns...); !slices.Equal(got, arns[:3]) || second.NextToken != nil {
			t.Fatalf("pages = %v then %v (token %v), want %v and no token", first.ContainerInstanceArns, second.ContainerInstanceArns, second.NextToken, arns[:3])
		}
	})
}

func TestListContainerInstancesRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	c := client(t)
	cluster := instanceCluster(t)
	other := instanceCluster(t)
	registerInstances(t, c, other, 2)
	otherPage, err := c.ListContainerInstances(ctx(t), &ecs.ListContainerInstancesInput{Cluster: aws.String(other), MaxResults: aws.Int32(1)})
	if err != nil || otherPage.NextToken == nil {
		t.Fatalf("ListContainerInstances of 2 by 1 = %v, %v; want a nextToken", otherPage, err)
	}
	const badToken = "Invalid nextToken; pass the nextToken from the previous page of this listing unchanged."
	invalid := wantAPIError[*types.InvalidParameterException]
	tests := []struct {
		name    string
		in      ecs.ListContainerInstancesInput
		wantErr func(testing.TB, error, string)
		msg     string
	}{
		{name: "a malformed filter", in: ecs.ListContainerInstancesInput{Filter: aws.String("attribute:ecs.instance-type = t3.medium")}, wantErr: invalid,
			msg: `Invalid filter expression "attribute:ecs.instance-type = t3.medium": position 29: expected an operator after "attribute:ecs.instance-type" (==, !=, >, >=, <, <=, exists, !exists, in, !in, =~, !~ or their names such as equals), found "=" (did you mean "=="?)`},
		{name: "status INACTIVE", in: ecs.ListContainerInstancesInput{Status: "INACTIVE"}, wantErr: invalid,
			msg: `Invalid value "INACTIVE" for status. Valid values: ACTIVE, DRAINING, REGISTERING, DEREGISTERING, REGISTRATION_FAILED.`},
		{name: "status in lower case", in: ecs.ListContainerInstancesInput{Status: "active"}, wantErr: invalid,
			msg: `Invalid value "active" for status. Valid values: ACTIVE, DRAINING, REGISTERING, DEREGISTERING, REGISTRATION_FAILED.`},
		{name: "maxResults 0", in: ecs.ListContainerInstancesInput{MaxResults: aws.Int32(0)}, wantErr: invalid, msg: "maxResults must be between 1 and 100."},
		{name: "maxResults 101", in: ecs.ListContainerInstancesInput{MaxResults: aws.Int32(101)}, wantErr: invalid, msg: "maxResults must be between 1 and 100."},
		{name: "garbage nextToken", in: ecs.ListContainerInstancesInput{NextToken: aws.String("not a token")}, wantErr: invalid, msg: badToken},
		{name: "nextToken of another cluster's listing", in: ecs.ListContainerInstancesInput{NextToken: otherPage.NextToken}, wantErr: invalid, msg: badToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.in
			in.Cluster = aws.String(cluster)
			_, err := c.ListContainerInstances(ctx(t), &in)
			tt.wantErr(t, err, tt.msg)
		})
	}

	t.Run("unknown cluster", func(t *testing.T) {
		t.Parallel()
		_, err := c.ListContainerInstances(ctx(t), &ecs.ListContainerInstancesInput{Cluster: aws.String(uniqueName(t, "nope"))})
		wantAPIError[*types.ClusterNotFoundException](t, err, "Cluster not found.")
	})
}

// --- UpdateContainerInstancesState ---

func TestUpdateContainerInstancesState(t *testing.T) {
	t.Parallel()
	c := client(t)

	t.Run("ACTIVE to DRAINING and back, each change bumping the version", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		arns := registerInstances(t, c, cluster, 2)
		steps := []struct {
			status  types.ContainerInstanceStatus
			version int64
		}{
			{types.ContainerInstanceStatusDraining, 2},
			{types.ContainerInstanceStatusDraining, 2}, // no change, no bump
			{types.ContainerInstanceStatusActive, 3},
			{types.ContainerInstanceStatusActive, 3},
		}
		for _, s := range steps {
			// One instance by ARN, the other by id.
			got := setInstancesState(t, c, cluster, s.status, arns[0], instanceIDOf(arns[1]))
			for i, inst := range got {
				if aws.ToString(inst.ContainerInstanceArn) != arns[i] || aws.ToString(inst.Status) != string(s.status) || inst.Version != s.version {
					t.Fatalf("to %s: instance %s %s version %d; want %s %s version %d", s.status,
						aws.ToString(inst.ContainerInstanceArn), aws.ToString(inst.Status), inst.Version, arns[i], s.status, s.version)
				}
				if d := describeInstance(t, c, cluster, arns[i]); aws.ToString(d.Status) != string(s.status) || d.Version != s.version {
					t.Fatalf("to %s: described %s version %d", s.status, aws.ToString(d.Status), d.Version)
				}
			}
		}
	})

	t.Run("unknown and deregistered instances are failures while the others change", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		arns := registerInstances(t, c, cluster, 2)
		deregisterInstance(t, c, cluster, arns[1])
		out, err := c.UpdateContainerInstancesState(ctx(t), &ecs.UpdateContainerInstancesStateInput{
			Cluster: aws.String(cluster), Status: types.ContainerInstanceStatusDraining,
			ContainerInstances: []string{unknownInstanceID, arns[0], instanceIDOf(arns[1])},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.ContainerInstances) != 1 || aws.ToString(out.ContainerInstances[0].ContainerInstanceArn) != arns[0] || aws.ToString(out.ContainerInstances[0].Status) != "DRAINING" {
			t.Fatalf("instances = %s, want %s DRAINING", dump(out.ContainerInstances), arns[0])
		}
		want := []string{instanceARN(cluster, unknownInstanceID) + " MISSING", arns[1] + " INACTIVE"}
		var got []string
		for _, f := range out.Failures {
			got = append(got, aws.ToString(f.Arn)+" "+aws.ToString(f.Reason))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("failures = %v, want %v", got, want)
		}
		if d := describeInstance(t, c, cluster, arns[1]); aws.ToString(d.Status) != "INACTIVE" {
			t.Fatalf("deregistered instance is now %s", aws.ToString(d.Status))
		}
	})

	t.Run("10 instances may be changed in one call", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		arns := registerInstances(t, c, cluster, 10)
		setInstancesState(t, c, cluster, types.ContainerInstanceStatusDraining, arns...)
		if got := listInstances(t, c, cluster, types.ContainerInstanceStatusDraining, 0); len(got) != 10 {
			t.Fatalf("%d DRAINING, want 10", len(got))
		}
	})
}

func TestUpdateContainerInstancesStateRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	c := client(t)
	cluster := instanceCluster(t)
	arn := aws.ToString(registerInstance(t, c, cluster).ContainerInstanceArn)
	eleven := slices.Repeat([]string{arn}, 11)
	const onlyActiveOrDraining = "Container instances can only be updated to ACTIVE or DRAINING."
	invalid := wantAPIError[*types.InvalidParameterException]
	tests := []struct {
		name    string
		cluster string
		status  types.ContainerInstanceStatus
		refs    []string
		wantErr func(testing.TB, error, string)
		msg     string
	}{
		{name: "status REGISTERING", status: types.ContainerInstanceStatusRegistering, refs: []string{arn}, wantErr: invalid, msg: onlyActiveOrDraining},
		{name: "status DEREGISTERING", status: types.ContainerInstanceStatusDeregistering, refs: []string{arn}, wantErr: invalid, msg: onlyActiveOrDraining},
		{name: "status INACTIVE", status: "INACTIVE", refs: []string{arn}, wantErr: invalid, msg: onlyActiveOrDraining},
		{name: "status in lower case", status: "draining", refs: []string{arn}, wantErr: invalid, msg: onlyActiveOrDraining},
		{name: "11 instances", status: types.ContainerInstanceStatusDraining, refs: eleven, wantErr: invalid, msg: "containerInstances can have at most 10 items."},
		{name: "no instances", status: types.ContainerInstanceStatusDraining, refs: []string{}, wantErr: invalid, msg: "containerInstances is required."},
		{name: "unknown cluster", cluster: uniqueName(t, "nope"), status: types.ContainerInstanceStatusDraining, refs: []string{arn},
			wantErr: wantAPIError[*types.ClusterNotFoundException], msg: "Cluster not found."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			target := cmp.Or(tt.cluster, cluster)
			_, err := c.UpdateContainerInstancesState(ctx(t), &ecs.UpdateContainerInstancesStateInput{Cluster: aws.String(target), Status: tt.status, ContainerInstances: tt.refs})
			tt.wantErr(t, err, tt.msg)
			if got := describeInstance(t, c, cluster, arn); aws.ToString(got.Status) != "ACTIVE" || got.Version != 1 {
				t.Fatalf("instance is %s version %d, want unchanged ACTIVE version 1", aws.ToString(got.Status), got.Version)
			}
		})
	}
}

// --- DeregisterContainerInstance ---

func TestDeregisterContainerInstance(t *testing.T) {
	t.Parallel()
	c := client(t)

	for _, byARN := range []bool{true, false} {
		t.Run(fmt.Sprintf("by ARN %v: INACTIVE, no longer listed, and idempotent", byARN), func(t *testing.T) {
			t.Parallel()
			cluster := instanceCluster(t)
			arns := registerInstances(t, c, cluster, 2)
			ref := onlyIf(byARN, arns[0]) + onlyIf(!byARN, instanceIDOf(arns[0]))
			got := deregisterInstance(t, c, cluster, ref)
			if aws.ToString(got.ContainerInstanceArn) != arns[0] || aws.ToString(got.Status) != "INACTIVE" || got.AgentConnected || got.Version != 2 {
				t.Fatalf("deregistered = %s %s agentConnected %v version %d; want %s INACTIVE false 2",
					aws.ToString(got.ContainerInstanceArn), aws.ToString(got.Status), got.AgentConnected, got.Version, arns[0])
			}
			if got := listInstances(t, c, cluster, "", 0); !slices.Equal(got, arns[1:]) {
				t.Fatalf("ListContainerInstances = %v, want %v", got, arns[1:])
			}
			again := deregisterInstance(t, c, cluster, arns[0])
			if !sameJSON(again, got) {
				t.Fatalf("second deregistration =\n%s\nwant the first's\n%s", dump(again), dump(got))
			}
		})
	}

	t.Run("a DRAINING instance", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		arn := aws.ToString(registerInstance(t, c, cluster).ContainerInstanceArn)
		setInstancesState(t, c, cluster, types.ContainerInstanceStatusDraining, arn)
		if got := deregisterInstance(t, c, cluster, arn); aws.ToString(got.Status) != "INACTIVE" || got.Version != 3 {
			t.Fatalf("status %s version %d, want INACTIVE 3", aws.ToString(got.Status), got.Version)
		}
	})
}

func TestDeregisterContainerInstanceRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	c := client(t)
	cluster := instanceCluster(t)
	arn := aws.ToString(registerInstance(t, c, cluster).ContainerInstanceArn)
	other := instanceCluster(t)
	foreign := aws.ToString(registerInstance(t, c, other).ContainerInstanceArn)
	const notFound = "Container instance not found."
	tests := []struct {
		name, cluster, ref string
		wantErr            func(testing.TB, error, string)
		msg                string
	}{
		{name: "unknown id", ref: unknownInstanceID, wantErr: wantAPIError[*types.InvalidParameterException], msg: notFound},
		{name: "unknown ARN", ref: instanceARN(cluster, unknownInstanceID), wantErr: wantAPIError[*types.InvalidParameterException], msg: notFound},
		{name: "another cluster's instance", ref: foreign, wantErr: wantAPIError[*types.InvalidParameterException], msg: notFound},
		{name: "not an instance id", ref: "web-1", wantErr: wantAPIError[*types.InvalidParameterException], msg: notFound},
		{name: "unknown cluster", cluster: uniqueName(t, "nope"), ref: arn, wantErr: wantAPIError[*types.ClusterNotFoundException], msg: "Cluster not found."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.DeregisterContainerInstance(ctx(t), &ecs.DeregisterContainerInstanceInput{Cluster: aws.String(cmp.Or(tt.cluster, cluster)), ContainerInstance: aws.String(tt.ref)})
			tt.wantErr(t, err, tt.msg)
			for ref, in := range map[string]string{arn: cluster, foreign: other} {
				if got := describeInstance(t, c, in, ref); aws.ToString(got.Status) != "ACTIVE" {
					t.Fatalf("%s is %s, want ACTIVE", ref, aws.ToString(got.Status))
				}
			}
		})
	}

	t.Run("without containerInstance", func(t *testing.T) {
		t.Parallel()
		status, errType, msg := rawCall(t, ecsTarget+"DeregisterContainerInstance", `{"cluster":"`+cluster+`"}`)
		if status != http.StatusBadRequest || errType != "InvalidParameterException" || msg != "containerInstance is required." {
			t.Fatalf("= %d %s %q, want 400 InvalidParameterException %q", status, errType, msg, "containerInstance is required.")
		}
	})
}
