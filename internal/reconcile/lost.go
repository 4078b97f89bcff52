package reconcile

import (
	"fmt"
	"time"

	"github.com/berth-org/berth/internal/ecs"
)

// Lost instances: berth's own policy, beyond ECS, opt-in per cluster with
// the lostInstanceTimeout setting (Input.LostInstanceTimeout).
//
// ECS never moves a service's tasks off a container instance whose agent
// has disconnected: they stay RUNNING in the API and the service counts
// them (an open request on the ECS roadmap, aws/containers-roadmap#2040).
// That is what Step does when the timeout is zero. When it is set, an
// ACTIVE or DRAINING instance whose agent has been away that long
// (Instance.DisconnectedAt) is lost, and so are the service's tasks on it:
//
//   - each is asked to stop (desiredStatus STOPPED, reasonLost) at once,
//     whatever the floor: nobody can tell whether it still serves;
//   - none counts as healthy, running or present: not toward the floor,
//     not against the ceiling (it cannot reach STOPPED while its agent is
//     away, so counting it would block its own replacement for as long as
//     that lasts, for ever at maximumPercent 100), not in the
//     deployments' runningCount and pendingCount;
//   - a REPLICA service replaces them through the normal plan, on
//     connected instances; a DAEMON service does not (its task belongs to
//     its instance, and a lost instance is not one it runs on any more).
//
// When the agent comes back the instance is no longer lost: the agent
// receives the stops and carries them out, and until they have, the old
// copies count against the ceiling as any task on its way out does (which
// keeps a load balancer from seeing more than maximumPercent of them). They
// are not kept, so nothing is scaled in for them.
//
// Standalone tasks (RunTask, StartTask) are not Step's and never touched.

// reasonLost is the stoppedReason of a task on a lost instance, with the
// cluster's lostInstanceTimeout in seconds. ECS has no such stop; the
// wording is berth's own, in the style of ECS's reasons.
const reasonLost = "Task stopped because its container instance was lost (agent disconnected for %d s)."

// lostAt is when the instance is lost, its agent away for timeout; zero if
// it will not be as things stand (the policy is off, the agent is
// connected or its disconnect time unknown, or the instance is INACTIVE,
// gone already).
func lostAt(i Instance, timeout time.Duration) time.Time {
	if timeout <= 0 || i.Connected || i.DisconnectedAt.IsZero() || i.Status == ecs.InstanceInactive {
		return time.Time{}
	}
	return i.DisconnectedAt.Add(timeout)
}

// markLost marks the service's tasks on lost instances, asks those not yet
// stopping to stop, and asks to wake when an instance holding a task of
// the service will be lost. A lost instance is one whose agent has been
// away for timeout or longer: exactly at it, it is lost.
func (p *plan) markLost(gs []*group, insts []Instance, timeout time.Duration) {
	when := map[string]time.Time{}
	for _, i := range insts {
		if at := lostAt(i, timeout); !at.IsZero() {
			when[i.ID] = at
		}
	}
	if len(when) == 0 {
		return
	}
	reason := fmt.Sprintf(reasonLost, int(timeout/time.Second))
	for _, g := range gs {
		for _, t := range g.tasks {
			at, ok := when[t.InstanceID]
			switch {
			case !ok || t.state == stopped:
			case p.now.Before(at):
				p.wakeAt(at)
			default:
				t.lost = true
				if t.active() {
					p.stopEach([]*task{t}, reason)
				}
			}
		}
	}
}
