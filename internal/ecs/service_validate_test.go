package ecs

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/berth-org/berth/internal/wire"
)

func p[T any](v T) *T { return &v }

// wantErrMessage fails unless err is an *Error with msg ("" for no error).
func wantErrMessage(t *testing.T, err error, msg string) {
	t.Helper()
	var e *Error
	switch {
	case msg == "" && err != nil:
		t.Fatalf("err = %v, want none", err)
	case msg != "" && (!errors.As(err, &e) || e.Message != msg):
		t.Fatalf("err = %v, want %q", err, msg)
	}
}

func TestValidateServiceNameAndClientToken(t *testing.T) {
	cases := []struct {
		name, in, want string
		check          func(string) error
	}{
		{"a name of letters, digits, hyphens and underscores", "web_2-a", "", ValidateServiceName},
		{"an empty name", "", "serviceName is required.", ValidateServiceName},
		{"a name with a dot", "web.1", "Service name can have up to 255 characters: letters (uppercase and lowercase), numbers, underscores and hyphens.", ValidateServiceName},
		{"a name of 256 characters", strings.Repeat("a", 256), "Service name can have up to 255 characters: letters (uppercase and lowercase), numbers, underscores and hyphens.", ValidateServiceName},
		{"a token of 36 printable characters", strings.Repeat("!", 36), "", ValidateServiceClientToken},
		{"a token of 37 characters", strings.Repeat("t", 37), "clientToken can have up to 36 ASCII characters in the range 33-126.", ValidateServiceClientToken},
		{"a token with a space", "a b", "clientToken can have up to 36 ASCII characters in the range 33-126.", ValidateServiceClientToken},
		{"a token with a non-ASCII letter", "é", "clientToken can have up to 36 ASCII characters in the range 33-126.", ValidateServiceClientToken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantErrMessage(t, c.check(c.in), c.want) })
	}
}

func TestValidateDesiredCount(t *testing.T) {
	cases := []struct {
		name     string
		strategy SchedulingStrategy
		n        *int32
		required bool
		want     string
	}{
		{"REPLICA with a count", SchedulingReplica, p(int32(3)), true, ""},
		{"REPLICA with zero", SchedulingReplica, p(int32(0)), true, ""},
		{"REPLICA without a count at create", SchedulingReplica, nil, true, "desiredCount is required for a service with the REPLICA scheduling strategy."},
		{"REPLICA without a count at update", SchedulingReplica, nil, false, ""},
		{"REPLICA with a negative count", SchedulingReplica, p(int32(-1)), false, "desiredCount must be at least 0."},
		{"DAEMON without a count", SchedulingDaemon, nil, true, ""},
		{"DAEMON with a count", SchedulingDaemon, p(int32(1)), true, ErrDaemonDesiredCount.Message},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantErrMessage(t, ValidateDesiredCount(c.strategy, c.n, c.required), c.want) })
	}
}

func TestDeploymentConfigurationWith(t *testing.T) {
	replica, daemon := DefaultDeploymentConfiguration(SchedulingReplica), DefaultDeploymentConfiguration(SchedulingDaemon)
	breaker := func(enable, rollback bool) *wire.DeploymentCircuitBreaker {
		return &wire.DeploymentCircuitBreaker{Enable: &enable, Rollback: &rollback}
	}
	edited := func(c DeploymentConfiguration, edit func(*DeploymentConfiguration)) DeploymentConfiguration {
		edit(&c)
		return c
	}
	cases := []struct {
		name     string
		from     DeploymentConfiguration
		strategy SchedulingStrategy
		in       *wire.DeploymentConfiguration
		want     DeploymentConfiguration
		err      string
	}{
		{"nothing given keeps the REPLICA defaults", replica, SchedulingReplica, nil,
			DeploymentConfiguration{MaximumPercent: 200, MinimumHealthyPercent: 100, CircuitBreaker: CircuitBreaker{ResetOnHealthyTask: true, ThresholdType: "BOUNDED_PERCENT", ThresholdValue: 50}}, ""},
		{"DAEMON defaults are 100 and 0", daemon, SchedulingDaemon, &wire.DeploymentConfiguration{},
			edited(replica, func(c *DeploymentConfiguration) { c.MaximumPercent, c.MinimumHealthyPercent = 100, 0 }), ""},
		{"a member left out keeps its value", edited(replica, func(c *DeploymentConfiguration) { c.MinimumHealthyPercent = 50 }), SchedulingReplica,
			&wire.DeploymentConfiguration{MaximumPercent: p(int32(150))},
			edited(replica, func(c *DeploymentConfiguration) { c.MaximumPercent, c.MinimumHealthyPercent = 150, 50 }), ""},
		{"the circuit breaker on, with its threshold", replica, SchedulingReplica,
			&wire.DeploymentConfiguration{DeploymentCircuitBreaker: &wire.DeploymentCircuitBreaker{Enable: p(true), Rollback: p(true), ResetOnHealthyTask: p(false),
				ThresholdConfiguration: &wire.ThresholdConfiguration{Type: wire.ThresholdTypeCount, Value: p(int32(5))}}},
			edited(replica, func(c *DeploymentConfiguration) {
				c.CircuitBreaker = CircuitBreaker{Enable: true, Rollback: true, ThresholdType: "COUNT", ThresholdValue: 5}
			}), ""},
		{"enable and rollback alone keep the threshold", replica, SchedulingReplica,
			&wire.DeploymentConfiguration{DeploymentCircuitBreaker: breaker(true, false)},
			edited(replica, func(c *DeploymentConfiguration) { c.CircuitBreaker.Enable = true }), ""},
		{"minimumHealthyPercent over 100", replica, SchedulingReplica, &wire.DeploymentConfiguration{MinimumHealthyPercent: p(int32(101))}, replica,
			"minimumHealthyPercent must be between 0 and 100."},
		{"negative minimumHealthyPercent", replica, SchedulingReplica, &wire.DeploymentConfiguration{MinimumHealthyPercent: p(int32(-1))}, replica,
			"minimumHealthyPercent must be between 0 and 100."},
		{"REPLICA maximumPercent under 100", replica, SchedulingReplica, &wire.DeploymentConfiguration{MaximumPercent: p(int32(99)), MinimumHealthyPercent: p(int32(0))}, replica,
			"maximumPercent must be at least 100 for a service with the REPLICA scheduling strategy."},
		{"DAEMON maximumPercent over 100", daemon, SchedulingDaemon, &wire.DeploymentConfiguration{MaximumPercent: p(int32(200))}, daemon, errDaemonMaximumPercent.Message},
		{"DAEMON maximumPercent under minimumHealthyPercent", daemon, SchedulingDaemon,
			&wire.DeploymentConfiguration{MaximumPercent: p(int32(50)), MinimumHealthyPercent: p(int32(60))}, daemon,
			"maximumPercent must be greater than or equal to minimumHealthyPercent."},
		{"a circuit breaker without rollback", replica, SchedulingReplica,
			&wire.DeploymentConfiguration{DeploymentCircuitBreaker: &wire.DeploymentCircuitBreaker{Enable: p(true)}}, replica,
			"deploymentCircuitBreaker requires enable and rollback."},
		{"an unknown threshold type", replica, SchedulingReplica,
			&wire.DeploymentConfiguration{DeploymentCircuitBreaker: &wire.DeploymentCircuitBreaker{Enable: p(true), Rollback: p(false),
				ThresholdConfiguration: &wire.ThresholdConfiguration{Type: "HALF", Value: p(int32(5))}}}, replica,
			"thresholdConfiguration.type must be COUNT, BOUNDED_PERCENT or UNBOUNDED_PERCENT."},
		{"a threshold value of 0", replica, SchedulingReplica,
			&wire.DeploymentConfiguration{DeploymentCircuitBreaker: &wire.DeploymentCircuitBreaker{Enable: p(true), Rollback: p(false),
				ThresholdConfiguration: &wire.ThresholdConfiguration{Type: wire.ThresholdTypeCount, Value: p(int32(0))}}}, replica,
			"thresholdConfiguration.value must be at least 1."},
		{"alarms enabled", replica, SchedulingReplica,
			&wire.DeploymentConfiguration{Alarms: &wire.DeploymentAlarms{AlarmNames: []string{"a"}, Enable: p(true), Rollback: p(false)}}, replica,
			"berth does not support CloudWatch alarms for deployments; omit deploymentConfiguration.alarms or set enable to false."},
		{"a blue/green strategy", replica, SchedulingReplica, &wire.DeploymentConfiguration{Strategy: wire.DeploymentStrategyBlueGreen}, replica,
			"berth runs rolling deployments only: deploymentConfiguration.strategy BLUE_GREEN is not supported. Use ROLLING, or omit it."},
		{"a bake time", replica, SchedulingReplica, &wire.DeploymentConfiguration{BakeTimeInMinutes: p(int32(5))}, replica,
			"bakeTimeInMinutes, lifecycleHooks, linearConfiguration and canaryConfiguration apply to blue/green, linear and canary deployments, which berth does not support."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.from.With(c.in, c.strategy)
			wantErrMessage(t, err, c.err)
			if got != c.want {
				t.Fatalf("With = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestStartDeploymentDemotesThePrimary(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Minute)
	s := &Service{DesiredCount: 2}
	s.StartDeployment(NewDeployment("ecs-svc/1", "td:1", 2, "EC2", t0))
	s.Deployments[0].RunningCount = 2
	s.StartDeployment(NewDeployment("ecs-svc/2", "td:2", 2, "EC2", t1))
	s.Deployments = append(s.Deployments, Deployment{ID: "ecs-svc/0", Status: DeploymentInactive, RunningCount: 9})
	var got []string
	for _, d := range s.Reported() {
		got = append(got, d.ID+" "+string(d.Status)+" "+d.UpdatedAt.Sub(t0).String())
	}
	if want := "ecs-svc/2 PRIMARY 1m0s,ecs-svc/1 ACTIVE 1m0s"; strings.Join(got, ",") != want {
		t.Fatalf("reported deployments = %v, want %s", got, want)
	}
	if p := s.Primary(); p.RolloutState != RolloutInProgress || p.RolloutStateReason != "ECS deployment ecs-svc/2 in progress." {
		t.Fatalf("primary rollout = %s %q", p.RolloutState, p.RolloutStateReason)
	}
	s.Deployments[0].PendingCount = 1
	if running, pending := s.Counts(); running != 2 || pending != 1 {
		t.Fatalf("Counts = %d running, %d pending; want 2, 1 (INACTIVE deployments do not count)", running, pending)
	}
	s.SetDesiredCount(5, t1.Add(time.Minute))
	if s.DesiredCount != 5 || s.Deployments[0].DesiredCount != 5 || s.Deployments[1].DesiredCount != 2 {
		t.Fatalf("desired counts: service %d, primary %d, active %d; want 5, 5, 2", s.DesiredCount, s.Deployments[0].DesiredCount, s.Deployments[1].DesiredCount)
	}
}

func TestNewDeploymentIDHasNineteenDigits(t *testing.T) {
	pattern := regexp.MustCompile(`^ecs-svc/[1-9][0-9]{18}$`)
	for range 1000 {
		if id := NewDeploymentID(); !pattern.MatchString(id) {
			t.Fatalf("NewDeploymentID() = %q, want ecs-svc/ and 19 digits", id)
		}
	}
}
