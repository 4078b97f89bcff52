package ecsapi

import (
	"testing"

	"github.com/berth-org/berth/internal/wire"
)

// The ATTRIBUTE filter: a task definition's requiresAttributes, derived
// at registration, against the capability attributes agents advertise.

// needsHealthAndLogs is a task definition whose container has a health
// check and json-file logs. Its requiresAttributes, as ECS derives them:
var needsHealthAndLogs = []string{
	"com.amazonaws.ecs.capability.docker-remote-api.1.18",
	"com.amazonaws.ecs.capability.logging-driver.json-file",
	"ecs.capability.container-health-check",
}

func withHealthAndLogs() tdOpt {
	return func(r *wire.RegisterTaskDefinitionRequest) {
		c := &r.ContainerDefinitions[0]
		c.HealthCheck = &wire.HealthCheck{Command: []string{"CMD-SHELL", "true"}}
		c.LogConfiguration = &wire.LogConfiguration{LogDriver: wire.LogDriverJsonFile}
	}
}

// withCapabilities adds name-only attributes, as an agent advertises its
// capabilities.
func withCapabilities(names ...string) instanceOpt {
	return func(r *wire.RegisterContainerInstanceRequest) {
		for _, n := range names {
			r.Attributes = append(r.Attributes, wire.Attribute{Name: ptr(n)})
		}
	}
}

// reregistering registers the instance again, as its agent does after a
// restart.
func reregistering(cluster, id string) instanceOpt {
	return func(r *wire.RegisterContainerInstanceRequest) { r.ContainerInstanceArn = ptr(instanceARN(cluster, id)) }
}

// attributeFailure is RunTask's failure for a task refused by ATTRIBUTE on
// the cluster's only instance.
func attributeFailure(cluster, id string) wire.Failure {
	arn := instanceARN(cluster, id)
	return wire.Failure{Arn: ptr(arn), Reason: ptr("ATTRIBUTE"),
		Detail: ptr("No container instance met all of the task's requirements (1 considered): ATTRIBUTE on 1. The closest is " + arn + ", refused by ATTRIBUTE.")}
}

func TestRunTaskRequiresAttributes(t *testing.T) {
	e := newEnv(t)

	t.Run("an instance lacking a required attribute is refused with ATTRIBUTE, and nothing changes", func(t *testing.T) {
		cluster := e.cluster(t)
		// Every capability but one: a single missing attribute refuses.
		id := e.agent(t, cluster, 4096, 8192, withCapabilities(needsHealthAndLogs[:2]...))
		family := e.taskDef(t, withHealthAndLogs())
		before := e.state(t, cluster)
		out := e.run(t, runIn(cluster, family, count(2)))
		want(t, "tasks placed", len(out.Tasks), 0)
		want(t, "failures", out.Failures, []wire.Failure{attributeFailure(cluster, id), attributeFailure(cluster, id)})
		want(t, "cluster state", e.state(t, cluster), before)
	})

	t.Run("an instance with every required attribute takes the task", func(t *testing.T) {
		cluster := e.cluster(t)
		id := e.agent(t, cluster, 4096, 8192, withCapabilities(needsHealthAndLogs...))
		out := e.run(t, runIn(cluster, e.taskDef(t, withHealthAndLogs())))
		want(t, "failures", out.Failures, []wire.Failure{})
		want(t, "host", str(out.Tasks[0].ContainerInstanceArn), instanceARN(cluster, id))
	})

	t.Run("only the capable instances of a cluster are chosen", func(t *testing.T) {
		cluster := e.cluster(t)
		capable := e.agent(t, cluster, 4096, 8192, withCapabilities(needsHealthAndLogs...))
		e.agent(t, cluster, 4096, 8192)
		out := e.run(t, runIn(cluster, e.taskDef(t, withHealthAndLogs()), count(4)))
		want(t, "failures", out.Failures, []wire.Failure{})
		for _, task := range out.Tasks {
			want(t, "host", str(task.ContainerInstanceArn), instanceARN(cluster, capable))
		}
	})

	t.Run("a task definition requiring nothing runs on an instance advertising nothing", func(t *testing.T) {
		cluster := e.readyCluster(t)
		e.runOne(t, cluster, e.taskDef(t))
	})

	t.Run("a re-registration's attributes replace what the agent advertised", func(t *testing.T) {
		cluster := e.cluster(t)
		id := e.agent(t, cluster, 4096, 8192)
		family := e.taskDef(t, withHealthAndLogs())
		want(t, "failures before", e.run(t, runIn(cluster, family)).Failures, []wire.Failure{attributeFailure(cluster, id)})

		// The agent restarts on an engine with the capabilities.
		e.instance(t, cluster, 4096, 8192, reregistering(cluster, id), withCapabilities(needsHealthAndLogs...))
		e.runOne(t, cluster, family)

		// And again without: the capabilities are gone, not merged.
		e.instance(t, cluster, 4096, 8192, reregistering(cluster, id))
		want(t, "failures after", e.run(t, runIn(cluster, family)).Failures, []wire.Failure{attributeFailure(cluster, id)})
	})
}

func TestStartTaskRequiresAttributes(t *testing.T) {
	e := newEnv(t)
	cluster := e.cluster(t)
	capable := e.agent(t, cluster, 4096, 8192, withCapabilities(needsHealthAndLogs...))
	lacking := e.agent(t, cluster, 4096, 8192, withCapabilities(needsHealthAndLogs[1:]...))
	disconnected := e.instance(t, cluster, 4096, 8192)
	family := e.taskDef(t, withHealthAndLogs())

	t.Run("an instance lacking a required attribute is an ATTRIBUTE failure naming it, and nothing changes", func(t *testing.T) {
		before := e.state(t, cluster)
		out, err := e.api.StartTask(e.ctx(), startIn(cluster, family, lacking, disconnected))
		if err != nil {
			t.Fatal(err)
		}
		want(t, "tasks", len(out.Tasks), 0)
		want(t, "failures", out.Failures, []wire.Failure{
			{Arn: ptr(instanceARN(cluster, lacking)), Reason: ptr("ATTRIBUTE"),
				Detail: ptr("The container instance lacks attributes the task definition requires: com.amazonaws.ecs.capability.docker-remote-api.1.18.")},
			// AGENT comes first, as in RunTask's pipeline.
			failure(instanceARN(cluster, disconnected), "AGENT"),
		})
		want(t, "cluster state", e.state(t, cluster), before)
	})

	t.Run("an instance with every required attribute takes the task", func(t *testing.T) {
		out, err := e.api.StartTask(e.ctx(), startIn(cluster, family, capable, lacking))
		if err != nil {
			t.Fatal(err)
		}
		want(t, "tasks", len(out.Tasks), 1)
		want(t, "host", str(out.Tasks[0].ContainerInstanceArn), instanceARN(cluster, capable))
		want(t, "failure reasons", str(out.Failures[0].Reason), "ATTRIBUTE")
	})
}
