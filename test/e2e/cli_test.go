package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

const (
	// cliCommandTimeout bounds one 'aws' invocation. The CLI is a Python
	// program that takes most of a second just to start.
	cliCommandTimeout = 60 * time.Second
	// cliEnvFileTimeout bounds the wait for 'berth dev' to write DATA_DIR/env
	// once /healthz answers (it writes the file right after).
	cliEnvFileTimeout = 10 * time.Second
	// cliEnvFilePoll is how often that wait looks at the file.
	cliEnvFilePoll = 10 * time.Millisecond
	// cliClientErrorExit is the AWS CLI's exit status when the service
	// rejects a request (any 4xx/5xx API error).
	cliClientErrorExit = 255
)

// cliEnvFileKeys is what DATA_DIR/env must export, as the README promises.
var cliEnvFileKeys = []string{"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"}

// TestAWSCLI drives a 'berth dev' server with the real AWS CLI, configured
// only by the env file berth writes, as a newcomer following the README
// would.
func TestAWSCLI(t *testing.T) {
	bin := requireAWSCLI(t)
	t.Parallel()

	dev, err := startServer(t.TempDir(), "dev")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := dev.stop(); err != nil {
			t.Errorf("stop berth dev: %v", err)
		}
		removeContainers(devAgentARN(dev))
	})
	cli := &awsCLI{bin: bin, env: cliEnv(t, dev)}

	t.Run("run-task runs a container on the dev agent", func(t *testing.T) {
		t.Parallel()
		family := uniqueName(t, "cli")
		var registered struct {
			TaskDefinition struct {
				TaskDefinitionArn string `json:"taskDefinitionArn"`
			} `json:"taskDefinition"`
		}
		cli.ok(t, &registered, "ecs", "register-task-definition", "--family", family, "--container-definitions",
			`[{"name":"app","image":"`+testImage+`","memory":32,"command":["sleep","600"],"stopTimeout":1}]`)
		var ran struct {
			Tasks []struct {
				TaskArn string `json:"taskArn"`
			} `json:"tasks"`
			Failures []any `json:"failures"`
		}
		cli.ok(t, &ran, "ecs", "run-task", "--task-definition", family)
		if len(ran.Tasks) != 1 || len(ran.Failures) != 0 {
			t.Fatalf("run-task = %+v, want one task placed on the dev agent", ran)
		}
		arn := ran.Tasks[0].TaskArn
		cli.ok(t, nil, "ecs", "wait", "tasks-running", "--tasks", arn)
		cli.ok(t, nil, "ecs", "stop-task", "--task", arn, "--reason", "done")
		cli.ok(t, nil, "ecs", "wait", "tasks-stopped", "--tasks", arn)
	})

	t.Run("list-clusters shows the default cluster", func(t *testing.T) {
		t.Parallel()
		var out struct {
			ClusterArns []string `json:"clusterArns"`
		}
		cli.ok(t, &out, "ecs", "list-clusters")
		if want := cliClusterARN("default"); !slices.Contains(out.ClusterArns, want) {
			t.Fatalf("clusterArns = %v, want it to contain %s", out.ClusterArns, want)
		}
	})

	t.Run("cluster lifecycle", func(t *testing.T) {
		t.Parallel()
		name := uniqueName(t, "cli")
		arn := cliClusterARN(name)

		var created struct {
			Cluster cliCluster `json:"cluster"`
		}
		cli.ok(t, &created, "ecs", "create-cluster", "--cluster-name", name)
		created.Cluster.want(t, "create-cluster", name, "ACTIVE")

		var described cliDescribeClusters
		cli.ok(t, &described, "ecs", "describe-clusters", "--clusters", name)
		if len(described.Clusters) != 1 || len(described.Failures) != 0 {
			t.Fatalf("describe-clusters = %+v, want exactly the one cluster", described)
		}
		described.Clusters[0].want(t, "describe-clusters", name, "ACTIVE")

		if arns := cli.listClusters(t); !slices.Contains(arns, arn) {
			t.Fatalf("list-clusters = %v, want it to contain %s", arns, arn)
		}

		var deleted struct {
			Cluster cliCluster `json:"cluster"`
		}
		cli.ok(t, &deleted, "ecs", "delete-cluster", "--cluster", name)
		deleted.Cluster.want(t, "delete-cluster", name, "INACTIVE")

		if arns := cli.listClusters(t); slices.Contains(arns, arn) {
			t.Fatalf("list-clusters after delete = %v, want no %s", arns, arn)
		}
		described = cliDescribeClusters{}
		cli.ok(t, &described, "ecs", "describe-clusters", "--clusters", name)
		if len(described.Clusters) != 1 {
			t.Fatalf("describe-clusters after delete = %+v, want the INACTIVE cluster", described)
		}
		described.Clusters[0].want(t, "describe-clusters after delete", name, "INACTIVE")
	})

	t.Run("register-task-definition from --cli-input-json", func(t *testing.T) {
		t.Parallel()
		family := uniqueName(t, "cli")
		input := fmt.Sprintf(`{
  "family": %q,
  "networkMode": "bridge",
  "cpu": "0.5 vCPU",
  "memory": "512",
  "containerDefinitions": [
    {
      "name": "web",
      "image": "nginx:1.27-alpine",
      "essential": true,
      "memory": 256,
      "portMappings": [{"containerPort": 80, "hostPort": 8080, "protocol": "tcp"}],
      "environment": [{"name": "UPSTREAM", "value": "http://app:9000"}],
      "healthCheck": {
        "command": ["CMD-SHELL", "wget -qO- http://localhost/ || exit 1"],
        "interval": 10, "timeout": 3, "retries": 2, "startPeriod": 5
      },
      "dependsOn": [{"containerName": "app", "condition": "HEALTHY"}]
    },
    {
      "name": "app",
      "image": "ghcr.io/example/app:2.4.1",
      "essential": true,
      "memory": 256,
      "command": ["serve", "--port", "9000"],
      "portMappings": [{"containerPort": 9000}],
      "environment": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "PORT", "value": "9000"}],
      "healthCheck": {"command": ["CMD", "/app", "healthcheck"]}
    }
  ]
}`, family)
		path := cliWriteFile(t, "taskdef.json", input)

		var registered struct {
			TaskDefinition cliTaskDefinition `json:"taskDefinition"`
		}
		cli.ok(t, &registered, "ecs", "register-task-definition", "--cli-input-json", "file://"+path)
		td := registered.TaskDefinition
		td.wantIdentity(t, family, 1, "ACTIVE")
		// "0.5 vCPU" is stored as CPU units, as ECS does at registration.
		if td.CPU != "512" || td.Memory != "512" {
			t.Errorf("cpu, memory = %q, %q, want \"512\", \"512\"", td.CPU, td.Memory)
		}
		if td.NetworkMode != "bridge" {
			t.Errorf("networkMode = %q, want bridge", td.NetworkMode)
		}
		if len(td.ContainerDefinitions) != 2 {
			t.Fatalf("containerDefinitions = %+v, want web and app", td.ContainerDefinitions)
		}
		web, app := td.ContainerDefinitions[0], td.ContainerDefinitions[1]
		if web.Name != "web" || web.Image != "nginx:1.27-alpine" || web.Memory != 256 {
			t.Errorf("web = %+v, want name web, image nginx:1.27-alpine, memory 256", web)
		}
		cliWantPorts(t, "web", web.PortMappings, cliPortMapping{ContainerPort: 80, HostPort: 8080, Protocol: "tcp"})
		cliWantEnv(t, "web", web.Environment, map[string]string{"UPSTREAM": "http://app:9000"})
		cliWantHealthCheck(t, "web", web.HealthCheck, cliHealthCheck{
			Command: []string{"CMD-SHELL", "wget -qO- http://localhost/ || exit 1"}, Interval: 10, Timeout: 3, Retries: 2, StartPeriod: 5,
		})
		if len(web.DependsOn) != 1 || web.DependsOn[0].ContainerName != "app" || web.DependsOn[0].Condition != "HEALTHY" {
			t.Errorf("web dependsOn = %+v, want app HEALTHY", web.DependsOn)
		}
		if app.Name != "app" || !slices.Equal(app.Command, []string{"serve", "--port", "9000"}) {
			t.Errorf("app = %+v, want name app, command serve --port 9000", app)
		}
		if app.Essential == nil || !*app.Essential {
			t.Errorf("app essential = %v, want true", app.Essential)
		}
		// Defaults ECS fills in: protocol tcp; interval 30, timeout 5, retries 3.
		cliWantPorts(t, "app", app.PortMappings, cliPortMapping{ContainerPort: 9000, Protocol: "tcp"})
		cliWantEnv(t, "app", app.Environment, map[string]string{"LOG_LEVEL": "info", "PORT": "9000"})
		cliWantHealthCheck(t, "app", app.HealthCheck, cliHealthCheck{Command: []string{"CMD", "/app", "healthcheck"}, Interval: 30, Timeout: 5, Retries: 3})

		var described struct {
			TaskDefinition cliTaskDefinition `json:"taskDefinition"`
		}
		cli.ok(t, &described, "ecs", "describe-task-definition", "--task-definition", family)
		described.TaskDefinition.wantIdentity(t, family, 1, "ACTIVE")
		if !reflect.DeepEqual(described.TaskDefinition.ContainerDefinitions, td.ContainerDefinitions) {
			t.Errorf("describe-task-definition containers = %+v, want what register returned: %+v",
				described.TaskDefinition.ContainerDefinitions, td.ContainerDefinitions)
		}
	})

	t.Run("register-task-definition from --family and a --container-definitions file", func(t *testing.T) {
		t.Parallel()
		family := uniqueName(t, "cli")
		path := cliWriteFile(t, "containers.json", `[
  {"name": "worker", "image": "busybox:1.36", "memory": 64, "command": ["sleep", "3600"],
   "environment": [{"name": "QUEUE", "value": "jobs"}]}
]`)
		for rev := 1; rev <= 2; rev++ {
			var registered struct {
				TaskDefinition cliTaskDefinition `json:"taskDefinition"`
			}
			cli.ok(t, &registered, "ecs", "register-task-definition", "--family", family, "--container-definitions", "file://"+path)
			td := registered.TaskDefinition
			td.wantIdentity(t, family, rev, "ACTIVE")
			if len(td.ContainerDefinitions) != 1 {
				t.Fatalf("containerDefinitions = %+v, want one", td.ContainerDefinitions)
			}
			c := td.ContainerDefinitions[0]
			if c.Name != "worker" || c.Image != "busybox:1.36" || c.Memory != 64 || !slices.Equal(c.Command, []string{"sleep", "3600"}) {
				t.Errorf("container = %+v, want worker busybox:1.36 memory 64 command sleep 3600", c)
			}
			cliWantEnv(t, "worker", c.Environment, map[string]string{"QUEUE": "jobs"})
		}

		var described struct {
			TaskDefinition cliTaskDefinition `json:"taskDefinition"`
		}
		cli.ok(t, &described, "ecs", "describe-task-definition", "--task-definition", family+":1")
		described.TaskDefinition.wantIdentity(t, family, 1, "ACTIVE")
	})

	t.Run("task definition listing and deregistration", func(t *testing.T) {
		t.Parallel()
		family := uniqueName(t, "cli")
		containers := `[{"name":"web","image":"nginx:alpine","memory":128}]`
		for range 3 {
			cli.ok(t, nil, "ecs", "register-task-definition", "--family", family, "--container-definitions", containers)
		}

		if got, want := cli.listTaskDefinitions(t, "--family-prefix", family), cliTaskDefARNs(family, 1, 2, 3); !slices.Equal(got, want) {
			t.Fatalf("list-task-definitions --family-prefix = %v, want %v", got, want)
		}
		var families struct {
			Families []string `json:"families"`
		}
		cli.ok(t, &families, "ecs", "list-task-definition-families", "--family-prefix", family)
		if !slices.Equal(families.Families, []string{family}) {
			t.Fatalf("list-task-definition-families --family-prefix = %v, want [%s]", families.Families, family)
		}

		var deregistered struct {
			TaskDefinition cliTaskDefinition `json:"taskDefinition"`
		}
		cli.ok(t, &deregistered, "ecs", "deregister-task-definition", "--task-definition", family+":2")
		deregistered.TaskDefinition.wantIdentity(t, family, 2, "INACTIVE")

		if got, want := cli.listTaskDefinitions(t, "--family-prefix", family), cliTaskDefARNs(family, 1, 3); !slices.Equal(got, want) {
			t.Fatalf("list-task-definitions after deregistering 2 = %v, want %v", got, want)
		}
		if got, want := cli.listTaskDefinitions(t, "--family-prefix", family, "--status", "INACTIVE"), cliTaskDefARNs(family, 2); !slices.Equal(got, want) {
			t.Fatalf("list-task-definitions --status INACTIVE = %v, want %v", got, want)
		}
		if got, want := cli.listTaskDefinitions(t, "--family-prefix", family, "--sort", "DESC"), cliTaskDefARNs(family, 3, 1); !slices.Equal(got, want) {
			t.Fatalf("list-task-definitions --sort DESC = %v, want %v", got, want)
		}
	})

	t.Run("tag-resource and list-tags-for-resource", func(t *testing.T) {
		t.Parallel()
		name := uniqueName(t, "cli")
		cli.ok(t, nil, "ecs", "create-cluster", "--cluster-name", name)
		arn := cliClusterARN(name)
		cli.ok(t, nil, "ecs", "tag-resource", "--resource-arn", arn, "--tags", "key=team,value=platform", "key=env,value=dev")

		var tags struct {
			Tags []struct {
				Key   string `json:"key"`
				Value string `json:"value"`
			} `json:"tags"`
		}
		cli.ok(t, &tags, "ecs", "list-tags-for-resource", "--resource-arn", arn)
		got := map[string]string{}
		for _, tag := range tags.Tags {
			got[tag.Key] = tag.Value
		}
		if want := map[string]string{"team": "platform", "env": "dev"}; !maps.Equal(got, want) {
			t.Fatalf("list-tags-for-resource = %v, want %v", got, want)
		}
	})

	t.Run("put-account-setting and list-account-settings", func(t *testing.T) {
		t.Parallel()
		root := "arn:aws:iam::" + testAccount + ":root"
		var put struct {
			Setting cliSetting `json:"setting"`
		}
		cli.ok(t, &put, "ecs", "put-account-setting", "--name", "containerInsights", "--value", "enhanced")
		if want := (cliSetting{Name: "containerInsights", Value: "enhanced", PrincipalArn: root, Type: "user"}); put.Setting != want {
			t.Fatalf("put-account-setting = %+v, want %+v", put.Setting, want)
		}

		var listed struct {
			Settings []cliSetting `json:"settings"`
		}
		cli.ok(t, &listed, "ecs", "list-account-settings", "--name", "containerInsights")
		if want := []cliSetting{put.Setting}; !slices.Equal(listed.Settings, want) {
			t.Fatalf("list-account-settings --name containerInsights = %+v, want %+v", listed.Settings, want)
		}

		// --effective-settings lists every setting: the CLI pages through
		// them (ten per page at most) and the one set here keeps its value.
		listed.Settings = nil
		cli.ok(t, &listed, "ecs", "list-account-settings", "--effective-settings")
		byName := map[string]cliSetting{}
		for _, s := range listed.Settings {
			byName[s.Name] = s
		}
		if len(byName) != len(listed.Settings) || len(byName) <= 10 {
			t.Fatalf("list-account-settings --effective-settings = %+v, want every setting once (more than one page)", listed.Settings)
		}
		if byName["containerInsights"] != put.Setting {
			t.Fatalf("effective containerInsights = %+v, want %+v", byName["containerInsights"], put.Setting)
		}
		if s := byName["awsvpcTrunking"]; s.Value != "disabled" || s.Type != "aws_managed" {
			t.Fatalf("effective awsvpcTrunking = %+v, want the AWS-managed default disabled", s)
		}
	})

	t.Run("list-task-definitions paginates across pages", func(t *testing.T) {
		t.Parallel()
		const revisions, pageSize = 25, 4
		family := uniqueName(t, "cli")
		api := clientFor(t, dev) // 'berth dev' accepts the test key like any other
		for range revisions {
			if _, err := api.RegisterTaskDefinition(ctx(t), &ecs.RegisterTaskDefinitionInput{
				Family: aws.String(family),
				ContainerDefinitions: []types.ContainerDefinition{
					{Name: aws.String("web"), Image: aws.String("nginx:alpine"), Memory: aws.Int32(128)},
				},
			}); err != nil {
				t.Fatal(err)
			}
		}
		// The server really pages at this size, so the CLI must follow
		// nextToken to see everything.
		first, err := api.ListTaskDefinitions(ctx(t), &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), MaxResults: aws.Int32(pageSize)})
		if err != nil {
			t.Fatal(err)
		}
		if len(first.TaskDefinitionArns) != pageSize || first.NextToken == nil {
			t.Fatalf("first page = %d ARNs, nextToken %v; want %d and a token", len(first.TaskDefinitionArns), first.NextToken, pageSize)
		}

		want := make([]int, revisions)
		for i := range want {
			want[i] = i + 1
		}
		got := cli.listTaskDefinitions(t, "--family-prefix", family, "--page-size", strconv.Itoa(pageSize))
		if !slices.Equal(got, cliTaskDefARNs(family, want...)) {
			t.Fatalf("aws ecs list-task-definitions --page-size %d = %d ARNs %v, want revisions 1..%d in order", pageSize, len(got), got, revisions)
		}
	})

	t.Run("describe-clusters of an unknown cluster reports MISSING", func(t *testing.T) {
		t.Parallel()
		name := uniqueName(t, "nope")
		var out cliDescribeClusters
		cli.ok(t, &out, "ecs", "describe-clusters", "--clusters", name)
		if len(out.Clusters) != 0 {
			t.Errorf("clusters = %+v, want none", out.Clusters)
		}
		want := []cliFailure{{Arn: cliClusterARN(name), Reason: "MISSING"}}
		if !slices.Equal(out.Failures, want) {
			t.Fatalf("failures = %+v, want %+v", out.Failures, want)
		}
	})

	errorCases := []struct {
		name string
		args []string
		// wantStderr must each appear in the CLI's error output.
		wantStderr []string
	}{
		{
			name:       "describe-task-definition of an unknown family",
			args:       []string{"ecs", "describe-task-definition", "--task-definition", "no-such-family-cli"},
			wantStderr: []string{"An error occurred (ClientException) when calling the DescribeTaskDefinition operation: Unable to describe task definition."},
		},
		{
			name:       "update-cluster-settings on an unknown cluster",
			args:       []string{"ecs", "update-cluster-settings", "--cluster", "no-such-cluster-cli", "--settings", "name=containerInsights,value=enabled"},
			wantStderr: []string{"(ClusterNotFoundException)", "Cluster not found."},
		},
		{
			name:       "register-task-definition with an invalid family",
			args:       []string{"ecs", "register-task-definition", "--family", "web@prod", "--container-definitions", `[{"name":"web","image":"nginx","memory":128}]`},
			wantStderr: []string{"(ClientException)", "Family contains invalid characters."},
		},
	}
	for _, tc := range errorCases {
		t.Run(tc.name+" fails with the ECS error", func(t *testing.T) {
			t.Parallel()
			res := cli.run(t, tc.args...)
			if res.exitCode != cliClientErrorExit {
				t.Fatalf("exit code = %d, want %d\n%s", res.exitCode, cliClientErrorExit, res)
			}
			for _, want := range tc.wantStderr {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("stderr does not contain %q\n%s", want, res)
				}
			}
			if strings.TrimSpace(res.stdout) != "" {
				t.Errorf("stdout = %q, want nothing", res.stdout)
			}
		})
	}
}

// requireAWSCLI returns the path of the 'aws' command. Without it the test
// fails in CI, where the CLI is part of the toolchain, and skips elsewhere.
// devAgentARN is the instance ARN of a 'berth dev' server's first agent.
func devAgentARN(s *server) string {
	raw, err := os.ReadFile(filepath.Join(s.DataDir, "agents", "1", "identity.json"))
	var id struct {
		ARN string `json:"containerInstanceArn"`
	}
	if err != nil || json.Unmarshal(raw, &id) != nil {
		return ""
	}
	return id.ARN
}

func requireAWSCLI(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("aws")
	switch {
	case err == nil:
		return bin
	case os.Getenv("CI") != "":
		t.Fatalf("the AWS CLI ('aws') is not on PATH, and CI must run the CLI tests: pip install awscli (%v)", err)
	default:
		t.Skipf("the AWS CLI ('aws') is not on PATH; install it with 'pip install awscli' to run this test (%v)", err)
	}
	return ""
}

// cliEnv is the environment the CLI runs with: this process's, without any
// AWS_* variable, plus what DATA_DIR/env exports, plus settings that keep
// the host's AWS configuration and pager out of the way.
func cliEnv(t *testing.T, s *server) []string {
	t.Helper()
	exported := readDevEnvFile(t, s)
	for _, k := range cliEnvFileKeys {
		if exported[k] == "" {
			t.Fatalf("DATA_DIR/env exports %v, want a value for %s", exported, k)
		}
	}
	if got := exported["AWS_ENDPOINT_URL"]; got != s.url() {
		t.Fatalf("DATA_DIR/env AWS_ENDPOINT_URL = %q, want %q", got, s.url())
	}
	if exported["AWS_REGION"] != testRegion || exported["AWS_DEFAULT_REGION"] != testRegion {
		t.Fatalf("DATA_DIR/env regions = %q, %q, want %s", exported["AWS_REGION"], exported["AWS_DEFAULT_REGION"], testRegion)
	}

	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	for k, v := range exported {
		env = append(env, k+"="+v)
	}
	nowhere := t.TempDir()
	return append(env,
		"AWS_CONFIG_FILE="+filepath.Join(nowhere, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(nowhere, "credentials"),
		"AWS_PAGER=",
	)
}

// readDevEnvFile waits for 'berth dev' to write DATA_DIR/env for this
// server and returns its exports. berth writes the file just after
// /healthz starts answering, so the wait is short but real.
func readDevEnvFile(t *testing.T, s *server) map[string]string {
	t.Helper()
	path := filepath.Join(s.DataDir, "env")
	wait, cancel := context.WithTimeout(context.Background(), cliEnvFileTimeout)
	defer cancel()
	tick := time.NewTicker(cliEnvFilePoll)
	defer tick.Stop()
	for {
		exported, err := parseEnvFile(path)
		if err == nil && exported["AWS_ENDPOINT_URL"] == s.url() {
			return exported
		}
		select {
		case <-wait.Done():
			t.Fatalf("%s not written for %s within %s: exports %v, error %v", path, s.url(), cliEnvFileTimeout, exported, err)
		case <-tick.C:
		}
	}
}

// parseEnvFile reads the 'export KEY=VALUE' lines of a shell env file.
// Any other line, except blank lines and comments, is an error: the file
// is documented as lines to source.
func parseEnvFile(path string) (map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		assign, ok := strings.CutPrefix(line, "export ")
		k, v, hasEq := strings.Cut(assign, "=")
		if !ok || !hasEq || k == "" {
			return nil, fmt.Errorf("%s: not an 'export KEY=VALUE' line: %q", path, line)
		}
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		} else if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = v[1 : len(v)-1]
		}
		out[k] = v
	}
	return out, sc.Err()
}

// awsCLI runs the AWS CLI against one server.
type awsCLI struct {
	bin string
	env []string
}

// cliResult is one finished 'aws' invocation.
type cliResult struct {
	args           []string
	exitCode       int
	stdout, stderr string
}

func (r cliResult) String() string {
	return fmt.Sprintf("$ aws %s\nexit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(r.args, " "), r.exitCode, r.stdout, r.stderr)
}

// run runs 'aws args... --output json' and returns how it ended. It fails
// the test only if the CLI could not be run or did not finish in time.
func (c *awsCLI) run(t *testing.T, args ...string) cliResult {
	t.Helper()
	args = append(slices.Clip(args), "--output", "json")
	runCtx, cancel := context.WithTimeout(context.Background(), cliCommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(runCtx, c.bin, args...)
	cmd.Env = c.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case runCtx.Err() != nil:
		t.Fatalf("aws did not finish within %s\n%s", cliCommandTimeout, res)
	case errors.As(err, &exit):
		res.exitCode = exit.ExitCode()
	case err != nil:
		t.Fatalf("run aws: %v", err)
	}
	return res
}

// ok runs the CLI, requires exit status 0 and decodes its JSON output into
// out (nil: the output is not checked).
func (c *awsCLI) ok(t *testing.T, out any, args ...string) {
	t.Helper()
	res := c.run(t, args...)
	if res.exitCode != 0 {
		t.Fatalf("exit code = %d, want 0\n%s", res.exitCode, res)
	}
	if out == nil {
		return
	}
	if err := json.Unmarshal([]byte(res.stdout), out); err != nil {
		t.Fatalf("stdout is not the JSON expected: %v\n%s", err, res)
	}
}

func (c *awsCLI) listClusters(t *testing.T) []string {
	t.Helper()
	var out struct {
		ClusterArns []string `json:"clusterArns"`
	}
	c.ok(t, &out, "ecs", "list-clusters")
	return out.ClusterArns
}

func (c *awsCLI) listTaskDefinitions(t *testing.T, args ...string) []string {
	t.Helper()
	var out struct {
		TaskDefinitionArns []string `json:"taskDefinitionArns"`
		NextToken          string   `json:"nextToken"`
	}
	c.ok(t, &out, append([]string{"ecs", "list-task-definitions"}, args...)...)
	if out.NextToken != "" {
		t.Fatalf("list-task-definitions left nextToken %q: the CLI should have followed it", out.NextToken)
	}
	return out.TaskDefinitionArns
}

// The CLI's JSON output, as far as these tests read it. Field names are the
// ECS API's.

type cliCluster struct {
	ClusterArn  string `json:"clusterArn"`
	ClusterName string `json:"clusterName"`
	Status      string `json:"status"`
}

func (c cliCluster) want(t *testing.T, what, name, status string) {
	t.Helper()
	if want := (cliCluster{ClusterArn: cliClusterARN(name), ClusterName: name, Status: status}); c != want {
		t.Fatalf("%s: cluster = %+v, want %+v", what, c, want)
	}
}

type cliDescribeClusters struct {
	Clusters []cliCluster `json:"clusters"`
	Failures []cliFailure `json:"failures"`
}

type cliFailure struct {
	Arn    string `json:"arn"`
	Reason string `json:"reason"`
}

type cliSetting struct {
	Name         string `json:"name"`
	Value        string `json:"value"`
	PrincipalArn string `json:"principalArn"`
	Type         string `json:"type"`
}

type cliTaskDefinition struct {
	TaskDefinitionArn    string         `json:"taskDefinitionArn"`
	Family               string         `json:"family"`
	Revision             int            `json:"revision"`
	Status               string         `json:"status"`
	CPU                  string         `json:"cpu"`
	Memory               string         `json:"memory"`
	NetworkMode          string         `json:"networkMode"`
	ContainerDefinitions []cliContainer `json:"containerDefinitions"`
}

func (td cliTaskDefinition) wantIdentity(t *testing.T, family string, revision int, status string) {
	t.Helper()
	if td.Family != family || td.Revision != revision || td.Status != status || td.TaskDefinitionArn != cliTaskDefARNs(family, revision)[0] {
		t.Fatalf("task definition %s (family %q, revision %d, status %s), want %s %s",
			td.TaskDefinitionArn, td.Family, td.Revision, td.Status, cliTaskDefARNs(family, revision)[0], status)
	}
}

type cliContainer struct {
	Name         string           `json:"name"`
	Image        string           `json:"image"`
	Memory       int              `json:"memory"`
	Essential    *bool            `json:"essential"`
	Command      []string         `json:"command"`
	PortMappings []cliPortMapping `json:"portMappings"`
	Environment  []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"environment"`
	HealthCheck *cliHealthCheck `json:"healthCheck"`
	DependsOn   []struct {
		ContainerName string `json:"containerName"`
		Condition     string `json:"condition"`
	} `json:"dependsOn"`
}

type cliPortMapping struct {
	ContainerPort int    `json:"containerPort"`
	HostPort      int    `json:"hostPort"`
	Protocol      string `json:"protocol"`
}

type cliHealthCheck struct {
	Command     []string `json:"command"`
	Interval    int      `json:"interval"`
	Timeout     int      `json:"timeout"`
	Retries     int      `json:"retries"`
	StartPeriod int      `json:"startPeriod"`
}

func cliWantPorts(t *testing.T, container string, got []cliPortMapping, want ...cliPortMapping) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s portMappings = %+v, want %+v", container, got, want)
	}
}

func cliWantEnv(t *testing.T, container string, got []struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}, want map[string]string) {
	t.Helper()
	m := map[string]string{}
	for _, kv := range got {
		m[kv.Name] = kv.Value
	}
	if len(m) != len(got) || !maps.Equal(m, want) {
		t.Errorf("%s environment = %+v, want %v", container, got, want)
	}
}

func cliWantHealthCheck(t *testing.T, container string, got *cliHealthCheck, want cliHealthCheck) {
	t.Helper()
	if got == nil || !slices.Equal(got.Command, want.Command) ||
		got.Interval != want.Interval || got.Timeout != want.Timeout || got.Retries != want.Retries || got.StartPeriod != want.StartPeriod {
		t.Errorf("%s healthCheck = %+v, want %+v", container, got, want)
	}
}

func cliClusterARN(name string) string {
	return "arn:aws:ecs:" + testRegion + ":" + testAccount + ":cluster/" + name
}

// taskDefARNs are the ARNs of the given revisions of a family.
func cliTaskDefARNs(family string, revisions ...int) []string {
	out := make([]string, len(revisions))
	for i, r := range revisions {
		out[i] = fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", testRegion, testAccount, family, r)
	}
	return out
}

func cliWriteFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
