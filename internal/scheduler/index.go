package scheduler

import (
	"time"

	"github.com/berth-org/berth/internal/scheduler/query"
)

// Spread fields. "host" is ECS's alias of instanceId.
const (
	FieldInstanceID = "instanceId"
	FieldHost       = "host"
	attributePrefix = "attribute:"
)

// column interns the values of one spread field across the nodes, so that
// spreading compares small integers instead of looking attributes up.
type column struct {
	attr   string           // the attribute name
	values map[string]int32 // value → id; "" (no such attribute) is 0
	ids    []int32          // node index → value id
}

func newColumn(attr string, nodes int) *column {
	return &column{attr: attr, values: map[string]int32{"": 0}, ids: make([]int32, nodes)}
}

func (c *column) grow(nodes int) {
	for len(c.ids) < nodes {
		c.ids = append(c.ids, 0)
	}
}

func (c *column) intern(v string) int32 {
	id, ok := c.values[v]
	if !ok {
		id = int32(len(c.values))
		c.values[v] = id
	}
	return id
}

// column returns the column of an attribute, building it on first use.
func (s *Snapshot) column(attr string) *column {
	c := s.cols[attr]
	if c == nil {
		c = newColumn(attr, len(s.nodes))
		for _, n := range s.nodes {
			c.ids[n.idx] = c.intern(n.Attributes[attr])
		}
		s.cols[attr] = c
	}
	return c
}

// relabel moves n to its current value in c, carrying its group counts
// along in every spread index over c.
func (s *Snapshot) relabel(c *column, n *node) {
	to := c.intern(n.Attributes[c.attr])
	from := c.ids[n.idx]
	if from == to {
		return
	}
	c.ids[n.idx] = to
	for _, sp := range s.spread {
		if sp.col != c {
			continue
		}
		if k := n.groups[sp.group]; k != 0 {
			sp.add(from, -k)
			sp.add(to, k)
		}
	}
}

type spreadKey struct{ group, attr string }

// spreadIdx counts a group's tasks per value of an attribute.
type spreadIdx struct {
	group  string
	col    *column
	counts []int32 // value id → tasks of the group
}

func (sp *spreadIdx) add(v, delta int32) {
	for int(v) >= len(sp.counts) {
		sp.counts = append(sp.counts, 0)
	}
	sp.counts[v] += delta
}

func (sp *spreadIdx) count(v int32) int32 {
	if int(v) < len(sp.counts) {
		return sp.counts[v]
	}
	return 0
}

// spreadIndex returns the index of group over attr, building it on first
// use from the nodes' group counts; addGroup keeps it current after that.
func (s *Snapshot) spreadIndex(group, attr string) *spreadIdx {
	key := spreadKey{group, attr}
	if sp := s.spread[key]; sp != nil {
		return sp
	}
	sp := &spreadIdx{group: group, col: s.column(attr)}
	for _, n := range s.nodes {
		if k := n.groups[group]; k != 0 {
			sp.add(sp.col.ids[n.idx], k)
		}
	}
	s.spread[key] = sp
	s.spreadByGroup[group] = append(s.spreadByGroup[group], sp)
	return sp
}

// Memoized memberOf results, per node: an expression that reads only what
// an instance registered with (attributes, ec2InstanceId, registeredAt,
// agentVersion) keeps its answer until the instance's record changes.
const (
	memoUnknown int8 = iota
	memoTrue
	memoFalse
	// maxMemo bounds how many distinct expressions are memoized; past it
	// the memo starts over (expressions come from task definitions and
	// requests, so a cluster has a handful in use at a time).
	maxMemo = 256
)

// matches evaluates e on n, from the memo when e is static.
func (s *Snapshot) matches(e *query.Expr, n *node) bool {
	return matchMemo(e, s.memoFor(e), n)
}

// memoFor is the memo of e, one entry per node; nil when e is not static.
func (s *Snapshot) memoFor(e *query.Expr) []int8 {
	if !e.Static() {
		return nil
	}
	m, ok := s.memo[e.String()]
	if !ok {
		if len(s.memo) >= maxMemo {
			clear(s.memo)
		}
		m = make([]int8, len(s.nodes))
		s.memo[e.String()] = m
	}
	if len(m) < len(s.nodes) {
		m = append(m, make([]int8, len(s.nodes)-len(m))...)
		s.memo[e.String()] = m
	}
	return m
}

// matchMemo evaluates e on n, reading and filling memo (nil: e is not
// static, evaluate every time).
func matchMemo(e *query.Expr, memo []int8, n *node) bool {
	if memo == nil {
		return e.Match(n)
	}
	switch memo[n.idx] {
	case memoTrue:
		return true
	case memoFalse:
		return false
	}
	ok := e.Match(n)
	memo[n.idx] = memoFalse
	if ok {
		memo[n.idx] = memoTrue
	}
	return ok
}

// node implements query.Instance.

func (n *node) AgentConnected() bool { return n.Connected }
func (n *node) AgentVersion() string { return n.Instance.AgentVersion }
func (n *node) Attribute(name string) (string, bool) {
	v, ok := n.Attributes[name]
	return v, ok
}
func (n *node) EC2InstanceID() string          { return n.Instance.EC2InstanceID }
func (n *node) RegisteredAt() time.Time        { return n.Instance.RegisteredAt }
func (n *node) RunningTasksCount() int         { return int(n.running) }
func (n *node) HasTaskGroup(group string) bool { return n.groups[group] > 0 }
func (n *node) TaskGroups() []string {
	out := make([]string, 0, len(n.groups))
	for g := range n.groups {
		out = append(out, g)
	}
	return out
}
