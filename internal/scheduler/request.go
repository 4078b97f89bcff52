package scheduler

import (
	"math/rand/v2"
	"strings"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/scheduler/query"
	"github.com/berth-org/berth/internal/wire"
)

// Strategy types and binpack fields.
const (
	Random  = "random"
	Spread  = "spread"
	Binpack = "binpack"

	FieldCPU    = "cpu"
	FieldMemory = "memory"
)

// Limits from the ECS API reference.
const (
	MaxStrategies  = 5
	MaxConstraints = 10 // the request's and the task definition's together
	// MaxExpressionLength: "The expression can have a maximum length of
	// 2000 characters" (PlacementConstraint).
	MaxExpressionLength = 2000
)

// Strategy is one placement strategy, validated: Field is "" for random,
// cpu or memory for binpack, and for spread instanceId (host is folded
// into it) or an attribute name with its "attribute:" prefix.
type Strategy struct {
	Type  string
	Field string
}

// Defaults. ECS documents a service's default as spreading across
// Availability Zones, then favouring the instance with the fewest tasks of
// the service (the service scheduler's documented logic); RunTask
// documents none, and berth places standalone tasks at random, which
// keeps concurrent launches from piling onto one instance.
var (
	DefaultServiceStrategies = []Strategy{
		{Type: Spread, Field: attributePrefix + "ecs.availability-zone"},
		{Type: Spread, Field: FieldInstanceID},
	}
	DefaultRunTaskStrategies = []Strategy{{Type: Random}}
)

// Constraints are a request's placement constraints, parsed.
type Constraints struct {
	DistinctInstance bool
	MemberOf         []*query.Expr
}

// Request is one placement decision: Count identical tasks.
type Request struct {
	Count int
	Needs ecs.Requirements
	// Group is the task group: spread and distinctInstance count within
	// it (RunTask's default is "family:<family>", a service's
	// "service:<name>").
	Group       string
	Constraints Constraints
	// RequiredAttributes the task definition needs of an instance: a
	// name, or a name and a value.
	RequiredAttributes []wire.Attribute
	Strategies         []Strategy
	// Instances, when set, are the only candidates, tried in this order
	// (a DAEMON service's task for one instance). Strategies are not used
	// then.
	Instances []string
	Rand      *rand.Rand
}

// ParseStrategies validates a request's placementStrategy. An empty list
// means the caller's default.
func ParseStrategies(in []wire.PlacementStrategy) ([]Strategy, error) {
	if len(in) > MaxStrategies {
		return nil, ecs.InvalidParameter("Too many placement strategies: at most %d are allowed.", MaxStrategies)
	}
	out := make([]Strategy, 0, len(in))
	for i, ps := range in {
		s, problem := parseStrategy(ps)
		if problem != "" {
			return nil, ecs.InvalidParameter("placementStrategy[%d]: %s", i, problem)
		}
		out = append(out, s)
	}
	return out, nil
}

// parseStrategy returns the strategy, or what is wrong with it.
func parseStrategy(ps wire.PlacementStrategy) (Strategy, string) {
	field := deref(ps.Field)
	switch string(ps.Type) {
	case Random:
		return Strategy{Type: Random}, ""
	case Binpack:
		if field != FieldCPU && field != FieldMemory {
			return Strategy{}, "binpack needs field cpu or memory, got " + quote(field) + "."
		}
		return Strategy{Type: Binpack, Field: field}, ""
	case Spread:
		switch {
		case field == FieldInstanceID || field == FieldHost:
			return Strategy{Type: Spread, Field: FieldInstanceID}, ""
		case strings.HasPrefix(field, attributePrefix) && len(field) > len(attributePrefix):
			return Strategy{Type: Spread, Field: field}, ""
		}
		return Strategy{}, "spread needs field instanceId, host or attribute:<name>, got " + quote(field) + "."
	case "":
		return Strategy{}, "type is required: random, spread or binpack."
	}
	return Strategy{}, "type " + quote(string(ps.Type)) + " is not valid: random, spread or binpack."
}

// ParseConstraints validates a request's placementConstraints together
// with its task definition's (which can only be memberOf).
func ParseConstraints(req []wire.PlacementConstraint, def []wire.TaskDefinitionPlacementConstraint) (Constraints, error) {
	var out Constraints
	if len(req)+len(def) > MaxConstraints {
		return out, ecs.InvalidParameter("Too many placement constraints: at most %d are allowed, the task definition's included; this task has %d.", MaxConstraints, len(req)+len(def))
	}
	for i, pc := range req {
		switch pc.Type {
		case wire.PlacementConstraintTypeDistinctInstance:
			if deref(pc.Expression) != "" {
				return out, ecs.InvalidParameter("placementConstraints[%d]: distinctInstance takes no expression.", i)
			}
			out.DistinctInstance = true
		case wire.PlacementConstraintTypeMemberOf:
			e, problem := parseExpression(pc.Expression)
			if problem != "" {
				return out, ecs.InvalidParameter("placementConstraints[%d]: %s", i, problem)
			}
			out.MemberOf = append(out.MemberOf, e)
		case "":
			return out, ecs.InvalidParameter("placementConstraints[%d]: type is required: distinctInstance or memberOf.", i)
		default:
			return out, ecs.InvalidParameter("placementConstraints[%d]: type %s is not valid: distinctInstance or memberOf.", i, quote(string(pc.Type)))
		}
	}
	for i, pc := range def {
		e, problem := parseExpression(pc.Expression)
		if problem != "" {
			return out, ecs.InvalidParameter("The task definition's placementConstraints[%d]: %s", i, problem)
		}
		out.MemberOf = append(out.MemberOf, e)
	}
	return out, nil
}

// parseExpression returns the parsed memberOf expression, or what is
// wrong with it.
func parseExpression(expr *string) (*query.Expr, string) {
	s := deref(expr)
	switch {
	case strings.TrimSpace(s) == "":
		return nil, "memberOf needs an expression in the cluster query language."
	case len(s) > MaxExpressionLength:
		return nil, "the expression is longer than 2000 characters."
	}
	e, err := query.Parse(s)
	if err != nil {
		return nil, "invalid expression " + quote(s) + ": " + err.Error()
	}
	return e, ""
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func quote(s string) string { return "'" + s + "'" }
