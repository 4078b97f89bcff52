package controller

import (
	"strings"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/reconcile"
	"github.com/berth-org/berth/internal/store"
)

// serviceKey names a service across clusters.
type serviceKey struct{ cluster, name string }

// world is the service controller's picture of the state that services
// depend on, kept current from etcd's watches: every service, every task a
// service started (group "service:<name>"), and every container instance.
// Each change reports which services it concerns, so that only those are
// reconciled again.
//
// A world is used by one goroutine; nothing here locks.
type world struct {
	services map[serviceKey]*ecs.Service
	// serviceRev is each service's mod revision as the world has it: a
	// write decided on the world compares it, so that it never overwrites
	// a change the world has not seen (an UpdateService).
	serviceRev map[serviceKey]int64
	tasks      map[serviceKey]map[string]*ecs.Task
	// instances keep only what Step reads of each instance: thousands of
	// full records (with their attributes) would cost the leader tens of
	// megabytes for nothing.
	instances map[string]map[string]reconcile.Instance // cluster → id →
	// taskService remembers each task's service, so that a deletion
	// (which carries no value) finds the service it concerns.
	taskService map[string]serviceKey // cluster/id →
}

func newWorld() *world {
	return &world{
		services:    map[serviceKey]*ecs.Service{},
		serviceRev:  map[serviceKey]int64{},
		tasks:       map[serviceKey]map[string]*ecs.Task{},
		instances:   map[string]map[string]reconcile.Instance{},
		taskService: map[string]serviceKey{},
	}
}

// serviceOf is the service a task belongs to, from its group; ok is false
// for a task no service started.
func serviceOf(t *ecs.Task) (serviceKey, bool) {
	name, ok := strings.CutPrefix(t.Group, "service:")
	return serviceKey{t.Cluster, name}, ok && name != ""
}

// apply records one change and says which services it concerns.
func (w *world) apply(ch store.Change) []serviceKey {
	switch {
	case ch.Service != nil:
		return w.putService(ch.Service, ch.Revision)
	case ch.Task != nil:
		return w.putTask(ch.Task)
	case ch.Instance != nil:
		return w.putInstance(ch.Instance)
	case ch.Kind == store.ChangeService:
		return w.deleteService(ch.Cluster, ch.ID)
	case ch.Kind == store.ChangeTask:
		return w.deleteTask(ch.Cluster, ch.ID)
	case ch.Kind == store.ChangeInstance:
		return w.deleteInstance(ch.Cluster, ch.ID)
	}
	return nil
}

// putService records a service's new state at its mod revision. It
// concerns that service.
func (w *world) putService(s *ecs.Service, rev int64) []serviceKey {
	k := serviceKey{s.Cluster, s.Name}
	w.services[k], w.serviceRev[k] = s, rev
	return []serviceKey{k}
}

// deleteService forgets a service whose record is gone.
func (w *world) deleteService(cluster, name string) []serviceKey {
	delete(w.services, serviceKey{cluster, name})
	delete(w.serviceRev, serviceKey{cluster, name})
	return nil
}

// putTask records a task's new state; it concerns the task's service, if
// a service started it.
func (w *world) putTask(t *ecs.Task) []serviceKey {
	k, ok := serviceOf(t)
	if !ok {
		return nil
	}
	if w.tasks[k] == nil {
		w.tasks[k] = map[string]*ecs.Task{}
	}
	w.tasks[k][t.ID] = t
	w.taskService[t.Cluster+"/"+t.ID] = k
	return []serviceKey{k}
}

// deleteTask forgets a task whose record is gone (purged after its
// retention period).
func (w *world) deleteTask(cluster, id string) []serviceKey {
	k, ok := w.taskService[cluster+"/"+id]
	if !ok {
		return nil
	}
	delete(w.taskService, cluster+"/"+id)
	delete(w.tasks[k], id)
	if len(w.tasks[k]) == 0 {
		delete(w.tasks, k)
	}
	return []serviceKey{k}
}

// putInstance records an instance's new state. It concerns every service
// of its cluster: a joining instance needs a DAEMON task, a draining one
// has tasks to replace, a lost one's placements change.
func (w *world) putInstance(i *ecs.ContainerInstance) []serviceKey {
	if w.instances[i.Cluster] == nil {
		w.instances[i.Cluster] = map[string]reconcile.Instance{}
	}
	w.instances[i.Cluster][i.ID] = reconcile.Instance{ID: i.ID, Status: i.Status, Connected: i.AgentConnected}
	return w.clusterServices(i.Cluster)
}

// deleteInstance forgets an instance whose record is gone.
func (w *world) deleteInstance(cluster, id string) []serviceKey {
	delete(w.instances[cluster], id)
	return w.clusterServices(cluster)
}

func (w *world) clusterServices(cluster string) []serviceKey {
	var out []serviceKey
	for k := range w.services {
		if k.cluster == cluster {
			out = append(out, k)
		}
	}
	return out
}

// replicaTasks counts, per instance of the cluster, the tasks of REPLICA
// services not yet STOPPED: a DAEMON task on a draining instance stops
// only after them.
func (w *world) replicaTasks(cluster string) map[string]int {
	out := map[string]int{}
	for k, tasks := range w.tasks {
		svc := w.services[k]
		if k.cluster != cluster || svc == nil || svc.SchedulingStrategy == ecs.SchedulingDaemon {
			continue
		}
		for _, t := range tasks {
			if t.Known.LastStatus != ecs.TaskStopped {
				out[t.ContainerInstanceID]++
			}
		}
	}
	return out
}
