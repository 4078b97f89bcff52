package ecsapi

import (
	"strings"
	"testing"
	"time"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

func TestStopTask(t *testing.T) {
	e := newEnv(t)
	cluster := e.readyCluster(t)
	family := e.taskDef(t)
	stop := func(t *testing.T, ref, reason string) *wire.Task {
		t.Helper()
		in := &wire.StopTaskRequest{Cluster: ptr(cluster), Task: ptr(ref)}
		if reason != "" {
			in.Reason = ptr(reason)
		}
		out, err := e.api.StopTask(e.ctx(), in)
		if err != nil {
			t.Fatal(err)
		}
		return out.Task
	}
	// stopped is what a stop changes in a task's wire form.
	type stopped struct {
		Desired, StopCode, Reason string
		StoppingAt                time.Time
		Version                   int64
		Tags                      []wire.Tag
	}
	stoppedOf := func(task *wire.Task) stopped {
		return stopped{str(task.DesiredStatus), string(task.StopCode), str(task.StoppedReason), task.StoppingAt.Std(), *task.Version, task.Tags}
	}

	t.Run("by id: desired STOPPED, UserInitiated, ECS's default reason, tags deleted", func(t *testing.T) {
		id := e.runOne(t, cluster, family, func(r *wire.RunTaskRequest) { r.Tags = wireTags("team", "data") })
		e.clock.Advance(time.Minute)
		got := stop(t, id, "")
		want(t, "stopped task", stoppedOf(got), stopped{"STOPPED", "UserInitiated", "Task stopped by user", e.clock.Now().Truncate(time.Millisecond), 2, []wire.Tag{}})
		want(t, "last status (the agent's to change)", str(got.LastStatus), "PENDING")
		want(t, "stored tags", e.storedTask(t, cluster, id).Tags, []ecs.Tag(nil))
	})

	t.Run("by ARN with a reason", func(t *testing.T) {
		id := e.runOne(t, cluster, family)
		got := stop(t, testARNs.Task(cluster, id), strings.Repeat("r", 255))
		want(t, "reason", str(got.StoppedReason), strings.Repeat("r", 255))
	})

	t.Run("stopping again returns the task unchanged", func(t *testing.T) {
		id := e.runOne(t, cluster, family)
		first := stop(t, id, "first")
		e.clock.Advance(time.Minute)
		again := stop(t, id, "second")
		want(t, "task", again, first)
	})

	t.Run("on a task its agent stopped, StopTask's code and reason are reported", func(t *testing.T) {
		id := e.runOne(t, cluster, family)
		k := e.storedTask(t, cluster, id).Known
		k.LastStatus, k.StopCode, k.StoppedReason = ecs.TaskStopped, ecs.StopEssentialContainerExited, ecs.ReasonEssentialContainerExited
		e.report(t, cluster, id, k)
		got := stop(t, id, "")
		want(t, "code and reason", []string{string(got.StopCode), str(got.StoppedReason)}, []string{"UserInitiated", "Task stopped by user"})
	})

	tests := []struct {
		name string
		in   *wire.StopTaskRequest
		code ecs.Code
		msg  string
	}{
		{"no task", &wire.StopTaskRequest{Cluster: ptr(cluster)}, ecs.CodeInvalidParameter, "task is required."},
		{"an unknown id", &wire.StopTaskRequest{Cluster: ptr(cluster), Task: ptr(strings.Repeat("a", 32))}, ecs.CodeInvalidParameter, "The referenced task was not found."},
		{"not an id", &wire.StopTaskRequest{Cluster: ptr(cluster), Task: ptr("web")}, ecs.CodeInvalidParameter, "The referenced task was not found."},
		{"another cluster's ARN", &wire.StopTaskRequest{Cluster: ptr(cluster), Task: ptr(testARNs.Task("other", strings.Repeat("a", 32)))}, ecs.CodeInvalidParameter, "The referenced task was not found."},
		{"a reason of 256 characters", &wire.StopTaskRequest{Cluster: ptr(cluster), Task: ptr(strings.Repeat("a", 32)), Reason: ptr(strings.Repeat("r", 256))}, ecs.CodeInvalidParameter, "reason can have at most 255 characters."},
		{"an unknown cluster", &wire.StopTaskRequest{Cluster: ptr("nowhere"), Task: ptr(strings.Repeat("a", 32))}, ecs.CodeClusterNotFound, "Cluster not found."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.state(t, cluster)
			_, err := e.api.StopTask(e.ctx(), tc.in)
			wantErr(t, err, tc.code, tc.msg)
			want(t, "cluster state", e.state(t, cluster), before)
		})
	}
}
