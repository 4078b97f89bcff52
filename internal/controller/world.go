package controller

import (
	"strings"
	"time"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/reconcile"
	"github.com/berth-org/berth/internal/store"
)

// serviceKey names a service across clusters.
type serviceKey struct{ cluster, name string }

// world is the service controller's picture of the state that services
// depend on, kept current from etcd's watches: every service, every task a
// service started (group "service:<name>"), every container instance, each
// cluster's lostInstanceTimeout and the control plane's downtime record.
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
	instances map[string]map[string]instance // cluster → id →
	// taskService remembers each task's service, so that a deletion
	// (which carries no value) finds the service it concerns.
	taskService map[string]serviceKey // cluster/id →
	// lostAfter is each cluster's lostInstanceTimeout, for the clusters
	// that set one.
	lostAfter map[string]time.Duration
	// downtime is the control plane's downtime record, by which an
	// agent's time away leaves out the control plane's own outages.
	downtime store.Downtime
}

// instance is what the world keeps of a container instance: what Step
// reads, with DisconnectedAt as stored, and the control plane's downtime
// when it was stored; Step's DisconnectedAt is made of both at each step
// (store.Downtime.AwaySince).
type instance struct {
	reconcile.Instance
	downtimeAt time.Duration
}

func newWorld() *world {
	return &world{
		services:    map[serviceKey]*ecs.Service{},
		serviceRev:  map[serviceKey]int64{},
		tasks:       map[serviceKey]map[string]*ecs.Task{},
		instances:   map[string]map[string]instance{},
		taskService: map[string]serviceKey{},
		lostAfter:   map[string]time.Duration{},
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
	case ch.Kind == store.ChangeCapacity:
		// Capacity held or freed: a service with tasks it could not
		// place tries again at once.
		return w.clusterServices(ch.Cluster)
	case ch.Service != nil:
		return w.putService(ch.Service, ch.Revision)
	case ch.Task != nil:
		return w.putTask(ch.Task)
	case ch.Instance != nil:
		return w.putInstance(ch.Instance)
	case ch.ClusterRecord != nil:
		return w.putCluster(ch.ClusterRecord)
	case ch.Downtime != nil:
		return w.putDowntime(*ch.Downtime)
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
	prev := w.tasks[k][t.ID]
	w.tasks[k][t.ID] = t
	w.taskService[t.Cluster+"/"+t.ID] = k
	out := []serviceKey{k}
	if stopped(t) && (prev == nil || !stopped(prev)) && !w.isDaemon(k) {
		// A DAEMON task on a draining instance stops only after the
		// REPLICA tasks there (replicaTasks): this may be the last.
		out = append(out, w.daemonServices(t.Cluster)...)
	}
	return out
}

func stopped(t *ecs.Task) bool { return t.Known.LastStatus == ecs.TaskStopped }

func (w *world) isDaemon(k serviceKey) bool {
	svc := w.services[k]
	return svc != nil && svc.SchedulingStrategy == ecs.SchedulingDaemon
}

// daemonServices are the cluster's DAEMON services.
func (w *world) daemonServices(cluster string) []serviceKey {
	var out []serviceKey
	for _, k := range w.clusterServices(cluster) {
		if w.isDaemon(k) {
			out = append(out, k)
		}
	}
	return out
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
		w.instances[i.Cluster] = map[string]instance{}
	}
	in := instance{Instance: reconcile.Instance{ID: i.ID, Status: i.Status, Connected: i.AgentConnected}}
	if !i.AgentConnected {
		in.DisconnectedAt, in.downtimeAt = i.DisconnectedAt, i.DowntimeAtDisconnect
	}
	w.instances[i.Cluster][i.ID] = in
	return w.clusterServices(i.Cluster)
}

// stepInstances are the cluster's instances as Step sees them at now, in
// no particular order: each one's DisconnectedAt moved later by the
// control plane's downtime since.
func (w *world) stepInstances(cluster string, now time.Time) []reconcile.Instance {
	out := make([]reconcile.Instance, 0, len(w.instances[cluster]))
	for _, i := range w.instances[cluster] {
		ri := i.Instance
		ri.DisconnectedAt = w.downtime.AwaySince(i.DisconnectedAt, i.downtimeAt, now)
		out = append(out, ri)
	}
	return out
}

// putCluster records a cluster's lostInstanceTimeout. A change of it
// concerns every service of the cluster; any other change of the cluster
// none.
func (w *world) putCluster(c *ecs.Cluster) []serviceKey {
	before := w.lostAfter[c.Name]
	after := c.LostInstanceTimeout()
	if after == 0 {
		delete(w.lostAfter, c.Name)
	} else {
		w.lostAfter[c.Name] = after
	}
	if after == before {
		return nil
	}
	return w.clusterServices(c.Name)
}

// putDowntime records the control plane's downtime record. It concerns no
// service: downtime only ever grows, which moves the moments instances
// will be lost later, never earlier, so a service woken at a moment
// computed before simply finds the later one then.
func (w *world) putDowntime(d store.Downtime) []serviceKey {
	w.downtime = d
	return nil
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
		if k.cluster != cluster || w.services[k] == nil || w.isDaemon(k) {
			continue
		}
		for _, t := range tasks {
			if !stopped(t) {
				out[t.ContainerInstanceID]++
			}
		}
	}
	return out
}
