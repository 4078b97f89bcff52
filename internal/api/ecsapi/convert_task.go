package ecsapi

import (
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

// taskToWire converts a task for a response. What the agent observes
// (lastStatus, health, containers, the timestamps of its lifecycle) comes
// from t.Known; what the control plane decided (desiredStatus, stoppingAt,
// a StopTask's code and reason) from t itself. Tags only with include TAGS.
//
// Every task runs on a container instance, so launchType is EC2. Its
// connectivity is CONNECTED, since its creation, unless the caller marks
// it with disconnected (see API.markDisconnected). Task attributes
// (ecs.cpu-architecture) are not stored, so attributes is empty.
func taskToWire(t *ecs.Task, withTags bool) *wire.Task {
	k := &t.Known
	out := &wire.Task{
		TaskArn:              ptr(t.ARN),
		ClusterArn:           ptr(t.ClusterARN),
		TaskDefinitionArn:    ptr(t.TaskDefinitionARN),
		ContainerInstanceArn: ptr(t.ContainerInstanceARN),
		LaunchType:           wire.LaunchTypeEc2,
		LastStatus:           ptr(string(k.LastStatus)),
		DesiredStatus:        ptr(string(t.DesiredStatus)),
		HealthStatus:         wire.HealthStatus(taskHealth(k)),
		Connectivity:         wire.ConnectivityConnected,
		ConnectivityAt:       wire.NewTime(t.CreatedAt),
		CreatedAt:            wire.NewTime(t.CreatedAt),
		PullStartedAt:        optTime(k.PullStartedAt),
		PullStoppedAt:        optTime(k.PullStoppedAt),
		StartedAt:            optTime(k.StartedAt),
		StoppingAt:           optTime(t.StoppingAt),
		ExecutionStoppedAt:   optTime(k.ExecutionStoppedAt),
		StoppedAt:            optTime(k.StoppedAt),
		Group:                ptr(t.Group),
		Version:              ptr(t.Version),
		Overrides:            overridesToWire(t.Overrides),
		Containers:           make([]wire.Container, len(k.Containers)),
		Attachments:          []wire.Attachment{},
		Attributes:           []wire.Attribute{},
		EnableExecuteCommand: ptr(t.EnableExecuteCommand),
		AvailabilityZone:     optString(t.AvailabilityZone),
		StartedBy:            optString(t.StartedBy),
		Cpu:                  optString(t.CPU),
		Memory:               optString(t.Memory),
	}
	if code, reason := t.StopCodeAndReason(); code != "" || reason != "" {
		out.StopCode = wire.TaskStopCode(code)
		out.StoppedReason = optString(reason)
	}
	for i, c := range k.Containers {
		out.Containers[i] = containerToWire(t.ARN, c)
	}
	if withTags {
		out.Tags = tagsToWire(t.Tags)
	}
	return out
}

func tasksToWire(ts []*ecs.Task, withTags bool) []wire.Task {
	out := make([]wire.Task, len(ts))
	for i, t := range ts {
		out[i] = *taskToWire(t, withTags)
	}
	return out
}

// taskHealth is the health the agent reported, else the aggregate of the
// essential containers' (UNKNOWN until any has a health check result).
func taskHealth(k *ecs.Known) string {
	if k.HealthStatus != "" {
		return k.HealthStatus
	}
	return ecs.TaskHealth(k.Containers)
}

func containerToWire(taskARN string, c ecs.Container) wire.Container {
	health := c.HealthStatus
	if health == "" {
		health = ecs.HealthUnknown
	}
	bindings := c.NetworkBindings
	if bindings == nil {
		bindings = []wire.NetworkBinding{}
	}
	return wire.Container{
		ContainerArn:      ptr(c.ARN),
		TaskArn:           ptr(taskARN),
		Name:              ptr(c.Name),
		Image:             ptr(c.Image),
		ImageDigest:       optString(c.ImageDigest),
		RuntimeId:         optString(c.RuntimeID),
		LastStatus:        ptr(string(c.LastStatus)),
		ExitCode:          c.ExitCode,
		Reason:            optString(c.Reason),
		NetworkBindings:   bindings,
		NetworkInterfaces: []wire.NetworkInterface{},
		HealthStatus:      wire.HealthStatus(health),
		Cpu:               optString(c.CPU),
		Memory:            optString(c.Memory),
		MemoryReservation: optString(c.MemoryReservation),
	}
}

// overridesToWire is a task's overrides as ECS reports them: always
// present, with containerOverrides and inferenceAcceleratorOverrides as
// empty lists when none were given.
func overridesToWire(ov *wire.TaskOverride) *wire.TaskOverride {
	var out wire.TaskOverride
	if ov != nil {
		out = *ov // shallow: the stored value is shared, so only fields are replaced
	}
	if out.ContainerOverrides == nil {
		out.ContainerOverrides = []wire.ContainerOverride{}
	}
	if out.InferenceAcceleratorOverrides == nil {
		out.InferenceAcceleratorOverrides = []wire.InferenceAcceleratorOverride{}
	}
	return &out
}
