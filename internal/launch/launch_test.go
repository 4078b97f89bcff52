package launch

import (
	"testing"
	"time"

	"github.com/berth-org/berth/internal/arn"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

func ptr[T any](v T) *T { return &v }

func TestNewTaskIsPendingOnItsInstance(t *testing.T) {
	spec := &Spec{
		Cluster: "prod",
		Def: &ecs.TaskDefinition{Def: wire.TaskDefinition{
			Family:            ptr("web"),
			TaskDefinitionArn: ptr("arn:aws:ecs:us-east-1:123456789012:task-definition/web:3"),
			Memory:            ptr("512"),
		}},
		Overrides: &wire.TaskOverride{Memory: ptr("1024")},
		Containers: []wire.ContainerDefinition{
			{Name: ptr("app"), Image: ptr("nginx"), Cpu: ptr(int32(128))},
			{Name: ptr("sidecar"), Image: ptr("busybox"), Essential: ptr(false)},
		},
		Needs:     ecs.Requirements{CPU: 128, Memory: 1024},
		Group:     "service:web",
		StartedBy: "ecs-svc/1234567890123456789",
	}
	inst := &ecs.ContainerInstance{ID: "i1", ARN: "arn:i1", Attributes: []wire.Attribute{
		{Name: ptr("ecs.availability-zone"), Value: ptr("us-east-1b")},
	}}
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

	got := NewTask(arn.Builder{Region: "us-east-1", Account: "123456789012"}, spec, inst, "t1", now)

	want := map[string]any{
		"arn":                 "arn:aws:ecs:us-east-1:123456789012:task/prod/t1",
		"family":              "web",
		"instance":            "i1",
		"availabilityZone":    "us-east-1b",
		"group":               "service:web",
		"startedBy":           "ecs-svc/1234567890123456789",
		"memory (overridden)": "1024",
		"desiredStatus":       ecs.TaskRunning,
		"lastStatus":          ecs.TaskPending,
		"containers":          2,
		"sidecar essential":   false,
		"app cpu":             "128",
		"createdAt":           now,
	}
	have := map[string]any{
		"arn":                 got.ARN,
		"family":              got.Family,
		"instance":            got.ContainerInstanceID,
		"availabilityZone":    got.AvailabilityZone,
		"group":               got.Group,
		"startedBy":           got.StartedBy,
		"memory (overridden)": got.Memory,
		"desiredStatus":       got.DesiredStatus,
		"lastStatus":          got.Known.LastStatus,
		"containers":          len(got.Known.Containers),
		"sidecar essential":   got.Known.Containers[1].Essential,
		"app cpu":             got.Known.Containers[0].CPU,
		"createdAt":           got.CreatedAt,
	}
	for k, w := range want {
		if have[k] != w {
			t.Errorf("%s = %v, want %v", k, have[k], w)
		}
	}
}
