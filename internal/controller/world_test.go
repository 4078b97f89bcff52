package controller

import (
	"slices"
	"testing"
	"time"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/scheduler"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/wire"
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
		{"a REPLICA task stopping concerns the cluster's DAEMON services too: one may wait for it on a draining instance",
			store.Change{Task: stoppedTask(task)}, []serviceKey{{"prod", "api"}, {"prod", "web"}}},
		{"once stopped, its next change concerns its service alone", store.Change{Task: stoppedTask(task)}, []serviceKey{{"prod", "web"}}},
		{"an instance concerns every service of its cluster", store.Change{Instance: &ecs.ContainerInstance{Cluster: "prod", ID: "i1"}},
			[]serviceKey{{"prod", "api"}, {"prod", "web"}}},
		{"an instance's capacity concerns every service of its cluster", store.Change{Kind: store.ChangeCapacity, Cluster: "prod", ID: "i1"},
			[]serviceKey{{"prod", "api"}, {"prod", "web"}}},
		{"a task's deletion finds its service", store.Change{Kind: store.ChangeTask, Cluster: "prod", ID: "t1"}, []serviceKey{{"prod", "web"}}},
		{"an unknown task's deletion concerns none", store.Change{Kind: store.ChangeTask, Cluster: "prod", ID: "t2"}, nil},
		{"a service's deletion leaves nothing to step", store.Change{Kind: store.ChangeService, Cluster: "dev", ID: "web"}, nil},
		{"setting a cluster's lostInstanceTimeout concerns its services", store.Change{ClusterRecord: withLostAfter("prod", "300")},
			[]serviceKey{{"prod", "api"}, {"prod", "web"}}},
		{"a change to the cluster that leaves it concerns none", store.Change{ClusterRecord: withLostAfter("prod", "300")}, nil},
		{"a mark of the control plane alive concerns none", store.Change{Downtime: &store.Downtime{AliveAt: time.Unix(100, 0)}}, nil},
		{"nor does an outage counted: it only makes instances lost later than a wake computed before",
			store.Change{Downtime: &store.Downtime{AliveAt: time.Unix(200, 0), Total: time.Minute}}, nil},
		{"disabling it concerns the cluster's services again", store.Change{ClusterRecord: withLostAfter("prod", "disabled")},
			[]serviceKey{{"prod", "api"}, {"prod", "web"}}},
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

func stoppedTask(t *ecs.Task) *ecs.Task {
	c := *t
	c.Known.LastStatus = ecs.TaskStopped
	return &c
}

func withLostAfter(cluster, value string) *ecs.Cluster {
	return &ecs.Cluster{Name: cluster, Settings: []wire.ClusterSetting{{Name: ecs.ClusterSettingLostInstanceTimeout, Value: &value}}}
}

// Step sees an instance's disconnect time moved later by the control
// plane's downtime since (see store.Downtime.AwaySince), and none while
// the agent is connected.
func TestStepInstancesLeaveTheControlPlanesDowntimeOut(t *testing.T) {
	left := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	w := newWorld()
	w.putInstance(&ecs.ContainerInstance{Cluster: "prod", ID: "away", Status: ecs.InstanceActive, DisconnectedAt: left, DowntimeAtDisconnect: time.Minute})
	w.putInstance(&ecs.ContainerInstance{Cluster: "prod", ID: "here", Status: ecs.InstanceActive, AgentConnected: true, DisconnectedAt: left})
	w.putDowntime(store.Downtime{AliveAt: left.Add(20 * time.Minute), Total: 11 * time.Minute})
	got := map[string]time.Time{}
	for _, i := range w.stepInstances("prod", left.Add(20*time.Minute)) {
		got[i.ID] = i.DisconnectedAt
	}
	if want := left.Add(10 * time.Minute); !got["away"].Equal(want) || !got["here"].IsZero() {
		t.Errorf("disconnected at %v, want away at %s (10 min of outage since it left) and here never", got, want)
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
