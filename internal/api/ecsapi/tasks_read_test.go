package ecsapi

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

func TestDescribeTasks(t *testing.T) {
	e := newEnv(t)
	cluster := e.readyCluster(t)
	family := e.taskDef(t)
	id := e.runOne(t, cluster, family, func(r *wire.RunTaskRequest) { r.Tags = wireTags("team", "data") })
	describe := func(t *testing.T, in *wire.DescribeTasksRequest) *wire.DescribeTasksResponse {
		t.Helper()
		in.Cluster = ptr(cluster)
		out, err := e.api.DescribeTasks(e.ctx(), in)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	t.Run("by id and ARN; unknown ones are MISSING, named as other describes name them", func(t *testing.T) {
		unknown := strings.Repeat("f", 32)
		foreign := testARNs.Task("other", unknown)
		out := describe(t, &wire.DescribeTasksRequest{Tasks: []string{id, unknown, testARNs.Task(cluster, id), "web", foreign}})
		want(t, "task ARNs", []string{str(out.Tasks[0].TaskArn), str(out.Tasks[1].TaskArn)}, []string{testARNs.Task(cluster, id), testARNs.Task(cluster, id)})
		want(t, "failures", out.Failures, []wire.Failure{
			failure(testARNs.Task(cluster, unknown), "MISSING"),
			failure("web", "MISSING"),
			failure(foreign, "MISSING"),
		})
	})

	t.Run("tags only with include TAGS", func(t *testing.T) {
		plain := describe(t, &wire.DescribeTasksRequest{Tasks: []string{id}})
		tagged := describe(t, &wire.DescribeTasksRequest{Tasks: []string{id}, Include: []wire.TaskField{wire.TaskFieldTags}})
		want(t, "tags", [][]wire.Tag{plain.Tasks[0].Tags, tagged.Tasks[0].Tags}, [][]wire.Tag{nil, wireTags("team", "data")})
	})

	t.Run("what the agent reports is what is described", func(t *testing.T) {
		id := e.runOne(t, cluster, family)
		at := func(s int) time.Time { return epoch.Add(time.Duration(s) * time.Second).Truncate(time.Millisecond) }
		stored := e.storedTask(t, cluster, id)
		c := stored.Known.Containers[0]
		c.LastStatus, c.RuntimeID, c.ExitCode, c.Reason, c.HealthStatus = ecs.ContainerStopped, "9f2c", ptr(int32(1)), "exited", ecs.HealthUnhealthy
		c.NetworkBindings = []wire.NetworkBinding{{ContainerPort: ptr(int32(80)), HostPort: ptr(int32(32768)), Protocol: wire.TransportProtocolTcp}}
		e.report(t, cluster, id, ecs.Known{
			LastStatus: ecs.TaskStopped, Containers: []ecs.Container{c},
			PullStartedAt: at(1), PullStoppedAt: at(2), StartedAt: at(3), ExecutionStoppedAt: at(4), StoppedAt: at(5),
			StopCode: ecs.StopEssentialContainerExited, StoppedReason: ecs.ReasonEssentialContainerExited,
		})
		got := describe(t, &wire.DescribeTasksRequest{Tasks: []string{id}}).Tasks[0]
		want(t, "statuses", []string{str(got.LastStatus), str(got.DesiredStatus), string(got.HealthStatus), string(got.StopCode), str(got.StoppedReason)},
			[]string{"STOPPED", "RUNNING", "UNHEALTHY", "EssentialContainerExited", "Essential container in task exited"})
		want(t, "timestamps", []time.Time{got.PullStartedAt.Std(), got.PullStoppedAt.Std(), got.StartedAt.Std(), got.ExecutionStoppedAt.Std(), got.StoppedAt.Std()},
			[]time.Time{at(1), at(2), at(3), at(4), at(5)})
		want(t, "version", *got.Version, int64(2))
		want(t, "container", got.Containers[0], wire.Container{
			ContainerArn: ptr(c.ARN), TaskArn: ptr(testARNs.Task(cluster, id)), Name: ptr("app"), Image: ptr("nginx:1.27"),
			LastStatus: ptr("STOPPED"), RuntimeId: ptr("9f2c"), ExitCode: ptr(int32(1)), Reason: ptr("exited"),
			HealthStatus: wire.HealthStatusUnhealthy, NetworkBindings: c.NetworkBindings, NetworkInterfaces: []wire.NetworkInterface{},
			Cpu: ptr("256"), Memory: ptr("512"),
		})
	})

	tests := []struct {
		name string
		in   *wire.DescribeTasksRequest
		code ecs.Code
		msg  string
	}{
		{"no tasks", &wire.DescribeTasksRequest{}, ecs.CodeInvalidParameter, "Tasks cannot be empty."},
		{"101 tasks", &wire.DescribeTasksRequest{Tasks: make([]string, 101)}, ecs.CodeInvalidParameter, "tasks can have at most 100 items."},
		{"an unknown include", &wire.DescribeTasksRequest{Tasks: []string{id}, Include: []wire.TaskField{"LABELS"}}, ecs.CodeInvalidParameter, `Invalid value "LABELS" for include. Valid values: TAGS.`},
		{"an unknown cluster", &wire.DescribeTasksRequest{Cluster: ptr("nowhere"), Tasks: []string{id}}, ecs.CodeClusterNotFound, "Cluster not found."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.api.DescribeTasks(e.ctx(), tc.in)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
}

func TestListTasks(t *testing.T) {
	e := newEnv(t)
	cluster := e.cluster(t)
	ids := e.agents(t, cluster, 2, 4096, 8192)
	web, batch := e.taskDef(t), e.taskDef(t)
	start := func(family, instance, startedBy string) string {
		in := startIn(cluster, family, instance)
		in.StartedBy = optString(startedBy)
		out, err := e.api.StartTask(e.ctx(), in)
		if err != nil {
			t.Fatal(err)
		}
		return str(out.Tasks[0].TaskArn)
	}
	webA, webB := start(web, ids[0], "deploy-1"), start(web, ids[1], "")
	batchA := start(batch, ids[0], "cron")
	stopped := start(batch, ids[1], "cron")
	if _, err := e.api.StopTask(e.ctx(), &wire.StopTaskRequest{Cluster: ptr(cluster), Task: ptr(stopped)}); err != nil {
		t.Fatal(err)
	}
	sorted := func(arns ...string) []string { return slices.Sorted(slices.Values(arns)) }

	tests := []struct {
		name string
		in   wire.ListTasksRequest
		want []string
	}{
		{"RUNNING by default", wire.ListTasksRequest{}, sorted(webA, webB, batchA)},
		{"desiredStatus STOPPED", wire.ListTasksRequest{DesiredStatus: wire.DesiredStatusStopped}, []string{stopped}},
		{"desiredStatus PENDING matches nothing", wire.ListTasksRequest{DesiredStatus: wire.DesiredStatusPending}, []string{}},
		{"by family", wire.ListTasksRequest{Family: ptr(web)}, sorted(webA, webB)},
		{"by startedBy", wire.ListTasksRequest{StartedBy: ptr("cron")}, []string{batchA}},
		{"by startedBy, stopped too", wire.ListTasksRequest{StartedBy: ptr("cron"), DesiredStatus: wire.DesiredStatusStopped}, []string{stopped}},
		{"by container instance id", wire.ListTasksRequest{ContainerInstance: ptr(ids[0])}, sorted(webA, batchA)},
		{"by container instance ARN and family", wire.ListTasksRequest{ContainerInstance: ptr(instanceARN(cluster, ids[1])), Family: ptr(web)}, []string{webB}},
		{"an instance with no tasks", wire.ListTasksRequest{ContainerInstance: ptr(strings.Repeat("0", 32))}, []string{}},
		{"launchType EC2", wire.ListTasksRequest{LaunchType: wire.LaunchTypeEc2}, sorted(webA, webB, batchA)},
		{"launchType FARGATE", wire.ListTasksRequest{LaunchType: wire.LaunchTypeFargate}, []string{}},
		{"an unknown family", wire.ListTasksRequest{Family: ptr("nothing")}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Cluster = ptr(cluster)
			want(t, "task ARNs", e.listTasks(t, &in), tc.want)
		})
	}

	t.Run("pages of maxResults, through the cluster or an instance", func(t *testing.T) {
		cluster := e.cluster(t)
		inst := e.agent(t, cluster, 4096, 8192)
		family := e.taskDef(t, withContainers(container("app", 1, 6)))
		var all []string
		for range 5 {
			all = append(all, e.runOne(t, cluster, family))
		}
		slices.Sort(all)
		for _, instance := range []*string{nil, ptr(inst)} {
			var got []string
			var sizes []int
			in := &wire.ListTasksRequest{Cluster: ptr(cluster), ContainerInstance: instance, MaxResults: ptr(int32(2))}
			for {
				out, err := e.api.ListTasks(e.ctx(), in)
				if err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, len(out.TaskArns))
				for _, a := range out.TaskArns {
					got = append(got, taskIDOf(a))
				}
				if out.NextToken == nil {
					break
				}
				in.NextToken = out.NextToken
			}
			want(t, fmt.Sprintf("pages (instance %v)", instance != nil), sizes, []int{2, 2, 1})
			want(t, "task ids", got, all)
		}
	})

	invalid := []struct {
		name string
		in   wire.ListTasksRequest
		code ecs.Code
		msg  string
	}{
		{"maxResults 0", wire.ListTasksRequest{MaxResults: ptr(int32(0))}, ecs.CodeInvalidParameter, "maxResults must be between 1 and 100."},
		{"maxResults 101", wire.ListTasksRequest{MaxResults: ptr(int32(101))}, ecs.CodeInvalidParameter, "maxResults must be between 1 and 100."},
		{"a forged nextToken", wire.ListTasksRequest{NextToken: ptr("bm9wZQ")}, ecs.CodeInvalidParameter, "Invalid nextToken; pass the nextToken from the previous page of this listing unchanged."},
		{"an unknown desiredStatus", wire.ListTasksRequest{DesiredStatus: "DONE"}, ecs.CodeInvalidParameter, `Invalid value "DONE" for desiredStatus. Valid values: RUNNING, PENDING, STOPPED.`},
		{"an unknown launchType", wire.ListTasksRequest{LaunchType: "VM"}, ecs.CodeInvalidParameter, `Invalid value "VM" for launchType. Valid values: EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES.`},
		{"a family with a dot", wire.ListTasksRequest{Family: ptr("x.y")}, ecs.CodeInvalidParameter, `family must match ^[a-zA-Z0-9\-_]+$`},
		{"a serviceName: no services exist", wire.ListTasksRequest{ServiceName: ptr("web")}, ecs.CodeServiceNotFound, "Service not found."},
		{"a daemonName", wire.ListTasksRequest{DaemonName: ptr("logs")}, ecs.CodeUnsupportedFeature, "berth does not support daemons yet."},
		{"a malformed container instance", wire.ListTasksRequest{ContainerInstance: ptr("i-1")}, ecs.CodeInvalidParameter, fmt.Sprintf(`containerInstance "i-1" is not the id or ARN of a container instance in cluster %s.`, cluster)},
		{"an unknown cluster", wire.ListTasksRequest{Cluster: ptr("nowhere")}, ecs.CodeClusterNotFound, "Cluster not found."},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if in.Cluster == nil {
				in.Cluster = ptr(cluster)
			}
			_, err := e.api.ListTasks(e.ctx(), &in)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
}

func TestTaskTags(t *testing.T) {
	e := newEnv(t)
	cluster := e.readyCluster(t)
	taskARN := testARNs.Task(cluster, e.runOne(t, cluster, e.taskDef(t), func(r *wire.RunTaskRequest) { r.Tags = wireTags("team", "data") }))
	list := func(t *testing.T) []wire.Tag {
		t.Helper()
		out, err := e.api.ListTagsForResource(e.ctx(), &wire.ListTagsForResourceRequest{ResourceArn: ptr(taskARN)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Tags
	}
	want(t, "tags at launch", list(t), wireTags("team", "data"))
	if _, err := e.api.TagResource(e.ctx(), &wire.TagResourceRequest{ResourceArn: ptr(taskARN), Tags: wireTags("team", "ml", "cost", "42")}); err != nil {
		t.Fatal(err)
	}
	want(t, "tags after TagResource", list(t), wireTags("team", "ml", "cost", "42"))
	if _, err := e.api.UntagResource(e.ctx(), &wire.UntagResourceRequest{ResourceArn: ptr(taskARN), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	want(t, "tags after UntagResource", list(t), wireTags("cost", "42"))

	_, err := e.api.ListTagsForResource(e.ctx(), &wire.ListTagsForResourceRequest{ResourceArn: ptr(testARNs.Task(cluster, strings.Repeat("a", 32)))})
	wantErr(t, err, ecs.CodeResourceNotFound, "The specified resource could not be found.")
	_, err = e.api.ListTagsForResource(e.ctx(), &wire.ListTagsForResourceRequest{ResourceArn: ptr(testARNs.Task(cluster, "web"))})
	wantErr(t, err, ecs.CodeInvalidParameter, "The ARN provided is invalid.")
}
