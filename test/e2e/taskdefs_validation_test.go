package e2e

// RegisterTaskDefinition validation through aws-sdk-go-v2: every rejected
// request gets the exact exception type and message (the golden messages
// V1-V9 of ecs-behaviour.md §6.5, AWS's texts where known, berth's own
// wording otherwise), and leaves no trace: the family has no revisions, is
// not listed, and its next registration is revision 1.

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-cmp/cmp"
)

// tdErrCase is a registration that must fail. The request is td(family,
// opts...) for a fresh family; opts may rewrite the family.
type tdErrCase struct {
	name string
	opts []tdOpt
	want func(testing.TB, error)
}

func clientException(msg string) func(testing.TB, error) {
	return func(t testing.TB, err error) {
		t.Helper()
		wantAPIError[*types.ClientException](t, err, msg)
	}
}

func invalidParameter(msg string) func(testing.TB, error) {
	return func(t testing.TB, err error) {
		t.Helper()
		wantAPIError[*types.InvalidParameterException](t, err, msg)
	}
}

func unsupportedFeature(msg string) func(testing.TB, error) {
	return func(t testing.TB, err error) {
		t.Helper()
		wantAPIError[*types.UnsupportedFeatureException](t, err, msg)
	}
}

// runTDErrCases registers each case's request in its own family, checks the
// error, and checks that nothing was registered.
func runTDErrCases(t *testing.T, cases []tdErrCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := client(t)
			family := uniqueName(t, "invalid")
			out, err := c.RegisterTaskDefinition(ctx(t), td(family, tc.opts...))
			if err == nil {
				t.Fatalf("registered %s; want an error", aws.ToString(out.TaskDefinition.TaskDefinitionArn))
			}
			tc.want(t, err)
			tdWantNothingRegistered(t, c, family)
		})
	}
}

// tdWantNothingRegistered checks that family, and every family it is a
// prefix of, has no revision in any status, and that its next
// registration is revision 1.
func tdWantNothingRegistered(t testing.TB, c *ecs.Client, family string) {
	t.Helper()
	for _, status := range types.TaskDefinitionStatus("").Values() {
		if arns, _ := tdList(t, c, ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), Status: status}); len(arns) != 0 {
			t.Errorf("%s revisions after a failed registration: %v", status, arns)
		}
	}
	if families, _ := tdListFamilies(t, c, ecs.ListTaskDefinitionFamiliesInput{FamilyPrefix: aws.String(family), Status: types.TaskDefinitionFamilyStatusAll}); len(families) != 0 {
		t.Errorf("families after a failed registration: %v", families)
	}
	if got := tdRegister(t, c, td(family)).TaskDefinition; got.Revision != 1 {
		t.Errorf("first successful registration got revision %d, want 1", got.Revision)
	}
}

// setFamily rewrites the family from the fresh one.
func setFamily(f func(fresh string) string) tdOpt {
	return func(in *ecs.RegisterTaskDefinitionInput) { in.Family = aws.String(f(aws.ToString(in.Family))) }
}

func tdCompat(cs ...types.Compatibility) tdOpt {
	return func(in *ecs.RegisterTaskDefinitionInput) { in.RequiresCompatibilities = cs }
}

// tdHealthCheck gives the first container a valid health check, then
// edits it.
func tdHealthCheck(f func(h *types.HealthCheck)) tdOpt {
	return tdApp(func(c *types.ContainerDefinition) {
		c.HealthCheck = &types.HealthCheck{Command: []string{"CMD-SHELL", "curl -f http://localhost/ || exit 1"}}
		f(c.HealthCheck)
	})
}

// tdDependsOn makes the first container depend on another by condition.
func tdDependsOn(name string, cond types.ContainerCondition) tdOpt {
	return tdApp(func(c *types.ContainerDefinition) {
		c.DependsOn = append(c.DependsOn, types.ContainerDependency{ContainerName: aws.String(name), Condition: cond})
	})
}

// nonEssential is a container with essential false.
func nonEssential(name string) types.ContainerDefinition {
	c := tdContainer(name)
	c.Essential = aws.Bool(false)
	return c
}

func containers(n int) []types.ContainerDefinition {
	out := make([]types.ContainerDefinition, n)
	for i := range out {
		out[i] = tdContainer(fmt.Sprint("c", i))
	}
	return out
}

func manyTags(n int) []types.Tag {
	out := make([]types.Tag, n)
	for i := range out {
		out[i] = types.Tag{Key: aws.String(fmt.Sprint("k", i)), Value: aws.String("v")}
	}
	return out
}

func TestRegisterTaskDefinitionRejectsInvalidFamily(t *testing.T) {
	t.Parallel()
	runTDErrCases(t, []tdErrCase{
		{"V1 family a at b", []tdOpt{setFamily(func(string) string { return "a@b" })}, clientException("Family contains invalid characters.")},
		{"V1 family with an at sign", []tdOpt{setFamily(func(f string) string { return f + "@b" })}, clientException("Family contains invalid characters.")},
		{"V1 family with a colon", []tdOpt{setFamily(func(f string) string { return f + ":1" })}, clientException("Family contains invalid characters.")},
		{"V1 family with a space", []tdOpt{setFamily(func(f string) string { return f + " x" })}, clientException("Family contains invalid characters.")},
		{"V1 family blank", []tdOpt{setFamily(func(string) string { return "" })}, clientException("Family can not be blank.")},
		{"V1 family of 256 characters", []tdOpt{setFamily(func(f string) string { return f + strings.Repeat("f", 256-len(f)) })},
			clientException("Family name must be between 1 and 255 characters.")},
	})
}

func TestRegisterTaskDefinitionRejectsInvalidContainerList(t *testing.T) {
	t.Parallel()
	runTDErrCases(t, []tdErrCase{
		{"V2 container name with invalid characters", []tdOpt{tdApp(func(c *types.ContainerDefinition) { c.Name = aws.String("my app") })},
			clientException("Container.name contains invalid characters.")},
		{"V2 container name missing", []tdOpt{tdApp(func(c *types.ContainerDefinition) { c.Name = nil })},
			clientException("Container.name should not be null or empty.")},
		{"V2 container name empty", []tdOpt{tdApp(func(c *types.ContainerDefinition) { c.Name = aws.String("") })},
			clientException("Container.name should not be null or empty.")},
		{"V3 image missing", []tdOpt{tdApp(func(c *types.ContainerDefinition) { c.Image = nil })},
			clientException("Container.image should not be null or empty.")},
		{"V3 image empty", []tdOpt{tdApp(func(c *types.ContainerDefinition) { c.Image = aws.String("") })},
			clientException("Container.image should not be null or empty.")},
		{"image with an unexpanded variable", []tdOpt{tdApp(func(c *types.ContainerDefinition) { c.Image = aws.String("$IMAGE_NAME") })},
			clientException("Container.image contains invalid characters.")},
		{"V4 11 containers", []tdOpt{func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions = containers(11) }},
			clientException("Too many containers.")},
		{"V4 no containers", []tdOpt{func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions = []types.ContainerDefinition{} }},
			clientException("Container list cannot be empty.")},
		{"duplicate container names", []tdOpt{tdPlus(tdContainer("app"))},
			clientException("Duplicate container name 'app'. Container names must be unique within a task definition.")},
		{"no essential container", []tdOpt{tdApp(func(c *types.ContainerDefinition) { c.Essential = aws.Bool(false) }), tdPlus(nonEssential("side"))},
			clientException("Task definition doesn't have any essential container.")},
	})
}

func TestRegisterTaskDefinitionRejectsInvalidSize(t *testing.T) {
	t.Parallel()
	noMemory := tdApp(func(c *types.ContainerDefinition) { c.Memory = nil })
	runTDErrCases(t, []tdErrCase{
		{"V5 EC2 without memory anywhere", []tdOpt{tdCompat(types.CompatibilityEc2), noMemory},
			clientException("Invalid setting for container 'app'. At least one of 'memory' or 'memoryReservation' must be specified.")},
		{"no memory anywhere without a launch type", []tdOpt{noMemory},
			clientException("Invalid setting for container 'app'. At least one of 'memory' or 'memoryReservation' must be specified.")},
		{"memory below memoryReservation", []tdOpt{tdApp(func(c *types.ContainerDefinition) { c.MemoryReservation = aws.Int32(512) })},
			clientException("Invalid setting for container 'app'. 'memory' must be greater than or equal to 'memoryReservation'.")},
		{"task cpu not a size", []tdOpt{tdSize("lots", "")}, invalidParameter("Invalid 'cpu' setting for task.")},
		{"task memory not a size", []tdOpt{tdSize("", "1 TB")}, invalidParameter("Invalid 'memory' setting for task.")},
		{"EC2 task cpu below 128", []tdOpt{tdSize("64", "")}, clientException("Invalid 'cpu' setting for task.")},
		{"container cpu above task cpu", []tdOpt{tdSize("256", ""), tdApp(func(c *types.ContainerDefinition) { c.Cpu = 512 })},
			clientException("The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'.")},
		{"V6 Fargate cpu 256 memory 4096", []tdOpt{tdFargate("256", "4096")}, clientException("Invalid 'cpu' setting for task.")},
		{"Fargate 1 vCPU with 1GB", []tdOpt{tdFargate("1 vCPU", "1GB")}, clientException("Invalid 'cpu' setting for task.")},
		{"Fargate without task cpu", []tdOpt{tdFargate("", "512")}, clientException("Fargate requires that 'cpu' be defined at the task level.")},
		{"Fargate without task memory", []tdOpt{tdFargate("256", "")}, clientException("Fargate requires that 'memory' be defined at the task level.")},
	})
}

func TestRegisterTaskDefinitionRejectsFargateIncompatibilities(t *testing.T) {
	t.Parallel()
	runTDErrCases(t, []tdErrCase{
		{"V7 Fargate pidMode host", []tdOpt{tdFargate("256", "512"), func(in *ecs.RegisterTaskDefinitionInput) { in.PidMode = types.PidModeHost }},
			clientException("Tasks using the Fargate launch type do not support pidMode 'host'. The supported value for pidMode is 'task'.")},
		{"Fargate bridge network mode", []tdOpt{tdFargate("256", "512"), tdNetMode(types.NetworkModeBridge)},
			clientException("Fargate only supports network mode \u2018awsvpc\u2019.")},
		{"Fargate awslogs without an execution role", []tdOpt{tdFargate("256", "512"), tdApp(func(c *types.ContainerDefinition) {
			c.LogConfiguration = &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{"awslogs-group": "/ecs/web", "awslogs-region": testRegion}}
		})}, clientException("Fargate requires task definition to have execution role ARN to support log driver awslogs.")},
	})
}

func TestRegisterTaskDefinitionRejectsInvalidHealthCheck(t *testing.T) {
	t.Parallel()
	const p = "Invalid setting for container 'app'. "
	runTDErrCases(t, []tdErrCase{
		{"V8 interval 4", []tdOpt{tdHealthCheck(func(h *types.HealthCheck) { h.Interval = aws.Int32(4) })},
			clientException(p + "'healthCheck.interval' must be between 5 and 300 seconds.")},
		{"V8 interval 301", []tdOpt{tdHealthCheck(func(h *types.HealthCheck) { h.Interval = aws.Int32(301) })},
			clientException(p + "'healthCheck.interval' must be between 5 and 300 seconds.")},
		{"V8 timeout 1", []tdOpt{tdHealthCheck(func(h *types.HealthCheck) { h.Timeout = aws.Int32(1) })},
			clientException(p + "'healthCheck.timeout' must be between 2 and 60 seconds.")},
		{"V8 timeout 61", []tdOpt{tdHealthCheck(func(h *types.HealthCheck) { h.Timeout = aws.Int32(61) })},
			clientException(p + "'healthCheck.timeout' must be between 2 and 60 seconds.")},
		{"V8 retries 0", []tdOpt{tdHealthCheck(func(h *types.HealthCheck) { h.Retries = aws.Int32(0) })},
			clientException(p + "'healthCheck.retries' must be between 1 and 10.")},
		{"V8 retries 11", []tdOpt{tdHealthCheck(func(h *types.HealthCheck) { h.Retries = aws.Int32(11) })},
			clientException(p + "'healthCheck.retries' must be between 1 and 10.")},
		{"V8 startPeriod 301", []tdOpt{tdHealthCheck(func(h *types.HealthCheck) { h.StartPeriod = aws.Int32(301) })},
			clientException(p + "'healthCheck.startPeriod' must be between 0 and 300 seconds.")},
		{"command without CMD", []tdOpt{tdHealthCheck(func(h *types.HealthCheck) { h.Command = []string{"curl", "-f", "http://localhost/"} })},
			clientException(p + "'healthCheck.command' must start with CMD or CMD-SHELL.")},
	})
}

func TestRegisterTaskDefinitionRejectsInvalidDependencies(t *testing.T) {
	t.Parallel()
	cycle := func(in *ecs.RegisterTaskDefinitionInput) {
		in.ContainerDefinitions[1].DependsOn = []types.ContainerDependency{{ContainerName: aws.String("app"), Condition: types.ContainerConditionStart}}
	}
	runTDErrCases(t, []tdErrCase{
		{"V9 COMPLETE on an essential container", []tdOpt{tdPlus(tdContainer("db")), tdDependsOn("db", types.ContainerConditionComplete)},
			clientException("A dependency container with SUCCESS or COMPLETE condition cannot be an essential container")},
		{"V9 SUCCESS on an essential container", []tdOpt{tdPlus(tdContainer("db")), tdDependsOn("db", types.ContainerConditionSuccess)},
			clientException("A dependency container with SUCCESS or COMPLETE condition cannot be an essential container")},
		{"HEALTHY on a container without a health check", []tdOpt{tdPlus(nonEssential("init")), tdDependsOn("init", types.ContainerConditionHealthy)},
			clientException("A dependency container with HEALTHY condition must have health check configured")},
		{"dependsOn an unknown container", []tdOpt{tdDependsOn("db", types.ContainerConditionStart)},
			clientException("Invalid setting for container 'app'. dependsOn names container 'db', which is not in the task definition.")},
		{"dependsOn itself", []tdOpt{tdDependsOn("app", types.ContainerConditionStart)},
			clientException("Invalid setting for container 'app'. A container cannot depend on itself.")},
		{"dependency cycle", []tdOpt{tdPlus(nonEssential("init")), tdDependsOn("init", types.ContainerConditionStart), cycle},
			clientException("Container dependencies contain a cycle: app -> init -> app.")},
		{"unknown condition", []tdOpt{tdPlus(nonEssential("init")), tdDependsOn("init", "READY")},
			invalidParameter("Invalid value 'READY' for dependsOn.condition. Valid values: START, COMPLETE, SUCCESS, HEALTHY.")},
	})
}

func TestRegisterTaskDefinitionRejectsInvalidEnums(t *testing.T) {
	t.Parallel()
	runTDErrCases(t, []tdErrCase{
		{"unknown networkMode", []tdOpt{tdNetMode("nat")},
			invalidParameter("Invalid value 'nat' for networkMode. Valid values: bridge, host, awsvpc, none.")},
		{"unknown requiresCompatibilities", []tdOpt{tdCompat("LAMBDA")},
			invalidParameter("Invalid value 'LAMBDA' for requiresCompatibilities. Valid values: EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES.")},
		{"unknown pidMode", []tdOpt{func(in *ecs.RegisterTaskDefinitionInput) { in.PidMode = "shared" }},
			invalidParameter("Invalid value 'shared' for pidMode. Valid values: host, task.")},
		{"unknown log driver", []tdOpt{tdApp(func(c *types.ContainerDefinition) { c.LogConfiguration = &types.LogConfiguration{LogDriver: "loki"} })},
			invalidParameter("Invalid value 'loki' for logConfiguration.logDriver. Valid values: json-file, syslog, journald, gelf, fluentd, awslogs, splunk, awsfirelens.")},
		{"unknown port protocol", []tdOpt{tdApp(func(c *types.ContainerDefinition) {
			c.PortMappings = []types.PortMapping{{ContainerPort: aws.Int32(80), Protocol: "sctp"}}
		})}, invalidParameter("Invalid value 'sctp' for portMappings.protocol. Valid values: tcp, udp.")},
	})
}

func TestRegisterTaskDefinitionRejectsInvalidTags(t *testing.T) {
	t.Parallel()
	tags := func(ts ...types.Tag) tdOpt { return func(in *ecs.RegisterTaskDefinitionInput) { in.Tags = ts } }
	tag := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
	long := strings.Repeat("k", 129)
	runTDErrCases(t, []tdErrCase{
		{"51 tags", []tdOpt{tags(manyTags(51)...)}, invalidParameter("A resource can have at most 50 tags; this request has 51.")},
		{"reserved aws prefix in a tag key", []tdOpt{tags(tag("aws:owner", "me"))},
			invalidParameter(`Tag keys beginning with 'aws:' are reserved for system use: "aws:owner".`)},
		{"reserved prefix in upper case", []tdOpt{tags(tag("AWS:owner", "me"))},
			invalidParameter(`Tag keys beginning with 'aws:' are reserved for system use: "AWS:owner".`)},
		{"duplicate tag keys", []tdOpt{tags(tag("team", "a"), tag("team", "b"))}, invalidParameter(`Duplicate tag key "team".`)},
		{"empty tag key", []tdOpt{tags(tag("", "v"))}, invalidParameter("Tag keys must be between 1 and 128 characters long.")},
		{"tag key of 129 characters", []tdOpt{tags(tag(long, "v"))}, invalidParameter(fmt.Sprintf("Tag key %q is longer than 128 characters.", long))},
	})
}

func TestRegisterTaskDefinitionRejectsInvalidContainerSettings(t *testing.T) {
	t.Parallel()
	runTDErrCases(t, []tdErrCase{
		{"awsvpc host port differs from container port", []tdOpt{tdNetMode(types.NetworkModeAwsvpc), tdApp(func(c *types.ContainerDefinition) {
			c.PortMappings = []types.PortMapping{{ContainerPort: aws.Int32(80), HostPort: aws.Int32(8080)}}
		})}, clientException("When networkMode=awsvpc, the host ports and container ports in port mappings must match.")},
		{"port mappings with networkMode none", []tdOpt{tdNetMode(types.NetworkModeNone), tdApp(func(c *types.ContainerDefinition) {
			c.PortMappings = []types.PortMapping{{ContainerPort: aws.Int32(80)}}
		})}, clientException("Port mappings are not supported when networkMode=none.")},
		{"mountPoints name an unknown volume", []tdOpt{tdApp(func(c *types.ContainerDefinition) {
			c.MountPoints = []types.MountPoint{{SourceVolume: aws.String("logs"), ContainerPath: aws.String("/logs")}}
		})}, clientException("Invalid setting for container 'app'. mountPoints names volume 'logs', which is not in the task definition.")},
		{"awslogs without its required options", []tdOpt{tdApp(func(c *types.ContainerDefinition) {
			c.LogConfiguration = &types.LogConfiguration{LogDriver: types.LogDriverAwslogs}
		})}, clientException("Log driver awslogs requires options: awslogs-region, awslogs-group")},
	})
}

// TestRegisterTaskDefinitionAcceptsBoundaries registers the values just
// inside the limits the rejections above test.
func TestRegisterTaskDefinitionAcceptsBoundaries(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		opts []tdOpt
	}{
		{"family of 255 characters", []tdOpt{setFamily(func(f string) string { return f + strings.Repeat("f", 255-len(f)) })}},
		{"family with every allowed kind of character", []tdOpt{setFamily(func(f string) string { return f + "_Az09-" })}},
		{"10 containers", []tdOpt{func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions = containers(10) }}},
		{"50 tags", []tdOpt{func(in *ecs.RegisterTaskDefinitionInput) { in.Tags = manyTags(50) }}},
		{"health check at the lower bounds", []tdOpt{tdHealthCheck(func(h *types.HealthCheck) {
			h.Interval, h.Timeout, h.Retries, h.StartPeriod = aws.Int32(5), aws.Int32(2), aws.Int32(1), aws.Int32(0)
		})}},
		{"health check at the upper bounds", []tdOpt{tdHealthCheck(func(h *types.HealthCheck) {
			h.Interval, h.Timeout, h.Retries, h.StartPeriod = aws.Int32(300), aws.Int32(60), aws.Int32(10), aws.Int32(300)
		})}},
		{"COMPLETE on a non-essential container", []tdOpt{tdPlus(nonEssential("init")), tdDependsOn("init", types.ContainerConditionComplete)}},
		{"HEALTHY on a container with a health check", []tdOpt{tdPlus(func() types.ContainerDefinition {
			db := nonEssential("db")
			db.HealthCheck = &types.HealthCheck{Command: []string{"CMD", "pg_isready"}}
			return db
		}()), tdDependsOn("db", types.ContainerConditionHealthy)}},
		{"Fargate 4 vCPU with 30GB", []tdOpt{tdFargate("4 vCPU", "30GB")}},
		{"EC2 task cpu 128", []tdOpt{tdSize("128", "")}},
		{"memory equal to memoryReservation", []tdOpt{tdApp(func(c *types.ContainerDefinition) { c.MemoryReservation = aws.Int32(128) })}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := client(t)
			in := td(uniqueName(t, "ok"), tc.opts...)
			out := tdRegister(t, c, in)
			got := out.TaskDefinition
			if got.Revision != 1 || got.Status != types.TaskDefinitionStatusActive {
				t.Errorf("registered revision %d (%s), want 1 (ACTIVE)", got.Revision, got.Status)
			}
			desc := tdDescribe(t, c, aws.ToString(in.Family), types.TaskDefinitionFieldTags)
			if d := cmp.Diff(got, desc.TaskDefinition, sdkStructs); d != "" {
				t.Errorf("described differs from registered (-registered +described):\n%s", d)
			}
			if !slices.EqualFunc(in.Tags, desc.Tags, func(a, b types.Tag) bool {
				return aws.ToString(a.Key) == aws.ToString(b.Key) && aws.ToString(a.Value) == aws.ToString(b.Value)
			}) {
				t.Errorf("described %d tags, want the %d registered, in order", len(desc.Tags), len(in.Tags))
			}
		})
	}
}
