package ecs

import (
	"github.com/berth-org/berth/internal/wire"
)

// MaxServiceClientTokenLength: CreateService's clientToken is "Up to 36
// ASCII characters in the range of 33-126 (inclusive)".
const MaxServiceClientTokenLength = 36

// Refusals of CreateService and UpdateService, worded as ECS words them
// where ECS's words are known (quoted in tools' issue trackers: the DAEMON
// refusals in kayac/ecspresso, fabfuel/ecs-deploy and
// terraform-provider-aws; "not idempotent" in terraform-provider-aws).
var (
	// ErrServiceNotIdempotent answers CreateService for a name that is
	// ACTIVE or DRAINING, or a clientToken reused with another request.
	ErrServiceNotIdempotent    = InvalidParameter("Creation of service was not idempotent.")
	ErrDaemonDesiredCount      = InvalidParameter("The daemon scheduling strategy does not support a desired count for services. Remove the desired count value and try again")
	ErrDaemonPlacementStrategy = InvalidParameter("The daemon scheduling strategy does not support placement strategies. Remove the placement strategy and try again")
	errDaemonMaximumPercent    = InvalidParameter("The daemon scheduling strategy does not support values above 100 for maximumPercent on a deployment configuration. Change the maximumPercent value to 100, and try again")
)

// ValidateServiceName checks CreateService's serviceName: "Up to 255
// letters (uppercase and lowercase), numbers, underscores, and hyphens".
func ValidateServiceName(name string) error {
	if name == "" {
		return InvalidParameter("serviceName is required.")
	}
	if !ValidName(name) {
		return InvalidParameter("Service name can have up to 255 characters: letters (uppercase and lowercase), numbers, underscores and hyphens.")
	}
	return nil
}

// ValidateServiceClientToken checks CreateService's clientToken; "" means
// not given.
func ValidateServiceClientToken(token string) error {
	ok := len(token) <= MaxServiceClientTokenLength
	for i := 0; ok && i < len(token); i++ {
		ok = token[i] >= 33 && token[i] <= 126
	}
	if !ok {
		return InvalidParameter("clientToken can have up to %d ASCII characters in the range 33-126.", MaxServiceClientTokenLength)
	}
	return nil
}

// ValidateDesiredCount checks a desiredCount given to CreateService
// (required for REPLICA) or UpdateService (optional): a DAEMON service
// takes none, as it runs one task per instance.
func ValidateDesiredCount(strategy SchedulingStrategy, n *int32, required bool) error {
	switch {
	case strategy == SchedulingDaemon && n != nil:
		return ErrDaemonDesiredCount
	case n == nil && required && strategy == SchedulingReplica:
		return InvalidParameter("desiredCount is required for a service with the REPLICA scheduling strategy.")
	case n != nil && *n < 0:
		return InvalidParameter("desiredCount must be at least 0.")
	}
	return nil
}

// DefaultDeploymentConfiguration is what ECS sets at CreateService for
// members the request leaves out: 200/100 percent for REPLICA, 100/0 for
// DAEMON; the circuit breaker off, resetting on a healthy task, with a
// threshold of BOUNDED_PERCENT 50.
func DefaultDeploymentConfiguration(strategy SchedulingStrategy) DeploymentConfiguration {
	c := DeploymentConfiguration{
		MaximumPercent:        DefaultMaximumPercent,
		MinimumHealthyPercent: DefaultMinimumHealthyPercent,
		CircuitBreaker:        CircuitBreaker{ResetOnHealthyTask: true, ThresholdType: ThresholdBoundedPercent, ThresholdValue: 50},
	}
	if strategy == SchedulingDaemon {
		c.MaximumPercent, c.MinimumHealthyPercent = DefaultDaemonMaximumPercent, DefaultDaemonMinimumHealthyPercent
	}
	return c
}

// With returns c with the members in sets, validated: CreateService
// applies a request's deploymentConfiguration to the defaults, and
// UpdateService to the service's current one (a member left out keeps its
// value). c is unchanged.
//
// berth's rules: minimumHealthyPercent is 0–100; maximumPercent is at
// least 100 for REPLICA (a rolling deployment must be able to run every
// desired task) and at most 100 for DAEMON (one task per instance), and
// never below minimumHealthyPercent.
func (c DeploymentConfiguration) With(in *wire.DeploymentConfiguration, strategy SchedulingStrategy) (DeploymentConfiguration, error) {
	if in == nil {
		return c, nil
	}
	if err := unsupportedDeploymentMembers(in); err != nil {
		return c, err
	}
	out := c
	if in.MaximumPercent != nil {
		out.MaximumPercent = *in.MaximumPercent
	}
	if in.MinimumHealthyPercent != nil {
		out.MinimumHealthyPercent = *in.MinimumHealthyPercent
	}
	switch {
	case out.MinimumHealthyPercent < 0 || out.MinimumHealthyPercent > 100:
		return c, InvalidParameter("minimumHealthyPercent must be between 0 and 100.")
	case strategy == SchedulingDaemon && out.MaximumPercent > 100:
		return c, errDaemonMaximumPercent
	case strategy != SchedulingDaemon && out.MaximumPercent < 100:
		return c, InvalidParameter("maximumPercent must be at least 100 for a service with the REPLICA scheduling strategy.")
	case out.MaximumPercent < out.MinimumHealthyPercent:
		return c, InvalidParameter("maximumPercent must be greater than or equal to minimumHealthyPercent.")
	}
	breaker, err := c.CircuitBreaker.with(in.DeploymentCircuitBreaker)
	if err != nil {
		return c, err
	}
	out.CircuitBreaker = breaker
	return out, nil
}

// unsupportedDeploymentMembers refuses the members of a deployment
// configuration that belong to what berth does not do: CloudWatch alarms,
// and the blue/green, linear and canary strategies.
func unsupportedDeploymentMembers(in *wire.DeploymentConfiguration) error {
	switch {
	case in.Alarms != nil && in.Alarms.Enable != nil && *in.Alarms.Enable:
		return Unsupported("berth does not support CloudWatch alarms for deployments; omit deploymentConfiguration.alarms or set enable to false.")
	case in.Strategy != "" && in.Strategy != wire.DeploymentStrategyRolling:
		return Unsupported("berth runs rolling deployments only: deploymentConfiguration.strategy %s is not supported. Use ROLLING, or omit it.", in.Strategy)
	case in.BakeTimeInMinutes != nil || len(in.LifecycleHooks) > 0 || in.LinearConfiguration != nil || in.CanaryConfiguration != nil:
		return Unsupported("bakeTimeInMinutes, lifecycleHooks, linearConfiguration and canaryConfiguration apply to blue/green, linear and canary deployments, which berth does not support.")
	}
	return nil
}

// with returns b with a request's deploymentCircuitBreaker applied:
// enable and rollback are required; resetOnHealthyTask and
// thresholdConfiguration keep their values when left out.
func (b CircuitBreaker) with(in *wire.DeploymentCircuitBreaker) (CircuitBreaker, error) {
	if in == nil {
		return b, nil
	}
	if in.Enable == nil || in.Rollback == nil {
		return b, InvalidParameter("deploymentCircuitBreaker requires enable and rollback.")
	}
	out := b
	out.Enable, out.Rollback = *in.Enable, *in.Rollback
	if in.ResetOnHealthyTask != nil {
		out.ResetOnHealthyTask = *in.ResetOnHealthyTask
	}
	if t := in.ThresholdConfiguration; t != nil {
		switch t.Type {
		case wire.ThresholdTypeBoundedPercent, wire.ThresholdTypeUnboundedPercent, wire.ThresholdTypeCount:
		default:
			return b, InvalidParameter("thresholdConfiguration.type must be COUNT, BOUNDED_PERCENT or UNBOUNDED_PERCENT.")
		}
		if t.Value == nil || *t.Value < 1 {
			return b, InvalidParameter("thresholdConfiguration.value must be at least 1.")
		}
		out.ThresholdType, out.ThresholdValue = string(t.Type), *t.Value
	}
	return out, nil
}
