package e2e

// End-to-end specification of the task-definition actions through
// aws-sdk-go-v2: RegisterTaskDefinition, DescribeTaskDefinition,
// ListTaskDefinitions, ListTaskDefinitionFamilies, DeregisterTaskDefinition
// and DeleteTaskDefinitions. Validation errors are in
// taskdefs_validation_test.go.
//
// Every test works in families named by uniqueName, so tests run in
// parallel on the shared server without seeing each other's revisions.

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-cmp/cmp"
)

func TestRegisterTaskDefinitionEchoesRichDefinition(t *testing.T) {
	t.Parallel()
	c := client(t)
	family := uniqueName(t, "rich")
	in := tdRich(family)

	before := time.Now()
	out := tdRegister(t, c, in)
	after := time.Now()
	got := out.TaskDefinition
	tdWithinNow(t, "registeredAt", got.RegisteredAt, before, after)

	// Everything registered comes back, plus the defaults ECS fills in,
	// the normalized task size and the computed fields.
	containers := tdRich(family).ContainerDefinitions
	containers[0].Essential = aws.Bool(true)
	containers[0].PortMappings[2].Protocol = types.TransportProtocolTcp
	containers[0].HealthCheck.Interval = aws.Int32(30)
	containers[0].HealthCheck.Timeout = aws.Int32(5)
	containers[0].HealthCheck.Retries = aws.Int32(3)
	want := &types.TaskDefinition{
		TaskDefinitionArn:       aws.String(tdARN(family, 1)),
		Family:                  aws.String(family),
		Revision:                1,
		Status:                  types.TaskDefinitionStatusActive,
		TaskRoleArn:             in.TaskRoleArn,
		NetworkMode:             types.NetworkModeBridge,
		ContainerDefinitions:    containers,
		Volumes:                 tdRich(family).Volumes,
		PlacementConstraints:    tdRich(family).PlacementConstraints,
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityEc2},
		Compatibilities:         []types.Compatibility{types.CompatibilityExternal, types.CompatibilityEc2},
		Cpu:                     aws.String("1024"),
		Memory:                  aws.String("1024"),
		RuntimePlatform:         tdRich(family).RuntimePlatform,
		RequiresAttributes: []types.Attribute{
			{Name: aws.String("com.amazonaws.ecs.capability.docker-remote-api.1.18")},
			{Name: aws.String("com.amazonaws.ecs.capability.docker-remote-api.1.21")},
			{Name: aws.String("com.amazonaws.ecs.capability.docker-remote-api.1.29")},
			{Name: aws.String("com.amazonaws.ecs.capability.logging-driver.json-file")},
			{Name: aws.String("com.amazonaws.ecs.capability.task-iam-role")},
			{Name: aws.String("ecs.capability.container-health-check")},
			{Name: aws.String("ecs.capability.container-ordering")},
		},
		RegisteredAt: got.RegisteredAt,
		RegisteredBy: aws.String("arn:aws:iam::" + testAccount + ":root"),
	}
	if d := cmp.Diff(want, got, sdkStructs); d != "" {
		t.Errorf("registered task definition (-want +got):\n%s", d)
	}
	if d := cmp.Diff(in.Tags, out.Tags, sdkStructs); d != "" {
		t.Errorf("registered tags (-want +got):\n%s", d)
	}

	// DescribeTaskDefinition returns exactly what registration returned.
	desc := tdDescribe(t, c, family, types.TaskDefinitionFieldTags)
	if d := cmp.Diff(out.TaskDefinition, desc.TaskDefinition, sdkStructs); d != "" {
		t.Errorf("described differs from registered (-registered +described):\n%s", d)
	}
	if d := cmp.Diff(out.Tags, desc.Tags, sdkStructs); d != "" {
		t.Errorf("described tags differ from registered (-registered +described):\n%s", d)
	}
}

func TestRegisterTaskDefinitionRevisionsAndARNs(t *testing.T) {
	t.Parallel()
	c := client(t)
	web, worker := uniqueName(t, "web"), uniqueName(t, "worker")
	arnPattern := regexp.MustCompile(`^arn:aws:ecs:us-east-1:000000000000:task-definition/([a-zA-Z0-9_-]+):([1-9][0-9]*)$`)

	// Revisions count per family, interleaved registrations included.
	steps := []struct {
		family string
		want   int32
	}{{web, 1}, {web, 2}, {worker, 1}, {web, 3}, {worker, 2}, {web, 4}}
	for _, s := range steps {
		got := tdRegister(t, c, td(s.family)).TaskDefinition
		arn := aws.ToString(got.TaskDefinitionArn)
		if got.Revision != s.want || aws.ToString(got.Family) != s.family {
			t.Errorf("registered %s:%d, want %s:%d", aws.ToString(got.Family), got.Revision, s.family, s.want)
		}
		if m := arnPattern.FindStringSubmatch(arn); m == nil || m[1] != s.family || m[2] != strconv.Itoa(int(s.want)) {
			t.Errorf("taskDefinitionArn = %q, want arn:aws:ecs:us-east-1:000000000000:task-definition/%s:%d", arn, s.family, s.want)
		}
		if got.Status != types.TaskDefinitionStatusActive {
			t.Errorf("%s status = %q, want ACTIVE", arn, got.Status)
		}
		if got.DeregisteredAt != nil || got.DeleteRequestedAt != nil {
			t.Errorf("%s: deregisteredAt %v, deleteRequestedAt %v; want neither on a new revision", arn, got.DeregisteredAt, got.DeleteRequestedAt)
		}
	}
}

func TestRegisterTaskDefinitionCompatibilitiesAndSize(t *testing.T) {
	t.Parallel()
	const (
		ec2 = types.CompatibilityEc2
		fg  = types.CompatibilityFargate
		ext = types.CompatibilityExternal
		eni = "ecs.capability.task-eni"
	)
	cases := []struct {
		name             string
		opts             []tdOpt
		wantCompat       []types.Compatibility
		wantCPU, wantMem string // "" means absent
		wantAttributes   []string
	}{
		{"bridge by default", nil, []types.Compatibility{ext, ec2}, "", "", []string{}},
		{"host network", []tdOpt{tdNetMode(types.NetworkModeHost)}, []types.Compatibility{ext, ec2}, "", "", []string{}},
		{"awsvpc without a task size", []tdOpt{tdNetMode(types.NetworkModeAwsvpc)}, []types.Compatibility{ec2}, "", "", []string{eni}},
		{"awsvpc with a Fargate size", []tdOpt{tdNetMode(types.NetworkModeAwsvpc), tdSize("256", "512")}, []types.Compatibility{ec2, fg}, "256", "512", []string{eni}},
		{"awsvpc with a size Fargate lacks", []tdOpt{tdNetMode(types.NetworkModeAwsvpc), tdSize("512", "512")}, []types.Compatibility{ec2}, "512", "512", []string{eni}},
		{"FARGATE required", []tdOpt{tdFargate("256", "512")}, []types.Compatibility{ec2, fg}, "256", "512", []string{eni}},
		{"FARGATE required with units", []tdOpt{tdFargate(".25 vCPU", "0.5GB")}, []types.Compatibility{ec2, fg}, "256", "512", []string{eni}},
		{"FARGATE largest size", []tdOpt{tdFargate("16 vCPU", "120 GB")}, []types.Compatibility{ec2, fg}, "16384", "122880", []string{eni}},
		{"EC2 task size in units", []tdOpt{tdSize("2 vCPU", "512 MiB")}, []types.Compatibility{ext, ec2}, "2048", "512", []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := client(t)
			family := uniqueName(t, "compat")
			got := tdRegister(t, c, td(family, tc.opts...)).TaskDefinition
			if !slices.Equal(got.Compatibilities, tc.wantCompat) {
				t.Errorf("compatibilities = %v, want %v", got.Compatibilities, tc.wantCompat)
			}
			if aws.ToString(got.Cpu) != tc.wantCPU || aws.ToString(got.Memory) != tc.wantMem {
				t.Errorf("cpu, memory = %q, %q; want %q, %q", aws.ToString(got.Cpu), aws.ToString(got.Memory), tc.wantCPU, tc.wantMem)
			}
			if names := tdAttributeNames(got.RequiresAttributes); !slices.Equal(names, tc.wantAttributes) {
				t.Errorf("requiresAttributes = %q, want %q", names, tc.wantAttributes)
			}
			desc := tdDescribe(t, c, aws.ToString(got.TaskDefinitionArn)).TaskDefinition
			if d := cmp.Diff(got, desc, sdkStructs); d != "" {
				t.Errorf("described differs from registered (-registered +described):\n%s", d)
			}
		})
	}
}

func TestRegisterTaskDefinitionFillsDefaultsInAwsvpc(t *testing.T) {
	t.Parallel()
	c := client(t)
	family := uniqueName(t, "awsvpc")
	got := tdRegister(t, c, td(family, tdNetMode(types.NetworkModeAwsvpc), tdApp(func(c *types.ContainerDefinition) {
		c.PortMappings = []types.PortMapping{{ContainerPort: aws.Int32(80)}, {ContainerPort: aws.Int32(53), Protocol: types.TransportProtocolUdp}}
	}))).TaskDefinition
	want := []types.PortMapping{
		{ContainerPort: aws.Int32(80), HostPort: aws.Int32(80), Protocol: types.TransportProtocolTcp},
		{ContainerPort: aws.Int32(53), HostPort: aws.Int32(53), Protocol: types.TransportProtocolUdp},
	}
	if d := cmp.Diff(want, got.ContainerDefinitions[0].PortMappings, sdkStructs); d != "" {
		t.Errorf("awsvpc port mappings (-want +got):\n%s", d)
	}
	if e := got.ContainerDefinitions[0].Essential; e == nil || !*e {
		t.Errorf("essential = %v, want the default true", e)
	}
}

// --- revision numbering ---

func TestTaskDefinitionRevisionsAreNeverReused(t *testing.T) {
	t.Parallel()
	c := client(t)
	family := uniqueName(t, "reuse")
	arns := tdRegisterN(t, c, family, 3)
	tdDeregister(t, c, arns...)
	out := tdDelete(t, c, arns...)
	if len(out.TaskDefinitions) != 3 || len(out.Failures) != 0 {
		t.Fatalf("delete: %d deleted, failures %+v; want 3 deleted", len(out.TaskDefinitions), out.Failures)
	}

	got := tdRegister(t, c, td(family)).TaskDefinition
	if got.Revision != 4 || aws.ToString(got.TaskDefinitionArn) != tdARN(family, 4) {
		t.Errorf("after deleting revisions 1-3, registered %s; want revision 4", aws.ToString(got.TaskDefinitionArn))
	}
	active, _ := tdList(t, c, ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family)})
	if want := tdARNs(family, 4); !slices.Equal(active, want) {
		t.Errorf("ACTIVE revisions = %v, want %v", active, want)
	}
}

func TestTaskDefinitionConcurrentRegistrationsGetDistinctRevisions(t *testing.T) {
	t.Parallel()
	const writers, each = 16, 10
	c := client(t)
	family := uniqueName(t, "race")

	cx := ctx(t)
	var wg sync.WaitGroup
	revisions := make(chan int32, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				out, err := c.RegisterTaskDefinition(cx, td(family, tdApp(func(ct *types.ContainerDefinition) {
					ct.Environment = []types.KeyValuePair{{Name: aws.String("WRITER"), Value: aws.String(fmt.Sprint(w, "-", i))}}
				})))
				if err != nil {
					t.Errorf("writer %d registration %d: %v", w, i, err)
					return
				}
				revisions <- out.TaskDefinition.Revision
			}
		})
	}
	wg.Wait()
	close(revisions)
	var got []int
	for r := range revisions {
		got = append(got, int(r))
	}
	slices.Sort(got)
	want := make([]int, writers*each)
	for i := range want {
		want[i] = i + 1
	}
	if !slices.Equal(got, want) {
		t.Fatalf("revisions issued = %v, want exactly 1..%d", got, writers*each)
	}

	// The store agrees: every revision is listed once, in order, and the
	// family resolves to the last one.
	listed, _ := tdList(t, c, ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family)})
	if wantARNs := tdARNs(family, want...); !slices.Equal(listed, wantARNs) {
		t.Errorf("listed %d revisions, want %d in order:\n got %v", len(listed), len(wantARNs), listed)
	}
	if latest := tdDescribe(t, c, family).TaskDefinition.Revision; latest != writers*each {
		t.Errorf("family resolves to revision %d, want %d", latest, writers*each)
	}
}

// --- DescribeTaskDefinition ---

func TestDescribeTaskDefinition(t *testing.T) {
	t.Parallel()
	c := client(t)
	family := uniqueName(t, "desc")
	tdRegisterN(t, c, family, 3)
	tdDeregister(t, c, family+":3")   // the family now resolves to revision 2
	tdRegisterN(t, c, family+"-b", 5) // a family the first is a prefix of

	cases := []struct {
		name       string
		ref        string
		wantRev    int32
		wantStatus types.TaskDefinitionStatus
	}{
		{"family is the latest ACTIVE revision", family, 2, types.TaskDefinitionStatusActive},
		{"family and revision", family + ":1", 1, types.TaskDefinitionStatusActive},
		{"INACTIVE revision by number", family + ":3", 3, types.TaskDefinitionStatusInactive},
		{"ARN", tdARN(family, 1), 1, types.TaskDefinitionStatusActive},
		{"ARN of an INACTIVE revision", tdARN(family, 3), 3, types.TaskDefinitionStatusInactive},
		{"ARN without a revision", fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s", testRegion, testAccount, family), 2, types.TaskDefinitionStatusActive},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := tdDescribe(t, c, tc.ref).TaskDefinition
			if got.Revision != tc.wantRev || got.Status != tc.wantStatus || aws.ToString(got.TaskDefinitionArn) != tdARN(family, int(tc.wantRev)) {
				t.Errorf("%s resolved to %s (%s), want revision %d (%s)", tc.ref, aws.ToString(got.TaskDefinitionArn), got.Status, tc.wantRev, tc.wantStatus)
			}
			env := got.ContainerDefinitions[0].Environment
			if len(env) != 1 || aws.ToString(env[0].Value) != strconv.Itoa(int(tc.wantRev)) {
				t.Errorf("environment = %+v, want the one registered as revision %d", env, tc.wantRev)
			}
		})
	}
}

func TestDescribeTaskDefinitionFamilyFallsBackToPreviousActive(t *testing.T) {
	t.Parallel()
	c := client(t)
	family := uniqueName(t, "fallback")
	tdRegisterN(t, c, family, 3)
	for _, step := range []struct {
		deregister string
		want       int32 // 0: no ACTIVE revision left
	}{{"", 3}, {":3", 2}, {":1", 2}, {":2", 0}} {
		if step.deregister != "" {
			tdDeregister(t, c, family+step.deregister)
		}
		out, err := c.DescribeTaskDefinition(ctx(t), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(family)})
		if step.want == 0 {
			wantAPIError[*types.ClientException](t, err, "Unable to describe task definition.")
			continue
		}
		if err != nil {
			t.Fatalf("after deregistering %q: %v", step.deregister, err)
		}
		if got := out.TaskDefinition.Revision; got != step.want {
			t.Errorf("after deregistering %q, family resolves to revision %d, want %d", step.deregister, got, step.want)
		}
	}
}

func TestDescribeTaskDefinitionTagsOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	c := client(t)
	tagged, plain := uniqueName(t, "tagged"), uniqueName(t, "plain")
	reg := tdRegister(t, c, td(tagged, tdTags("team", "web", "cost-center", "42", "empty", "")))
	tdRegister(t, c, td(plain))
	if len(reg.Tags) != 3 {
		t.Errorf("RegisterTaskDefinition returned tags %+v, want the 3 registered", reg.Tags)
	}

	cases := []struct {
		name    string
		ref     string
		include []types.TaskDefinitionField
		want    []types.Tag
	}{
		{"tagged, without include", tagged, nil, nil},
		{"tagged, include TAGS", tagged, []types.TaskDefinitionField{types.TaskDefinitionFieldTags}, reg.Tags},
		{"tagged revision by ARN, include TAGS", tdARN(tagged, 1), []types.TaskDefinitionField{types.TaskDefinitionFieldTags}, reg.Tags},
		{"untagged, include TAGS", plain, []types.TaskDefinitionField{types.TaskDefinitionFieldTags}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := tdDescribe(t, c, tc.ref, tc.include...).Tags
			if len(got) == 0 && len(tc.want) == 0 {
				return // absent and [] are the same to clients
			}
			if d := cmp.Diff(tc.want, got, sdkStructs); d != "" {
				t.Errorf("tags (-want +got):\n%s", d)
			}
		})
	}
}

func TestDescribeTaskDefinitionErrors(t *testing.T) {
	t.Parallel()
	c := client(t)
	family := uniqueName(t, "descerr")
	tdRegisterN(t, c, family, 2)
	gone := uniqueName(t, "gone")
	tdDeregister(t, c, tdRegisterN(t, c, gone, 1)...)

	const notFound = "Unable to describe task definition."
	cases := []struct {
		name string
		ref  string
		msg  string
	}{
		{"unknown family", uniqueName(t, "never"), notFound},
		{"unknown revision", family + ":3", notFound},
		{"unknown revision by ARN", tdARN(family, 99), notFound},
		{"unknown family by ARN", tdARN(uniqueName(t, "never"), 1), notFound},
		{"family without ACTIVE revisions", gone, notFound},
		{"revision not a number", family + ":foo", "Invalid revision number. Number: foo"},
		{"revision zero", family + ":0", "Invalid revision number. Number: 0"},
		{"family with invalid characters", "a@b", "Family contains invalid characters."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.DescribeTaskDefinition(ctx(t), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(tc.ref)})
			wantAPIError[*types.ClientException](t, err, tc.msg)
		})
	}
	t.Run("include with an unknown field", func(t *testing.T) {
		t.Parallel()
		_, err := c.DescribeTaskDefinition(ctx(t), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(family), Include: []types.TaskDefinitionField{"EVERYTHING"}})
		wantAPIError[*types.InvalidParameterException](t, err, `Invalid value "EVERYTHING" for include. Valid values: TAGS.`)
	})
}

// --- ListTaskDefinitions ---

func TestDeregisterTaskDefinition(t *testing.T) {
	t.Parallel()
	c := client(t)
	family := uniqueName(t, "dereg")
	reg := tdRegister(t, c, td(family, tdTags("k", "v"))).TaskDefinition
	tdRegister(t, c, td(family))

	before := time.Now()
	got := tdDeregister(t, c, family+":1")[0]
	after := time.Now()
	tdWithinNow(t, "deregisteredAt", got.DeregisteredAt, before, after)

	// Only status and deregisteredAt change.
	want := *reg
	want.Status = types.TaskDefinitionStatusInactive
	want.DeregisteredAt = got.DeregisteredAt
	if d := cmp.Diff(&want, got, sdkStructs); d != "" {
		t.Errorf("deregistered (-want +got):\n%s", d)
	}
	if d := cmp.Diff(got, tdDescribe(t, c, family+":1").TaskDefinition, sdkStructs); d != "" {
		t.Errorf("described differs from deregistered (-deregistered +described):\n%s", d)
	}

	// Deregistering again returns the revision unchanged: same
	// deregisteredAt, no error.
	for _, ref := range []string{family + ":1", tdARN(family, 1)} {
		again := tdDeregister(t, c, ref)[0]
		if d := cmp.Diff(got, again, sdkStructs); d != "" {
			t.Errorf("deregistering %s again changed it (-first +again):\n%s", ref, d)
		}
	}

	// By ARN works too, and tags survive deregistration.
	if rev2 := tdDeregister(t, c, tdARN(family, 2))[0]; rev2.Status != types.TaskDefinitionStatusInactive || rev2.Revision != 2 {
		t.Errorf("deregister by ARN: %s is %s, want revision 2 INACTIVE", aws.ToString(rev2.TaskDefinitionArn), rev2.Status)
	}
	if tags := tdDescribe(t, c, family+":1", types.TaskDefinitionFieldTags).Tags; len(tags) != 1 || aws.ToString(tags[0].Key) != "k" {
		t.Errorf("tags after deregistration = %+v, want [k=v]", tags)
	}
}

func TestDeregisterTaskDefinitionConcurrentlyCountsOnce(t *testing.T) {
	t.Parallel()
	c := client(t)
	family := uniqueName(t, "deregrace")
	tdRegisterN(t, c, family, 2)

	// Eight callers deregister revision 1 at once: all succeed and agree,
	// and the family still has one ACTIVE revision (revision 2).
	cx := ctx(t)
	results := make([]*types.TaskDefinition, 8)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			out, err := c.DeregisterTaskDefinition(cx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(family + ":1")})
			if err != nil {
				t.Errorf("caller %d: %v", i, err)
				return
			}
			results[i] = out.TaskDefinition
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i, r := range results[1:] {
		if d := cmp.Diff(results[0], r, sdkStructs); d != "" {
			t.Errorf("caller %d saw a different result (-caller 0 +caller %d):\n%s", i+1, i+1, d)
		}
	}
	active, _ := tdListFamilies(t, c, ecs.ListTaskDefinitionFamiliesInput{FamilyPrefix: aws.String(family), Status: types.TaskDefinitionFamilyStatusActive})
	if !slices.Equal(active, []string{family}) {
		t.Errorf("ACTIVE families = %v, want [%s]: revision 2 is still ACTIVE", active, family)
	}
	tdDeregister(t, c, family+":2")
	inactive, _ := tdListFamilies(t, c, ecs.ListTaskDefinitionFamiliesInput{FamilyPrefix: aws.String(family), Status: types.TaskDefinitionFamilyStatusInactive})
	if !slices.Equal(inactive, []string{family}) {
		t.Errorf("INACTIVE families = %v, want [%s] once both revisions are deregistered", inactive, family)
	}
}

func TestDeregisterTaskDefinitionErrors(t *testing.T) {
	t.Parallel()
	c := client(t)
	family := uniqueName(t, "deregerr")
	tdRegisterN(t, c, family, 2)
	deleting := uniqueName(t, "deleting")
	arns := tdRegisterN(t, c, deleting, 1)
	tdDeregister(t, c, arns...)
	tdDelete(t, c, arns...)

	cases := []struct {
		name string
		ref  string
		msg  string
	}{
		{"V11 no revision", "fake_task", "Revision is missing."},
		{"V11 revision not a number", "fake_task:foo", "Invalid revision number. Number: foo"},
		{"V11 unknown revision of an unknown family", "fake_task:1", "Unable to describe task definition."},
		{"no revision of a known family", family, "Revision is missing."},
		{"unknown revision of a known family", family + ":3", "Unable to describe task definition."},
		{"unknown revision by ARN", tdARN(family, 3), "Unable to describe task definition."},
		{"revision zero", family + ":0", "Invalid revision number. Number: 0"},
		{"negative revision", family + ":-1", "Invalid revision number. Number: -1"},
		{"revision being deleted", deleting + ":1", fmt.Sprintf("The task definition %s:1 is being deleted.", deleting)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.DeregisterTaskDefinition(ctx(t), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(tc.ref)})
			wantAPIError[*types.ClientException](t, err, tc.msg)
		})
	}
	t.Run("failed calls changed nothing", func(t *testing.T) {
		active, _ := tdList(t, c, ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family)})
		if want := tdARNs(family, 1, 2); !slices.Equal(active, want) {
			t.Errorf("ACTIVE = %v, want %v", active, want)
		}
	})
}

// --- DeleteTaskDefinitions ---

const (
	reasonStillActive = "The specified task definition is still in ACTIVE status. Please deregister the target and try again."
	reasonNotFound    = "The specified task definition does not exist."
)

func TestDeleteTaskDefinitions(t *testing.T) {
	t.Parallel()

	t.Run("INACTIVE becomes DELETE_IN_PROGRESS", func(t *testing.T) {
		t.Parallel()
		c := client(t)
		family := uniqueName(t, "del")
		arns := tdRegisterN(t, c, family, 1)
		inactive := tdDeregister(t, c, arns...)[0]

		before := time.Now()
		out := tdDelete(t, c, arns[0])
		after := time.Now()
		if len(out.TaskDefinitions) != 1 || len(out.Failures) != 0 {
			t.Fatalf("deleted %d, failures %+v; want 1 deleted, no failures", len(out.TaskDefinitions), out.Failures)
		}
		got := out.TaskDefinitions[0]
		tdWithinNow(t, "deleteRequestedAt", got.DeleteRequestedAt, before, after)
		want := *inactive
		want.Status = types.TaskDefinitionStatusDeleteInProgress
		want.DeleteRequestedAt = got.DeleteRequestedAt
		if d := cmp.Diff(&want, &got, sdkStructs); d != "" {
			t.Errorf("deleted (-want +got):\n%s", d)
		}
		// Still describable by revision while the deletion is in progress.
		if d := cmp.Diff(&got, tdDescribe(t, c, arns[0]).TaskDefinition, sdkStructs); d != "" {
			t.Errorf("described differs from deleted (-deleted +described):\n%s", d)
		}
		// Deleting again returns it unchanged.
		again := tdDelete(t, c, arns[0])
		if len(again.TaskDefinitions) != 1 || len(again.Failures) != 0 {
			t.Fatalf("second delete: %d deleted, failures %+v", len(again.TaskDefinitions), again.Failures)
		}
		if d := cmp.Diff(got, again.TaskDefinitions[0], sdkStructs); d != "" {
			t.Errorf("second delete changed the revision (-first +second):\n%s", d)
		}
	})

	t.Run("ACTIVE is a failure", func(t *testing.T) {
		t.Parallel()
		c := client(t)
		family := uniqueName(t, "delactive")
		tdRegisterN(t, c, family, 1)
		out := tdDelete(t, c, family+":1")
		want := []types.Failure{{Arn: aws.String(tdARN(family, 1)), Reason: aws.String(reasonStillActive)}}
		if len(out.TaskDefinitions) != 0 {
			t.Errorf("deleted %d, want none", len(out.TaskDefinitions))
		}
		if d := cmp.Diff(want, out.Failures, sdkStructs); d != "" {
			t.Errorf("failures (-want +got):\n%s", d)
		}
		if st := tdDescribe(t, c, family+":1").TaskDefinition.Status; st != types.TaskDefinitionStatusActive {
			t.Errorf("status after a refused delete = %s, want ACTIVE", st)
		}
	})

	t.Run("unknown is a failure", func(t *testing.T) {
		t.Parallel()
		c := client(t)
		family := uniqueName(t, "delunknown")
		out := tdDelete(t, c, family+":1", tdARN(family, 2))
		want := []types.Failure{
			{Arn: aws.String(tdARN(family, 1)), Reason: aws.String(reasonNotFound)},
			{Arn: aws.String(tdARN(family, 2)), Reason: aws.String(reasonNotFound)},
		}
		if len(out.TaskDefinitions) != 0 {
			t.Errorf("deleted %d, want none", len(out.TaskDefinitions))
		}
		if d := cmp.Diff(want, out.Failures, sdkStructs); d != "" {
			t.Errorf("failures (-want +got):\n%s", d)
		}
	})

	t.Run("mixed batch", func(t *testing.T) {
		t.Parallel()
		c := client(t)
		family := uniqueName(t, "delmixed")
		tdRegisterN(t, c, family, 4)
		tdDeregister(t, c, family+":1", family+":3")
		out := tdDelete(t, c,
			family+":1",      // INACTIVE: deleted
			family+":2",      // ACTIVE: failure
			family+":9",      // unknown: failure
			tdARN(family, 3), // INACTIVE by ARN: deleted
			family,           // no revision: failure
		)
		var deleted []string
		for _, d := range out.TaskDefinitions {
			deleted = append(deleted, aws.ToString(d.TaskDefinitionArn))
			if d.Status != types.TaskDefinitionStatusDeleteInProgress || d.DeleteRequestedAt == nil {
				t.Errorf("%s: status %s, deleteRequestedAt %v; want DELETE_IN_PROGRESS with a time", aws.ToString(d.TaskDefinitionArn), d.Status, d.DeleteRequestedAt)
			}
		}
		if want := tdARNs(family, 1, 3); !slices.Equal(deleted, want) {
			t.Errorf("deleted %v, want %v in request order", deleted, want)
		}
		wantFailures := []types.Failure{
			{Arn: aws.String(tdARN(family, 2)), Reason: aws.String(reasonStillActive)},
			{Arn: aws.String(tdARN(family, 9)), Reason: aws.String(reasonNotFound)},
			{Arn: aws.String(fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s", testRegion, testAccount, family)), Reason: aws.String("Revision is missing.")},
		}
		if d := cmp.Diff(wantFailures, out.Failures, sdkStructs); d != "" {
			t.Errorf("failures (-want +got):\n%s", d)
		}
		for status, want := range map[types.TaskDefinitionStatus][]int{
			types.TaskDefinitionStatusActive:           {2, 4},
			types.TaskDefinitionStatusInactive:         nil,
			types.TaskDefinitionStatusDeleteInProgress: {1, 3},
		} {
			got, _ := tdList(t, c, ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), Status: status})
			if wantARNs := tdARNs(family, want...); !slices.Equal(got, wantARNs) {
				t.Errorf("%s after the batch = %v, want %v", status, got, wantARNs)
			}
		}
	})

	t.Run("more than 10 is rejected whole", func(t *testing.T) {
		t.Parallel()
		c := client(t)
		family := uniqueName(t, "deleleven")
		arns := tdRegisterN(t, c, family, 11)
		tdDeregister(t, c, arns...)
		_, err := c.DeleteTaskDefinitions(ctx(t), &ecs.DeleteTaskDefinitionsInput{TaskDefinitions: arns})
		wantAPIError[*types.InvalidParameterException](t, err, "taskDefinitions can have at most 10 items.")
		if got, _ := tdList(t, c, ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), Status: types.TaskDefinitionStatusInactive}); !slices.Equal(got, arns) {
			t.Errorf("INACTIVE after the rejected call = %v, want all 11 untouched", got)
		}
		// Exactly 10 is allowed.
		if out := tdDelete(t, c, arns[:10]...); len(out.TaskDefinitions) != 10 || len(out.Failures) != 0 {
			t.Errorf("deleting 10: %d deleted, failures %+v; want 10 deleted", len(out.TaskDefinitions), out.Failures)
		}
	})

	t.Run("empty list is rejected", func(t *testing.T) {
		t.Parallel()
		_, err := client(t).DeleteTaskDefinitions(ctx(t), &ecs.DeleteTaskDefinitionsInput{TaskDefinitions: []string{}})
		wantAPIError[*types.InvalidParameterException](t, err, "taskDefinitions is required.")
	})
}
