package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func ptr[T any](v T) *T { return &v }

// registerTaskDefinitionJSON is a realistic RegisterTaskDefinition body, as
// the AWS CLI or an SDK sends it. Zero values (cpu 0, essential false, an
// empty environment value) are present on purpose: they must survive.
const registerTaskDefinitionJSON = `{
  "family": "web",
  "taskRoleArn": "arn:aws:iam::123456789012:role/web-task",
  "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "1 vCPU",
  "memory": "2 GB",
  "runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
  "containerDefinitions": [
    {
      "name": "web",
      "image": "public.ecr.aws/nginx/nginx:1.25",
      "cpu": 0,
      "memoryReservation": 256,
      "essential": true,
      "portMappings": [
        {"containerPort": 80, "hostPort": 80, "protocol": "tcp", "name": "http", "appProtocol": "http"}
      ],
      "environment": [
        {"name": "ENV", "value": "prod"},
        {"name": "EMPTY", "value": ""}
      ],
      "healthCheck": {
        "command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"],
        "interval": 30,
        "timeout": 5,
        "retries": 3,
        "startPeriod": 10
      },
      "logConfiguration": {
        "logDriver": "awslogs",
        "options": {"awslogs-group": "/ecs/web", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "web"}
      },
      "dependsOn": [{"containerName": "sidecar", "condition": "HEALTHY"}],
      "dockerLabels": {"com.example.team": "platform"}
    },
    {
      "name": "sidecar",
      "image": "busybox",
      "essential": false,
      "command": ["sleep", "infinity"]
    }
  ],
  "volumes": [{"name": "scratch", "host": {}}],
  "tags": [{"key": "team", "value": "platform"}]
}`

func TestRegisterTaskDefinitionRoundTrip(t *testing.T) {
	var req RegisterTaskDefinitionRequest
	dec := json.NewDecoder(strings.NewReader(registerTaskDefinitionJSON))
	dec.DisallowUnknownFields() // every key of the body is a modelled member
	if err := dec.Decode(&req); err != nil {
		t.Fatal(err)
	}

	// Typed view.
	if got := aws.ToString(req.Cpu); got != "1 vCPU" {
		t.Errorf("Cpu = %q, want the task-level string \"1 vCPU\"", got)
	}
	if req.NetworkMode != NetworkModeAwsvpc {
		t.Errorf("NetworkMode = %q", req.NetworkMode)
	}
	if !slices.Equal(req.RequiresCompatibilities, []Compatibility{CompatibilityFargate}) {
		t.Errorf("RequiresCompatibilities = %v", req.RequiresCompatibilities)
	}
	if req.RuntimePlatform == nil || req.RuntimePlatform.CpuArchitecture != CPUArchitectureArm64 {
		t.Errorf("RuntimePlatform = %+v", req.RuntimePlatform)
	}
	if len(req.ContainerDefinitions) != 2 {
		t.Fatalf("got %d container definitions", len(req.ContainerDefinitions))
	}
	web, side := req.ContainerDefinitions[0], req.ContainerDefinitions[1]
	if web.Cpu == nil || *web.Cpu != 0 {
		t.Errorf("web.Cpu = %v, want present and 0", web.Cpu)
	}
	if web.Memory != nil {
		t.Errorf("web.Memory = %v, want absent", *web.Memory)
	}
	if side.Essential == nil || *side.Essential {
		t.Errorf("sidecar.Essential = %v, want present and false", side.Essential)
	}
	if len(web.PortMappings) != 1 || aws.ToInt32(web.PortMappings[0].ContainerPort) != 80 ||
		web.PortMappings[0].Protocol != TransportProtocolTcp || web.PortMappings[0].AppProtocol != ApplicationProtocolHttp {
		t.Errorf("web.PortMappings = %+v", web.PortMappings)
	}
	if web.HealthCheck == nil || aws.ToInt32(web.HealthCheck.Retries) != 3 || len(web.HealthCheck.Command) != 2 {
		t.Errorf("web.HealthCheck = %+v", web.HealthCheck)
	}
	if len(web.Environment) != 2 || web.Environment[1].Value == nil || *web.Environment[1].Value != "" {
		t.Errorf("web.Environment = %+v, want EMPTY with a present empty value", web.Environment)
	}
	if web.LogConfiguration == nil || web.LogConfiguration.LogDriver != LogDriverAwslogs ||
		web.LogConfiguration.Options["awslogs-group"] != "/ecs/web" {
		t.Errorf("web.LogConfiguration = %+v", web.LogConfiguration)
	}
	if len(web.DependsOn) != 1 || web.DependsOn[0].Condition != ContainerConditionHealthy {
		t.Errorf("web.DependsOn = %+v", web.DependsOn)
	}
	if req.Volumes[0].Host == nil {
		t.Errorf("volumes[0].host: an empty object must stay present")
	}

	// Wire view: marshalling gives back exactly the same JSON document, so
	// key names stay lowerCamel, zero values stay and absent members stay
	// absent.
	out, err := json.Marshal(&req)
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := json.Unmarshal([]byte(registerTaskDefinitionJSON), &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip changed the document:\n got %s\nwant %s", out, compact(t, registerTaskDefinitionJSON))
	}
	for _, absent := range []string{`"memory":null`, `"pidMode"`, `"ipcMode"`, `"Cpu"`, `"ContainerDefinitions"`, `null`} {
		if bytes.Contains(out, []byte(absent)) {
			t.Errorf("marshalled request contains %s: %s", absent, out)
		}
	}
}

func TestEmptyStructsMarshalEmpty(t *testing.T) {
	for _, v := range []any{
		RegisterTaskDefinitionRequest{},
		ContainerDefinition{},
		Cluster{},
		TaskDefinition{},
		DescribeClustersResponse{},
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != "{}" {
			t.Errorf("%T{} marshals as %s, want {}", v, b)
		}
	}
}

func compact(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var registeredAt = time.Date(2024, 2, 29, 21, 35, 25, 51_000_000, time.UTC) // 1709242525.051

func sampleTaskDefinition() *TaskDefinition {
	return &TaskDefinition{
		TaskDefinitionArn:       ptr("arn:aws:ecs:us-east-1:123456789012:task-definition/web:3"),
		Family:                  ptr("web"),
		Revision:                ptr[int32](3),
		Status:                  TaskDefinitionStatusActive,
		Cpu:                     ptr("1024"),
		Memory:                  ptr("2048"),
		NetworkMode:             NetworkModeAwsvpc,
		RequiresCompatibilities: []Compatibility{CompatibilityFargate},
		Compatibilities:         []Compatibility{CompatibilityEc2, CompatibilityFargate},
		RegisteredAt:            NewTime(registeredAt),
		RegisteredBy:            ptr("arn:aws:iam::123456789012:root"),
		ContainerDefinitions: []ContainerDefinition{{
			Name:      ptr("web"),
			Image:     ptr("nginx"),
			Cpu:       ptr[int32](0),
			Essential: ptr(true),
			PortMappings: []PortMapping{{
				ContainerPort: ptr[int32](80),
				HostPort:      ptr[int32](80),
				Protocol:      TransportProtocolTcp,
			}},
			HealthCheck: &HealthCheck{Command: []string{"CMD", "true"}, Interval: ptr[int32](30)},
			Environment: []KeyValuePair{{Name: ptr("ENV"), Value: ptr("prod")}},
		}},
	}
}

func TestTimestampsAreJSONNumbers(t *testing.T) {
	resp := DescribeTaskDefinitionResponse{TaskDefinition: sampleTaskDefinition()}
	b, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		TaskDefinition map[string]json.RawMessage `json:"taskDefinition"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if got := string(doc.TaskDefinition["registeredAt"]); got != "1709242525.051" {
		t.Errorf("registeredAt = %s, want the JSON number 1709242525.051", got)
	}
	for _, absent := range []string{"deregisteredAt", "deleteRequestedAt", "pidMode"} {
		if v, ok := doc.TaskDefinition[absent]; ok {
			t.Errorf("%s = %s, want absent", absent, v)
		}
	}
	if got := string(doc.TaskDefinition["revision"]); got != "3" {
		t.Errorf("revision = %s, want 3", got)
	}
	if got := string(doc.TaskDefinition["status"]); got != `"ACTIVE"` {
		t.Errorf("status = %s, want \"ACTIVE\"", got)
	}

	// A Cluster's zero counts are present (they are pointers), and nothing
	// else is.
	c := Cluster{ClusterName: ptr("default"), RegisteredContainerInstancesCount: ptr[int32](0)}
	b, err = json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"clusterName":"default","registeredContainerInstancesCount":0}`; string(b) != want {
		t.Errorf("Cluster = %s, want %s", b, want)
	}
}

// TestSDKDecodesOurJSON serves our marshalled JSON to the aws-sdk-go-v2 ECS
// client and checks what it decodes, and decodes what the SDK sends into our
// types, rejecting unknown members.
func TestSDKDecodesOurJSON(t *testing.T) {
	var gotTargets []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := r.Header.Get("X-Amz-Target")
		gotTargets = append(gotTargets, target)
		body, _ := io.ReadAll(r.Body)
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()

		var resp any
		switch target {
		case ECSTargetPrefix + ".RegisterTaskDefinition":
			var in RegisterTaskDefinitionRequest
			if err := dec.Decode(&in); err != nil {
				t.Errorf("decode SDK request %s: %v", body, err)
			}
			// The SDK's ContainerDefinition.Cpu is a plain int32, so it
			// never sends cpu 0: the server must read absent as 0.
			if aws.ToString(in.Cpu) != "1 vCPU" || len(in.ContainerDefinitions) != 1 ||
				in.ContainerDefinitions[0].Cpu != nil ||
				aws.ToInt32(in.ContainerDefinitions[0].PortMappings[0].ContainerPort) != 80 ||
				in.ContainerDefinitions[0].PortMappings[0].Protocol != TransportProtocolTcp {
				t.Errorf("SDK request decoded as %+v from %s", in, body)
			}
			resp = RegisterTaskDefinitionResponse{
				TaskDefinition: sampleTaskDefinition(),
				Tags:           []Tag{{Key: ptr("team"), Value: ptr("platform")}},
			}
		case ECSTargetPrefix + ".DescribeClusters":
			var in DescribeClustersRequest
			if err := dec.Decode(&in); err != nil {
				t.Errorf("decode SDK request %s: %v", body, err)
			}
			resp = DescribeClustersResponse{
				Clusters: []Cluster{{
					ClusterName:                       ptr("default"),
					Status:                            ptr("ACTIVE"),
					RegisteredContainerInstancesCount: ptr[int32](0),
					RunningTasksCount:                 ptr[int32](2),
					Settings:                          []ClusterSetting{{Name: ClusterSettingNameContainerInsights, Value: ptr("enabled")}},
				}},
				Failures: []Failure{{Arn: ptr("arn:aws:ecs:us-east-1:123456789012:cluster/gone"), Reason: ptr("MISSING")}},
			}
		default:
			t.Errorf("unexpected target %q", target)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		out, err := json.Marshal(resp)
		if err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Write(out)
	}))
	defer srv.Close()

	client := ecs.New(ecs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  aws.AnonymousCredentials{},
		HTTPClient:   srv.Client(),
	})
	ctx := context.Background()

	reg, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String("web"),
		Cpu:                     aws.String("1 vCPU"),
		Memory:                  aws.String("2 GB"),
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name:      aws.String("web"),
			Image:     aws.String("nginx"),
			Cpu:       0,
			Essential: aws.Bool(true),
			PortMappings: []ecstypes.PortMapping{{
				ContainerPort: aws.Int32(80),
				Protocol:      ecstypes.TransportProtocolTcp,
			}},
			HealthCheck: &ecstypes.HealthCheck{Command: []string{"CMD", "true"}},
		}},
	})
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	td := reg.TaskDefinition
	if td == nil {
		t.Fatal("no taskDefinition decoded")
	}
	if td.RegisteredAt == nil || !td.RegisteredAt.Equal(registeredAt) {
		t.Errorf("RegisteredAt = %v, want %v", td.RegisteredAt, registeredAt)
	}
	if td.Revision != 3 || td.Status != ecstypes.TaskDefinitionStatusActive || aws.ToString(td.Cpu) != "1024" ||
		td.NetworkMode != ecstypes.NetworkModeAwsvpc || len(td.Compatibilities) != 2 {
		t.Errorf("TaskDefinition decoded as %+v", td)
	}
	if len(td.ContainerDefinitions) != 1 {
		t.Fatalf("container definitions: %+v", td.ContainerDefinitions)
	}
	cd := td.ContainerDefinitions[0]
	if aws.ToString(cd.Name) != "web" || !aws.ToBool(cd.Essential) || len(cd.PortMappings) != 1 ||
		aws.ToInt32(cd.PortMappings[0].ContainerPort) != 80 || cd.PortMappings[0].Protocol != ecstypes.TransportProtocolTcp ||
		cd.HealthCheck == nil || aws.ToInt32(cd.HealthCheck.Interval) != 30 ||
		len(cd.Environment) != 1 || aws.ToString(cd.Environment[0].Value) != "prod" {
		t.Errorf("ContainerDefinition decoded as %+v", cd)
	}
	if len(reg.Tags) != 1 || aws.ToString(reg.Tags[0].Key) != "team" {
		t.Errorf("Tags = %+v", reg.Tags)
	}

	dc, err := client.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"default", "gone"}})
	if err != nil {
		t.Fatalf("DescribeClusters: %v", err)
	}
	if len(dc.Clusters) != 1 || aws.ToString(dc.Clusters[0].ClusterName) != "default" ||
		dc.Clusters[0].RunningTasksCount != 2 || dc.Clusters[0].RegisteredContainerInstancesCount != 0 ||
		len(dc.Clusters[0].Settings) != 1 || dc.Clusters[0].Settings[0].Name != ecstypes.ClusterSettingNameContainerInsights {
		t.Errorf("Clusters decoded as %+v", dc.Clusters)
	}
	if len(dc.Failures) != 1 || aws.ToString(dc.Failures[0].Reason) != "MISSING" {
		t.Errorf("Failures decoded as %+v", dc.Failures)
	}

	wantTargets := []string{ECSTargetPrefix + ".RegisterTaskDefinition", ECSTargetPrefix + ".DescribeClusters"}
	if !slices.Equal(gotTargets, wantTargets) {
		t.Errorf("targets = %v, want %v", gotTargets, wantTargets)
	}
}

// TestGeneratedFieldShapes checks the generated code keeps the contract in
// doc.go: every field is tagged json:"<lowerCamel>,omitzero" and is a
// pointer, slice, map, enum or document, never a bare scalar or struct.
func TestGeneratedFieldShapes(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "ecs_types.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	enums := map[string]bool{}
	aliases := map[string]bool{}
	structs := map[string]*ast.StructType{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, s := range gd.Specs {
			ts := s.(*ast.TypeSpec)
			if ts.Assign.IsValid() {
				aliases[ts.Name.Name] = true // the document shape
				continue
			}
			switch tt := ts.Type.(type) {
			case *ast.StructType:
				structs[ts.Name.Name] = tt
			case *ast.Ident:
				if tt.Name == "string" {
					enums[ts.Name.Name] = true
				}
			}
		}
	}
	if len(structs) < 300 || len(enums) < 90 {
		t.Fatalf("found only %d structs and %d enums", len(structs), len(enums))
	}
	for name, st := range structs {
		if name == "Range" {
			continue
		}
		tags := map[string]bool{}
		for _, fld := range st.Fields.List {
			fname := fld.Names[0].Name
			tag := reflect.StructTag(strings.Trim(fld.Tag.Value, "`")).Get("json")
			key, opts, _ := strings.Cut(tag, ",")
			if opts != "omitzero" || key == "" {
				t.Errorf("%s.%s: json tag %q", name, fname, tag)
			}
			if key[0] < 'a' || key[0] > 'z' {
				t.Errorf("%s.%s: wire name %q is not lowerCamel", name, fname, key)
			}
			if tags[key] {
				t.Errorf("%s: duplicate wire name %q", name, key)
			}
			tags[key] = true
			switch ft := fld.Type.(type) {
			case *ast.StarExpr, *ast.ArrayType, *ast.MapType:
			case *ast.Ident:
				if !enums[ft.Name] && !aliases[ft.Name] {
					t.Errorf("%s.%s: bare type %s", name, fname, ft.Name)
				}
			default:
				t.Errorf("%s.%s: unexpected type %T", name, fname, ft)
			}
		}
	}

	// The tables agree with the types.
	for shape, members := range ECSRequired {
		st, ok := structs[shape]
		if !ok {
			t.Errorf("ECSRequired names unknown struct %s", shape)
			continue
		}
		for _, m := range members {
			if !hasTag(st, m) {
				t.Errorf("ECSRequired: %s has no member %s", shape, m)
			}
		}
	}
	for shape, members := range ECSRanges {
		for m := range members {
			if st, ok := structs[shape]; !ok || !hasTag(st, m) {
				t.Errorf("ECSRanges: %s has no member %s", shape, m)
			}
		}
	}
	if len(ECSOperations) != 77 || !slices.IsSorted(ECSOperations) {
		t.Errorf("ECSOperations: %d names, sorted=%v", len(ECSOperations), slices.IsSorted(ECSOperations))
	}
	for _, op := range ECSOperations {
		s, ok := ECSOperationShapes[op]
		if !ok {
			t.Errorf("no ECSOperationShapes[%s]", op)
			continue
		}
		if structs[s.Input] == nil || structs[s.Output] == nil {
			t.Errorf("%s: input %q or output %q is not a generated struct", op, s.Input, s.Output)
		}
		for _, e := range s.Errors {
			if !slices.Contains(ECSErrorTypes, e) {
				t.Errorf("%s: error %s not in ECSErrorTypes", op, e)
			}
		}
	}
	if len(ECSErrorTypes) == 0 || !slices.IsSorted(ECSErrorTypes) {
		t.Errorf("ECSErrorTypes = %v", ECSErrorTypes)
	}
	for _, e := range ECSErrorTypes {
		if structs[e] != nil {
			t.Errorf("exception %s was emitted as a struct", e)
		}
	}
}

func hasTag(st *ast.StructType, wire string) bool {
	for _, fld := range st.Fields.List {
		tag := reflect.StructTag(strings.Trim(fld.Tag.Value, "`")).Get("json")
		if key, _, _ := strings.Cut(tag, ","); key == wire {
			return true
		}
	}
	return false
}

func TestEnumValues(t *testing.T) {
	if got := LaunchTypeEc2; got != "EC2" {
		t.Errorf("LaunchTypeEc2 = %q", got)
	}
	vals := LaunchType("").Values()
	for _, want := range []LaunchType{LaunchTypeEc2, LaunchTypeFargate, LaunchTypeExternal} {
		if !slices.Contains(vals, want) {
			t.Errorf("LaunchType.Values() = %v lacks %s", vals, want)
		}
	}
}
