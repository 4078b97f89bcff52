package ecsapi

import (
	"fmt"
	"slices"
	"testing"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

func TestDeleteService(t *testing.T) {
	e := newEnv(t)
	cluster := e.cluster(t)
	deleteIn := func(name string, force bool) *wire.DeleteServiceRequest {
		return &wire.DeleteServiceRequest{Cluster: ptr(cluster), Service: ptr(name), Force: ptr(force)}
	}

	t.Run("a REPLICA service scaled above 0 is refused without force", func(t *testing.T) {
		name, _ := e.service(t, cluster, desired(2))
		before := e.storedServices(t, cluster)
		_, err := e.api.DeleteService(e.ctx(), deleteIn(name, false))
		wantErr(t, err, ecs.CodeInvalidParameter, "The service cannot be stopped while it is scaled above 0.")
		want(t, "stored services", e.storedServices(t, cluster), before)
	})

	t.Run("force drains it: DRAINING, desired 0, describable, not listed", func(t *testing.T) {
		name, _ := e.service(t, cluster, desired(2))
		out, err := e.api.DeleteService(e.ctx(), deleteIn(serviceARN(cluster, name), true))
		if err != nil {
			t.Fatal(err)
		}
		got := out.Service
		want(t, "status and desired counts", []any{str(got.Status), deref(got.DesiredCount), deref(got.Deployments[0].DesiredCount)}, []any{"DRAINING", int32(0), int32(0)})
		want(t, "described status", str(e.describeService(t, cluster, name).Status), "DRAINING")
		if slices.Contains(e.listServices(t, &wire.ListServicesRequest{Cluster: ptr(cluster)}), serviceARN(cluster, name)) {
			t.Fatal("a DRAINING service is listed")
		}
		again, err := e.api.DeleteService(e.ctx(), deleteIn(name, false))
		if err != nil || str(again.Service.Status) != "DRAINING" {
			t.Fatalf("deleting a DRAINING service again = %v, %v; want it back unchanged", again, err)
		}
	})

	t.Run("a DAEMON service needs no force", func(t *testing.T) {
		name, _ := e.service(t, cluster, daemon)
		if _, err := e.api.DeleteService(e.ctx(), deleteIn(name, false)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("unknown services and clusters", func(t *testing.T) {
		_, err := e.api.DeleteService(e.ctx(), deleteIn("nope", false))
		wantErr(t, err, ecs.CodeServiceNotFound, "Service not found.")
		_, err = e.api.DeleteService(e.ctx(), &wire.DeleteServiceRequest{Cluster: ptr("no-such-cluster"), Service: ptr("x")})
		wantErr(t, err, ecs.CodeClusterNotFound, "Cluster not found.")
		_, err = e.api.DeleteService(e.ctx(), &wire.DeleteServiceRequest{Cluster: ptr(cluster)})
		wantErr(t, err, ecs.CodeInvalidParameter, "service is required.")
	})
}

func TestDescribeServices(t *testing.T) {
	e := newEnv(t)
	cluster := e.cluster(t)
	name, _ := e.service(t, cluster, func(in *wire.CreateServiceRequest) { in.Tags = wireTags("team", "shop") })

	t.Run("unknown services are MISSING, by their service ARN", func(t *testing.T) {
		legacy := "arn:aws:ecs:us-east-1:000000000000:service/" + name
		out, err := e.api.DescribeServices(e.ctx(), &wire.DescribeServicesRequest{Cluster: ptr(cluster),
			Services: []string{"nope", name, serviceARN("other", name), legacy, "bad name"}})
		if err != nil {
			t.Fatal(err)
		}
		want(t, "failures", out.Failures, []wire.Failure{
			missing(serviceARN(cluster, "nope")), missing(serviceARN("other", name)), missing(serviceARN(cluster, "bad name")),
		})
		want(t, "services", len(out.Services), 2)
	})

	t.Run("tags only with include TAGS", func(t *testing.T) {
		want(t, "tags without include", e.describeService(t, cluster, name).Tags, nil)
		want(t, "tags with include", e.describeService(t, cluster, name, wire.ServiceFieldTags).Tags, wireTags("team", "shop"))
	})

	t.Run("invalid input", func(t *testing.T) {
		cases := []struct {
			name string
			in   wire.DescribeServicesRequest
			code ecs.Code
			msg  string
		}{
			{"no services", wire.DescribeServicesRequest{}, ecs.CodeInvalidParameter, "Services cannot be empty."},
			{"11 services", wire.DescribeServicesRequest{Services: make([]string, 11)}, ecs.CodeInvalidParameter, "services can have at most 10 items."},
			{"an unknown include", wire.DescribeServicesRequest{Services: []string{name}, Include: []wire.ServiceField{"EVENTS"}},
				ecs.CodeInvalidParameter, `Invalid value "EVENTS" for include. Valid values: TAGS.`},
			{"an unknown cluster", wire.DescribeServicesRequest{Cluster: ptr("no-such-cluster"), Services: []string{name}}, ecs.CodeClusterNotFound, "Cluster not found."},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if c.in.Cluster == nil {
					c.in.Cluster = ptr(cluster)
				}
				_, err := e.api.DescribeServices(e.ctx(), &c.in)
				wantErr(t, err, c.code, c.msg)
			})
		}
	})
}

func TestListServices(t *testing.T) {
	e := newEnv(t)
	cluster := e.cluster(t)
	family := e.taskDef(t)
	var replicas []string
	for i := range 12 {
		name := fmt.Sprintf("svc-%02d", i)
		e.createService(t, createIn(cluster, name, family))
		replicas = append(replicas, serviceARN(cluster, name))
	}
	e.createService(t, createIn(cluster, "svc-daemon", family, daemon))

	t.Run("pages of 10 by default, by name", func(t *testing.T) {
		first, err := e.api.ListServices(e.ctx(), &wire.ListServicesRequest{Cluster: ptr(cluster), SchedulingStrategy: wire.SchedulingStrategyReplica})
		if err != nil {
			t.Fatal(err)
		}
		want(t, "first page", first.ServiceArns, replicas[:10])
		second, err := e.api.ListServices(e.ctx(), &wire.ListServicesRequest{Cluster: ptr(cluster), SchedulingStrategy: wire.SchedulingStrategyReplica, NextToken: first.NextToken})
		if err != nil {
			t.Fatal(err)
		}
		want(t, "second page", second.ServiceArns, replicas[10:])
		want(t, "last token", second.NextToken, nil)
	})

	t.Run("filters", func(t *testing.T) {
		want(t, "DAEMON", e.listServices(t, &wire.ListServicesRequest{Cluster: ptr(cluster), SchedulingStrategy: wire.SchedulingStrategyDaemon}),
			[]string{serviceARN(cluster, "svc-daemon")})
		want(t, "EC2", len(e.listServices(t, &wire.ListServicesRequest{Cluster: ptr(cluster), LaunchType: wire.LaunchTypeEc2, MaxResults: ptr(int32(100))})), 13)
		want(t, "FARGATE", e.listServices(t, &wire.ListServicesRequest{Cluster: ptr(cluster), LaunchType: wire.LaunchTypeFargate}), []string{})
	})

	t.Run("invalid input", func(t *testing.T) {
		_, err := e.api.ListServices(e.ctx(), &wire.ListServicesRequest{Cluster: ptr(cluster), MaxResults: ptr(int32(101))})
		wantErr(t, err, ecs.CodeInvalidParameter, "maxResults must be between 1 and 100.")
		_, err = e.api.ListServices(e.ctx(), &wire.ListServicesRequest{Cluster: ptr(cluster), LaunchType: "MOON"})
		wantErr(t, err, ecs.CodeInvalidParameter, `Invalid value "MOON" for launchType. Valid values: EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES.`)
		_, err = e.api.ListServices(e.ctx(), &wire.ListServicesRequest{Cluster: ptr("no-such-cluster")})
		wantErr(t, err, ecs.CodeClusterNotFound, "Cluster not found.")
		_, err = e.api.ListServices(e.ctx(), &wire.ListServicesRequest{Cluster: ptr(cluster), NextToken: ptr("bogus")})
		wantErr(t, err, ecs.CodeInvalidParameter, "Invalid nextToken; pass the nextToken from the previous page of this listing unchanged.")
	})
}

func TestServicesInTheirCluster(t *testing.T) {
	e := newEnv(t)
	cluster := e.readyCluster(t)
	name, family := e.service(t, cluster, desired(0))
	e.service(t, cluster, desired(0))
	arn := serviceARN(cluster, name)

	t.Run("activeServicesCount counts ACTIVE services", func(t *testing.T) {
		out, err := e.api.DescribeClusters(e.ctx(), &wire.DescribeClustersRequest{Clusters: []string{cluster}})
		if err != nil {
			t.Fatal(err)
		}
		want(t, "activeServicesCount", deref(out.Clusters[0].ActiveServicesCount), 2)
	})

	t.Run("tags", func(t *testing.T) {
		if _, err := e.api.TagResource(e.ctx(), &wire.TagResourceRequest{ResourceArn: ptr(arn), Tags: wireTags("a", "1", "b", "2")}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.api.UntagResource(e.ctx(), &wire.UntagResourceRequest{ResourceArn: ptr(arn), TagKeys: []string{"a"}}); err != nil {
			t.Fatal(err)
		}
		out, err := e.api.ListTagsForResource(e.ctx(), &wire.ListTagsForResourceRequest{ResourceArn: ptr(arn)})
		if err != nil {
			t.Fatal(err)
		}
		want(t, "tags", out.Tags, wireTags("b", "2"))
		_, err = e.api.ListTagsForResource(e.ctx(), &wire.ListTagsForResourceRequest{ResourceArn: ptr(serviceARN(cluster, "nope"))})
		wantErr(t, err, ecs.CodeResourceNotFound, "The specified resource could not be found.")
	})

	t.Run("DeleteCluster is refused while services are ACTIVE or DRAINING", func(t *testing.T) {
		for _, svc := range []string{name, ""} {
			if svc != "" {
				if _, err := e.api.DeleteService(e.ctx(), &wire.DeleteServiceRequest{Cluster: ptr(cluster), Service: ptr(svc)}); err != nil {
					t.Fatal(err)
				}
			}
			_, err := e.api.DeleteCluster(e.ctx(), &wire.DeleteClusterRequest{Cluster: ptr(cluster)})
			wantErr(t, err, ecs.CodeClusterContainsServices, "The Cluster cannot be deleted while Services are active.")
		}
	})

	t.Run("ListTasks by serviceName", func(t *testing.T) {
		mine := e.runOne(t, cluster, family, func(r *wire.RunTaskRequest) { r.Group = ptr(ecs.ServiceGroup(name)) })
		e.runOne(t, cluster, family)
		want(t, "tasks", e.listTasks(t, &wire.ListTasksRequest{Cluster: ptr(cluster), ServiceName: ptr(arn)}), []string{testARNs.Task(cluster, mine)})
		_, err := e.api.ListTasks(e.ctx(), &wire.ListTasksRequest{Cluster: ptr(cluster), ServiceName: ptr("nope")})
		wantErr(t, err, ecs.CodeServiceNotFound, "Service not found.")
	})
}
