package controller

import (
	"fmt"
	"strings"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/scheduler"
)

// closestWords are ECS's words for why the closest instance could not take
// a service's task, as its "unable to place a task" event says them.
var closestWords = map[string]string{
	scheduler.ReasonCPU:       "has insufficient CPU units available.",
	scheduler.ReasonMemory:    "has insufficient memory available.",
	scheduler.ReasonPorts:     "is already using a port required by your task.",
	scheduler.ReasonPortsUDP:  "is already using a port required by your task.",
	scheduler.ReasonAttribute: "is missing an attribute required by your task.",
}

const troubleshooting = " For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."

// unplacedMessage is ECS's event for a service task no instance could
// take, e.g. "(service web) was unable to place a task because no
// container instance met all of its requirements. The closest matching
// (container-instance 5f3c…) has insufficient memory available. For more
// information, see the Troubleshooting section of the Amazon ECS
// Developer Guide."
func unplacedMessage(service string, f *scheduler.Failure) string {
	head := fmt.Sprintf("(service %s) was unable to place a task because no container instance met all of its requirements.", service)
	if f.ARN == "" {
		return head + " Reason: No Container Instances were found in your cluster." + troubleshooting
	}
	id := f.ARN[strings.LastIndexByte(f.ARN, '/')+1:]
	why, ok := closestWords[f.Reason]
	if !ok {
		why = fmt.Sprintf("encountered error %q.", strings.TrimSuffix(f.Reason, "."))
	}
	return fmt.Sprintf("%s The closest matching (container-instance %s) %s%s", head, id, why, troubleshooting)
}

// addOnce adds e unless the service's newest event already says the same:
// a service that stays unplaceable says so once, not at every step.
func addOnce(svc *ecs.Service, e ecs.ServiceEvent) {
	if len(svc.Events) > 0 && svc.Events[0].Message == e.Message {
		return
	}
	svc.AddEvent(e)
}
