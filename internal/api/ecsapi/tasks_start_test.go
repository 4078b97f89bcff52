package ecsapi

import (
	"strings"
	"testing"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

func startIn(cluster, family string, instances ...string) *wire.StartTaskRequest {
	return &wire.StartTaskRequest{Cluster: ptr(cluster), TaskDefinition: ptr(family), ContainerInstances: instances}
}

func TestStartTask(t *testing.T) {
	e := newEnv(t)

	t.Run("starts one task on each named instance, by id or ARN", func(t *testing.T) {
		cluster := e.cluster(t)
		ids := e.agents(t, cluster, 2, 1024, 2048)
		out, err := e.api.StartTask(e.ctx(), startIn(cluster, e.taskDef(t), ids[1], instanceARN(cluster, ids[0]), ids[1]))
		if err != nil {
			t.Fatal(err)
		}
		var hosts []string
		for _, task := range out.Tasks {
			hosts = append(hosts, str(task.ContainerInstanceArn))
		}
		want(t, "hosts", hosts, []string{instanceARN(cluster, ids[1]), instanceARN(cluster, ids[0]), instanceARN(cluster, ids[1])})
		want(t, "failures", out.Failures, []wire.Failure{})
		cpu0, _ := remaining(e.storedInstance(t, cluster, ids[0]))
		cpu1, _ := remaining(e.storedInstance(t, cluster, ids[1]))
		want(t, "remaining CPU", []int32{cpu0, cpu1}, []int32{1024 - 256, 1024 - 2*256})
	})

	t.Run("group, startedBy, tags and overrides as in RunTask", func(t *testing.T) {
		cluster := e.cluster(t)
		id := e.agent(t, cluster, 4096, 8192)
		in := startIn(cluster, e.taskDef(t, withTDTags("team", "platform")), id)
		in.Group, in.StartedBy, in.PropagateTags = ptr("nightly"), ptr("cron"), wire.PropagateTagsTaskDefinition
		in.Overrides = &wire.TaskOverride{Cpu: ptr("512")}
		out, err := e.api.StartTask(e.ctx(), in)
		if err != nil {
			t.Fatal(err)
		}
		got := out.Tasks[0]
		want(t, "group, startedBy, cpu, tags", []any{str(got.Group), str(got.StartedBy), str(got.Cpu), got.Tags},
			[]any{"nightly", "cron", "512", wireTags("team", "platform")})
	})

	t.Run("an instance that cannot take the task is a failure", func(t *testing.T) {
		cluster := e.cluster(t)
		ok := e.agent(t, cluster, 4096, 8192)
		disconnected := e.instance(t, cluster, 4096, 8192)
		small := e.agent(t, cluster, 4096, 128)
		draining := e.agent(t, cluster, 4096, 8192)
		e.drain(t, cluster, draining)
		gone := e.agent(t, cluster, 4096, 8192)
		if _, err := e.api.DeregisterContainerInstance(e.ctx(), &wire.DeregisterContainerInstanceRequest{Cluster: ptr(cluster), ContainerInstance: ptr(gone)}); err != nil {
			t.Fatal(err)
		}
		unknown := strings.Repeat("0", 32)
		foreign := testARNs.ContainerInstance("elsewhere", strings.Repeat("1", 32))
		out, err := e.api.StartTask(e.ctx(), startIn(cluster, e.taskDef(t), unknown, disconnected, small, draining, gone, "not-an-id", foreign, ok, unknown))
		if err != nil {
			t.Fatal(err)
		}
		want(t, "tasks", len(out.Tasks), 1)
		want(t, "failures", out.Failures, []wire.Failure{
			failure(instanceARN(cluster, unknown), "MISSING"),
			failure(instanceARN(cluster, disconnected), "AGENT"),
			failure(instanceARN(cluster, small), "RESOURCE:MEMORY"),
			{Arn: ptr(instanceARN(cluster, draining)), Reason: ptr("INACTIVE"), Detail: ptr("The container instance is DRAINING and takes no new tasks.")},
			{Arn: ptr(instanceARN(cluster, gone)), Reason: ptr("INACTIVE"), Detail: ptr("The container instance is deregistered.")},
			failure("not-an-id", "MISSING"),
			failure(foreign, "MISSING"),
		})
	})
}

func TestStartTaskRejectsInvalidInput(t *testing.T) {
	e := newEnv(t)
	cluster := e.cluster(t)
	id := e.agent(t, cluster, 4096, 8192)
	family := e.taskDef(t)
	tests := []struct {
		name string
		edit func(*wire.StartTaskRequest)
		code ecs.Code
		msg  string
	}{
		{"no container instances", func(r *wire.StartTaskRequest) { r.ContainerInstances = nil }, ecs.CodeInvalidParameter, "containerInstances is required."},
		{"11 container instances", func(r *wire.StartTaskRequest) { r.ContainerInstances = make([]string, 11) }, ecs.CodeInvalidParameter, "containerInstances can have at most 10 items."},
		{"no task definition", func(r *wire.StartTaskRequest) { r.TaskDefinition = nil }, ecs.CodeInvalidParameter, "taskDefinition is required."},
		{"an unknown task definition", func(r *wire.StartTaskRequest) { r.TaskDefinition = ptr("nothing-here") }, ecs.CodeClient, "Unable to describe task definition."},
		{"an unknown cluster", func(r *wire.StartTaskRequest) { r.Cluster = ptr("nowhere") }, ecs.CodeClusterNotFound, "Cluster not found."},
		{"propagateTags SERVICE", func(r *wire.StartTaskRequest) { r.PropagateTags = wire.PropagateTagsService }, ecs.CodeInvalidParameter, "propagateTags SERVICE applies to tasks a service starts; a task started by this action can propagate TASK_DEFINITION tags, or NONE."},
		{"a bad startedBy", func(r *wire.StartTaskRequest) { r.StartedBy = ptr("a:b") }, ecs.CodeInvalidParameter, "startedBy can have up to 128 letters (uppercase and lowercase), numbers, hyphens, forward slashes and underscores."},
		{"a network configuration for a bridge task", func(r *wire.StartTaskRequest) {
			r.NetworkConfiguration = &wire.NetworkConfiguration{AwsvpcConfiguration: &wire.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}}
		}, ecs.CodeInvalidParameter, "Network Configuration is not valid for the given networkMode of this task definition."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.state(t, cluster)
			in := startIn(cluster, family, id)
			tc.edit(in)
			_, err := e.api.StartTask(e.ctx(), in)
			wantErr(t, err, tc.code, tc.msg)
			want(t, "cluster state", e.state(t, cluster), before)
		})
	}
}
