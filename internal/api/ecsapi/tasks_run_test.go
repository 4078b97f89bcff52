package ecsapi

import (
	"errors"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/berth-org/berth/internal/awsjson"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

var (
	taskIDPattern       = regexp.MustCompile(`^[0-9a-f]{32}$`)
	containerARNPattern = regexp.MustCompile(`^arn:aws:ecs:us-east-1:000000000000:container/[^/]+/[0-9a-f]{32}/[0-9a-f]{32}$`)
)

func TestRunTask(t *testing.T) {
	e := newEnv(t)

	t.Run("starts a PENDING task on a connected instance and holds its resources", func(t *testing.T) {
		cluster := e.cluster(t)
		inst := e.agent(t, cluster, 1024, 2048, inZone("us-east-1a"))
		family := e.taskDef(t, withPorts("8080/tcp"))
		out := e.run(t, runIn(cluster, family, func(r *wire.RunTaskRequest) {
			r.StartedBy = ptr("job-42")
			r.EnableExecuteCommand = ptr(true)
			r.Tags = wireTags("team", "data")
		}))
		want(t, "failures", out.Failures, []wire.Failure{})
		if len(out.Tasks) != 1 {
			t.Fatalf("got %d tasks, want 1", len(out.Tasks))
		}
		got := out.Tasks[0]
		id := taskIDOf(str(got.TaskArn))
		if !taskIDPattern.MatchString(id) {
			t.Fatalf("task id %q is not 32 lowercase hex digits", id)
		}
		if len(got.Containers) != 1 || !containerARNPattern.MatchString(str(got.Containers[0].ContainerArn)) {
			t.Fatalf("containers = %s, want one with a container ARN", asJSON(got.Containers))
		}
		taskARN := testARNs.Task(cluster, id)
		created := wire.NewTime(epoch.Truncate(1e6))
		want(t, "task", got, wire.Task{
			TaskArn:              ptr(taskARN),
			ClusterArn:           ptr(testARNs.Cluster(cluster)),
			TaskDefinitionArn:    ptr(testARNs.TaskDefinition(family, 1)),
			ContainerInstanceArn: ptr(instanceARN(cluster, inst)),
			LaunchType:           wire.LaunchTypeEc2,
			LastStatus:           ptr("PENDING"),
			DesiredStatus:        ptr("RUNNING"),
			HealthStatus:         wire.HealthStatusUnknown,
			Connectivity:         wire.ConnectivityConnected,
			ConnectivityAt:       created,
			CreatedAt:            created,
			Group:                ptr("family:" + family),
			StartedBy:            ptr("job-42"),
			Version:              ptr(int64(1)),
			AvailabilityZone:     ptr("us-east-1a"),
			EnableExecuteCommand: ptr(true),
			Overrides:            &wire.TaskOverride{ContainerOverrides: []wire.ContainerOverride{}, InferenceAcceleratorOverrides: []wire.InferenceAcceleratorOverride{}},
			Attachments:          []wire.Attachment{},
			Attributes:           []wire.Attribute{},
			Tags:                 wireTags("team", "data"),
			Containers: []wire.Container{{
				ContainerArn:      got.Containers[0].ContainerArn,
				TaskArn:           ptr(taskARN),
				Name:              ptr("app"),
				Image:             ptr("nginx:1.27"),
				LastStatus:        ptr("PENDING"),
				HealthStatus:      wire.HealthStatusUnknown,
				Cpu:               ptr("256"),
				Memory:            ptr("512"),
				NetworkBindings:   []wire.NetworkBinding{},
				NetworkInterfaces: []wire.NetworkInterface{},
			}},
		})
		stored := e.storedTask(t, cluster, id)
		want(t, "held", stored.Held, ecs.Requirements{CPU: 256, Memory: 512, Ports: []string{"8080"}})
		cpu, memory := remaining(e.storedInstance(t, cluster, inst))
		want(t, "remaining CPU and MEMORY", []int32{cpu, memory}, []int32{1024 - 256, 2048 - 512})
		want(t, "remaining PORTS (in use)", remainingSet(e.storedInstance(t, cluster, inst), ecs.ResourcePorts), []string{"22", "8080"})
	})

	t.Run("binpack cpu fills an instance before opening the next", func(t *testing.T) {
		cluster := e.cluster(t)
		ids := e.agents(t, cluster, 3, 512, 4096) // two 256-CPU tasks each
		in := runIn(cluster, e.taskDef(t), count(5))
		in.PlacementStrategy = []wire.PlacementStrategy{{Type: wire.PlacementStrategyTypeBinpack, Field: ptr("cpu")}}
		out := e.run(t, in)
		perHost := map[string]int{}
		for _, task := range out.Tasks {
			perHost[str(task.ContainerInstanceArn)]++
		}
		counts := slices.Sorted(maps.Values(perHost))
		want(t, "tasks per instance", counts, []int{1, 2, 2})
		var cpus []int32
		for _, id := range ids {
			cpu, _ := remaining(e.storedInstance(t, cluster, id))
			cpus = append(cpus, cpu)
		}
		slices.Sort(cpus)
		want(t, "remaining CPU by instance", cpus, []int32{0, 0, 256})
	})

	t.Run("the task definition may be a family, family:revision or an ARN", func(t *testing.T) {
		cluster := e.readyCluster(t)
		family := e.taskDef(t)
		if _, err := e.api.RegisterTaskDefinition(e.ctx(), &wire.RegisterTaskDefinitionRequest{Family: ptr(family), ContainerDefinitions: []wire.ContainerDefinition{container("app", 128, 128)}}); err != nil {
			t.Fatal(err)
		}
		for ref, revision := range map[string]int{family: 2, family + ":1": 1, testARNs.TaskDefinition(family, 1): 1} {
			out := e.run(t, runIn(cluster, ref))
			want(t, "taskDefinitionArn for "+ref, str(out.Tasks[0].TaskDefinitionArn), testARNs.TaskDefinition(family, revision))
		}
	})

	t.Run("overrides change what the containers and the task hold", func(t *testing.T) {
		cluster := e.readyCluster(t)
		family := e.taskDef(t, withContainers(container("app", 256, 512), container("sidecar", 128, 128)))
		env := []wire.KeyValuePair{{Name: ptr("MODE"), Value: ptr("batch")}}
		tests := []struct {
			name     string
			ov       *wire.TaskOverride
			held     ecs.Requirements
			cpu, mem string // task level
		}{
			{
				name: "container cpu and memory",
				ov:   &wire.TaskOverride{ContainerOverrides: []wire.ContainerOverride{{Name: ptr("app"), Cpu: ptr(int32(512)), Memory: ptr(int32(1024)), Environment: env}}},
				held: ecs.Requirements{CPU: 512 + 128, Memory: 1024 + 128},
			},
			{
				name: "task cpu and memory",
				ov:   &wire.TaskOverride{Cpu: ptr("1024"), Memory: ptr("2048")},
				held: ecs.Requirements{CPU: 1024, Memory: 2048},
				cpu:  "1024", mem: "2048",
			},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				out := e.run(t, runIn(cluster, family, func(r *wire.RunTaskRequest) { r.Overrides = tc.ov }))
				got := out.Tasks[0]
				wantOv := *tc.ov
				if wantOv.ContainerOverrides == nil {
					wantOv.ContainerOverrides = []wire.ContainerOverride{}
				}
				wantOv.InferenceAcceleratorOverrides = []wire.InferenceAcceleratorOverride{}
				want(t, "overrides echoed", got.Overrides, &wantOv)
				want(t, "task cpu and memory", []string{str(got.Cpu), str(got.Memory)}, []string{tc.cpu, tc.mem})
				want(t, "held", e.storedTask(t, cluster, taskIDOf(str(got.TaskArn))).Held, tc.held)
			})
		}
	})

	t.Run("group, tags and their propagation", func(t *testing.T) {
		cluster := e.readyCluster(t)
		family := e.taskDef(t, withTDTags("team", "platform", "cost", "td"))
		tests := []struct {
			name  string
			edit  func(*wire.RunTaskRequest)
			group string
			tags  []wire.Tag
		}{
			{name: "defaults", edit: func(*wire.RunTaskRequest) {}, group: "family:" + family, tags: []wire.Tag{}},
			{name: "a group of the caller's", edit: func(r *wire.RunTaskRequest) { r.Group = ptr("batch") }, group: "batch", tags: []wire.Tag{}},
			{
				name: "NONE keeps the request's tags only",
				edit: func(r *wire.RunTaskRequest) {
					r.PropagateTags = wire.PropagateTagsNone
					r.Tags = wireTags("cost", "run")
				},
				group: "family:" + family, tags: wireTags("cost", "run"),
			},
			{
				name: "TASK_DEFINITION adds the definition's; the request's win",
				edit: func(r *wire.RunTaskRequest) {
					r.PropagateTags = wire.PropagateTagsTaskDefinition
					r.Tags = wireTags("cost", "run")
				},
				group: "family:" + family, tags: wireTags("team", "platform", "cost", "run"),
			},
			{
				name:  "enableECSManagedTags adds the cluster name",
				edit:  func(r *wire.RunTaskRequest) { r.EnableECSManagedTags = ptr(true) },
				group: "family:" + family, tags: wireTags("aws:ecs:clusterName", cluster),
			},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got := e.run(t, runIn(cluster, family, tc.edit)).Tasks[0]
				want(t, "group and tags", []any{str(got.Group), got.Tags}, []any{tc.group, tc.tags})
			})
		}
	})
}

func TestRunTaskPlacementFailures(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		td     []tdOpt
		count  int32
		setup  func(t *testing.T, cluster string) (failures []wire.Failure)
		placed int
	}{
		{
			name:  "an instance without a connected agent: AGENT",
			count: 1,
			setup: func(t *testing.T, cluster string) []wire.Failure {
				return []wire.Failure{failure(instanceARN(cluster, e.instance(t, cluster, 4096, 8192)), "AGENT")}
			},
		},
		{
			name:  "too little CPU: RESOURCE:CPU",
			count: 1,
			setup: func(t *testing.T, cluster string) []wire.Failure {
				return []wire.Failure{failure(instanceARN(cluster, e.agent(t, cluster, 128, 8192)), "RESOURCE:CPU")}
			},
		},
		{
			name:  "too little memory: RESOURCE:MEMORY",
			count: 1,
			setup: func(t *testing.T, cluster string) []wire.Failure {
				return []wire.Failure{failure(instanceARN(cluster, e.agent(t, cluster, 4096, 256)), "RESOURCE:MEMORY")}
			},
		},
		{
			name:  "a reserved TCP port: RESOURCE:PORTS",
			td:    []tdOpt{withPorts("22/tcp")},
			count: 1,
			setup: func(t *testing.T, cluster string) []wire.Failure {
				id := e.agent(t, cluster, 4096, 8192, withReservedPorts([]string{"22"}, nil))
				return []wire.Failure{failure(instanceARN(cluster, id), "RESOURCE:PORTS")}
			},
		},
		{
			name:  "a reserved UDP port: RESOURCE:PORTS_UDP",
			td:    []tdOpt{withPorts("53/udp")},
			count: 1,
			setup: func(t *testing.T, cluster string) []wire.Failure {
				id := e.agent(t, cluster, 4096, 8192, withReservedPorts(nil, []string{"53"}))
				return []wire.Failure{failure(instanceARN(cluster, id), "RESOURCE:PORTS_UDP")}
			},
		},
		{
			name:   "a fixed host port fits one task per instance",
			td:     []tdOpt{withPorts("8080/tcp")},
			count:  2,
			placed: 1,
			setup: func(t *testing.T, cluster string) []wire.Failure {
				return []wire.Failure{failure(instanceARN(cluster, e.agent(t, cluster, 4096, 8192)), "RESOURCE:PORTS")}
			},
		},
		{
			name:  "a DRAINING instance is never chosen",
			count: 1,
			setup: func(t *testing.T, cluster string) []wire.Failure {
				id := e.agent(t, cluster, 4096, 8192)
				e.drain(t, cluster, id)
				return []wire.Failure{failure(instanceARN(cluster, id), "INACTIVE")}
			},
		},
		{
			name:   "partial placement: one entry per unplaced task, naming the closest instance",
			count:  5,
			placed: 3,
			setup: func(t *testing.T, cluster string) []wire.Failure {
				ids := e.agents(t, cluster, 2, 512, 8192)                           // 2 tasks each, then RESOURCE:CPU
				slow := e.instance(t, cluster, 4096, 8192)                          // AGENT
				e.editInstance(t, cluster, ids[1], func(i *ecs.ContainerInstance) { // room for 1 task
					i.Hold(ecs.Requirements{CPU: 256})
				})
				_ = slow
				// Both full instances are as close; the failure names one.
				closest := failure("either full instance", "RESOURCE:CPU")
				return []wire.Failure{closest, closest}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cluster := e.cluster(t)
			wantFailures := tc.setup(t, cluster)
			out := e.run(t, runIn(cluster, e.taskDef(t, tc.td...), count(tc.count)))
			want(t, "tasks placed", len(out.Tasks), tc.placed)
			for i, f := range out.Failures {
				if !strings.Contains(str(f.Detail), "considered") {
					t.Errorf("failure %d has no count of refusals: %q", i, str(f.Detail))
				}
				out.Failures[i].Detail = nil
				if i < len(wantFailures) && str(wantFailures[i].Arn) == "either full instance" && strings.Contains(str(f.Detail), "RESOURCE:CPU on 2") {
					out.Failures[i].Arn = wantFailures[i].Arn
				}
			}
			want(t, "failures", out.Failures, wantFailures)
		})
	}

	t.Run("a cluster without registered instances is an error", func(t *testing.T) {
		empty := e.cluster(t)
		deregistered := e.cluster(t)
		id := e.agent(t, deregistered, 4096, 8192)
		if _, err := e.api.DeregisterContainerInstance(e.ctx(), &wire.DeregisterContainerInstanceRequest{Cluster: ptr(deregistered), ContainerInstance: ptr(id)}); err != nil {
			t.Fatal(err)
		}
		family := e.taskDef(t)
		for _, cluster := range []string{empty, deregistered} {
			_, err := e.api.RunTask(e.ctx(), runIn(cluster, family))
			wantErr(t, err, ecs.CodeInvalidParameter, "No Container Instances were found in your cluster.")
		}
	})
}

func TestRunTaskClientToken(t *testing.T) {
	e := newEnv(t)
	withToken := func(token string) func(*wire.RunTaskRequest) {
		return func(r *wire.RunTaskRequest) { r.ClientToken = ptr(token) }
	}
	arns := func(out *wire.RunTaskResponse) []string {
		var s []string
		for _, task := range out.Tasks {
			s = append(s, str(task.TaskArn))
		}
		return s
	}

	t.Run("the same request returns the same tasks, described afresh", func(t *testing.T) {
		cluster := e.cluster(t)
		e.agent(t, cluster, 512, 8192)
		in := runIn(cluster, e.taskDef(t), count(3), withToken("retry-1"))
		first := e.run(t, in)
		want(t, "first placement", len(first.Tasks), 2)
		if _, err := e.api.StopTask(e.ctx(), &wire.StopTaskRequest{Cluster: ptr(cluster), Task: first.Tasks[0].TaskArn}); err != nil {
			t.Fatal(err)
		}
		before := e.state(t, cluster)
		again := e.run(t, in)
		want(t, "task ARNs", arns(again), arns(first))
		want(t, "failures", again.Failures, first.Failures)
		want(t, "first task's desired status now", str(again.Tasks[0].DesiredStatus), "STOPPED")
		want(t, "cluster state", e.state(t, cluster), before)
	})

	t.Run("a different request with the same token is a conflict naming the tasks", func(t *testing.T) {
		cluster := e.readyCluster(t)
		family := e.taskDef(t)
		first := e.run(t, runIn(cluster, family, withToken("job-7")))
		before := e.state(t, cluster)
		_, err := e.api.RunTask(e.ctx(), runIn(cluster, family, count(2), withToken("job-7")))
		wantErr(t, err, ecs.CodeConflict, "The provided clientToken is already in use with a different RunTask request.")
		want(t, "resourceIds", conflictIDs(t, err), arns(first))
		want(t, "cluster state", e.state(t, cluster), before)
	})

	t.Run("a request that placed nothing records no token", func(t *testing.T) {
		cluster := e.cluster(t)
		id := e.instance(t, cluster, 4096, 8192)
		in := runIn(cluster, e.taskDef(t), withToken("later"))
		want(t, "tasks before the agent connects", len(e.run(t, in).Tasks), 0)
		e.editInstance(t, cluster, id, func(i *ecs.ContainerInstance) { i.AgentConnected = true })
		want(t, "tasks after", len(e.run(t, in).Tasks), 1)
	})

	t.Run("concurrent retries start the tasks once", func(t *testing.T) {
		cluster := e.readyCluster(t)
		in := runIn(cluster, e.taskDef(t), count(2), withToken("storm"))
		results := make([][]string, 8)
		parallel(len(results), func(i int) {
			out, err := e.api.RunTask(e.ctx(), in)
			if err != nil {
				t.Error(err)
				return
			}
			results[i] = arns(out)
		})
		for _, got := range results {
			want(t, "task ARNs", got, results[0])
		}
		want(t, "tasks in the cluster", len(e.listTasks(t, &wire.ListTasksRequest{Cluster: ptr(cluster)})), 2)
	})
}

// conflictIDs is the resourceIds member a ConflictException carries.
func conflictIDs(t *testing.T, err error) []string {
	t.Helper()
	var apiErr *awsjson.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v, want a ConflictException", err)
	}
	ids, _ := apiErr.Extra["resourceIds"].([]string)
	return ids
}

func TestRunTaskRejectsInvalidInput(t *testing.T) {
	e := newEnv(t)
	cluster := e.readyCluster(t)
	family := e.taskDef(t)
	inactive := e.taskDef(t)
	e.deregisterTaskDef(t, inactive, 1)
	awsvpc := e.taskDef(t, withNetworkMode(wire.NetworkModeAwsvpc))
	constrained := e.taskDef(t, withTDConstraint("attribute:ecs.instance-type =~ t2.*"))
	malformed := e.taskDef(t, withTDConstraint("attribute:ecs.instance-type t2"))
	tests := []struct {
		name string
		edit func(*wire.RunTaskRequest)
		code ecs.Code
		msg  string
	}{
		{"no task definition", func(r *wire.RunTaskRequest) { r.TaskDefinition = nil }, ecs.CodeInvalidParameter, "taskDefinition is required."},
		{"count 0", func(r *wire.RunTaskRequest) { r.Count = ptr(int32(0)) }, ecs.CodeInvalidParameter, "count must be between 1 and 10."},
		{"count 11", func(r *wire.RunTaskRequest) { r.Count = ptr(int32(11)) }, ecs.CodeInvalidParameter, "count must be between 1 and 10."},
		{"launchType FARGATE", func(r *wire.RunTaskRequest) { r.LaunchType = wire.LaunchTypeFargate }, ecs.CodeUnsupportedFeature, "berth runs tasks on the cluster's container instances only: launchType FARGATE is not supported. Use launchType EC2, or omit it."},
		{"launchType EXTERNAL", func(r *wire.RunTaskRequest) { r.LaunchType = wire.LaunchTypeExternal }, ecs.CodeUnsupportedFeature, "berth runs tasks on the cluster's container instances only: launchType EXTERNAL is not supported. Use launchType EC2, or omit it."},
		{"launchType MANAGED_INSTANCES", func(r *wire.RunTaskRequest) { r.LaunchType = wire.LaunchTypeManagedInstances }, ecs.CodeUnsupportedFeature, "berth runs tasks on the cluster's container instances only: launchType MANAGED_INSTANCES is not supported. Use launchType EC2, or omit it."},
		{"an unknown launchType", func(r *wire.RunTaskRequest) { r.LaunchType = "ec2" }, ecs.CodeInvalidParameter, `Invalid value "ec2" for launchType. Valid values: EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES.`},
		{"a capacity provider strategy", func(r *wire.RunTaskRequest) {
			r.CapacityProviderStrategy = []wire.CapacityProviderStrategyItem{{CapacityProvider: ptr("spot")}}
		}, ecs.CodeUnsupportedFeature, "berth does not support capacity providers; omit capacityProviderStrategy to place tasks on the cluster's container instances."},
		{"distinctInstance with an expression", func(r *wire.RunTaskRequest) {
			r.PlacementConstraints = []wire.PlacementConstraint{{Type: wire.PlacementConstraintTypeDistinctInstance, Expression: ptr("runningTasksCount == 0")}}
		}, ecs.CodeInvalidParameter, "placementConstraints[0]: distinctInstance takes no expression."},
		{"memberOf without an expression", func(r *wire.RunTaskRequest) {
			r.PlacementConstraints = []wire.PlacementConstraint{{Type: wire.PlacementConstraintTypeMemberOf}}
		}, ecs.CodeInvalidParameter, "placementConstraints[0]: memberOf needs an expression in the cluster query language."},
		{"an unknown constraint type", func(r *wire.RunTaskRequest) {
			r.PlacementConstraints = []wire.PlacementConstraint{{Type: "sameInstance"}}
		}, ecs.CodeInvalidParameter, "placementConstraints[0]: type 'sameInstance' is not valid: distinctInstance or memberOf."},
		{"a malformed expression", func(r *wire.RunTaskRequest) {
			r.PlacementConstraints = []wire.PlacementConstraint{{Type: wire.PlacementConstraintTypeMemberOf, Expression: ptr("attribute:ecs.instance-type ~~ t2.*")}}
		}, ecs.CodeInvalidParameter, `placementConstraints[0]: invalid expression 'attribute:ecs.instance-type ~~ t2.*': position 29: expected an operator after "attribute:ecs.instance-type" (==, !=, >, >=, <, <=, exists, !exists, in, !in, =~, !~ or their names such as equals), found "~~"`},
		{"an expression over 2000 characters", func(r *wire.RunTaskRequest) {
			r.PlacementConstraints = []wire.PlacementConstraint{{Type: wire.PlacementConstraintTypeMemberOf, Expression: ptr("attribute:a == " + strings.Repeat("x", 2000))}}
		}, ecs.CodeInvalidParameter, "placementConstraints[0]: the expression is longer than 2000 characters."},
		{"11 constraints with the task definition's", func(r *wire.RunTaskRequest) {
			r.TaskDefinition = ptr(constrained)
			for range 10 {
				r.PlacementConstraints = append(r.PlacementConstraints, wire.PlacementConstraint{Type: wire.PlacementConstraintTypeDistinctInstance})
			}
		}, ecs.CodeInvalidParameter, "Too many placement constraints: at most 10 are allowed, the task definition's included; this task has 11."},
		{"6 strategies", func(r *wire.RunTaskRequest) {
			for range 6 {
				r.PlacementStrategy = append(r.PlacementStrategy, wire.PlacementStrategy{Type: wire.PlacementStrategyTypeRandom})
			}
		}, ecs.CodeInvalidParameter, "Too many placement strategies: at most 5 are allowed."},
		{"binpack on disk", func(r *wire.RunTaskRequest) {
			r.PlacementStrategy = []wire.PlacementStrategy{{Type: wire.PlacementStrategyTypeBinpack, Field: ptr("disk")}}
		}, ecs.CodeInvalidParameter, "placementStrategy[0]: binpack needs field cpu or memory, got 'disk'."},
		{"spread without a field", func(r *wire.RunTaskRequest) {
			r.PlacementStrategy = []wire.PlacementStrategy{{Type: wire.PlacementStrategyTypeSpread}}
		}, ecs.CodeInvalidParameter, "placementStrategy[0]: spread needs field instanceId, host or attribute:<name>, got ''."},
		{"an unknown strategy type", func(r *wire.RunTaskRequest) {
			r.PlacementStrategy = []wire.PlacementStrategy{{Type: "pack"}}
		}, ecs.CodeInvalidParameter, "placementStrategy[0]: type 'pack' is not valid: random, spread or binpack."},
		{"a clientToken of 65 characters", func(r *wire.RunTaskRequest) { r.ClientToken = ptr(strings.Repeat("t", 65)) }, ecs.CodeInvalidParameter, "clientToken can have at most 64 characters."},
		{"startedBy of 129 characters", func(r *wire.RunTaskRequest) { r.StartedBy = ptr(strings.Repeat("s", 129)) }, ecs.CodeInvalidParameter, "startedBy can have up to 128 letters (uppercase and lowercase), numbers, hyphens, forward slashes and underscores."},
		{"startedBy with a space", func(r *wire.RunTaskRequest) { r.StartedBy = ptr("my job") }, ecs.CodeInvalidParameter, "startedBy can have up to 128 letters (uppercase and lowercase), numbers, hyphens, forward slashes and underscores."},
		{"a reserved tag key", func(r *wire.RunTaskRequest) { r.Tags = wireTags("aws:owner", "me") }, ecs.CodeInvalidParameter, `Tag keys beginning with 'aws:' are reserved for system use: "aws:owner".`},
		{"propagateTags SERVICE", func(r *wire.RunTaskRequest) { r.PropagateTags = wire.PropagateTagsService }, ecs.CodeInvalidParameter, "propagateTags SERVICE applies to tasks a service starts; a task started by this action can propagate TASK_DEFINITION tags, or NONE."},
		{"an unknown propagateTags", func(r *wire.RunTaskRequest) { r.PropagateTags = "ALL" }, ecs.CodeInvalidParameter, `Invalid value "ALL" for propagateTags. Valid values: TASK_DEFINITION, SERVICE, NONE.`},
		{"EBS volume configurations", func(r *wire.RunTaskRequest) {
			r.VolumeConfigurations = []wire.TaskVolumeConfiguration{{Name: ptr("data")}}
		}, ecs.CodeUnsupportedFeature, "berth does not support volumeConfigurations (Amazon EBS volumes) yet."},
		{"an unknown cluster", func(r *wire.RunTaskRequest) { r.Cluster = ptr("nowhere") }, ecs.CodeClusterNotFound, "Cluster not found."},
		{"an unknown family", func(r *wire.RunTaskRequest) { r.TaskDefinition = ptr("nothing-here") }, ecs.CodeClient, "Unable to describe task definition."},
		{"an unknown revision", func(r *wire.RunTaskRequest) { r.TaskDefinition = ptr(family + ":9") }, ecs.CodeClient, "Unable to describe task definition."},
		{"an INACTIVE revision", func(r *wire.RunTaskRequest) { r.TaskDefinition = ptr(inactive + ":1") }, ecs.CodeClient, "TaskDefinition is inactive"},
		{"awsvpc network mode", func(r *wire.RunTaskRequest) { r.TaskDefinition = ptr(awsvpc) }, ecs.CodeUnsupportedFeature, "awsvpc network mode is not supported yet."},
		{"a network configuration for a bridge task", func(r *wire.RunTaskRequest) {
			r.NetworkConfiguration = &wire.NetworkConfiguration{AwsvpcConfiguration: &wire.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}}
		}, ecs.CodeInvalidParameter, "Network Configuration is not valid for the given networkMode of this task definition."},
		{"a malformed expression in the task definition", func(r *wire.RunTaskRequest) { r.TaskDefinition = ptr(malformed) }, ecs.CodeInvalidParameter, `The task definition's placementConstraints[0]: invalid expression 'attribute:ecs.instance-type t2': position 29: expected an operator after "attribute:ecs.instance-type" (==, !=, >, >=, <, <=, exists, !exists, in, !in, =~, !~ or their names such as equals), found "t2"`},
		{"an override of an unknown container", func(r *wire.RunTaskRequest) {
			r.Overrides = &wire.TaskOverride{ContainerOverrides: []wire.ContainerOverride{{Name: ptr("db")}}}
		}, ecs.CodeInvalidParameter, "Override for container named db is not a container in the TaskDefinition."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.state(t, cluster)
			_, err := e.api.RunTask(e.ctx(), runIn(cluster, family, tc.edit))
			wantErr(t, err, tc.code, tc.msg)
			want(t, "cluster state", e.state(t, cluster), before)
		})
	}
}
