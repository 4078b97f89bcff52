package controller

import (
	"slices"
	"testing"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/scheduler"
	"github.com/berth-org/berth/internal/store"
)

func TestWorldSaysWhichServicesAChangeConcerns(t *testing.T) {
	web := &ecs.Service{Cluster: "prod", Name: "web"}
	api := &ecs.Service{Cluster: "prod", Name: "api", SchedulingStrategy: ecs.SchedulingDaemon}
	other := &ecs.Service{Cluster: "dev", Name: "web"}
	task := &ecs.Task{Cluster: "prod", ID: "t1", Group: "service:web", ContainerInstanceID: "i1",
		Known: ecs.Known{LastStatus: ecs.TaskRunning}}
	standalone := &ecs.Task{Cluster: "prod", ID: "t2", Group: "family:web"}
	steps := []struct {
		name   string
		change store.Change
		want   []serviceKey
	}{
		{"a service concerns itself", store.Change{Service: web, Revision: 5}, []serviceKey{{"prod", "web"}}},
		{"another", store.Change{Service: api, Revision: 6}, []serviceKey{{"prod", "api"}}},
		{"one in another cluster", store.Change{Service: other, Revision: 7}, []serviceKey{{"dev", "web"}}},
		{"a service's task concerns its service", store.Change{Task: task}, []serviceKey{{"prod", "web"}}},
		{"a standalone task concerns none", store.Change{Task: standalone}, nil},
		{"an instance concerns every service of its cluster", store.Change{Instance: &ecs.ContainerInstance{Cluster: "prod", ID: "i1"}},
			[]serviceKey{{"prod", "api"}, {"prod", "web"}}},
		{"a task's deletion finds its service", store.Change{Kind: store.ChangeTask, Cluster: "prod", ID: "t1"}, []serviceKey{{"prod", "web"}}},
		{"an unknown task's deletion concerns none", store.Change{Kind: store.ChangeTask, Cluster: "prod", ID: "t2"}, nil},
		{"a service's deletion leaves nothing to step", store.Change{Kind: store.ChangeService, Cluster: "dev", ID: "web"}, nil},
	}
	w := newWorld()
	for _, st := range steps {
		got := w.apply(st.change)
		slices.SortFunc(got, compareKeys)
		if !slices.Equal(got, st.want) {
			t.Errorf("%s: concerns %v, want %v", st.name, got, st.want)
		}
	}
	if w.serviceRev[serviceKey{"prod", "web"}] != 5 || w.services[serviceKey{"dev", "web"}] != nil {
		t.Errorf("world services %v at %v; want prod/web at 5 and no dev/web", w.services, w.serviceRev)
	}
}

func TestReplicaTasksCountOnlyReplicaServicesLiveTasks(t *testing.T) {
	w := newWorld()
	w.putService(&ecs.Service{Cluster: "prod", Name: "web"}, 1)
	w.putService(&ecs.Service{Cluster: "prod", Name: "logs", SchedulingStrategy: ecs.SchedulingDaemon}, 2)
	for _, tk := range []*ecs.Task{
		{Cluster: "prod", ID: "a", Group: "service:web", ContainerInstanceID: "i1", Known: ecs.Known{LastStatus: ecs.TaskRunning}},
		{Cluster: "prod", ID: "b", Group: "service:web", ContainerInstanceID: "i1", Known: ecs.Known{LastStatus: ecs.TaskStopped}},
		{Cluster: "prod", ID: "c", Group: "service:logs", ContainerInstanceID: "i1", Known: ecs.Known{LastStatus: ecs.TaskRunning}},
	} {
		w.putTask(tk)
	}
	if got := w.replicaTasks("prod"); got["i1"] != 1 {
		t.Errorf("replica tasks on i1 = %d, want 1 (the running web task only)", got["i1"])
	}
}

func TestUnplacedMessage(t *testing.T) {
	cases := []struct {
		name    string
		failure *scheduler.Failure
		want    string
	}{
		{"memory", &scheduler.Failure{Reason: scheduler.ReasonMemory, ARN: "arn:aws:ecs:us-east-1:1:container-instance/prod/abc"},
			"(service web) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance abc) has insufficient memory available." + troubleshooting},
		{"a constraint", &scheduler.Failure{Reason: scheduler.ReasonMemberOf, ARN: "arn:aws:ecs:us-east-1:1:container-instance/prod/abc"},
			`(service web) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance abc) encountered error "MemberOf placement constraint unsatisfied".` + troubleshooting},
		{"no instances", &scheduler.Failure{},
			"(service web) was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster." + troubleshooting},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := unplacedMessage("web", c.failure); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}
