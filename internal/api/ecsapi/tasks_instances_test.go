package ecsapi

import (
	"testing"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/wire"
)

// How tasks weigh on the instance and cluster actions.

func TestInstanceTaskCounts(t *testing.T) {
	e := newEnv(t)
	cluster := e.cluster(t)
	id := e.agent(t, cluster, 4096, 8192)
	out := e.run(t, runIn(cluster, e.taskDef(t), count(5)))
	for i, s := range []ecs.TaskStatus{ecs.TaskPending, ecs.TaskActivating, ecs.TaskRunning, ecs.TaskStopping, ecs.TaskStopped} {
		if s != ecs.TaskPending {
			e.reportStatus(t, cluster, taskIDOf(str(out.Tasks[i].TaskArn)), s)
		}
	}
	counts := func(i *wire.ContainerInstance) []int32 { return []int32{*i.RunningTasksCount, *i.PendingTasksCount} }

	described, err := e.api.DescribeContainerInstances(e.ctx(), &wire.DescribeContainerInstancesRequest{Cluster: ptr(cluster), ContainerInstances: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	want(t, "DescribeContainerInstances running and pending", counts(&described.ContainerInstances[0]), []int32{1, 2})
	drained, err := e.api.UpdateContainerInstancesState(e.ctx(), &wire.UpdateContainerInstancesStateRequest{Cluster: ptr(cluster), ContainerInstances: []string{id}, Status: wire.ContainerInstanceStatusDraining})
	if err != nil {
		t.Fatal(err)
	}
	want(t, "UpdateContainerInstancesState running and pending", counts(&drained.ContainerInstances[0]), []int32{1, 2})
}

func TestDeregisterContainerInstanceWithTasks(t *testing.T) {
	e := newEnv(t)
	deregister := func(cluster, id string, force bool) (*wire.ContainerInstance, error) {
		out, err := e.api.DeregisterContainerInstance(e.ctx(), &wire.DeregisterContainerInstanceRequest{Cluster: ptr(cluster), ContainerInstance: ptr(id), Force: ptr(force)})
		if err != nil {
			return nil, err
		}
		return out.ContainerInstance, nil
	}

	t.Run("without force, tasks that have not stopped refuse it", func(t *testing.T) {
		cluster := e.cluster(t)
		id := e.agent(t, cluster, 4096, 8192)
		family := e.taskDef(t)
		done := e.runOne(t, cluster, family)
		e.reportStatus(t, cluster, done, ecs.TaskStopped)
		stopping := e.runOne(t, cluster, family)
		if _, err := e.api.StopTask(e.ctx(), &wire.StopTaskRequest{Cluster: ptr(cluster), Task: ptr(stopping)}); err != nil {
			t.Fatal(err)
		}
		before := e.state(t, cluster)
		_, err := deregister(cluster, id, false)
		wantErr(t, err, ecs.CodeInvalidParameter, "Found running tasks on the instance.")
		want(t, "cluster state", e.state(t, cluster), before)

		e.reportStatus(t, cluster, stopping, ecs.TaskStopped)
		got, err := deregister(cluster, id, false)
		if err != nil {
			t.Fatal(err)
		}
		want(t, "status", str(got.Status), "INACTIVE")
	})

	t.Run("with force, its tasks are asked to stop", func(t *testing.T) {
		cluster := e.cluster(t)
		id := e.agent(t, cluster, 4096, 8192)
		family := e.taskDef(t)
		running, stopping, done := e.runOne(t, cluster, family), e.runOne(t, cluster, family), e.runOne(t, cluster, family)
		e.reportStatus(t, cluster, running, ecs.TaskRunning)
		if _, err := e.api.StopTask(e.ctx(), &wire.StopTaskRequest{Cluster: ptr(cluster), Task: ptr(stopping), Reason: ptr("mine")}); err != nil {
			t.Fatal(err)
		}
		e.reportStatus(t, cluster, done, ecs.TaskStopped)
		got, err := deregister(cluster, id, true)
		if err != nil {
			t.Fatal(err)
		}
		want(t, "status and counts", []any{str(got.Status), *got.AgentConnected, *got.RunningTasksCount}, []any{"INACTIVE", false, int32(1)})
		stop := func(id string) []string {
			task := e.storedTask(t, cluster, id)
			return []string{string(task.DesiredStatus), task.StopCode, task.StoppedReason}
		}
		want(t, "running task", stop(running), []string{"STOPPED", "UserInitiated", "Container instance deregistration forced by user"})
		want(t, "task already stopping", stop(stopping), []string{"STOPPED", "UserInitiated", "mine"})
		want(t, "stopped task", stop(done), []string{"RUNNING", "", ""})
	})

	t.Run("with force, more tasks than one transaction holds", func(t *testing.T) {
		cluster := e.cluster(t)
		id := e.agent(t, cluster, 4096, 8192)
		family := e.taskDef(t, withContainers(container("app", 1, 6)))
		for range (stopBatch + 20) / 10 {
			want(t, "placed", len(e.run(t, runIn(cluster, family, count(10))).Tasks), 10)
		}
		if _, err := deregister(cluster, id, true); err != nil {
			t.Fatal(err)
		}
		want(t, "tasks still meant to run", len(e.listTasks(t, &wire.ListTasksRequest{Cluster: ptr(cluster)})), 0)
	})
}

func TestDeleteClusterWithTasks(t *testing.T) {
	e := newEnv(t)
	cluster := e.cluster(t)
	id := e.agent(t, cluster, 4096, 8192)
	task := e.runOne(t, cluster, e.taskDef(t))
	deleteCluster := func() error {
		_, err := e.api.DeleteCluster(e.ctx(), &wire.DeleteClusterRequest{Cluster: ptr(cluster)})
		return err
	}

	wantErr(t, deleteCluster(), ecs.CodeClusterContainsTasks, "The Cluster cannot be deleted while Tasks are active.")
	if _, err := e.api.StopTask(e.ctx(), &wire.StopTaskRequest{Cluster: ptr(cluster), Task: ptr(task)}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, deleteCluster(), ecs.CodeClusterContainsTasks, "The Cluster cannot be deleted while Tasks are active.")
	e.reportStatus(t, cluster, task, ecs.TaskStopped)
	wantErr(t, deleteCluster(), ecs.CodeClusterContainsInstances, "The Cluster cannot be deleted while Container Instances are active or draining.")

	// A task orphaned by a forced deregistration no longer counts.
	orphan := e.runOne(t, cluster, e.taskDef(t))
	if _, err := e.api.DeregisterContainerInstance(e.ctx(), &wire.DeregisterContainerInstanceRequest{Cluster: ptr(cluster), ContainerInstance: ptr(id), Force: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	want(t, "orphan's last status", e.storedTask(t, cluster, orphan).Known.LastStatus, ecs.TaskPending)
	if err := deleteCluster(); err != nil {
		t.Fatal(err)
	}
}
