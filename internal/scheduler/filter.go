package scheduler

import (
	"fmt"
	"slices"
	"strings"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/scheduler/query"
	"github.com/berth-org/berth/internal/wire"
)

// Refusal reasons, as ECS reports them in RunTask's failures. The
// constraint reasons are ECS's own wording ("MemberOf placement constraint
// unsatisfied." is quoted in aws/amazon-ecs-agent#3044).
const (
	ReasonInactive         = ecs.ReasonInactive
	ReasonAgent            = ecs.ReasonAgent
	ReasonAttribute        = "ATTRIBUTE"
	ReasonMemberOf         = "MemberOf placement constraint unsatisfied."
	ReasonDistinctInstance = "DistinctInstance placement constraint unsatisfied."
	ReasonCPU              = ecs.ReasonResourceCPU
	ReasonMemory           = ecs.ReasonResourceMem
	ReasonPorts            = ecs.ReasonResourcePorts
	ReasonPortsUDP         = ecs.ReasonResourceUDP
)

// pipeline is the filters' order: an instance is refused by the first one
// it fails, and the instance refused latest is the closest to fitting.
// Eligibility (status, agent, attributes, constraints) comes before
// capacity, so "closest" means "eligible, but full" whenever there is such
// an instance: the one worth telling the user about.
var pipeline = [...]string{
	ReasonInactive, ReasonAgent, ReasonAttribute, ReasonMemberOf, ReasonDistinctInstance,
	ReasonCPU, ReasonMemory, ReasonPorts, ReasonPortsUDP,
}

// feasible is the stage of pipeline at which n is refused for r, or -1
// when n can take the task.
func (s *Snapshot) feasible(n *node, r *Request) int {
	switch {
	case !n.known || n.Status != ecs.InstanceActive:
		return 0
	case !n.Connected:
		return 1
	case !hasAttributes(n, r.RequiredAttributes):
		return 2
	case !s.memberOf(n, r.Constraints.MemberOf):
		return 3
	case r.Constraints.DistinctInstance && n.groups[r.Group] > 0:
		return 4
	case s.free[n.idx].cpu < r.Needs.CPU:
		return 5
	case s.free[n.idx].mem < r.Needs.Memory:
		return 6
	case conflicts(n.ports, r.Needs.Ports):
		return 7
	case conflicts(n.udp, r.Needs.PortsUDP):
		return 8
	}
	return -1
}

func (s *Snapshot) memberOf(n *node, exprs []*query.Expr) bool {
	for _, e := range exprs {
		if !s.matches(e, n) {
			return false
		}
	}
	return true
}

func hasAttributes(n *node, required []wire.Attribute) bool {
	for _, a := range required {
		v, ok := n.Attributes[deref(a.Name)]
		if !ok || (a.Value != nil && *a.Value != v) {
			return false
		}
	}
	return true
}

// conflicts reports whether a task's host ports collide with those in use
// or with each other.
func conflicts(inUse, want []string) bool {
	for i, p := range want {
		if slices.Contains(inUse, p) || slices.Contains(want[i+1:], p) {
			return true
		}
	}
	return false
}

// Check says whether instance id can take a task of r now: "" when it can,
// else the ECS reason (MISSING when the snapshot has no such instance).
// StartTask uses it: its caller names the instances.
func (s *Snapshot) Check(id string, r *Request) string {
	n := s.byID[id]
	if n == nil || !n.known {
		return ecs.ReasonMissing
	}
	if stage := s.feasible(n, r); stage >= 0 {
		return pipeline[stage]
	}
	return ""
}

// Qualifies reports whether instance id meets r's attribute requirements
// and memberOf constraints, whatever its status, agent and free capacity:
// whether a DAEMON service's task belongs there.
func (s *Snapshot) Qualifies(id string, r *Request) bool {
	n := s.byID[id]
	return n != nil && n.known && hasAttributes(n, r.RequiredAttributes) && s.memberOf(n, r.Constraints.MemberOf)
}

// Match evaluates a cluster query expression on instance id (false when
// there is no such instance).
func (s *Snapshot) Match(id string, e *query.Expr) bool {
	n := s.byID[id]
	return n != nil && n.known && e.Match(n)
}

// Failure says why a task could not be placed: every instance's refusal,
// counted by reason, and the closest instance (refused latest in the
// pipeline) with its reason.
type Failure struct {
	Reason    string // the closest instance's reason
	ARN       string // the closest instance; "" when there is none
	Instances int    // instances considered
	Refused   []ReasonCount
}

// ReasonCount is how many instances one reason refused.
type ReasonCount struct {
	Reason    string
	Instances int
}

// Detail explains the failure in a sentence, counted per reason.
//
// Example: "No container instance met all of the task's requirements (3
// considered): RESOURCE:MEMORY on 2, MemberOf placement constraint
// unsatisfied on 1. The closest is arn:…/abc, refused by RESOURCE:MEMORY."
func (f *Failure) Detail() string {
	if f.Instances == 0 {
		return "The cluster has no container instance."
	}
	parts := make([]string, len(f.Refused))
	for i, rc := range f.Refused {
		parts[i] = fmt.Sprintf("%s on %d", strings.TrimSuffix(rc.Reason, "."), rc.Instances)
	}
	return fmt.Sprintf("No container instance met all of the task's requirements (%d considered): %s. The closest is %s, refused by %s.",
		f.Instances, strings.Join(parts, ", "), f.ARN, strings.TrimSuffix(f.Reason, "."))
}

// explain runs every known instance through the pipeline.
func (s *Snapshot) explain(r *Request) *Failure {
	var counts [len(pipeline)]int
	f := &Failure{}
	closest := -1
	for _, n := range s.nodes {
		if !n.known || len(r.Instances) > 0 && !slices.Contains(r.Instances, n.ID) {
			continue
		}
		f.Instances++
		stage := s.feasible(n, r)
		if stage < 0 { // cannot happen: explain runs when nothing fits
			continue
		}
		counts[stage]++
		if stage > closest {
			closest, f.ARN = stage, n.ARN
		}
	}
	if closest >= 0 {
		f.Reason = pipeline[closest]
	}
	for stage, k := range counts {
		if k > 0 {
			f.Refused = append(f.Refused, ReasonCount{Reason: pipeline[stage], Instances: k})
		}
	}
	return f
}
