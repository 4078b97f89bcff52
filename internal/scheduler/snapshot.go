package scheduler

import (
	"slices"
	"time"

	"github.com/berth-org/berth/internal/ecs"
)

// Instance is a container instance as the scheduler sees it: the stored
// record, flattened.
type Instance struct {
	ID            string
	ARN           string
	Status        ecs.InstanceStatus
	Connected     bool
	AgentVersion  string
	EC2InstanceID string
	RegisteredAt  time.Time
	Attributes    map[string]string
	// CPU and Memory are what remains; Ports and PortsUDP are the host
	// ports in use (ECS reports the ports in use as an instance's
	// remaining PORTS).
	CPU, Memory     int32
	Ports, PortsUDP []string
	// Revision is the etcd mod revision of the record this came from; it
	// tells which committed placements the record already accounts for.
	Revision int64
}

// Remaining is an instance's accounting as its record states it at
// Revision: what remains of its CPU and memory, and the host ports in use.
// It is the part of an instance that every placement and every stopped
// task changes (see Snapshot.PutRemaining).
type Remaining struct {
	CPU, Memory     int32
	Ports, PortsUDP []string
	Revision        int64
}

// Task is what the scheduler needs of a task: where it runs, its group,
// and whether it counts as running.
type Task struct {
	ID         string
	InstanceID string
	Group      string
	// Running: last status RUNNING (runningTasksCount counts these).
	Running bool
	// Stopped: desired or last status STOPPED; the task no longer counts
	// in its group.
	Stopped bool
}

// Snapshot is the scheduler's picture of one cluster. The caller feeds it
// every instance and task change (PutInstance, PutTask, ...) and the
// placements it decided on (Assume, Committed, Forget); Place and
// SelectStop read it.
type Snapshot struct {
	nodes  []*node
	byID   map[string]*node
	tasks  map[string]*taskRef
	cols   map[string]*column       // spread field → interned values
	spread map[spreadKey]*spreadIdx // (group, field) → tasks per value
	// spreadByGroup lists the spread indexes of each group, to keep them
	// current when the group's count on an instance changes.
	spreadByGroup map[string][]*spreadIdx
	memo          map[string][]int8 // static memberOf expression → result per node
	// free is what every decision reads of every node, by node index:
	// kept apart from the nodes so that the scan reads one array in order.
	free       []capacity
	scratch    planScratch
	registered int // nodes ACTIVE or DRAINING (Registered)
	// running and stored count the tasks the store holds (not the
	// assumed ones): stored in all, running those RUNNING (TaskCounts).
	running, stored int
}

// NewSnapshot returns an empty snapshot.
func NewSnapshot() *Snapshot {
	return &Snapshot{
		byID:          map[string]*node{},
		tasks:         map[string]*taskRef{},
		cols:          map[string]*column{},
		spread:        map[spreadKey]*spreadIdx{},
		spreadByGroup: map[string][]*spreadIdx{},
		memo:          map[string][]int8{},
	}
}

// capacity is the part of a node that feasibility reads on every decision.
// Scanning 5,000 nodes through their pointers (and each status string)
// missed the cache at nearly every step once the server's other work had
// run between two RunTasks: 18 % of the server's CPU in bench-placement,
// about 0.5 ms per decision. The same scan over this array is 60 KB read
// in order.
type capacity struct {
	cpu, mem int32 // the record's remaining, less assumptions and holds
	ready    bool  // known, ACTIVE, and its agent connected
}

// node is one instance with what the scheduler derives from it; its
// effective CPU and memory are in Snapshot.free at idx.
type node struct {
	Instance
	idx     int
	known   bool     // a record was put (a task may name an instance first)
	ports   []string // in use, assumptions included
	udp     []string
	groups  map[string]int32 // tasks per group, assumptions included
	running int32
	assumed []*assumption
	// ownCommit is the revision of the latest commit of this snapshot's
	// own placements on the instance: a record at that revision changed
	// nothing the snapshot did not already count.
	ownCommit int64
}

// taskRef is a task the snapshot counts on a node.
type taskRef struct {
	node    *node
	group   string
	running bool
	assumed *assumption // nil once the task was seen in the store
}

// assumption is a placement decided but not yet seen in an instance
// record: its hold is subtracted from the record's remaining resources
// until a record at or after the commit's revision arrives.
type assumption struct {
	task        string
	node        *node
	needs       ecs.Requirements
	committedAt int64 // etcd revision of the commit; 0 while in flight
}

// Registered is the number of instances ACTIVE or DRAINING: those that
// make a cluster one with container instances.
func (s *Snapshot) Registered() int { return s.registered }

// isRegistered says whether n counts in Registered.
func isRegistered(n *node) bool {
	return n.known && (n.Status == ecs.InstanceActive || n.Status == ecs.InstanceDraining)
}

// setRecord changes n's record (or forgets it), keeping Registered's count
// and n's readiness.
func (s *Snapshot) setRecord(n *node, change func()) {
	if isRegistered(n) {
		s.registered--
	}
	change()
	if isRegistered(n) {
		s.registered++
	}
	s.free[n.idx].ready = n.known && n.Status == ecs.InstanceActive && n.Connected
}

// Instance returns the instance with id as last put, with its effective
// remaining CPU and memory (assumptions subtracted).
func (s *Snapshot) Instance(id string) (Instance, bool) {
	n := s.byID[id]
	if n == nil || !n.known {
		return Instance{}, false
	}
	out := n.Instance
	c := s.free[n.idx]
	out.CPU, out.Memory, out.Ports, out.PortsUDP = c.cpu, c.mem, n.ports, n.udp
	return out, true
}

// GroupCount is how many tasks of group run (or are placed) on instance id.
func (s *Snapshot) GroupCount(id, group string) int {
	if n := s.byID[id]; n != nil {
		return int(n.groups[group])
	}
	return 0
}

func (s *Snapshot) nodeFor(id string) *node {
	n := s.byID[id]
	if n == nil {
		n = &node{idx: len(s.nodes), groups: map[string]int32{}}
		n.ID = id
		s.nodes = append(s.nodes, n)
		s.free = append(s.free, capacity{})
		s.byID[id] = n
		for _, c := range s.cols {
			c.grow(len(s.nodes))
		}
	}
	return n
}

// Accounts reports whether the snapshot's view of instance id already
// includes the instance's record at revision rev: rev is no newer than the
// last record put, or is the commit of the snapshot's own placements. A
// record it does not account for was written by someone else (another
// server, a session, a stopped task's release) since the snapshot last
// heard of the instance.
func (s *Snapshot) Accounts(id string, rev int64) bool {
	n := s.byID[id]
	return n != nil && (rev <= n.Revision || rev == n.ownCommit)
}

// Revision is the revision of instance id's last record put (0: none).
func (s *Snapshot) Revision(id string) int64 {
	if n := s.byID[id]; n != nil {
		return n.Revision
	}
	return 0
}

// PutInstance adds or replaces an instance. Assumptions committed at or
// before the record's revision are in its accounting now, so they are
// dropped.
func (s *Snapshot) PutInstance(inst Instance) {
	n := s.nodeFor(inst.ID)
	s.setRecord(n, func() { n.Instance, n.known = inst, true })
	s.settle(n)
	for _, c := range s.cols {
		s.relabel(c, n)
	}
	for _, m := range s.memo {
		if n.idx < len(m) {
			m[n.idx] = memoUnknown
		}
	}
}

// PutRemaining replaces what instance id's record says remains of it, as
// of r.Revision, and keeps the rest of the record: the change placement
// and task stops make. Assumptions committed at or before r.Revision are
// in the accounting now, so they are dropped; the instance's attributes
// have not changed, so its spread labels and memoized constraint answers
// stand. An instance whose record is not known is left alone.
func (s *Snapshot) PutRemaining(id string, r Remaining) {
	n := s.byID[id]
	if n == nil || !n.known {
		return
	}
	n.CPU, n.Memory, n.Ports, n.PortsUDP, n.Revision = r.CPU, r.Memory, r.Ports, r.PortsUDP, r.Revision
	s.settle(n)
}

// settle drops n's assumptions that its record's revision accounts for,
// and derives its effective resources again.
func (s *Snapshot) settle(n *node) {
	n.assumed = slices.DeleteFunc(n.assumed, func(a *assumption) bool {
		return a.committedAt != 0 && a.committedAt <= n.Revision
	})
	s.recompute(n)
}

// RemoveInstance forgets an instance's record; it takes no more tasks.
// Its tasks stay counted until they are removed.
func (s *Snapshot) RemoveInstance(id string) {
	if n := s.byID[id]; n != nil {
		s.setRecord(n, func() { n.known, n.Status = false, ecs.InstanceInactive })
	}
}

// recompute derives n's effective resources: the record's less every
// assumption not yet in it.
func (s *Snapshot) recompute(n *node) {
	c := &s.free[n.idx]
	c.cpu, c.mem = n.CPU, n.Memory
	n.ports, n.udp = n.Ports, n.PortsUDP
	for _, a := range n.assumed {
		c.cpu -= a.needs.CPU
		c.mem -= a.needs.Memory
		if len(a.needs.Ports) > 0 {
			n.ports = append(slices.Clip(n.ports), a.needs.Ports...)
		}
		if len(a.needs.PortsUDP) > 0 {
			n.udp = append(slices.Clip(n.udp), a.needs.PortsUDP...)
		}
	}
}

// PutTask adds or updates a task as stored. A stopped task is removed.
func (s *Snapshot) PutTask(t Task) {
	if t.Stopped {
		s.RemoveTask(t.ID)
		return
	}
	ref := s.tasks[t.ID]
	if ref != nil && (ref.node.ID != t.InstanceID || ref.group != t.Group) {
		s.RemoveTask(t.ID) // never happens for a real task; stay exact anyway
		ref = nil
	}
	if ref == nil {
		ref = &taskRef{node: s.nodeFor(t.InstanceID), group: t.Group}
		s.tasks[t.ID] = ref
		s.addGroup(ref.node, t.Group, 1)
		s.stored++
	} else if ref.assumed != nil {
		s.stored++
	}
	ref.assumed = nil // seen in the store: its assumption lives on the node until the instance record catches up
	if ref.running != t.Running {
		ref.running = t.Running
		if t.Running {
			ref.node.running++
			s.running++
		} else {
			ref.node.running--
			s.running--
		}
	}
}

// TaskCounts are the cluster's stored tasks still desired RUNNING: how
// many are RUNNING, and how many are not yet (DescribeClusters'
// runningTasksCount and pendingTasksCount). Kept as tasks change, never
// counted by a scan.
func (s *Snapshot) TaskCounts() (running, pending int) {
	return s.running, s.stored - s.running
}

// RemoveTask stops counting a task.
func (s *Snapshot) RemoveTask(id string) {
	ref := s.tasks[id]
	if ref == nil {
		return
	}
	delete(s.tasks, id)
	s.addGroup(ref.node, ref.group, -1)
	if ref.assumed == nil {
		s.stored--
	}
	if ref.running {
		ref.node.running--
		s.running--
	}
}

// Assume counts a placement the caller is about to commit: the task is in
// its group on the instance and holds needs there, so the next decision
// sees it before the store does.
func (s *Snapshot) Assume(taskID, instanceID, group string, needs ecs.Requirements) {
	n := s.nodeFor(instanceID)
	a := &assumption{task: taskID, node: n, needs: needs}
	n.assumed = append(n.assumed, a)
	s.recompute(n)
	if s.tasks[taskID] == nil {
		s.tasks[taskID] = &taskRef{node: n, group: group, assumed: a}
		s.addGroup(n, group, 1)
	}
}

// Committed records that the assumed tasks were committed at revision rev.
// Their holds stay subtracted until the instance's record at rev or later
// arrives (it may have already).
func (s *Snapshot) Committed(taskIDs []string, rev int64) {
	for _, id := range taskIDs {
		if ref := s.tasks[id]; ref != nil {
			s.commitOn(ref.node, id, rev)
			continue
		}
		for _, n := range s.nodes { // stopped and gone already: rare
			s.commitOn(n, id, rev)
		}
	}
}

func (s *Snapshot) commitOn(n *node, taskID string, rev int64) {
	for i, a := range n.assumed {
		if a.task != taskID {
			continue
		}
		a.committedAt = rev
		n.ownCommit = max(n.ownCommit, rev)
		if n.Revision >= rev {
			n.assumed = slices.Delete(n.assumed, i, i+1)
			s.recompute(n)
		}
		return
	}
}

// Forget undoes assumptions whose commit failed.
func (s *Snapshot) Forget(taskIDs []string) {
	for _, id := range taskIDs {
		ref := s.tasks[id]
		if ref == nil || ref.assumed == nil {
			continue
		}
		n := ref.node
		n.assumed = slices.DeleteFunc(n.assumed, func(a *assumption) bool { return a == ref.assumed })
		s.recompute(n)
		s.RemoveTask(id)
	}
}

// addGroup changes how many tasks of group n runs by delta, keeping every
// spread index of the group current.
func (s *Snapshot) addGroup(n *node, group string, delta int32) {
	v := n.groups[group] + delta
	if v <= 0 {
		delete(n.groups, group)
	} else {
		n.groups[group] = v
	}
	for _, sp := range s.spreadByGroup[group] {
		sp.add(sp.col.ids[n.idx], delta)
	}
}
