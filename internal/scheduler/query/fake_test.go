package query

import (
	"maps"
	"slices"
	"time"
)

// fake is a hand-written Instance. Tests start from inst() and change only
// what a case is about.
type fake struct {
	connected  bool
	version    string
	attrs      map[string]string
	ec2        string
	registered time.Time
	running    int
	groups     []string
}

var _ Instance = (*fake)(nil)

// inst returns a connected t2.small in us-east-1a with agent 1.14.5,
// registered 2018-06-18T22:28:28Z, running 3 tasks of groups
// service:production and family:web.
func inst() *fake {
	return &fake{
		connected: true,
		version:   "1.14.5",
		attrs: map[string]string{
			"ecs.instance-type":     "t2.small",
			"ecs.availability-zone": "us-east-1a",
			"ecs.os-type":           "linux",
			"cores":                 "8",
			"stack":                 "prod",
		},
		ec2:        "i-abcd1234",
		registered: time.Date(2018, 6, 18, 22, 28, 28, 0, time.UTC),
		running:    3,
		groups:     []string{"service:production", "family:web"},
	}
}

func (f *fake) withAttr(name, value string) *fake {
	f.attrs = maps.Clone(f.attrs)
	f.attrs[name] = value
	return f
}

func (f *fake) withoutAttr(name string) *fake {
	f.attrs = maps.Clone(f.attrs)
	delete(f.attrs, name)
	return f
}

func (f *fake) disconnected() *fake { f.connected = false; return f }

func (f *fake) withAgent(version string) *fake { f.version = version; return f }

func (f *fake) withEC2(id string) *fake { f.ec2 = id; return f }

// withRegistered takes an RFC 3339 time, fractional seconds allowed.
func (f *fake) withRegistered(t string) *fake {
	r, err := time.Parse(time.RFC3339Nano, t)
	if err != nil {
		panic(err) // a typo in a test table
	}
	f.registered = r
	return f
}

func (f *fake) withRunning(n int) *fake { f.running = n; return f }

func (f *fake) withGroups(groups ...string) *fake { f.groups = groups; return f }

func (f *fake) AgentConnected() bool    { return f.connected }
func (f *fake) AgentVersion() string    { return f.version }
func (f *fake) EC2InstanceID() string   { return f.ec2 }
func (f *fake) RegisteredAt() time.Time { return f.registered }
func (f *fake) RunningTasksCount() int  { return f.running }
func (f *fake) TaskGroups() []string    { return f.groups }

func (f *fake) Attribute(name string) (string, bool) {
	v, ok := f.attrs[name]
	return v, ok
}

func (f *fake) HasTaskGroup(group string) bool { return slices.Contains(f.groups, group) }
