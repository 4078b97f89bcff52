package ecsapi

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/berth-org/berth/internal/wire"
)

// Builders for the service tests, over the task tests' env.

var deploymentIDPattern = regexp.MustCompile(`^ecs-svc/[1-9][0-9]{18}$`)

// createIn is a CreateService request for one task of family in cluster,
// edited by opts.
func createIn(cluster, name, family string, opts ...func(*wire.CreateServiceRequest)) *wire.CreateServiceRequest {
	in := &wire.CreateServiceRequest{Cluster: ptr(cluster), ServiceName: ptr(name), TaskDefinition: ptr(family), DesiredCount: ptr(int32(1))}
	for _, o := range opts {
		o(in)
	}
	return in
}

func (e *env) createService(t *testing.T, in *wire.CreateServiceRequest) *wire.Service {
	t.Helper()
	out, err := e.api.CreateService(e.ctx(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out.Service
}

// service creates a service of one task of a new family in cluster and
// returns its name and family.
func (e *env) service(t *testing.T, cluster string, opts ...func(*wire.CreateServiceRequest)) (name, family string) {
	t.Helper()
	family, name = e.taskDef(t), e.name("svc")
	e.createService(t, createIn(cluster, name, family, opts...))
	return name, family
}

func (e *env) updateService(t *testing.T, in *wire.UpdateServiceRequest) *wire.Service {
	t.Helper()
	out, err := e.api.UpdateService(e.ctx(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out.Service
}

func (e *env) describeService(t *testing.T, cluster, name string, include ...wire.ServiceField) wire.Service {
	t.Helper()
	out, err := e.api.DescribeServices(e.ctx(), &wire.DescribeServicesRequest{Cluster: ptr(cluster), Services: []string{name}, Include: include})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Services) != 1 {
		t.Fatalf("DescribeServices(%s) = %s, want one service", name, asJSON(out))
	}
	return out.Services[0]
}

func (e *env) listServices(t *testing.T, in *wire.ListServicesRequest) []string {
	t.Helper()
	out, err := e.api.ListServices(e.ctx(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out.ServiceArns
}

// storedServices is every service of a cluster as stored, for checking
// that a refused request changed nothing.
func (e *env) storedServices(t *testing.T, cluster string) string {
	t.Helper()
	svcs, _, err := e.store.ServicesAt(e.ctx(), cluster)
	if err != nil {
		t.Fatal(err)
	}
	return asJSON(svcs)
}

// deploymentSummary is "<status> <task definition> <desired>" per
// reported deployment, newest first.
func deploymentSummary(s wire.Service) []string {
	var out []string
	for _, d := range s.Deployments {
		out = append(out, fmt.Sprintf("%s %s %d", str(d.Status), str(d.TaskDefinition), deref(d.DesiredCount)))
	}
	return out
}

func desired(n int32) func(*wire.CreateServiceRequest) {
	return func(in *wire.CreateServiceRequest) { in.DesiredCount = ptr(n) }
}

func daemon(in *wire.CreateServiceRequest) {
	in.SchedulingStrategy, in.DesiredCount = wire.SchedulingStrategyDaemon, nil
}

func serviceARN(cluster, name string) string { return testARNs.Service(cluster, name) }

// defaultDeploymentConfiguration is the REPLICA defaults as reported.
func defaultDeploymentConfiguration(maxPct, minPct int32) *wire.DeploymentConfiguration {
	return &wire.DeploymentConfiguration{
		MaximumPercent: ptr(maxPct), MinimumHealthyPercent: ptr(minPct),
		DeploymentCircuitBreaker: &wire.DeploymentCircuitBreaker{
			Enable: ptr(false), Rollback: ptr(false), ResetOnHealthyTask: ptr(true),
			ThresholdConfiguration: &wire.ThresholdConfiguration{Type: wire.ThresholdTypeBoundedPercent, Value: ptr(int32(50))},
		},
	}
}
