package scheduler

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/scheduler/query"
	"github.com/berth-org/berth/internal/wire"
)

// inst builds an ACTIVE, connected instance with 4096 CPU and 8192 MiB.
func inst(id string, opts ...func(*Instance)) Instance {
	i := Instance{
		ID: id, ARN: "arn:aws:ecs:us-east-1:000000000000:container-instance/c/" + id,
		Status: ecs.InstanceActive, Connected: true, CPU: 4096, Memory: 8192,
		Attributes: map[string]string{"ecs.instance-type": "m5.large"},
	}
	for _, o := range opts {
		o(&i)
	}
	return i
}

func zone(z string) func(*Instance) {
	return func(i *Instance) { i.Attributes["ecs.availability-zone"] = z }
}
func attr(k, v string) func(*Instance)            { return func(i *Instance) { i.Attributes[k] = v } }
func cpu(v int32) func(*Instance)                 { return func(i *Instance) { i.CPU = v } }
func mem(v int32) func(*Instance)                 { return func(i *Instance) { i.Memory = v } }
func ports(p ...string) func(*Instance)           { return func(i *Instance) { i.Ports = p } }
func udp(p ...string) func(*Instance)             { return func(i *Instance) { i.PortsUDP = p } }
func status(s ecs.InstanceStatus) func(*Instance) { return func(i *Instance) { i.Status = s } }
func disconnected(i *Instance)                    { i.Connected = false }

// cluster is a snapshot of instances, with tasks: "instance/group" → n.
func cluster(insts []Instance, tasks map[string]int) *Snapshot {
	s := NewSnapshot()
	for _, i := range insts {
		s.PutInstance(i)
	}
	keys := make([]string, 0, len(tasks))
	for k := range tasks {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	seq := 0
	for _, k := range keys {
		id, group, _ := cutFirst(k)
		for range tasks[k] {
			seq++
			s.PutTask(Task{ID: "t" + string(rune('a'+seq%26)) + id + group + itoa(seq), InstanceID: id, Group: group, Running: true})
		}
	}
	return s
}

func cutFirst(s string) (string, string, bool) {
	for i := range s {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// req builds a request for count tasks of group "family:web" needing 256
// CPU and 512 MiB, placed first-candidate on ties (no Rand).
func req(count int, opts ...func(*Request)) *Request {
	r := &Request{Count: count, Group: "family:web", Needs: ecs.Requirements{CPU: 256, Memory: 512}}
	for _, o := range opts {
		o(r)
	}
	return r
}

func needs(c, m int32) func(*Request) {
	return func(r *Request) { r.Needs.CPU, r.Needs.Memory = c, m }
}
func needPorts(p ...string) func(*Request) { return func(r *Request) { r.Needs.Ports = p } }
func needUDP(p ...string) func(*Request)   { return func(r *Request) { r.Needs.PortsUDP = p } }
func seeded(seed uint64) func(*Request) {
	return func(r *Request) { r.Rand = rand.New(rand.NewPCG(seed, seed)) }
}
func distinct(r *Request) { r.Constraints.DistinctInstance = true }
func onInstances(ids ...string) func(*Request) {
	return func(r *Request) { r.Instances = ids }
}
func requires(name string) func(*Request) {
	return func(r *Request) { r.RequiredAttributes = append(r.RequiredAttributes, wire.Attribute{Name: &name}) }
}
func memberOf(t testing.TB, expr string) func(*Request) {
	t.Helper()
	e, err := query.Parse(expr)
	if err != nil {
		t.Fatalf("parse %q: %v", expr, err)
	}
	return func(r *Request) { r.Constraints.MemberOf = append(r.Constraints.MemberOf, e) }
}
func strategies(ss ...Strategy) func(*Request) { return func(r *Request) { r.Strategies = ss } }

var (
	spreadZone = Strategy{Type: Spread, Field: "attribute:ecs.availability-zone"}
	spreadHost = Strategy{Type: Spread, Field: FieldInstanceID}
	binpackMem = Strategy{Type: Binpack, Field: FieldMemory}
	binpackCPU = Strategy{Type: Binpack, Field: FieldCPU}
	randomly   = Strategy{Type: Random}
)
