package ecsapi

import (
	"strings"
	"testing"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

func TestCreateServiceReportsECSDefaults(t *testing.T) {
	e := newEnv(t)
	cluster := e.cluster(t)
	family := e.taskDef(t)
	got := e.createService(t, createIn(cluster, "web", family, desired(2), func(in *wire.CreateServiceRequest) { in.Tags = wireTags("team", "shop") }))
	if len(got.Deployments) != 1 || !deploymentIDPattern.MatchString(str(got.Deployments[0].Id)) {
		t.Fatalf("deployments = %s, want one with an ecs-svc/ id", asJSON(got.Deployments))
	}
	id := str(got.Deployments[0].Id)
	created := wire.NewTime(epoch.Truncate(1e6))
	tdARN := testARNs.TaskDefinition(family, 1)
	want(t, "service", *got, wire.Service{
		ServiceArn: ptr(serviceARN(cluster, "web")), ServiceName: ptr("web"), ClusterArn: ptr(testARNs.Cluster(cluster)),
		Status: ptr("ACTIVE"), DesiredCount: ptr(int32(2)), RunningCount: ptr(int32(0)), PendingCount: ptr(int32(0)),
		LaunchType: wire.LaunchTypeEc2, TaskDefinition: ptr(tdARN),
		DeploymentConfiguration: defaultDeploymentConfiguration(200, 100),
		Deployments: []wire.Deployment{{
			Id: ptr(id), Status: ptr("PRIMARY"), TaskDefinition: ptr(tdARN),
			DesiredCount: ptr(int32(2)), PendingCount: ptr(int32(0)), RunningCount: ptr(int32(0)), FailedTasks: ptr(int32(0)),
			CreatedAt: created, UpdatedAt: created, LaunchType: wire.LaunchTypeEc2,
			RolloutState: wire.DeploymentRolloutStateInProgress, RolloutStateReason: ptr("ECS deployment " + id + " in progress."),
		}},
		Events:    []wire.ServiceEvent{},
		CreatedAt: created, CreatedBy: ptr("arn:aws:iam::000000000000:root"),
		LoadBalancers: []wire.LoadBalancer{}, ServiceRegistries: []wire.ServiceRegistry{},
		PlacementConstraints: []wire.PlacementConstraint{}, PlacementStrategy: []wire.PlacementStrategy{},
		HealthCheckGracePeriodSeconds: ptr(int32(0)),
		SchedulingStrategy:            wire.SchedulingStrategyReplica,
		DeploymentController:          &wire.DeploymentController{Type: wire.DeploymentControllerTypeEcs},
		EnableECSManagedTags:          ptr(false), PropagateTags: wire.PropagateTagsNone, EnableExecuteCommand: ptr(false),
		Tags: wireTags("team", "shop"),
	})

	t.Run("DAEMON defaults to 100 and 0 percent and no desired count", func(t *testing.T) {
		name, _ := e.service(t, cluster, daemon)
		got := e.describeService(t, cluster, name)
		want(t, "deployment configuration", got.DeploymentConfiguration, defaultDeploymentConfiguration(100, 0))
		want(t, "desired count", deref(got.DesiredCount), 0)
		want(t, "scheduling strategy", got.SchedulingStrategy, wire.SchedulingStrategyDaemon)
	})
}

func TestCreateServiceRejectsInvalidInput(t *testing.T) {
	e := newEnv(t)
	cluster := e.cluster(t)
	family := e.taskDef(t)
	inactive := e.taskDef(t)
	e.deregisterTaskDef(t, inactive, 1)
	awsvpc := e.taskDef(t, withNetworkMode(wire.NetworkModeAwsvpc))
	e.createService(t, createIn(cluster, "taken", family))
	invalid := func(msg string) func(*testing.T, error) {
		return func(t *testing.T, err error) { wantErr(t, err, ecs.CodeInvalidParameter, msg) }
	}
	unsupported := func(msg string) func(*testing.T, error) {
		return func(t *testing.T, err error) { wantErr(t, err, ecs.CodeUnsupportedFeature, msg) }
	}
	cases := []struct {
		name  string
		edit  func(*wire.CreateServiceRequest)
		check func(*testing.T, error)
	}{
		{"no service name", func(in *wire.CreateServiceRequest) { in.ServiceName = nil }, invalid("serviceName is required.")},
		{"a service name with a slash", func(in *wire.CreateServiceRequest) { in.ServiceName = ptr("a/b") },
			invalid("Service name can have up to 255 characters: letters (uppercase and lowercase), numbers, underscores and hyphens.")},
		{"a name that is ACTIVE", func(in *wire.CreateServiceRequest) { in.ServiceName = ptr("taken") }, invalid("Creation of service was not idempotent.")},
		{"no desired count for REPLICA", func(in *wire.CreateServiceRequest) { in.DesiredCount = nil },
			invalid("desiredCount is required for a service with the REPLICA scheduling strategy.")},
		{"a negative desired count", desired(-1), invalid("desiredCount must be at least 0.")},
		{"DAEMON with a desired count", func(in *wire.CreateServiceRequest) { in.SchedulingStrategy = wire.SchedulingStrategyDaemon },
			invalid("The daemon scheduling strategy does not support a desired count for services. Remove the desired count value and try again")},
		{"DAEMON with a placement strategy", func(in *wire.CreateServiceRequest) {
			daemon(in)
			in.PlacementStrategy = []wire.PlacementStrategy{{Type: wire.PlacementStrategyTypeRandom}}
		}, invalid("The daemon scheduling strategy does not support placement strategies. Remove the placement strategy and try again")},
		{"an unknown scheduling strategy", func(in *wire.CreateServiceRequest) { in.SchedulingStrategy = "SOMETIMES" },
			invalid(`Invalid value "SOMETIMES" for schedulingStrategy. Valid values: REPLICA, DAEMON.`)},
		{"maximumPercent under 100", func(in *wire.CreateServiceRequest) {
			in.DeploymentConfiguration = &wire.DeploymentConfiguration{MaximumPercent: ptr(int32(50)), MinimumHealthyPercent: ptr(int32(0))}
		}, invalid("maximumPercent must be at least 100 for a service with the REPLICA scheduling strategy.")},
		{"the CODE_DEPLOY controller", func(in *wire.CreateServiceRequest) {
			in.DeploymentController = &wire.DeploymentController{Type: wire.DeploymentControllerTypeCodeDeploy}
		}, unsupported("berth runs rolling deployments only: deploymentController CODE_DEPLOY is not supported. Use ECS, or omit deploymentController.")},
		{"launch type FARGATE", func(in *wire.CreateServiceRequest) { in.LaunchType = wire.LaunchTypeFargate },
			unsupported("berth runs tasks on the cluster's container instances only: launchType FARGATE is not supported. Use launchType EC2, or omit it.")},
		{"a platform version", func(in *wire.CreateServiceRequest) { in.PlatformVersion = ptr("LATEST") },
			invalid("The platform version must be null when specifying an EC2 launch type.")},
		{"a load balancer", func(in *wire.CreateServiceRequest) {
			in.LoadBalancers = []wire.LoadBalancer{{LoadBalancerName: ptr("lb"), ContainerName: ptr("app"), ContainerPort: ptr(int32(80))}}
		}, unsupported("berth does not support load balancers yet; omit loadBalancers.")},
		{"a negative grace period", func(in *wire.CreateServiceRequest) { in.HealthCheckGracePeriodSeconds = ptr(int32(-1)) },
			invalid("healthCheckGracePeriodSeconds must be between 0 and 2147483647.")},
		{"an unknown propagateTags", func(in *wire.CreateServiceRequest) { in.PropagateTags = "ALL" },
			invalid(`Invalid value "ALL" for propagateTags. Valid values: TASK_DEFINITION, SERVICE, NONE.`)},
		{"a clientToken of 37 characters", func(in *wire.CreateServiceRequest) { in.ClientToken = ptr(strings.Repeat("t", 37)) },
			invalid("clientToken can have up to 36 ASCII characters in the range 33-126.")},
		{"a spread strategy without a field", func(in *wire.CreateServiceRequest) {
			in.PlacementStrategy = []wire.PlacementStrategy{{Type: wire.PlacementStrategyTypeSpread}}
		}, invalid("placementStrategy[0]: spread needs field instanceId, host or attribute:<name>, got ''.")},
		{"a malformed memberOf expression", func(in *wire.CreateServiceRequest) {
			in.PlacementConstraints = []wire.PlacementConstraint{{Type: wire.PlacementConstraintTypeMemberOf, Expression: ptr("attribute:x ==")}}
		}, func(t *testing.T, err error) {
			if !strings.HasPrefix(err.Error(), "InvalidParameterException: placementConstraints[0]: invalid expression 'attribute:x =='") {
				t.Fatalf("err = %v, want the scheduler's refusal of the expression", err)
			}
		}},
		{"a reserved tag key", func(in *wire.CreateServiceRequest) { in.Tags = wireTags("aws:x", "y") },
			invalid(`Tag keys beginning with 'aws:' are reserved for system use: "aws:x".`)},
		{"no task definition", func(in *wire.CreateServiceRequest) { in.TaskDefinition = nil }, invalid("taskDefinition is required.")},
		{"an unknown task definition", func(in *wire.CreateServiceRequest) { in.TaskDefinition = ptr("no-such-family") },
			func(t *testing.T, err error) { wantErr(t, err, ecs.CodeClient, "Unable to describe task definition.") }},
		{"an INACTIVE task definition", func(in *wire.CreateServiceRequest) { in.TaskDefinition = ptr(inactive + ":1") },
			func(t *testing.T, err error) { wantErr(t, err, ecs.CodeClient, "TaskDefinition is inactive") }},
		{"an awsvpc task definition", func(in *wire.CreateServiceRequest) { in.TaskDefinition = ptr(awsvpc) },
			unsupported("awsvpc network mode is not supported yet.")},
		{"a network configuration for a bridge task", func(in *wire.CreateServiceRequest) {
			in.NetworkConfiguration = &wire.NetworkConfiguration{AwsvpcConfiguration: &wire.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}}
		}, invalid("Network Configuration is not valid for the given networkMode of this task definition.")},
		{"an unknown cluster", func(in *wire.CreateServiceRequest) { in.Cluster = ptr("no-such-cluster") },
			func(t *testing.T, err error) { wantErr(t, err, ecs.CodeClusterNotFound, "Cluster not found.") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.storedServices(t, cluster)
			_, err := e.api.CreateService(e.ctx(), createIn(cluster, "web", family, c.edit))
			c.check(t, err)
			want(t, "stored services", e.storedServices(t, cluster), before)
		})
	}
}

func TestCreateServiceClientTokenAndNames(t *testing.T) {
	e := newEnv(t)
	cluster := e.cluster(t)
	family := e.taskDef(t)
	token := func(tok string) func(*wire.CreateServiceRequest) {
		return func(in *wire.CreateServiceRequest) { in.ClientToken = ptr(tok) }
	}

	t.Run("the same token and request return the same service", func(t *testing.T) {
		first := e.createService(t, createIn(cluster, "tok", family, token("t-1")))
		again := e.createService(t, createIn(cluster, "tok", family, token("t-1")))
		want(t, "deployment id of the retry", str(again.Deployments[0].Id), str(first.Deployments[0].Id))
		_, err := e.api.CreateService(e.ctx(), createIn(cluster, "tok", family, token("t-1"), desired(3)))
		wantErr(t, err, ecs.CodeInvalidParameter, "Creation of service was not idempotent.")
	})

	t.Run("a deleted name is created afresh once INACTIVE", func(t *testing.T) {
		e.createService(t, createIn(cluster, "again", family, desired(0)))
		if _, err := e.api.DeleteService(e.ctx(), &wire.DeleteServiceRequest{Cluster: ptr(cluster), Service: ptr("again")}); err != nil {
			t.Fatal(err)
		}
		_, err := e.api.CreateService(e.ctx(), createIn(cluster, "again", family))
		wantErr(t, err, ecs.CodeInvalidParameter, "Creation of service was not idempotent.") // still DRAINING
		if _, err := e.store.UpdateService(e.ctx(), cluster, "again", func(s *ecs.Service) error {
			s.Status = ecs.ServiceInactive // as the controller does once its tasks are gone
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		got := e.createService(t, createIn(cluster, "again", family, desired(4)))
		if str(got.Status) != "ACTIVE" || deref(got.DesiredCount) != 4 || len(got.Deployments) != 1 {
			t.Fatalf("recreated service = %s", asJSON(got))
		}
	})
}

func TestUpdateServiceDeployments(t *testing.T) {
	e := newEnv(t)
	cluster := e.cluster(t)
	name, family := e.service(t, cluster, desired(2))
	e.taskDef(t) // another family, so revision 2 below is the service's own
	in := &wire.RegisterTaskDefinitionRequest{Family: ptr(family), ContainerDefinitions: []wire.ContainerDefinition{container("app", 256, 512)}}
	if _, err := e.api.RegisterTaskDefinition(e.ctx(), in); err != nil {
		t.Fatal(err)
	}
	rev := func(n int) string { return testARNs.TaskDefinition(family, n) }
	update := func(edit func(*wire.UpdateServiceRequest)) wire.Service {
		in := &wire.UpdateServiceRequest{Cluster: ptr(cluster), Service: ptr(name)}
		edit(in)
		return *e.updateService(t, in)
	}
	steps := []struct {
		name string
		edit func(*wire.UpdateServiceRequest)
		want []string
	}{
		{"desiredCount changes the PRIMARY in place", func(in *wire.UpdateServiceRequest) { in.DesiredCount = ptr(int32(3)) },
			[]string{"PRIMARY " + rev(1) + " 3"}},
		{"the same task definition starts nothing", func(in *wire.UpdateServiceRequest) { in.TaskDefinition = ptr(family + ":1") },
			[]string{"PRIMARY " + rev(1) + " 3"}},
		{"a new revision starts a deployment; the old PRIMARY becomes ACTIVE", func(in *wire.UpdateServiceRequest) { in.TaskDefinition = ptr(family) },
			[]string{"PRIMARY " + rev(2) + " 3", "ACTIVE " + rev(1) + " 3"}},
		{"forceNewDeployment starts one with the same definition", func(in *wire.UpdateServiceRequest) { in.ForceNewDeployment = ptr(true) },
			[]string{"PRIMARY " + rev(2) + " 3", "ACTIVE " + rev(2) + " 3", "ACTIVE " + rev(1) + " 3"}},
		{"a new desiredCount with a new definition goes to the new PRIMARY", func(in *wire.UpdateServiceRequest) {
			in.TaskDefinition, in.DesiredCount = ptr(family+":1"), ptr(int32(1))
		}, []string{"PRIMARY " + rev(1) + " 1", "ACTIVE " + rev(2) + " 3", "ACTIVE " + rev(2) + " 3", "ACTIVE " + rev(1) + " 3"}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			got := update(s.edit)
			want(t, "deployments", deploymentSummary(got), s.want)
			want(t, "service task definition", str(got.TaskDefinition), strings.Fields(s.want[0])[1])
			want(t, "described deployments", deploymentSummary(e.describeService(t, cluster, name)), s.want)
		})
	}

	t.Run("an omitted member keeps its value and an empty placement list clears it", func(t *testing.T) {
		got := update(func(in *wire.UpdateServiceRequest) {
			in.PlacementStrategy = []wire.PlacementStrategy{{Type: wire.PlacementStrategyTypeBinpack, Field: ptr("memory")}}
			in.PlacementConstraints = []wire.PlacementConstraint{{Type: wire.PlacementConstraintTypeDistinctInstance}}
			in.HealthCheckGracePeriodSeconds = ptr(int32(30))
			in.EnableExecuteCommand = ptr(true)
			in.PropagateTags = wire.PropagateTagsService
			in.DeploymentConfiguration = &wire.DeploymentConfiguration{MinimumHealthyPercent: ptr(int32(50))}
		})
		want(t, "configuration", got.DeploymentConfiguration, defaultDeploymentConfiguration(200, 50))
		got = update(func(in *wire.UpdateServiceRequest) { in.PlacementStrategy = []wire.PlacementStrategy{} })
		want(t, "placement strategy", got.PlacementStrategy, []wire.PlacementStrategy{})
		want(t, "placement constraints", got.PlacementConstraints, []wire.PlacementConstraint{{Type: wire.PlacementConstraintTypeDistinctInstance}})
		want(t, "kept", []any{deref(got.HealthCheckGracePeriodSeconds), deref(got.EnableExecuteCommand), got.PropagateTags, deref(got.DesiredCount)},
			[]any{int32(30), true, wire.PropagateTagsService, int32(1)})
		want(t, "deployments", len(got.Deployments), 4)
	})
}

func TestUpdateServiceRejectsInvalidInput(t *testing.T) {
	e := newEnv(t)
	cluster := e.cluster(t)
	name, _ := e.service(t, cluster)
	daemonName, _ := e.service(t, cluster, daemon)
	deleted, _ := e.service(t, cluster, desired(0))
	if _, err := e.api.DeleteService(e.ctx(), &wire.DeleteServiceRequest{Cluster: ptr(cluster), Service: ptr(deleted)}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		in         wire.UpdateServiceRequest
		code       ecs.Code
		msg        string
		forService string
	}{
		{"no service", wire.UpdateServiceRequest{}, ecs.CodeInvalidParameter, "service is required.", ""},
		{"an unknown service", wire.UpdateServiceRequest{Service: ptr("nope")}, ecs.CodeServiceNotFound, "Service not found.", ""},
		{"another cluster's service ARN", wire.UpdateServiceRequest{Service: ptr(serviceARN("elsewhere", name))}, ecs.CodeServiceNotFound, "Service not found.", ""},
		{"a DRAINING service", wire.UpdateServiceRequest{Service: ptr(deleted), DesiredCount: ptr(int32(1))}, ecs.CodeServiceNotActive, "Service was not ACTIVE.", ""},
		{"a negative desired count", wire.UpdateServiceRequest{DesiredCount: ptr(int32(-2))}, ecs.CodeInvalidParameter, "desiredCount must be at least 0.", name},
		{"a desired count for DAEMON", wire.UpdateServiceRequest{DesiredCount: ptr(int32(2))}, ecs.CodeInvalidParameter, ecs.ErrDaemonDesiredCount.Message, daemonName},
		{"minimumHealthyPercent over 100", wire.UpdateServiceRequest{DeploymentConfiguration: &wire.DeploymentConfiguration{MinimumHealthyPercent: ptr(int32(150))}},
			ecs.CodeInvalidParameter, "minimumHealthyPercent must be between 0 and 100.", name},
		{"an unknown task definition", wire.UpdateServiceRequest{TaskDefinition: ptr("no-such-family")}, ecs.CodeClient, "Unable to describe task definition.", name},
		{"a network configuration", wire.UpdateServiceRequest{NetworkConfiguration: &wire.NetworkConfiguration{}},
			ecs.CodeInvalidParameter, "Network Configuration is not valid for the given networkMode of this task definition.", name},
		{"the EXTERNAL controller", wire.UpdateServiceRequest{DeploymentController: &wire.DeploymentController{Type: wire.DeploymentControllerTypeExternal}},
			ecs.CodeUnsupportedFeature, "berth runs rolling deployments only: deploymentController EXTERNAL is not supported. Use ECS, or omit deploymentController.", name},
		{"11 placement constraints", wire.UpdateServiceRequest{PlacementConstraints: make([]wire.PlacementConstraint, 11)},
			ecs.CodeInvalidParameter, "Too many placement constraints: at most 10 are allowed, the task definition's included; this task has 11.", name},
		{"an unknown cluster", wire.UpdateServiceRequest{Cluster: ptr("no-such-cluster"), Service: ptr(name)}, ecs.CodeClusterNotFound, "Cluster not found.", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			if in.Cluster == nil {
				in.Cluster = ptr(cluster)
			}
			if c.forService != "" {
				in.Service = ptr(c.forService)
			}
			before := e.storedServices(t, cluster)
			_, err := e.api.UpdateService(e.ctx(), &in)
			wantErr(t, err, c.code, c.msg)
			want(t, "stored services", e.storedServices(t, cluster), before)
		})
	}
}
