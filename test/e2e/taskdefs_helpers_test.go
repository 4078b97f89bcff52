package e2e

// Builders and call helpers for the task-definition tests.

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-cmp/cmp"
)

// --- builders ---

// tdOpt edits a RegisterTaskDefinition request.
type tdOpt = func(*ecs.RegisterTaskDefinitionInput)

// td is a valid minimal registration for family: one container "app"
// (nginx, 128 MiB, essential by default), with opts applied in order.
func td(family string, opts ...tdOpt) *ecs.RegisterTaskDefinitionInput {
	in := &ecs.RegisterTaskDefinitionInput{
		Family:               aws.String(family),
		ContainerDefinitions: []types.ContainerDefinition{tdContainer("app")},
	}
	for _, o := range opts {
		o(in)
	}
	return in
}

// tdContainer is a container with a name, an image and 128 MiB of memory.
func tdContainer(name string) types.ContainerDefinition {
	return types.ContainerDefinition{Name: aws.String(name), Image: aws.String("nginx:1.27"), Memory: aws.Int32(128)}
}

// tdApp edits the first container.
func tdApp(f func(c *types.ContainerDefinition)) tdOpt {
	return func(in *ecs.RegisterTaskDefinitionInput) { f(&in.ContainerDefinitions[0]) }
}

// tdPlus appends containers.
func tdPlus(cs ...types.ContainerDefinition) tdOpt {
	return func(in *ecs.RegisterTaskDefinitionInput) {
		in.ContainerDefinitions = append(in.ContainerDefinitions, cs...)
	}
}

// tdSize sets the task-level cpu and memory; "" leaves one out.
func tdSize(cpu, memory string) tdOpt {
	return func(in *ecs.RegisterTaskDefinitionInput) {
		in.Cpu, in.Memory = nil, nil
		if cpu != "" {
			in.Cpu = aws.String(cpu)
		}
		if memory != "" {
			in.Memory = aws.String(memory)
		}
	}
}

// tdNetMode sets the network mode.
func tdNetMode(m types.NetworkMode) tdOpt {
	return func(in *ecs.RegisterTaskDefinitionInput) { in.NetworkMode = m }
}

// tdFargate makes the request a FARGATE one: awsvpc, the given task size,
// and no container-level memory.
func tdFargate(cpu, memory string) tdOpt {
	return func(in *ecs.RegisterTaskDefinitionInput) {
		in.RequiresCompatibilities = []types.Compatibility{types.CompatibilityFargate}
		in.NetworkMode = types.NetworkModeAwsvpc
		tdSize(cpu, memory)(in)
		for i := range in.ContainerDefinitions {
			in.ContainerDefinitions[i].Memory = nil
		}
	}
}

// tdTags sets tags from key, value pairs.
func tdTags(kv ...string) tdOpt {
	return func(in *ecs.RegisterTaskDefinitionInput) {
		in.Tags = nil
		for i := 0; i+1 < len(kv); i += 2 {
			in.Tags = append(in.Tags, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
		}
	}
}

// tdRich is a bridge-mode definition with two containers that uses
// most container features. Each call returns fresh values.
func tdRich(family string) *ecs.RegisterTaskDefinitionInput {
	jsonFile := func() *types.LogConfiguration {
		return &types.LogConfiguration{LogDriver: types.LogDriverJsonFile, Options: map[string]string{"max-size": "10m", "max-file": "3"}}
	}
	web := types.ContainerDefinition{
		Name:              aws.String("web"),
		Image:             aws.String("nginx:1.27-alpine"),
		Cpu:               512,
		Memory:            aws.Int32(512),
		MemoryReservation: aws.Int32(256),
		// Essential left out: ECS reports the default, true.
		PortMappings: []types.PortMapping{
			{ContainerPort: aws.Int32(80), HostPort: aws.Int32(8080), Protocol: types.TransportProtocolTcp, Name: aws.String("http")},
			{ContainerPort: aws.Int32(8125), Protocol: types.TransportProtocolUdp},
			{ContainerPort: aws.Int32(443)}, // protocol defaults to tcp; bridge keeps hostPort dynamic
		},
		Environment: []types.KeyValuePair{
			{Name: aws.String("MODE"), Value: aws.String("prod")},
			{Name: aws.String("EMPTY"), Value: aws.String("")},
		},
		Command:    []string{"nginx", "-g", "daemon off;"},
		EntryPoint: []string{"/docker-entrypoint.sh"},
		HealthCheck: &types.HealthCheck{
			// interval, timeout and retries left out: ECS reports 30, 5, 3.
			Command:     []string{"CMD-SHELL", "wget -qO- http://localhost/ || exit 1"},
			StartPeriod: aws.Int32(10),
		},
		DependsOn: []types.ContainerDependency{{ContainerName: aws.String("migrate"), Condition: types.ContainerConditionSuccess}},
		MountPoints: []types.MountPoint{
			{SourceVolume: aws.String("data"), ContainerPath: aws.String("/usr/share/nginx/html"), ReadOnly: aws.Bool(true)},
		},
		LogConfiguration: jsonFile(),
		DockerLabels:     map[string]string{"team": "web", "tier": "frontend"},
		Ulimits:          []types.Ulimit{{Name: types.UlimitNameNofile, SoftLimit: 1024, HardLimit: 4096}},
		StopTimeout:      aws.Int32(20),
		WorkingDirectory: aws.String("/usr/share/nginx"),
	}
	migrate := types.ContainerDefinition{
		Name:      aws.String("migrate"),
		Image:     aws.String("registry.example.com:5000/team/migrate@sha256:" + strings.Repeat("ab", 32)),
		Cpu:       256,
		Memory:    aws.Int32(128),
		Essential: aws.Bool(false),
		Command:   []string{"migrate", "--up"},
		MountPoints: []types.MountPoint{
			{SourceVolume: aws.String("data"), ContainerPath: aws.String("/data")},
			{SourceVolume: aws.String("scratch"), ContainerPath: aws.String("/tmp")},
		},
		LogConfiguration: jsonFile(),
		User:             aws.String("1000:1000"),
	}
	return &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(family),
		TaskRoleArn:             aws.String("arn:aws:iam::" + testAccount + ":role/web-task"),
		NetworkMode:             types.NetworkModeBridge,
		ContainerDefinitions:    []types.ContainerDefinition{web, migrate},
		Volumes:                 []types.Volume{{Name: aws.String("data"), Host: &types.HostVolumeProperties{SourcePath: aws.String("/srv/web")}}, {Name: aws.String("scratch")}},
		PlacementConstraints:    []types.TaskDefinitionPlacementConstraint{{Type: types.TaskDefinitionPlacementConstraintTypeMemberOf, Expression: aws.String("attribute:ecs.os-type == linux")}},
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityEc2},
		Cpu:                     aws.String("1 vCPU"),
		Memory:                  aws.String("1GB"),
		RuntimePlatform:         &types.RuntimePlatform{CpuArchitecture: types.CPUArchitectureX8664, OperatingSystemFamily: types.OSFamilyLinux},
		Tags:                    []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}, {Key: aws.String("env"), Value: aws.String("test")}},
	}
}

// --- calls ---

// sdkStructs lets go-cmp compare SDK structs, whose only unexported field
// is the empty serde marker.
var sdkStructs = cmp.Exporter(func(reflect.Type) bool { return true })

// tdARN is the ARN of a revision on the shared server.
func tdARN(family string, revision int) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", testRegion, testAccount, family, revision)
}

// tdARNs is the ARNs of the given revisions of family.
func tdARNs(family string, revisions ...int) []string {
	out := make([]string, len(revisions))
	for i, r := range revisions {
		out[i] = tdARN(family, r)
	}
	return out
}

func tdRegister(t testing.TB, c *ecs.Client, in *ecs.RegisterTaskDefinitionInput) *ecs.RegisterTaskDefinitionOutput {
	t.Helper()
	out, err := c.RegisterTaskDefinition(ctx(t), in)
	if err != nil {
		t.Fatalf("RegisterTaskDefinition(%s): %v", aws.ToString(in.Family), err)
	}
	return out
}

// tdRegisterN registers n revisions of a minimal definition in family and
// returns their ARNs; revision i carries the environment REV=i.
func tdRegisterN(t testing.TB, c *ecs.Client, family string, n int) []string {
	t.Helper()
	var arns []string
	for range n {
		i := len(arns) + 1
		out := tdRegister(t, c, td(family, tdApp(func(ct *types.ContainerDefinition) {
			ct.Environment = []types.KeyValuePair{{Name: aws.String("REV"), Value: aws.String(strconv.Itoa(i))}}
		})))
		arns = append(arns, aws.ToString(out.TaskDefinition.TaskDefinitionArn))
	}
	return arns
}

func tdDescribe(t testing.TB, c *ecs.Client, ref string, include ...types.TaskDefinitionField) *ecs.DescribeTaskDefinitionOutput {
	t.Helper()
	out, err := c.DescribeTaskDefinition(ctx(t), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref), Include: include})
	if err != nil {
		t.Fatalf("DescribeTaskDefinition(%s): %v", ref, err)
	}
	return out
}

func tdDeregister(t testing.TB, c *ecs.Client, refs ...string) []*types.TaskDefinition {
	t.Helper()
	var out []*types.TaskDefinition
	for _, ref := range refs {
		o, err := c.DeregisterTaskDefinition(ctx(t), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(ref)})
		if err != nil {
			t.Fatalf("DeregisterTaskDefinition(%s): %v", ref, err)
		}
		out = append(out, o.TaskDefinition)
	}
	return out
}

func tdDelete(t testing.TB, c *ecs.Client, refs ...string) *ecs.DeleteTaskDefinitionsOutput {
	t.Helper()
	out, err := c.DeleteTaskDefinitions(ctx(t), &ecs.DeleteTaskDefinitionsInput{TaskDefinitions: refs})
	if err != nil {
		t.Fatalf("DeleteTaskDefinitions(%v): %v", refs, err)
	}
	return out
}

// tdList pages through ListTaskDefinitions with the SDK paginator and
// returns every ARN and the page sizes. It checks the paging contract on
// the way: no page larger than maxResults, no empty page unless the
// listing is empty, a token on every page but the last.
func tdList(t testing.TB, c *ecs.Client, in ecs.ListTaskDefinitionsInput) (arns []string, pages []int) {
	t.Helper()
	p := ecs.NewListTaskDefinitionsPaginator(c, &in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("ListTaskDefinitions page %d: %v", len(pages)+1, err)
		}
		checkListPage(t, len(out.TaskDefinitionArns), in.MaxResults, out.NextToken, len(pages))
		arns = append(arns, out.TaskDefinitionArns...)
		pages = append(pages, len(out.TaskDefinitionArns))
		if len(pages) > 1000 {
			t.Fatal("ListTaskDefinitions does not stop paging")
		}
	}
	return arns, pages
}

// tdListFamilies is tdList for ListTaskDefinitionFamilies.
func tdListFamilies(t testing.TB, c *ecs.Client, in ecs.ListTaskDefinitionFamiliesInput) (families []string, pages []int) {
	t.Helper()
	p := ecs.NewListTaskDefinitionFamiliesPaginator(c, &in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("ListTaskDefinitionFamilies page %d: %v", len(pages)+1, err)
		}
		checkListPage(t, len(out.Families), in.MaxResults, out.NextToken, len(pages))
		families = append(families, out.Families...)
		pages = append(pages, len(out.Families))
		if len(pages) > 1000 {
			t.Fatal("ListTaskDefinitionFamilies does not stop paging")
		}
	}
	return families, pages
}

func checkListPage(t testing.TB, n int, maxResults *int32, next *string, earlier int) {
	t.Helper()
	limit := 100
	if maxResults != nil {
		limit = int(*maxResults)
	}
	if n > limit {
		t.Errorf("page %d has %d items, more than maxResults %d", earlier+1, n, limit)
	}
	if n == 0 && (earlier > 0 || next != nil) {
		t.Errorf("page %d is empty (nextToken %v); a listing ends with the page that has the last item", earlier+1, aws.ToString(next))
	}
}

// tdWithinNow checks that a server timestamp lies in [before, after], give
// or take a second for millisecond truncation and clock reads.
func tdWithinNow(t testing.TB, what string, got *time.Time, before, after time.Time) {
	t.Helper()
	if got == nil {
		t.Errorf("%s is missing", what)
		return
	}
	if got.Before(before.Add(-time.Second)) || got.After(after.Add(time.Second)) {
		t.Errorf("%s = %s, want between %s and %s", what, got.UTC(), before.UTC(), after.UTC())
	}
}

func tdAttributeNames(attrs []types.Attribute) []string {
	out := []string{}
	for _, a := range attrs {
		out = append(out, aws.ToString(a.Name))
	}
	return out
}

// --- RegisterTaskDefinition ---
