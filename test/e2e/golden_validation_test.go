package e2e

// The input-validation conformance suite, V1-V12 of ecs-behaviour.md §6.5:
// every case is sent through aws-sdk-go-v2 to the shared server, must be
// refused without changing anything, and its "case → type: message" line
// must match testdata/validation.golden. Regenerate the file with
//
//	go test ./test/e2e -run TestValidationGolden -update
//
// and review the diff like a conformance change. Where ecs-behaviour.md
// quotes AWS's text the case also pins it here, so -update cannot drift it.

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/validation.golden from what the server answers")

const goldenPath = "testdata/validation.golden"

const goldenHeader = `# Golden messages of the input-validation conformance suite: V1-V12 of
# ecs-behaviour.md §6.5, as berth answers them through aws-sdk-go-v2.
# Line: <case> → <error type>: <message>   [AWS] AWS's text, as §5.2/§6.5
# quote it (also pinned in golden_validation_test.go); [berth] berth's own
# wording where AWS's text is not known.
#
# Reviewed like a conformance change: a diff here changes what clients see.
# Regenerate with: go test ./test/e2e -run TestValidationGolden -update
`

// goldenCase is one refused request.
type goldenCase struct {
	name string
	// aws is AWS's exact type and message, "Type: message", where
	// ecs-behaviour.md gives it; "" where berth's wording stands.
	aws string
	// call sends the request that must be refused.
	call func(t *testing.T, c *ecs.Client) error
	// state reads what the refusal must leave unchanged.
	state func(t *testing.T, c *ecs.Client) string
	// after, if set, runs once the refusal is checked: a stronger proof
	// that nothing was written.
	after func(t *testing.T, c *ecs.Client)
}

// TestValidationGolden is not parallel: the V1 blank-family case reads
// every family, which must not change under it, and its cases run in the
// golden file's order.
func TestValidationGolden(t *testing.T) {
	c := client(t)
	var lines []string
	for _, tc := range goldenCases(t, c) {
		before := tc.state(t, c)
		err := tc.call(t, c)
		if after := tc.state(t, c); after != before {
			t.Errorf("%s changed the server's state:\n%s", tc.name, cmp.Diff(before, after))
		}
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) {
			t.Errorf("%s: error = %v, want an ECS error", tc.name, err)
			continue
		}
		got := apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
		source := "[berth]"
		if tc.aws != "" {
			source = "[AWS]"
			if got != tc.aws {
				t.Errorf("%s answered\n  %s\nwant AWS's\n  %s", tc.name, got, tc.aws)
			}
		}
		lines = append(lines, fmt.Sprintf("%s → %s   %s", tc.name, got, source))
		if tc.after != nil {
			tc.after(t, c)
		}
	}
	got := goldenHeader + "\n" + strings.Join(lines, "\n") + "\n"
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(goldenPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	if d := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); d != "" {
		t.Errorf("%s differs from what the server answers (-golden +server); if the change is intended, "+
			"regenerate with -update and have it reviewed:\n%s", goldenPath, d)
	}
}

func goldenCases(t *testing.T, c *ecs.Client) []goldenCase {
	cluster := uniqueName(t, "golden")
	if _, err := c.CreateCluster(ctx(t), &ecs.CreateClusterInput{ClusterName: aws.String(cluster)}); err != nil {
		t.Fatal(err)
	}
	healthCheck := func(name string, set func(h *types.HealthCheck)) goldenCase {
		return tdGoldenCase(t, "V8 healthCheck "+name, "", tdHealthCheck(set))
	}
	cases := []goldenCase{
		tdFamilyGoldenCase("V1 family a@b", "ClientException: Family contains invalid characters.", "a@b", "a"),
		tdFamilyGoldenCase("V1 family blank", "ClientException: Family can not be blank.", "", ""),
		tdFamilyGoldenCase("V1 family of 256 characters", "", strings.Repeat("f", 256), strings.Repeat("f", 255)),
		tdGoldenCase(t, "V2 container name invalid", "ClientException: Container.name contains invalid characters.",
			tdApp(func(c *types.ContainerDefinition) { c.Name = aws.String("my app") })),
		tdGoldenCase(t, "V2 container name missing", "ClientException: Container.name should not be null or empty.",
			tdApp(func(c *types.ContainerDefinition) { c.Name = nil })),
		tdGoldenCase(t, "V3 image missing", "ClientException: Container.image should not be null or empty.",
			tdApp(func(c *types.ContainerDefinition) { c.Image = nil })),
		tdGoldenCase(t, "V4 11 containers", "",
			func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions = containers(11) }),
		tdGoldenCase(t, "V5 EC2 without memory anywhere",
			"ClientException: Invalid setting for container 'app'. At least one of 'memory' or 'memoryReservation' must be specified.",
			tdCompat(types.CompatibilityEc2), tdApp(func(c *types.ContainerDefinition) { c.Memory = nil })),
		tdGoldenCase(t, "V6 Fargate cpu 256 memory 4096", "ClientException: Invalid 'cpu' setting for task.", tdFargate("256", "4096")),
		tdGoldenCase(t, "V7 Fargate pidMode host",
			"ClientException: Tasks using the Fargate launch type do not support pidMode 'host'. The supported value for pidMode is 'task'.",
			tdFargate("256", "512"), func(in *ecs.RegisterTaskDefinitionInput) { in.PidMode = types.PidModeHost }),
		healthCheck("interval 4", func(h *types.HealthCheck) { h.Interval = aws.Int32(4) }),
		healthCheck("interval 301", func(h *types.HealthCheck) { h.Interval = aws.Int32(301) }),
		healthCheck("timeout 1", func(h *types.HealthCheck) { h.Timeout = aws.Int32(1) }),
		healthCheck("timeout 61", func(h *types.HealthCheck) { h.Timeout = aws.Int32(61) }),
		healthCheck("retries 0", func(h *types.HealthCheck) { h.Retries = aws.Int32(0) }),
		healthCheck("retries 11", func(h *types.HealthCheck) { h.Retries = aws.Int32(11) }),
		healthCheck("startPeriod 301", func(h *types.HealthCheck) { h.StartPeriod = aws.Int32(301) }),
		tdGoldenCase(t, "V9 COMPLETE dependency on an essential container", "",
			tdPlus(tdContainer("db")), tdDependsOn("db", types.ContainerConditionComplete)),
		tdGoldenCase(t, "V9 SUCCESS dependency on an essential container", "",
			tdPlus(tdContainer("db")), tdDependsOn("db", types.ContainerConditionSuccess)),
		{
			name: "V10 ListTasks family x.y", aws: `InvalidParameterException: family must match ^[a-zA-Z0-9\-_]+$`,
			call: func(t *testing.T, c *ecs.Client) error {
				_, err := c.ListTasks(ctx(t), &ecs.ListTasksInput{Cluster: aws.String(cluster), Family: aws.String("x.y")})
				return err
			},
			state: clusterGoldenState(cluster),
		},
		deregisterGoldenCase("V11 deregister fake_task", "ClientException: Revision is missing.", "fake_task"),
		deregisterGoldenCase("V11 deregister fake_task:foo", "ClientException: Invalid revision number. Number: foo", "fake_task:foo"),
		deregisterGoldenCase("V11 deregister fake_task:1", "ClientException: Unable to describe task definition.", "fake_task:1"),
		{
			name: "V12 unknown cluster", aws: "ClusterNotFoundException: Cluster not found.",
			call: func(t *testing.T, c *ecs.Client) error {
				_, err := c.ListServices(ctx(t), &ecs.ListServicesInput{Cluster: aws.String(cluster + "-nope")})
				return err
			},
			state: clusterGoldenState(cluster + "-nope"),
		},
		{
			name: "V12 unknown service", aws: "ServiceNotFoundException: Service not found.",
			call: func(t *testing.T, c *ecs.Client) error {
				_, err := c.UpdateService(ctx(t), &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String("nope"), DesiredCount: aws.Int32(1)})
				return err
			},
			state: clusterGoldenState(cluster),
		},
	}
	return cases
}

// tdGoldenCase registers a fresh family edited by opts. The refusal must
// leave the family without revisions, and its first registration after
// must be revision 1.
func tdGoldenCase(t *testing.T, name, awsText string, opts ...tdOpt) goldenCase {
	family := uniqueName(t, "golden")
	return goldenCase{
		name: name, aws: awsText,
		call: func(t *testing.T, c *ecs.Client) error {
			_, err := c.RegisterTaskDefinition(ctx(t), td(family, opts...))
			return err
		},
		state: tdGoldenState(family),
		after: func(t *testing.T, c *ecs.Client) { tdWantNothingRegistered(t, c, family) },
	}
}

// tdFamilyGoldenCase registers family, which the server must refuse;
// prefix is the longest valid name the state lists by.
func tdFamilyGoldenCase(name, awsText, family, prefix string) goldenCase {
	return goldenCase{
		name: name, aws: awsText,
		call: func(t *testing.T, c *ecs.Client) error {
			_, err := c.RegisterTaskDefinition(ctx(t), td(family))
			return err
		},
		state: tdGoldenState(prefix),
	}
}

func deregisterGoldenCase(name, awsText, ref string) goldenCase {
	return goldenCase{
		name: name, aws: awsText,
		call: func(t *testing.T, c *ecs.Client) error {
			_, err := c.DeregisterTaskDefinition(ctx(t), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(ref)})
			return err
		},
		state: tdGoldenState("fake_task"),
	}
}

// tdGoldenState is every family starting with prefix and every revision
// of them, in every status.
func tdGoldenState(prefix string) func(*testing.T, *ecs.Client) string {
	return func(t *testing.T, c *ecs.Client) string {
		families, _ := tdListFamilies(t, c, ecs.ListTaskDefinitionFamiliesInput{FamilyPrefix: optional(prefix), Status: types.TaskDefinitionFamilyStatusAll})
		out := fmt.Sprintf("families %v\n", families)
		for _, status := range types.TaskDefinitionStatus("").Values() {
			arns, _ := tdList(t, c, ecs.ListTaskDefinitionsInput{FamilyPrefix: optional(prefix), Status: status})
			out += fmt.Sprintf("%s %v\n", status, arns)
		}
		return out
	}
}

// clusterGoldenState is a cluster as described (or its absence), with its
// services and tasks.
func clusterGoldenState(cluster string) func(*testing.T, *ecs.Client) string {
	return func(t *testing.T, c *ecs.Client) string {
		desc, err := c.DescribeClusters(ctx(t), &ecs.DescribeClustersInput{Clusters: []string{cluster}})
		if err != nil {
			t.Fatal(err)
		}
		out := fmt.Sprintf("failures %d\n", len(desc.Failures))
		for _, cl := range desc.Clusters {
			out += fmt.Sprintf("%s %s services %d tasks %d+%d\n", aws.ToString(cl.ClusterName), aws.ToString(cl.Status),
				cl.ActiveServicesCount, cl.PendingTasksCount, cl.RunningTasksCount)
			services, err := c.ListServices(ctx(t), &ecs.ListServicesInput{Cluster: aws.String(cluster)})
			if err != nil {
				t.Fatal(err)
			}
			tasks, err := c.ListTasks(ctx(t), &ecs.ListTasksInput{Cluster: aws.String(cluster)})
			if err != nil {
				t.Fatal(err)
			}
			out += fmt.Sprintf("services %v\ntasks %v\n", services.ServiceArns, tasks.TaskArns)
		}
		return out
	}
}

// optional is s as an optional member: nil when empty.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
