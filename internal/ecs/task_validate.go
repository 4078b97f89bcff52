package ecs

import (
	"regexp"
	"unicode/utf8"
)

// Limits of RunTask, StartTask and StopTask from the ECS model.
const (
	// MaxRunTaskCount: RunTask's count is "between 1 and 10".
	MaxRunTaskCount = 10
	// MaxStartTaskInstances: "You can specify up to 10 container instances"
	// in one StartTask.
	MaxStartTaskInstances = 10
	// MaxStartedByLength: startedBy takes "up to 128 letters".
	MaxStartedByLength = 128
	// MaxClientTokenLength: RunTask's clientToken is "up to 64 characters".
	MaxClientTokenLength = 64
)

// startedByPattern is the model's startedBy charset: "Up to 128 letters
// (uppercase and lowercase), numbers, hyphens (-), forward slash (/), and
// underscores (_) are allowed." The slash matters: a service's tasks carry
// its deployment id, ecs-svc/<digits>.
var startedByPattern = regexp.MustCompile(`^[a-zA-Z0-9_/-]+$`)

// ValidateStartedBy checks RunTask's and StartTask's startedBy; "" means
// not given.
func ValidateStartedBy(s string) error {
	if s != "" && (len(s) > MaxStartedByLength || !startedByPattern.MatchString(s)) {
		return InvalidParameter("startedBy can have up to %d letters (uppercase and lowercase), numbers, hyphens, forward slashes and underscores.", MaxStartedByLength)
	}
	return nil
}

// ValidateClientToken checks RunTask's clientToken; "" means not given.
func ValidateClientToken(s string) error {
	if utf8.RuneCountInString(s) > MaxClientTokenLength {
		return InvalidParameter("clientToken can have at most %d characters.", MaxClientTokenLength)
	}
	return nil
}

// ValidateStopReason checks StopTask's reason, which becomes the task's
// stoppedReason.
func ValidateStopReason(s string) error {
	if utf8.RuneCountInString(s) > MaxStopReasonLength {
		return InvalidParameter("reason can have at most %d characters.", MaxStopReasonLength)
	}
	return nil
}

// Stop reasons the control plane gives besides ReasonTaskStoppedByUser.
const (
	// ReasonInstanceDeregistrationForced is what ECS reports for the tasks
	// of an instance deregistered with force (developer guide, "Stopped
	// tasks": "If you force the deregistration of a container instance with
	// running tasks, then the tasks are given this stopped reason").
	ReasonInstanceDeregistrationForced = "Container instance deregistration forced by user"
)

// CountTasks counts tasks by their last known status, as a container
// instance's runningTasksCount and pendingTasksCount report them: RUNNING
// is running; PROVISIONING, PENDING and ACTIVATING are pending (the task has
// not started yet). Stopping and stopped tasks count as neither.
//
// Worked example: tasks PENDING, ACTIVATING, RUNNING, STOPPING, STOPPED →
// running 1, pending 2.
func CountTasks(tasks []*Task) (running, pending int) {
	for _, t := range tasks {
		switch t.Known.LastStatus {
		case TaskRunning:
			running++
		case TaskProvisioning, TaskPending, TaskActivating:
			pending++
		}
	}
	return running, pending
}

// TaskActive reports whether t has not stopped yet by its last known status:
// such a task still runs, or may, on its instance.
func TaskActive(t *Task) bool { return t.Known.LastStatus != TaskStopped }
