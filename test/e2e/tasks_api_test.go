package e2e

// The task actions through a real server and the Go SDK, on the paths that
// need no connected agent: validation, placement refusals and unknown
// tasks. The agent tests (agent_test.go) cover tasks that really run.

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// unknownTaskID has the form of a task id and names no task.
const unknownTaskID = "fedcba9876543210fedcba9876543210"

func taskARNOf(cluster, id string) string {
	return "arn:aws:ecs:" + testRegion + ":" + testAccount + ":task/" + cluster + "/" + id
}

// taskAPIFamily registers a minimal bridge-mode family (one 128-MiB
// container), edited by opts, and returns its name.
func taskAPIFamily(t *testing.T, c *ecs.Client, opts ...tdOpt) string {
	t.Helper()
	family := clusterNameUnsafe.ReplaceAllString(uniqueName(t, "tf"), "-")
	tdRegister(t, c, td(family, opts...))
	return family
}

// wantNoTasks asserts the cluster has no task, running or stopped.
func wantNoTasks(t *testing.T, c *ecs.Client, cluster string) {
	t.Helper()
	for _, s := range []types.DesiredStatus{types.DesiredStatusRunning, types.DesiredStatusStopped} {
		out, err := c.ListTasks(ctx(t), &ecs.ListTasksInput{Cluster: aws.String(cluster), DesiredStatus: s})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.TaskArns) != 0 {
			t.Fatalf("%s tasks = %v, want none", s, out.TaskArns)
		}
	}
}

func TestRunTaskPlacementWithoutAConnectedAgent(t *testing.T) {
	t.Parallel()
	c := client(t)
	family := taskAPIFamily(t, c)

	t.Run("a cluster without container instances is an InvalidParameterException", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		_, err := c.RunTask(ctx(t), &ecs.RunTaskInput{Cluster: aws.String(cluster), TaskDefinition: aws.String(family)})
		wantAPIError[*types.InvalidParameterException](t, err, "No Container Instances were found in your cluster.")
	})

	t.Run("a registered instance without an agent fails with AGENT, once", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		arn := aws.ToString(registerInstance(t, c, cluster).ContainerInstanceArn)
		out, err := c.RunTask(ctx(t), &ecs.RunTaskInput{Cluster: aws.String(cluster), TaskDefinition: aws.String(family), Count: aws.Int32(3), LaunchType: types.LaunchTypeEc2})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Tasks) != 0 || len(out.Failures) != 3 {
			t.Fatalf("tasks %s, failures %s; want no task and three AGENT failures for %s", dump(out.Tasks), dump(out.Failures), arn)
		}
		for _, f := range out.Failures { // one per task not placed
			if aws.ToString(f.Arn) != arn || aws.ToString(f.Reason) != "AGENT" {
				t.Fatalf("failures %s; want AGENT for %s", dump(out.Failures), arn)
			}
		}
		wantNoTasks(t, c, cluster)
		if got := describeInstance(t, c, cluster, arn); got.RunningTasksCount != 0 || got.PendingTasksCount != 0 {
			t.Fatalf("instance task counts = %d running, %d pending; want 0, 0", got.RunningTasksCount, got.PendingTasksCount)
		}
	})

	t.Run("StartTask reports MISSING, AGENT and INACTIVE instances", func(t *testing.T) {
		t.Parallel()
		cluster := instanceCluster(t)
		waiting := aws.ToString(registerInstance(t, c, cluster).ContainerInstanceArn)
		gone := aws.ToString(registerInstance(t, c, cluster).ContainerInstanceArn)
		deregisterInstance(t, c, cluster, gone)
		out, err := c.StartTask(ctx(t), &ecs.StartTaskInput{
			Cluster: aws.String(cluster), TaskDefinition: aws.String(family),
			ContainerInstances: []string{unknownInstanceID, instanceIDOf(waiting), gone},
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range out.Failures {
			got = append(got, aws.ToString(f.Arn)+" "+aws.ToString(f.Reason))
		}
		want := []string{instanceARN(cluster, unknownInstanceID) + " MISSING", waiting + " AGENT", gone + " INACTIVE"}
		if len(out.Tasks) != 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("tasks %s, failures\n%s\nwant no task and failures\n%s", dump(out.Tasks), strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		wantNoTasks(t, c, cluster)
	})
}

func TestRunAndStartTaskRejectInvalidInput(t *testing.T) {
	t.Parallel()
	c := client(t)
	cluster := instanceCluster(t)
	instance := aws.ToString(registerInstance(t, c, cluster).ContainerInstanceArn)
	family := taskAPIFamily(t, c)
	inactive := taskAPIFamily(t, c)
	tdDeregister(t, c, inactive+":1")
	awsvpc := taskAPIFamily(t, c, tdNetMode(types.NetworkModeAwsvpc))
	run := func(edit func(*ecs.RunTaskInput)) func(t *testing.T) error {
		return func(t *testing.T) error {
			in := &ecs.RunTaskInput{Cluster: aws.String(cluster), TaskDefinition: aws.String(family)}
			edit(in)
			_, err := c.RunTask(ctx(t), in)
			return err
		}
	}
	start := func(edit func(*ecs.StartTaskInput)) func(t *testing.T) error {
		return func(t *testing.T) error {
			in := &ecs.StartTaskInput{Cluster: aws.String(cluster), TaskDefinition: aws.String(family), ContainerInstances: []string{instance}}
			edit(in)
			_, err := c.StartTask(ctx(t), in)
			return err
		}
	}
	invalid, unsupported := invalidParameter, unsupportedFeature
	tests := []struct {
		name  string
		call  func(t *testing.T) error
		check func(testing.TB, error)
	}{
		{"RunTask count 11", run(func(in *ecs.RunTaskInput) { in.Count = aws.Int32(11) }), invalid("count must be between 1 and 10.")},
		{"RunTask launchType FARGATE", run(func(in *ecs.RunTaskInput) { in.LaunchType = types.LaunchTypeFargate }),
			unsupported("berth runs tasks on the cluster's container instances only: launchType FARGATE is not supported. Use launchType EC2, or omit it.")},
		{"RunTask with a capacity provider strategy", run(func(in *ecs.RunTaskInput) {
			in.CapacityProviderStrategy = []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("spot")}}
		}), unsupported("berth does not support capacity providers; omit capacityProviderStrategy to place tasks on the cluster's container instances.")},
		{"RunTask with a spread strategy without a field", run(func(in *ecs.RunTaskInput) {
			in.PlacementStrategy = []types.PlacementStrategy{{Type: types.PlacementStrategyTypeSpread}}
		}), invalid("placementStrategy[0]: spread needs field instanceId, host or attribute:<name>, got ''.")},
		{"RunTask with a malformed memberOf expression", run(func(in *ecs.RunTaskInput) {
			in.PlacementConstraints = []types.PlacementConstraint{{Type: types.PlacementConstraintTypeMemberOf, Expression: aws.String("attribute:ecs.instance-type in [t2.small")}}
		}), invalid(`placementConstraints[0]: invalid expression 'attribute:ecs.instance-type in [t2.small': position 41: expected "," or "]" to close the list at position 32, found end of expression`)},
		{"RunTask with a clientToken of 65 characters", run(func(in *ecs.RunTaskInput) { in.ClientToken = aws.String(strings.Repeat("t", 65)) }),
			invalid("clientToken can have at most 64 characters.")},
		{"RunTask with propagateTags SERVICE", run(func(in *ecs.RunTaskInput) { in.PropagateTags = types.PropagateTagsService }),
			invalid("propagateTags SERVICE applies to tasks a service starts; a task started by this action can propagate TASK_DEFINITION tags, or NONE.")},
		{"RunTask of an unknown family", run(func(in *ecs.RunTaskInput) { in.TaskDefinition = aws.String("no-such-family-anywhere") }),
			func(t testing.TB, err error) {
				wantAPIError[*types.ClientException](t, err, "Unable to describe task definition.")
			}},
		{"RunTask of an INACTIVE revision", run(func(in *ecs.RunTaskInput) { in.TaskDefinition = aws.String(inactive + ":1") }),
			func(t testing.TB, err error) {
				wantAPIError[*types.ClientException](t, err, "TaskDefinition is inactive")
			}},
		{"RunTask of an awsvpc task definition", run(func(in *ecs.RunTaskInput) { in.TaskDefinition = aws.String(awsvpc) }),
			unsupported("awsvpc network mode is not supported yet.")},
		{"RunTask with a network configuration for a bridge task", run(func(in *ecs.RunTaskInput) {
			in.NetworkConfiguration = &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}}
		}), invalid("Network Configuration is not valid for the given networkMode of this task definition.")},
		{"RunTask in an unknown cluster", run(func(in *ecs.RunTaskInput) { in.Cluster = aws.String("no-such-cluster-anywhere") }),
			func(t testing.TB, err error) {
				wantAPIError[*types.ClusterNotFoundException](t, err, "Cluster not found.")
			}},
		{"StartTask on 11 instances", start(func(in *ecs.StartTaskInput) { in.ContainerInstances = make([]string, 11) }),
			invalid("containerInstances can have at most 10 items.")},
		{"StartTask with a bad startedBy", start(func(in *ecs.StartTaskInput) { in.StartedBy = aws.String("a b") }),
			invalid("startedBy can have up to 128 letters (uppercase and lowercase), numbers, hyphens, forward slashes and underscores.")},
		{"StartTask with an override of an unknown container", start(func(in *ecs.StartTaskInput) {
			in.Overrides = &types.TaskOverride{ContainerOverrides: []types.ContainerOverride{{Name: aws.String("db")}}}
		}), invalid("Override for container named db is not a container in the TaskDefinition.")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, tc.call(t))
			wantNoTasks(t, c, cluster)
		})
	}
}

func TestStopDescribeAndListUnknownTasks(t *testing.T) {
	t.Parallel()
	c := client(t)
	cluster := instanceCluster(t)

	t.Run("StopTask of an unknown task", func(t *testing.T) {
		t.Parallel()
		for _, ref := range []string{unknownTaskID, taskARNOf(cluster, unknownTaskID), "not-a-task"} {
			_, err := c.StopTask(ctx(t), &ecs.StopTaskInput{Cluster: aws.String(cluster), Task: aws.String(ref)})
			wantAPIError[*types.InvalidParameterException](t, err, "The referenced task was not found.")
		}
	})

	t.Run("StopTask with a reason over 255 characters", func(t *testing.T) {
		t.Parallel()
		_, err := c.StopTask(ctx(t), &ecs.StopTaskInput{Cluster: aws.String(cluster), Task: aws.String(unknownTaskID), Reason: aws.String(strings.Repeat("r", 256))})
		wantAPIError[*types.InvalidParameterException](t, err, "reason can have at most 255 characters.")
	})

	t.Run("DescribeTasks reports unknown tasks as MISSING", func(t *testing.T) {
		t.Parallel()
		other := taskARNOf("elsewhere", unknownTaskID)
		out, err := c.DescribeTasks(ctx(t), &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{unknownTaskID, other}, Include: []types.TaskField{types.TaskFieldTags}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range out.Failures {
			got = append(got, aws.ToString(f.Arn)+" "+aws.ToString(f.Reason))
		}
		if want := []string{taskARNOf(cluster, unknownTaskID) + " MISSING", other + " MISSING"}; len(out.Tasks) != 0 || strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("tasks %s, failures %v; want none and %v", dump(out.Tasks), got, want)
		}
	})

	t.Run("DescribeTasks without tasks", func(t *testing.T) {
		t.Parallel()
		_, err := c.DescribeTasks(ctx(t), &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{}})
		wantAPIError[*types.InvalidParameterException](t, err, "Tasks cannot be empty.")
	})

	t.Run("ListTasks of an empty cluster, with the SDK paginator", func(t *testing.T) {
		t.Parallel()
		p := ecs.NewListTasksPaginator(c, &ecs.ListTasksInput{Cluster: aws.String(cluster), MaxResults: aws.Int32(10)})
		pages := 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if pages++; len(out.TaskArns) != 0 {
				t.Fatalf("tasks = %v, want none", out.TaskArns)
			}
		}
		if pages != 1 {
			t.Fatalf("%d pages, want 1", pages)
		}
	})

	t.Run("ListTasks validation", func(t *testing.T) {
		t.Parallel()
		_, err := c.ListTasks(ctx(t), &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String("web")})
		wantAPIError[*types.ServiceNotFoundException](t, err, "Service not found.")
		_, err = c.ListTasks(ctx(t), &ecs.ListTasksInput{Cluster: aws.String(cluster), Family: aws.String("x.y")})
		wantAPIError[*types.InvalidParameterException](t, err, `family must match ^[a-zA-Z0-9\-_]+$`)
		_, err = c.ListTasks(ctx(t), &ecs.ListTasksInput{Cluster: aws.String(cluster), MaxResults: aws.Int32(101)})
		wantAPIError[*types.InvalidParameterException](t, err, "maxResults must be between 1 and 100.")
		_, err = c.ListTasks(ctx(t), &ecs.ListTasksInput{Cluster: aws.String("no-such-cluster-anywhere")})
		wantAPIError[*types.ClusterNotFoundException](t, err, "Cluster not found.")
	})
}
