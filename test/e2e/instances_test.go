package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// --- fixtures ---

// instanceARN is the ARN of a container instance on the shared server.
func instanceARN(cluster, id string) string {
	return "arn:aws:ecs:" + testRegion + ":" + testAccount + ":container-instance/" + cluster + "/" + id
}

// instanceIDOf is the id at the end of a container-instance ARN.
func instanceIDOf(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

// unknownInstanceID has the form of an instance id and names no instance.
const unknownInstanceID = "0123456789abcdef0123456789abcdef"

func intResource(name string, v int32) types.Resource {
	return types.Resource{Name: aws.String(name), Type: aws.String("INTEGER"), IntegerValue: v}
}

func setResource(name string, values ...string) types.Resource {
	return types.Resource{Name: aws.String(name), Type: aws.String("STRINGSET"), StringSetValue: append([]string{}, values...)}
}

// agentTotalResources is what an ECS agent on a 2-vCPU, 4-GiB machine
// registers: its CPU units, its memory less the agent's reservation, and
// the ports it reserves for SSH, Docker and itself.
func agentTotalResources() []types.Resource {
	return []types.Resource{
		intResource("CPU", 2048),
		intResource("MEMORY", 3900),
		setResource("PORTS", "22", "2375", "2376", "51678", "51679"),
		setResource("PORTS_UDP"),
	}
}

// attrList builds attributes from name, value pairs; the value "-" means
// an attribute without a value.
func attrList(nv ...string) []types.Attribute {
	if len(nv)%2 != 0 {
		panic("attrList needs name, value pairs")
	}
	out := make([]types.Attribute, 0, len(nv)/2)
	for i := 0; i < len(nv); i += 2 {
		a := types.Attribute{Name: aws.String(nv[i])}
		if nv[i+1] != "-" {
			a.Value = aws.String(nv[i+1])
		}
		out = append(out, a)
	}
	return out
}

// agentAttributes are the built-in attributes an agent reports.
var agentAttributes = []string{
	"ecs.availability-zone", "us-east-1a",
	"ecs.instance-type", "t3.medium",
	"ecs.os-type", "linux",
	"ecs.capability.privileged-container", "-",
}

// instanceOption shapes a RegisterContainerInstance request.
type instanceOption func(*ecs.RegisterContainerInstanceInput)

func withResources(rs ...types.Resource) instanceOption {
	return func(in *ecs.RegisterContainerInstanceInput) { in.TotalResources = rs }
}

// withAttrs replaces the registration's attributes (name, value pairs as
// for attrList).
func withAttrs(nv ...string) instanceOption {
	return func(in *ecs.RegisterContainerInstanceInput) { in.Attributes = attrList(nv...) }
}

func withInstanceTags(kv ...string) instanceOption {
	return func(in *ecs.RegisterContainerInstanceInput) { in.Tags = tagList(kv...) }
}

func withIdentityDocument(doc string) instanceOption {
	return func(in *ecs.RegisterContainerInstanceInput) { in.InstanceIdentityDocument = aws.String(doc) }
}

func withAgentVersion(v string) instanceOption {
	return func(in *ecs.RegisterContainerInstanceInput) { in.VersionInfo.AgentVersion = aws.String(v) }
}

// reregistering names the instance an agent restored from its checkpoint.
func reregistering(arn string) instanceOption {
	return func(in *ecs.RegisterContainerInstanceInput) { in.ContainerInstanceArn = aws.String(arn) }
}

// registerInput is an agent's first registration into cluster, with opts
// applied.
func registerInput(cluster string, opts ...instanceOption) *ecs.RegisterContainerInstanceInput {
	in := &ecs.RegisterContainerInstanceInput{
		Cluster:        aws.String(cluster),
		TotalResources: agentTotalResources(),
		Attributes:     attrList(agentAttributes...),
		VersionInfo: &types.VersionInfo{
			AgentVersion: aws.String("1.89.0"), AgentHash: aws.String("4f2c1d3e"), DockerVersion: aws.String("DockerVersion: 27.3.1"),
		},
	}
	for _, o := range opts {
		o(in)
	}
	return in
}

// registerInstance registers a container instance, which must succeed, and
// returns it as the response shows it.
func registerInstance(t testing.TB, c *ecs.Client, cluster string, opts ...instanceOption) types.ContainerInstance {
	t.Helper()
	out, err := c.RegisterContainerInstance(ctx(t), registerInput(cluster, opts...))
	if err != nil {
		t.Fatalf("RegisterContainerInstance(%s): %v", cluster, err)
	}
	return *out.ContainerInstance
}

// registerInstances registers n instances and returns their ARNs.
func registerInstances(t testing.TB, c *ecs.Client, cluster string, n int) []string {
	t.Helper()
	arns := make([]string, n)
	for i := range arns {
		arns[i] = aws.ToString(registerInstance(t, c, cluster).ContainerInstanceArn)
	}
	return arns
}

// instanceCluster creates a cluster for one test's instances and returns
// its name, made of the test's name with what a cluster name may not hold
// (test names have commas, apostrophes, …) replaced.
func instanceCluster(t testing.TB) string {
	t.Helper()
	name := clusterNameUnsafe.ReplaceAllString(uniqueName(t, "ci"), "-")
	return aws.ToString(createCluster(t, named(name)).ClusterName)
}

var clusterNameUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// describeInstance describes one instance, which must be found.
func describeInstance(t testing.TB, c *ecs.Client, cluster, ref string, include ...types.ContainerInstanceField) types.ContainerInstance {
	t.Helper()
	out, err := c.DescribeContainerInstances(ctx(t), &ecs.DescribeContainerInstancesInput{Cluster: aws.String(cluster), ContainerInstances: []string{ref}, Include: include})
	if err != nil {
		t.Fatalf("DescribeContainerInstances(%s): %v", ref, err)
	}
	if len(out.ContainerInstances) != 1 || len(out.Failures) != 0 {
		t.Fatalf("DescribeContainerInstances(%s) = %d instances, failures %s; want the instance", ref, len(out.ContainerInstances), dump(out.Failures))
	}
	return out.ContainerInstances[0]
}

// listInstances pages through ListContainerInstances with the SDK
// paginator, checking the paging contract and that no ARN comes twice.
func listInstances(t testing.TB, c *ecs.Client, cluster string, status types.ContainerInstanceStatus, maxResults int32) []string {
	t.Helper()
	in := &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster), Status: status}
	if maxResults > 0 {
		in.MaxResults = aws.Int32(maxResults)
	}
	p := ecs.NewListContainerInstancesPaginator(c, in)
	arns := []string{}
	for page := 0; p.HasMorePages(); page++ {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("ListContainerInstances page %d: %v", page+1, err)
		}
		checkListPage(t, len(out.ContainerInstanceArns), in.MaxResults, out.NextToken, page)
		for _, a := range out.ContainerInstanceArns {
			if slices.Contains(arns, a) {
				t.Fatalf("page %d repeats %s", page+1, a)
			}
			arns = append(arns, a)
		}
		if page > 1000 {
			t.Fatal("ListContainerInstances does not stop paging")
		}
	}
	return arns
}

// setInstancesState calls UpdateContainerInstancesState, which must
// succeed without failures.
func setInstancesState(t testing.TB, c *ecs.Client, cluster string, status types.ContainerInstanceStatus, refs ...string) []types.ContainerInstance {
	t.Helper()
	out, err := c.UpdateContainerInstancesState(ctx(t), &ecs.UpdateContainerInstancesStateInput{Cluster: aws.String(cluster), Status: status, ContainerInstances: refs})
	if err != nil {
		t.Fatalf("UpdateContainerInstancesState(%s, %v): %v", status, refs, err)
	}
	if len(out.Failures) != 0 || len(out.ContainerInstances) != len(refs) {
		t.Fatalf("UpdateContainerInstancesState(%s, %v) = %d instances, failures %s", status, refs, len(out.ContainerInstances), dump(out.Failures))
	}
	return out.ContainerInstances
}

// deregisterInstance deregisters an instance, which must succeed.
func deregisterInstance(t testing.TB, c *ecs.Client, cluster, ref string) types.ContainerInstance {
	t.Helper()
	out, err := c.DeregisterContainerInstance(ctx(t), &ecs.DeregisterContainerInstanceInput{Cluster: aws.String(cluster), ContainerInstance: aws.String(ref)})
	if err != nil {
		t.Fatalf("DeregisterContainerInstance(%s): %v", ref, err)
	}
	return *out.ContainerInstance
}

// resourceStrings renders resources as name:type=value, the value an
// integer or a set in its order, for comparison.
func resourceStrings(rs []types.Resource) []string {
	out := []string{}
	for _, r := range rs {
		s := aws.ToString(r.Name) + ":" + aws.ToString(r.Type) + "="
		if aws.ToString(r.Type) == "STRINGSET" {
			s += "{" + strings.Join(r.StringSetValue, ",") + "}"
		} else {
			s += fmt.Sprint(r.IntegerValue)
		}
		out = append(out, s)
	}
	return out
}

func wantResources(t testing.TB, what string, got, want []types.Resource) {
	t.Helper()
	if g, w := resourceStrings(got), resourceStrings(want); !slices.Equal(g, w) {
		t.Errorf("%s = %v, want %v", what, g, w)
	}
}

// attrStrings renders attributes as sorted name=value (name alone when it
// has no value).
func attrStrings(as []types.Attribute) []string {
	out := []string{}
	for _, a := range as {
		s := aws.ToString(a.Name)
		if a.Value != nil {
			s += "=" + *a.Value
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// wantAttrs asserts attributes are exactly the name, value pairs given.
func wantAttrs(t testing.TB, what string, got []types.Attribute, nv ...string) {
	t.Helper()
	if g, w := attrStrings(got), attrStrings(attrList(nv...)); !slices.Equal(g, w) {
		t.Errorf("%s attributes = %v, want %v", what, g, w)
	}
}

// sameJSON compares two SDK values by their rendering, which shows what
// a client sees of them.
func sameJSON(a, b any) bool { return dump(a) == dump(b) }

var (
	instanceARNPattern = regexp.MustCompile(`^arn:aws:ecs:us-east-1:000000000000:container-instance/([^/]+)/([0-9a-f]{32})$`)
	ec2IDPattern       = regexp.MustCompile(`^i-[0-9a-f]{17}$`)
)

// --- RegisterContainerInstance ---

func TestRegisterContainerInstance(t *testing.T) {
	t.Parallel()
	c := client(t)

	t.Run("a new instance is ACTIVE with version 1 and everything it registered", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		before := time.Now()
		got := registerInstance(t, c, cluster, withInstanceTags("team", "platform"))
		after := time.Now()
		arn := aws.ToString(got.ContainerInstanceArn)
		if m := instanceARNPattern.FindStringSubmatch(arn); m == nil || m[1] != cluster {
			t.Errorf("containerInstanceArn = %s, want %s", arn, instanceARN(cluster, "<32 hex digits>"))
		}
		if aws.ToString(got.Status) != "ACTIVE" || got.Version != 1 || got.AgentConnected {
			t.Errorf("status %s, version %d, agentConnected %v; want ACTIVE, 1, false", aws.ToString(got.Status), got.Version, got.AgentConnected)
		}
		if got.RunningTasksCount != 0 || got.PendingTasksCount != 0 {
			t.Errorf("tasks running %d, pending %d; want 0, 0", got.RunningTasksCount, got.PendingTasksCount)
		}
		wantResources(t, "registeredResources", got.RegisteredResources, agentTotalResources())
		wantResources(t, "remainingResources", got.RemainingResources, agentTotalResources())
		wantAttrs(t, "response", got.Attributes, agentAttributes...)
		if v := got.VersionInfo; v == nil || aws.ToString(v.AgentVersion) != "1.89.0" || aws.ToString(v.AgentHash) != "4f2c1d3e" || aws.ToString(v.DockerVersion) != "DockerVersion: 27.3.1" {
			t.Errorf("versionInfo = %s, want the registered one", dump(got.VersionInfo))
		}
		tdWithinNow(t, "registeredAt", got.RegisteredAt, before, after)
		if id := aws.ToString(got.Ec2InstanceId); !ec2IDPattern.MatchString(id) {
			t.Errorf("ec2InstanceId = %q, want i- and 17 hex digits", id)
		}
		if want := map[string]string{"team": "platform"}; !maps.Equal(tagMap(got.Tags), want) {
			t.Errorf("tags = %v, want %v", tagMap(got.Tags), want)
		}

		// DescribeContainerInstances shows the same instance.
		described := describeInstance(t, c, cluster, arn, types.ContainerInstanceFieldTags)
		if !sameJSON(described, got) {
			t.Errorf("described =\n%s\nregistered\n%s", dump(described), dump(got))
		}
	})

	t.Run("each registration without containerInstanceArn is a new instance", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		first, second := registerInstance(t, c, cluster), registerInstance(t, c, cluster)
		if aws.ToString(first.ContainerInstanceArn) == aws.ToString(second.ContainerInstanceArn) || aws.ToString(first.Ec2InstanceId) == aws.ToString(second.Ec2InstanceId) {
			t.Fatalf("two registrations share an identity: %s %s, %s %s", aws.ToString(first.ContainerInstanceArn), aws.ToString(first.Ec2InstanceId),
				aws.ToString(second.ContainerInstanceArn), aws.ToString(second.Ec2InstanceId))
		}
		if got := listInstances(t, c, cluster, "", 0); len(got) != 2 {
			t.Fatalf("ListContainerInstances = %v, want both", got)
		}
	})

	t.Run("the cluster may be named by ARN", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		got := registerInstance(t, c, clusterARN(cluster))
		if m := instanceARNPattern.FindStringSubmatch(aws.ToString(got.ContainerInstanceArn)); m == nil || m[1] != cluster {
			t.Fatalf("containerInstanceArn = %s, want one in cluster %s", aws.ToString(got.ContainerInstanceArn), cluster)
		}
	})

	t.Run("CPU and MEMORY of 0 are valid although the SDK omits a zero integerValue", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		zero := []types.Resource{intResource("CPU", 0), intResource("MEMORY", 0)}
		got := registerInstance(t, c, cluster, withResources(zero...))
		wantResources(t, "registeredResources", got.RegisteredResources, zero)
		// Clients that do not default the member (botocore) need it sent.
		r := rawRequest(t, shared, ecsTarget+"DescribeContainerInstances",
			fmt.Sprintf(`{"cluster":%q,"containerInstances":[%q]}`, cluster, aws.ToString(got.ContainerInstanceArn)))
		var body struct {
			ContainerInstances []struct {
				RegisteredResources []map[string]any `json:"registeredResources"`
				RemainingResources  []map[string]any `json:"remainingResources"`
			} `json:"containerInstances"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil || len(body.ContainerInstances) != 1 {
			t.Fatalf("DescribeContainerInstances = %d %s (%v)", r.Status, r.Body, err)
		}
		for _, rs := range [][]map[string]any{body.ContainerInstances[0].RegisteredResources, body.ContainerInstances[0].RemainingResources} {
			for _, res := range rs {
				if v, ok := res["integerValue"]; !ok || v != float64(0) {
					t.Errorf("resource %v: integerValue %v (present %v), want 0 sent", res["name"], v, ok)
				}
			}
		}
	})

	t.Run("the instance identity document sets the EC2 instance id, zone and type", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		doc := `{"instanceId":"i-0a1b2c3d4e5f60718","availabilityZone":"us-east-1c","instanceType":"m5.large","region":"us-east-1","accountId":"000000000000"}`
		got := registerInstance(t, c, cluster, withAttrs("ecs.os-type", "linux"), withIdentityDocument(doc))
		if id := aws.ToString(got.Ec2InstanceId); id != "i-0a1b2c3d4e5f60718" {
			t.Errorf("ec2InstanceId = %s, want the document's i-0a1b2c3d4e5f60718", id)
		}
		wantAttrs(t, "response", got.Attributes, "ecs.os-type", "linux", "ecs.availability-zone", "us-east-1c", "ecs.instance-type", "m5.large")
	})

	t.Run("attributes given explicitly win over the identity document", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		doc := `{"availabilityZone":"us-east-1c","instanceType":"m5.large"}`
		got := registerInstance(t, c, cluster, withIdentityDocument(doc))
		wantAttrs(t, "response", got.Attributes, agentAttributes...)
		if id := aws.ToString(got.Ec2InstanceId); !ec2IDPattern.MatchString(id) {
			t.Errorf("ec2InstanceId = %q, want a generated one: the document has none", id)
		}
	})
}

func TestReregisterContainerInstance(t *testing.T) {
	t.Parallel()
	c := client(t)
	newResources := []types.Resource{intResource("CPU", 4096), intResource("MEMORY", 7800), setResource("PORTS", "22"), setResource("PORTS_UDP", "53")}

	t.Run("keeps the ARN, custom attributes and tags and replaces what the agent reports", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		first := registerInstance(t, c, cluster, withInstanceTags("team", "platform"))
		arn := aws.ToString(first.ContainerInstanceArn)
		if _, err := c.PutAttributes(ctx(t), &ecs.PutAttributesInput{Cluster: aws.String(cluster), Attributes: targeted(arn, "stack", "prod")}); err != nil {
			t.Fatal(err)
		}
		before := describeInstance(t, c, cluster, arn)

		out, err := c.RegisterContainerInstance(ctx(t), registerInput(cluster, reregistering(arn), withResources(newResources...),
			withAttrs("ecs.availability-zone", "us-east-1b", "ecs.os-type", "linux"), withAgentVersion("1.90.0")))
		if err != nil {
			t.Fatal(err)
		}
		got := *out.ContainerInstance
		if aws.ToString(got.ContainerInstanceArn) != arn || aws.ToString(got.Ec2InstanceId) != aws.ToString(first.Ec2InstanceId) {
			t.Errorf("identity = %s %s, want %s %s", aws.ToString(got.ContainerInstanceArn), aws.ToString(got.Ec2InstanceId), arn, aws.ToString(first.Ec2InstanceId))
		}
		if aws.ToString(got.Status) != "ACTIVE" || got.Version != before.Version+1 {
			t.Errorf("status %s, version %d; want ACTIVE, %d", aws.ToString(got.Status), got.Version, before.Version+1)
		}
		wantResources(t, "registeredResources", got.RegisteredResources, newResources)
		wantResources(t, "remainingResources", got.RemainingResources, newResources)
		wantAttrs(t, "response", got.Attributes, "ecs.availability-zone", "us-east-1b", "ecs.os-type", "linux", "stack", "prod")
		if v := aws.ToString(got.VersionInfo.AgentVersion); v != "1.90.0" {
			t.Errorf("agentVersion = %s, want 1.90.0", v)
		}
		if !got.RegisteredAt.Equal(*first.RegisteredAt) {
			t.Errorf("registeredAt = %s, want the first registration's %s", got.RegisteredAt, first.RegisteredAt)
		}
		described := describeInstance(t, c, cluster, arn, types.ContainerInstanceFieldTags)
		if want := map[string]string{"team": "platform"}; !maps.Equal(tagMap(described.Tags), want) {
			t.Errorf("tags = %v, want %v", tagMap(described.Tags), want)
		}
		if got := listInstances(t, c, cluster, "", 0); !slices.Equal(got, []string{arn}) {
			t.Errorf("ListContainerInstances = %v, want only %s", got, arn)
		}
	})

	t.Run("tags given again replace the tags", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		arn := aws.ToString(registerInstance(t, c, cluster, withInstanceTags("team", "platform", "env", "dev")).ContainerInstanceArn)
		got := registerInstance(t, c, cluster, reregistering(arn), withInstanceTags("env", "prod"))
		if want := map[string]string{"env": "prod"}; !maps.Equal(tagMap(got.Tags), want) {
			t.Errorf("tags = %v, want %v", tagMap(got.Tags), want)
		}
	})

	t.Run("custom attributes the agent reports again keep their current value", func(t *testing.T) {
		// The agent's ECS_INSTANCE_ATTRIBUTES take effect at the first
		// registration only; PutAttributes changes them afterwards.
		t.Parallel()
		cluster := instanceCluster(t)
		arn := aws.ToString(registerInstance(t, c, cluster, withAttrs("ecs.os-type", "linux", "stack", "prod")).ContainerInstanceArn)
		if _, err := c.PutAttributes(ctx(t), &ecs.PutAttributesInput{Cluster: aws.String(cluster), Attributes: targeted(arn, "stack", "canary")}); err != nil {
			t.Fatal(err)
		}
		got := registerInstance(t, c, cluster, reregistering(arn), withAttrs("ecs.os-type", "linux", "stack", "prod"))
		wantAttrs(t, "response", got.Attributes, "ecs.os-type", "linux", "stack", "canary")
	})

	t.Run("a DRAINING instance stays DRAINING", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		arn := aws.ToString(registerInstance(t, c, cluster).ContainerInstanceArn)
		drained := setInstancesState(t, c, cluster, types.ContainerInstanceStatusDraining, arn)[0]
		got := registerInstance(t, c, cluster, reregistering(arn))
		if aws.ToString(got.Status) != "DRAINING" || got.Version != drained.Version+1 {
			t.Fatalf("status %s, version %d; want DRAINING, %d", aws.ToString(got.Status), got.Version, drained.Version+1)
		}
	})

	t.Run("a deregistered instance cannot come back", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		arn := aws.ToString(registerInstance(t, c, cluster).ContainerInstanceArn)
		gone := deregisterInstance(t, c, cluster, arn)
		_, err := c.RegisterContainerInstance(ctx(t), registerInput(cluster, reregistering(arn)))
		wantAPIError[*types.ClientException](t, err, "Container instance "+instanceIDOf(arn)+" is inactive.")
		if got := describeInstance(t, c, cluster, arn); aws.ToString(got.Status) != "INACTIVE" || got.Version != gone.Version {
			t.Fatalf("status %s, version %d; want INACTIVE, %d", aws.ToString(got.Status), got.Version, gone.Version)
		}
		if got := listInstances(t, c, cluster, "", 0); len(got) != 0 {
			t.Fatalf("ListContainerInstances = %v, want none", got)
		}
	})
}

func TestRegisterContainerInstanceRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	c := client(t)
	invalid := wantAPIError[*types.InvalidParameterException]
	otherCluster := instanceCluster(t)
	foreign := aws.ToString(registerInstance(t, c, otherCluster).ContainerInstanceArn)
	base := []types.Resource{intResource("CPU", 2048), intResource("MEMORY", 3900)}
	notInCluster := func(ref string) func(cluster string) string {
		return func(cluster string) string {
			return fmt.Sprintf("containerInstanceArn %q is not the ARN of a container instance in cluster %s.", ref, cluster)
		}
	}
	fixed := func(msg string) func(string) string { return func(string) string { return msg } }
	tests := []struct {
		name    string
		opts    []instanceOption
		wantErr func(testing.TB, error, string)
		msg     func(cluster string) string
	}{
		{name: "no totalResources", opts: []instanceOption{withResources()}, wantErr: invalid, msg: fixed("totalResources must include CPU.")},
		{name: "missing CPU", opts: []instanceOption{withResources(agentTotalResources()[1:]...)}, wantErr: invalid, msg: fixed("totalResources must include CPU.")},
		{name: "missing MEMORY", opts: []instanceOption{withResources(base[0])}, wantErr: invalid, msg: fixed("totalResources must include MEMORY.")},
		{
			name: "negative MEMORY", opts: []instanceOption{withResources(base[0], intResource("MEMORY", -1))},
			wantErr: invalid, msg: fixed("Resource MEMORY must have a non-negative integerValue."),
		},
		{
			name: "CPU twice", opts: []instanceOption{withResources(append(base, intResource("CPU", 1024))...)},
			wantErr: invalid, msg: fixed("Resource CPU is given more than once."),
		},
		{
			name: "unknown resource", opts: []instanceOption{withResources(append(base, setResource("GPU", "gpu-0"))...)},
			wantErr: invalid, msg: fixed(`Unknown resource "GPU". Valid resources: CPU, MEMORY, PORTS, PORTS_UDP.`),
		},
		{
			name: "port 0", opts: []instanceOption{withResources(append(base, setResource("PORTS", "22", "0"))...)},
			wantErr: invalid, msg: fixed(`Resource PORTS has an invalid port "0".`),
		},
		{
			name: "port 65536", opts: []instanceOption{withResources(append(base, setResource("PORTS_UDP", "65536"))...)},
			wantErr: invalid, msg: fixed(`Resource PORTS_UDP has an invalid port "65536".`),
		},
		{
			name: "port that is not a number", opts: []instanceOption{withResources(append(base, setResource("PORTS", "ssh"))...)},
			wantErr: invalid, msg: fixed(`Resource PORTS has an invalid port "ssh".`),
		},
		{
			name: "attribute name with a space", opts: []instanceOption{withAttrs("my attr", "x")},
			wantErr: invalid, msg: fixed(`Attribute name "my attr" is not valid: up to 128 letters, numbers, hyphens, underscores, periods and slashes.`),
		},
		{
			name: "attribute name of 129 characters", opts: []instanceOption{withAttrs(strings.Repeat("a", 129), "x")},
			wantErr: invalid, msg: fixed(`Attribute name "` + strings.Repeat("a", 129) + `" is not valid: up to 128 letters, numbers, hyphens, underscores, periods and slashes.`),
		},
		{
			name: "attribute value with a comma", opts: []instanceOption{withAttrs("stack", "a,b")},
			wantErr: invalid, msg: fixed(`The value of attribute "stack" is not valid: up to 128 letters, numbers, spaces and the characters _ . / \ : @ -.`),
		},
		{
			name: "attribute value with a trailing space", opts: []instanceOption{withAttrs("stack", "prod ")},
			wantErr: invalid, msg: fixed(`The value of attribute "stack" can't start or end with a space.`),
		},
		{
			name: "51 tags", opts: []instanceOption{func(in *ecs.RegisterContainerInstanceInput) { in.Tags = numberedTags("k", 51) }},
			wantErr: invalid, msg: fixed("A resource can have at most 50 tags; the request has 51."),
		},
		{
			name: "tag key with the reserved aws prefix", opts: []instanceOption{withInstanceTags("aws:x", "v")},
			wantErr: invalid, msg: fixed(`Tag keys beginning with 'aws:' are reserved for system use: "aws:x".`),
		},
		{
			name: "containerInstanceArn of another cluster's instance", opts: []instanceOption{reregistering(foreign)},
			wantErr: invalid, msg: notInCluster(foreign),
		},
		{name: "containerInstanceArn that is not an ARN", opts: []instanceOption{reregistering("not-an-arn")}, wantErr: invalid, msg: notInCluster("not-an-arn")},
		{
			name: "containerInstanceArn that is a bare instance id", opts: []instanceOption{reregistering(instanceIDOf(foreign))},
			wantErr: invalid, msg: notInCluster(instanceIDOf(foreign)),
		},
		{
			name: "containerInstanceArn of a cluster", opts: []instanceOption{reregistering(clusterARN(otherCluster))},
			wantErr: invalid, msg: notInCluster(clusterARN(otherCluster)),
		},
		{
			name: "instanceIdentityDocument that is not JSON", opts: []instanceOption{withIdentityDocument("instanceId=i-0123")},
			wantErr: invalid, msg: fixed("instanceIdentityDocument is not a JSON instance identity document."),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cluster := instanceCluster(t)
			_, err := c.RegisterContainerInstance(ctx(t), registerInput(cluster, tt.opts...))
			tt.wantErr(t, err, tt.msg(cluster))
			if got := listInstances(t, c, cluster, "", 0); len(got) != 0 {
				t.Fatalf("ListContainerInstances after a rejection = %v, want none", got)
			}
			if n := describeCluster(t, cluster).RegisteredContainerInstancesCount; n != 0 {
				t.Fatalf("registeredContainerInstancesCount = %d, want 0", n)
			}
		})
	}

	t.Run("containerInstanceArn of a malformed ARN in the cluster", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		for _, ref := range []string{
			instanceARN(cluster, "xyz"),
			instanceARN(cluster, strings.ToUpper(unknownInstanceID)),
			"arn:aws:ecs:eu-west-1:000000000000:container-instance/" + cluster + "/" + unknownInstanceID,
			"arn:aws:ecs:us-east-1:111111111111:container-instance/" + cluster + "/" + unknownInstanceID,
			"arn:aws:ecs:us-east-1:000000000000:task/" + cluster + "/" + unknownInstanceID,
		} {
			_, err := c.RegisterContainerInstance(ctx(t), registerInput(cluster, reregistering(ref)))
			invalid(t, err, notInCluster(ref)(cluster))
		}
		if got := listInstances(t, c, cluster, "", 0); len(got) != 0 {
			t.Fatalf("ListContainerInstances after rejections = %v, want none", got)
		}
	})

	t.Run("an unknown cluster", func(t *testing.T) {
		t.Parallel()
		name := uniqueName(t, "nope")
		_, err := c.RegisterContainerInstance(ctx(t), registerInput(name))
		wantAPIError[*types.ClusterNotFoundException](t, err, "Cluster not found.")
		wantMissing(t, name)
	})

	t.Run("a deleted cluster", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		deleteCluster(t, cluster)
		_, err := c.RegisterContainerInstance(ctx(t), registerInput(cluster))
		wantAPIError[*types.ClusterNotFoundException](t, err, "Cluster not found.")
		if got := describeCluster(t, cluster); aws.ToString(got.Status) != "INACTIVE" || got.RegisteredContainerInstancesCount != 0 {
			t.Fatalf("cluster %s with %d instances, want INACTIVE with 0", aws.ToString(got.Status), got.RegisteredContainerInstancesCount)
		}
	})
}
