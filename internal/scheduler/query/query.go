package query

import (
	"strconv"
	"time"
)

// Limits on what Parse accepts.
const (
	// maxLength is ECS's limit on a memberOf expression, in characters.
	maxLength = 2000
	// maxDepth bounds nesting of "(" and "not". The parser recurses once per
	// level; 64 is far beyond what a person writes and keeps a hostile input
	// from growing the stack.
	maxDepth = 64
	// maxListValues bounds an "in" list. maxLength already bounds it to about
	// 1000; realistic lists (instance IDs, zones, instance types) have tens
	// of values, and 512 leaves room for many more.
	maxListValues = 512
	// maxAttributeName is ECS's limit on an attribute name.
	maxAttributeName = 128
)

// Instance is what an expression reads of a container instance.
type Instance interface {
	AgentConnected() bool
	AgentVersion() string
	Attribute(name string) (value string, ok bool)
	EC2InstanceID() string
	RegisteredAt() time.Time
	RunningTasksCount() int
	// HasTaskGroup reports whether a task of group runs on the instance.
	HasTaskGroup(group string) bool
	// TaskGroups lists the distinct groups of the instance's tasks (for
	// matches and exists on task:group).
	TaskGroups() []string
}

// Expr is a parsed expression, safe for concurrent use: nothing in it
// changes after Parse returns.
type Expr struct {
	src    string
	root   node
	groups bool // some comparison reads task:group
	static bool // no comparison reads agentConnected, runningTasksCount or task:group
}

// Parse parses expr. A malformed expression returns *Error.
func Parse(expr string) (*Expr, error) {
	p := &parser{src: expr}
	root, err := p.parse()
	if err != nil {
		return nil, err // a non-nil *Error, never a typed nil
	}
	return &Expr{src: expr, root: root, groups: p.groups, static: !p.dynamic}, nil
}

// Match evaluates the expression against i. It never panics and does no I/O.
func (e *Expr) Match(i Instance) bool { return e.root.match(i) }

// String returns the expression as given.
func (e *Expr) String() string { return e.src }

// UsesTaskGroups reports whether the expression reads task:group (the
// scheduler then keeps per-instance group indexes current while placing).
func (e *Expr) UsesTaskGroups() bool { return e.groups }

// Static reports whether the expression reads only what an instance
// registered with: its attributes, ec2InstanceId, registeredAt and
// agentVersion, and not agentConnected, runningTasksCount or task:group,
// which change as the agent connects and tasks come and go. A caller may
// cache Match's answer for an instance until the instance's record changes.
func (e *Expr) Static() bool { return e.static }

// Error is a parse error.
type Error struct {
	// Pos is the 1-based character (not byte) position of the offending
	// token; one past the last character when the expression ended early.
	Pos int
	// Msg says what was expected and what was found, quoting the token.
	Msg string
}

// Error returns e.g. `position 36: expected an argument list "[a, b]" after
// "in", found "us-east-1a"`.
func (e *Error) Error() string { return "position " + strconv.Itoa(e.Pos) + ": " + e.Msg }
