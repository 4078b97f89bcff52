package e2e

// The service actions through a real server and the Go SDK, on the paths
// that need no agent: the service record, its defaults and deployments,
// validation, paging, tags and the cluster's view of its services. Tasks
// of services are the service controller's, tested with agents.

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

var deploymentID = regexp.MustCompile(`^ecs-svc/[1-9][0-9]{18}$`)

func serviceARNOf(cluster, name string) string {
	return "arn:aws:ecs:" + testRegion + ":" + testAccount + ":service/" + cluster + "/" + name
}

// svcIn is a CreateService request for one task of family, edited by opts.
func svcIn(cluster, name, family string, opts ...func(*ecs.CreateServiceInput)) *ecs.CreateServiceInput {
	in := &ecs.CreateServiceInput{Cluster: aws.String(cluster), ServiceName: aws.String(name), TaskDefinition: aws.String(family), DesiredCount: aws.Int32(1)}
	for _, o := range opts {
		o(in)
	}
	return in
}

func createSvc(t *testing.T, c *ecs.Client, in *ecs.CreateServiceInput) *types.Service {
	t.Helper()
	out, err := c.CreateService(ctx(t), in)
	if err != nil {
		t.Fatalf("CreateService(%s): %v", aws.ToString(in.ServiceName), err)
	}
	return out.Service
}

func describeSvc(t *testing.T, c *ecs.Client, cluster, ref string, include ...types.ServiceField) types.Service {
	t.Helper()
	out, err := c.DescribeServices(ctx(t), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{ref}, Include: include})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Services) != 1 {
		t.Fatalf("DescribeServices(%s): services %s, failures %s; want the service", ref, dump(out.Services), dump(out.Failures))
	}
	return out.Services[0]
}

// svcState is what a refused request must leave unchanged: the cluster's
// listed services and each one's description.
func svcState(t *testing.T, c *ecs.Client, cluster string) string {
	t.Helper()
	out, err := c.ListServices(ctx(t), &ecs.ListServicesInput{Cluster: aws.String(cluster), MaxResults: aws.Int32(100)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ServiceArns) == 0 {
		return "none"
	}
	d, err := c.DescribeServices(ctx(t), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: out.ServiceArns, Include: []types.ServiceField{types.ServiceFieldTags}})
	if err != nil {
		t.Fatal(err)
	}
	return dump(d.Services)
}

func deployments(s types.Service) string {
	var out []string
	for _, d := range s.Deployments {
		td := aws.ToString(d.TaskDefinition)
		out = append(out, fmt.Sprintf("%s %s %d", aws.ToString(d.Status), td[strings.LastIndexByte(td, '/')+1:], d.DesiredCount))
	}
	return strings.Join(out, ", ")
}

func TestServiceDefaultsAndRoundTrip(t *testing.T) {
	t.Parallel()
	c := client(t)
	cluster := instanceCluster(t)
	family := taskAPIFamily(t, c)
	got := createSvc(t, c, svcIn(cluster, "web", family, func(in *ecs.CreateServiceInput) {
		in.DesiredCount = aws.Int32(2)
		in.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("shop")}}
	}))

	t.Run("CreateService answers with ECS's defaults", func(t *testing.T) {
		dc, b := got.DeploymentConfiguration, got.DeploymentConfiguration.DeploymentCircuitBreaker
		checks := map[string][2]any{
			"serviceArn":         {aws.ToString(got.ServiceArn), serviceARNOf(cluster, "web")},
			"status":             {aws.ToString(got.Status), "ACTIVE"},
			"desired/run/pend":   {[3]int32{got.DesiredCount, got.RunningCount, got.PendingCount}, [3]int32{2, 0, 0}},
			"launchType":         {got.LaunchType, types.LaunchTypeEc2},
			"schedulingStrategy": {got.SchedulingStrategy, types.SchedulingStrategyReplica},
			"controller":         {got.DeploymentController.Type, types.DeploymentControllerTypeEcs},
			"propagateTags":      {got.PropagateTags, types.PropagateTagsNone},
			"grace":              {aws.ToInt32(got.HealthCheckGracePeriodSeconds), int32(0)},
			"percents":           {[2]int32{aws.ToInt32(dc.MaximumPercent), aws.ToInt32(dc.MinimumHealthyPercent)}, [2]int32{200, 100}},
			"breaker":            {[3]bool{b.Enable, b.Rollback, aws.ToBool(b.ResetOnHealthyTask)}, [3]bool{false, false, true}},
			"threshold":          {fmt.Sprint(b.ThresholdConfiguration.Type, b.ThresholdConfiguration.Value), "BOUNDED_PERCENT50"},
			"placement":          {fmt.Sprint(len(got.PlacementStrategy), len(got.PlacementConstraints), got.PlacementStrategy != nil), "0 0 true"},
			"deployments":        {deployments(*got), "PRIMARY " + family + ":1 2"},
			"rollout":            {got.Deployments[0].RolloutState, types.DeploymentRolloutStateInProgress},
			"tags":               {tagMap(got.Tags), map[string]string{"team": "shop"}},
		}
		for what, c := range checks {
			if fmt.Sprint(c[0]) != fmt.Sprint(c[1]) {
				t.Errorf("%s = %v, want %v", what, c[0], c[1])
			}
		}
		id := aws.ToString(got.Deployments[0].Id)
		if !deploymentID.MatchString(id) || aws.ToString(got.Deployments[0].RolloutStateReason) != "ECS deployment "+id+" in progress." {
			t.Errorf("deployment id %q, reason %q", id, aws.ToString(got.Deployments[0].RolloutStateReason))
		}
	})

	t.Run("DescribeServices shows tags only with include TAGS", func(t *testing.T) {
		if tags := describeSvc(t, c, cluster, "web").Tags; len(tags) != 0 {
			t.Fatalf("tags without include = %s", dump(tags))
		}
		if tags := describeSvc(t, c, cluster, serviceARNOf(cluster, "web"), types.ServiceFieldTags).Tags; len(tags) != 1 {
			t.Fatalf("tags with include = %s", dump(tags))
		}
	})

	t.Run("a new revision starts a deployment; desiredCount does not", func(t *testing.T) {
		tdRegister(t, c, td(family))
		if _, err := c.UpdateService(ctx(t), &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String("web"), DesiredCount: aws.Int32(3)}); err != nil {
			t.Fatal(err)
		}
		if got := deployments(describeSvc(t, c, cluster, "web")); got != "PRIMARY "+family+":1 3" {
			t.Fatalf("after desiredCount 3: deployments %s", got)
		}
		out, err := c.UpdateService(ctx(t), &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String("web"), TaskDefinition: aws.String(family)})
		if err != nil {
			t.Fatal(err)
		}
		want := "PRIMARY " + family + ":2 3, ACTIVE " + family + ":1 3"
		if got := deployments(*out.Service); got != want || aws.ToString(out.Service.TaskDefinition) != taskDefARN(family, 2) {
			t.Fatalf("after a new revision: deployments %s, taskDefinition %s; want %s", got, aws.ToString(out.Service.TaskDefinition), want)
		}
	})

	t.Run("DeleteService drains; the service stays describable and is no longer listed", func(t *testing.T) {
		_, err := c.DeleteService(ctx(t), &ecs.DeleteServiceInput{Cluster: aws.String(cluster), Service: aws.String("web")})
		wantAPIError[*types.InvalidParameterException](t, err, "The service cannot be stopped while it is scaled above 0.")
		out, err := c.DeleteService(ctx(t), &ecs.DeleteServiceInput{Cluster: aws.String(cluster), Service: aws.String("web"), Force: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Service.Status) != "DRAINING" || out.Service.DesiredCount != 0 {
			t.Fatalf("deleted service: status %s, desiredCount %d", aws.ToString(out.Service.Status), out.Service.DesiredCount)
		}
		// With no task left to stop, the service controller may already
		// have made it INACTIVE.
		if s := describeSvc(t, c, cluster, "web"); aws.ToString(s.Status) != "DRAINING" && aws.ToString(s.Status) != "INACTIVE" {
			t.Fatalf("described status %s, want DRAINING or INACTIVE", aws.ToString(s.Status))
		}
		if state := svcState(t, c, cluster); state != "none" {
			t.Fatalf("listed services: %s, want none", state)
		}
		_, err = c.UpdateService(ctx(t), &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String("web"), DesiredCount: aws.Int32(1)})
		wantAPIError[*types.ServiceNotActiveException](t, err, "Service was not ACTIVE.")
	})
}

func TestServiceActionsRejectInvalidInput(t *testing.T) {
	t.Parallel()
	c := client(t)
	cluster := instanceCluster(t)
	family := taskAPIFamily(t, c)
	createSvc(t, c, svcIn(cluster, "live", family))
	// The cluster has no instances: the service controller says once that
	// it cannot place the task, and then leaves the service alone. Each
	// case compares the services before and after, so wait for that.
	awaitf(t, "the controller has reported the live service unplaceable", func() bool {
		return len(describeSvc(t, c, cluster, "live").Events) > 0
	})
	create := func(edit func(*ecs.CreateServiceInput)) func(*testing.T) error {
		return func(t *testing.T) error {
			_, err := c.CreateService(ctx(t), svcIn(cluster, "web", family, edit))
			return err
		}
	}
	update := func(in ecs.UpdateServiceInput) func(*testing.T) error {
		return func(t *testing.T) error {
			in.Cluster = aws.String(cluster)
			_, err := c.UpdateService(ctx(t), &in)
			return err
		}
	}
	invalid, unsupported := invalidParameter, unsupportedFeature
	tests := []struct {
		name  string
		call  func(*testing.T) error
		check func(testing.TB, error)
	}{
		{"CreateService of a live name", create(func(in *ecs.CreateServiceInput) { in.ServiceName = aws.String("live") }), invalid("Creation of service was not idempotent.")},
		{"CreateService with a bad name", create(func(in *ecs.CreateServiceInput) { in.ServiceName = aws.String("web.1") }),
			invalid("Service name can have up to 255 characters: letters (uppercase and lowercase), numbers, underscores and hyphens.")},
		{"CreateService DAEMON with a desired count", create(func(in *ecs.CreateServiceInput) { in.SchedulingStrategy = types.SchedulingStrategyDaemon }),
			invalid("The daemon scheduling strategy does not support a desired count for services. Remove the desired count value and try again")},
		{"CreateService DAEMON with maximumPercent 200", create(func(in *ecs.CreateServiceInput) {
			in.SchedulingStrategy, in.DesiredCount = types.SchedulingStrategyDaemon, nil
			in.DeploymentConfiguration = &types.DeploymentConfiguration{MaximumPercent: aws.Int32(200)}
		}), invalid("The daemon scheduling strategy does not support values above 100 for maximumPercent on a deployment configuration. Change the maximumPercent value to 100, and try again")},
		{"CreateService with minimumHealthyPercent 101", create(func(in *ecs.CreateServiceInput) {
			in.DeploymentConfiguration = &types.DeploymentConfiguration{MinimumHealthyPercent: aws.Int32(101)}
		}), invalid("minimumHealthyPercent must be between 0 and 100.")},
		{"CreateService on FARGATE", create(func(in *ecs.CreateServiceInput) { in.LaunchType = types.LaunchTypeFargate }),
			unsupported("berth runs tasks on the cluster's container instances only: launchType FARGATE is not supported. Use launchType EC2, or omit it.")},
		{"CreateService with CODE_DEPLOY", create(func(in *ecs.CreateServiceInput) {
			in.DeploymentController = &types.DeploymentController{Type: types.DeploymentControllerTypeCodeDeploy}
		}), unsupported("berth runs rolling deployments only: deploymentController CODE_DEPLOY is not supported. Use ECS, or omit deploymentController.")},
		{"CreateService of an unknown family", create(func(in *ecs.CreateServiceInput) { in.TaskDefinition = aws.String("no-such-family-anywhere") }),
			func(t testing.TB, err error) {
				wantAPIError[*types.ClientException](t, err, "Unable to describe task definition.")
			}},
		{"CreateService in an unknown cluster", create(func(in *ecs.CreateServiceInput) { in.Cluster = aws.String("no-such-cluster-anywhere") }),
			func(t testing.TB, err error) {
				wantAPIError[*types.ClusterNotFoundException](t, err, "Cluster not found.")
			}},
		{"UpdateService of an unknown service", update(ecs.UpdateServiceInput{Service: aws.String("nope"), DesiredCount: aws.Int32(1)}),
			func(t testing.TB, err error) {
				wantAPIError[*types.ServiceNotFoundException](t, err, "Service not found.")
			}},
		{"UpdateService with a negative desired count", update(ecs.UpdateServiceInput{Service: aws.String("live"), DesiredCount: aws.Int32(-1)}),
			invalid("desiredCount must be at least 0.")},
		{"UpdateService with a bad strategy", update(ecs.UpdateServiceInput{Service: aws.String("live"), PlacementStrategy: []types.PlacementStrategy{{Type: "sideways"}}}),
			invalid("placementStrategy[0]: type 'sideways' is not valid: random, spread or binpack.")},
		{"DeleteService of an unknown service", func(t *testing.T) error {
			_, err := c.DeleteService(ctx(t), &ecs.DeleteServiceInput{Cluster: aws.String(cluster), Service: aws.String("nope")})
			return err
		}, func(t testing.TB, err error) {
			wantAPIError[*types.ServiceNotFoundException](t, err, "Service not found.")
		}},
		{"DescribeServices of 11 services", func(t *testing.T) error {
			_, err := c.DescribeServices(ctx(t), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: make([]string, 11)})
			return err
		}, invalid("services can have at most 10 items.")},
		{"ListServices with maxResults 101", func(t *testing.T) error {
			_, err := c.ListServices(ctx(t), &ecs.ListServicesInput{Cluster: aws.String(cluster), MaxResults: aws.Int32(101)})
			return err
		}, invalid("maxResults must be between 1 and 100.")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := svcState(t, c, cluster)
			tc.check(t, tc.call(t))
			if after := svcState(t, c, cluster); after != before {
				t.Fatalf("a refused request changed the services:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func TestServiceClientTokenMissingAndPaging(t *testing.T) {
	t.Parallel()
	c := client(t)
	cluster := instanceCluster(t)
	family := taskAPIFamily(t, c)

	t.Run("the same clientToken and request return the same service", func(t *testing.T) {
		in := svcIn(cluster, "tok", family, func(in *ecs.CreateServiceInput) { in.ClientToken = aws.String("retry-1") })
		first, again := createSvc(t, c, in), createSvc(t, c, in)
		if aws.ToString(first.Deployments[0].Id) != aws.ToString(again.Deployments[0].Id) {
			t.Fatalf("a retry made another deployment: %s, then %s", aws.ToString(first.Deployments[0].Id), aws.ToString(again.Deployments[0].Id))
		}
		in.DesiredCount = aws.Int32(5)
		_, err := c.CreateService(ctx(t), in)
		wantAPIError[*types.InvalidParameterException](t, err, "Creation of service was not idempotent.")
	})

	t.Run("DescribeServices reports unknown services as MISSING", func(t *testing.T) {
		other := serviceARNOf("elsewhere", "tok")
		out, err := c.DescribeServices(ctx(t), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{"nope", "tok", other}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range out.Failures {
			got = append(got, aws.ToString(f.Arn)+" "+aws.ToString(f.Reason))
		}
		if want := serviceARNOf(cluster, "nope") + " MISSING, " + other + " MISSING"; strings.Join(got, ", ") != want || len(out.Services) != 1 {
			t.Fatalf("failures %v, %d services; want %s and one service", got, len(out.Services), want)
		}
	})

	t.Run("ListServices pages 10 by default, with the SDK paginator", func(t *testing.T) {
		for i := range 11 {
			createSvc(t, c, svcIn(cluster, fmt.Sprintf("page-%02d", i), family))
		}
		first, err := c.ListServices(ctx(t), &ecs.ListServicesInput{Cluster: aws.String(cluster)})
		if err != nil {
			t.Fatal(err)
		}
		if len(first.ServiceArns) != 10 || first.NextToken == nil {
			t.Fatalf("first page: %d services, token %v; want 10 and a token", len(first.ServiceArns), first.NextToken)
		}
		p := ecs.NewListServicesPaginator(c, &ecs.ListServicesInput{Cluster: aws.String(cluster), MaxResults: aws.Int32(5)})
		var all []string
		for p.HasMorePages() {
			out, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, out.ServiceArns...)
		}
		if len(all) != 12 || all[0] != serviceARNOf(cluster, "page-00") {
			t.Fatalf("paged %d services starting %v; want 12 by name", len(all), all[:1])
		}
	})

	t.Run("the cluster counts its services and cannot be deleted with them", func(t *testing.T) {
		if n := describeCluster(t, cluster).ActiveServicesCount; n != 12 {
			t.Fatalf("activeServicesCount = %d, want 12", n)
		}
		_, err := c.DeleteCluster(ctx(t), &ecs.DeleteClusterInput{Cluster: aws.String(cluster)})
		wantAPIError[*types.ClusterContainsServicesException](t, err, "The Cluster cannot be deleted while Services are active.")
	})

	t.Run("tags through TagResource and ListTagsForResource", func(t *testing.T) {
		arn := serviceARNOf(cluster, "tok")
		if _, err := c.TagResource(ctx(t), &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}); err != nil {
			t.Fatal(err)
		}
		out, err := c.ListTagsForResource(ctx(t), &ecs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		if got := tagMap(out.Tags); len(got) != 1 || got["env"] != "prod" {
			t.Fatalf("tags = %v, want env=prod", got)
		}
	})
}
