package reconcile

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/berth-org/berth/internal/ecs"
)

// The service events and stop reasons ECS's service scheduler writes, word
// for word as DescribeServices and DescribeTasks show them on AWS (each
// checked against captured output, except where marked).
const (
	// reasonScaling is the stoppedReason of a task the scheduler stops to
	// scale a deployment in, to roll it out, or to leave a draining
	// instance (the last one unverified: ECS documents no other wording).
	reasonScaling = "Scaling activity initiated by (deployment %s)"
	// reasonUnhealthy is the stoppedReason of a task that failed its
	// container health checks.
	reasonUnhealthy = "Task failed container health checks"

	msgSteady     = "(service %s) has reached a steady state."
	msgStarted    = "(service %s) has started %d tasks: %s."
	msgStopped    = "(service %s) has stopped %d running tasks: %s."
	msgUnhealthy  = "(service %s) (task %s) failed container health checks."
	msgCompleted  = "(service %s) (deployment %s) deployment completed."
	msgFailed     = "(service %s) (deployment %s) deployment failed: tasks failed to start."
	msgRollingBak = "(service %s) rolling back to deployment %s."
	msgImpaired   = "(service %s) is unable to consistently start tasks successfully. " +
		"For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."

	// The rolloutStateReason of a deployment.
	rolloutCompleted   = "ECS deployment %s completed."
	rolloutFailed      = "ECS deployment circuit breaker: tasks failed to start."
	rolloutRollingBack = "ECS deployment circuit breaker: rolling back to deploymentId %s."
)

// eventRepeatAfter is how long ECS omits a repeated event whose cause
// persists: "duplicate event messages are omitted until either the cause
// is resolved or six hours passes" (developer guide, "Service event
// messages"). A steady service says so once, then every six hours.
const eventRepeatAfter = 6 * time.Hour

// StartedMessage is the event for tasks the controller placed, e.g.
// "(service web) has started 2 tasks: (task a) (task b)."
func StartedMessage(service string, taskIDs []string) string {
	return fmt.Sprintf(msgStarted, service, len(taskIDs), taskList(taskIDs))
}

// StoppedMessage is the event for tasks the controller stopped, e.g.
// "(service web) has stopped 1 running tasks: (task a)." ECS says
// "running" whatever state the tasks were in.
func StoppedMessage(service string, taskIDs []string) string {
	return fmt.Sprintf(msgStopped, service, len(taskIDs), taskList(taskIDs))
}

func taskList(ids []string) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = "(task " + id + ")"
	}
	return strings.Join(parts, " ")
}

// eventNamespace makes event ids name-based UUIDs (version 5), so that an
// event's id is a function of what it says and Step stays pure.
var eventNamespace = uuid.MustParse("0d3f5c4e-8a51-4b5e-9a53-6f0b1c2d3e4f")

// NewEvent is a service event at the given time, with an id derived from
// the service, the time and the message: the same event twice has the
// same id, two different ones never do.
func NewEvent(serviceARN string, at time.Time, message string) ecs.ServiceEvent {
	name := serviceARN + "\x00" + at.UTC().Format(time.RFC3339Nano) + "\x00" + message
	return ecs.ServiceEvent{
		ID:        uuid.NewSHA1(eventNamespace, []byte(name)).String(),
		CreatedAt: at,
		Message:   message,
	}
}

// saidWithin reports whether svc's events hold message from less than
// eventRepeatAfter before now.
func saidWithin(svc *ecs.Service, message string, now time.Time) bool {
	for _, e := range svc.Events {
		if now.Sub(e.CreatedAt) >= eventRepeatAfter {
			return false // newest first: the rest are older still
		}
		if e.Message == message {
			return true
		}
	}
	return false
}
