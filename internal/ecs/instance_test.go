package ecs

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/berth-org/berth/internal/wire"
)

// intRes is an INTEGER resource; setRes a STRINGSET one.
func intRes(name string, v int32) wire.Resource {
	return wire.Resource{Name: new(name), Type: new("INTEGER"), IntegerValue: new(v)}
}

func setRes(name string, values ...string) wire.Resource {
	return wire.Resource{Name: new(name), Type: new("STRINGSET"), StringSetValue: append([]string{}, values...)}
}

// agentResources is what an agent on a 2-vCPU, 4-GiB machine registers.
func agentResources(extra ...wire.Resource) []wire.Resource {
	return append([]wire.Resource{
		intRes(ResourceCPU, 2048),
		intRes(ResourceMemory, 3900),
		setRes(ResourcePorts, "22", "2375", "2376", "51678", "51679"),
		setRes(ResourcePortsUDP),
	}, extra...)
}

// wantError asserts err is an *Error with code and message.
func wantError(t *testing.T, err error, code Code, msg string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want %s: %s", err, code, msg)
	}
	if e.Code != code || e.Message != msg {
		t.Fatalf("got  %s: %s\nwant %s: %s", e.Code, e.Message, code, msg)
	}
}

func TestValidateTotalResources(t *testing.T) {
	const unknown = `Unknown resource %q. Valid resources: CPU, MEMORY, PORTS, PORTS_UDP.`
	tests := []struct {
		name string
		rs   []wire.Resource
		msg  string // "" when valid
	}{
		{name: "a typical agent registration", rs: agentResources()},
		{name: "CPU and MEMORY alone", rs: []wire.Resource{intRes(ResourceCPU, 1024), intRes(ResourceMemory, 2048)}},
		{name: "MEMORY before CPU", rs: []wire.Resource{intRes(ResourceMemory, 2048), intRes(ResourceCPU, 1024)}},
		{name: "CPU and MEMORY of 0", rs: []wire.Resource{intRes(ResourceCPU, 0), intRes(ResourceMemory, 0)}},
		{
			// aws-sdk-go-v2 omits an integerValue of 0: the model's default.
			name: "CPU without integerValue counts as 0",
			rs:   []wire.Resource{{Name: new(ResourceCPU), Type: new("INTEGER")}, intRes(ResourceMemory, 2048)},
		},
		{name: "ports 1 and 65535", rs: []wire.Resource{intRes(ResourceCPU, 1), intRes(ResourceMemory, 1), setRes(ResourcePorts, "1", "65535"), setRes(ResourcePortsUDP, "65535")}},
		{name: "empty port sets", rs: []wire.Resource{intRes(ResourceCPU, 1), intRes(ResourceMemory, 1), setRes(ResourcePorts), setRes(ResourcePortsUDP)}},
		{name: "no resources", rs: nil, msg: "totalResources must include CPU."},
		{name: "missing CPU", rs: agentResources()[1:], msg: "totalResources must include CPU."},
		{name: "missing MEMORY", rs: []wire.Resource{intRes(ResourceCPU, 2048), setRes(ResourcePorts, "22")}, msg: "totalResources must include MEMORY."},
		{name: "negative CPU", rs: []wire.Resource{intRes(ResourceCPU, -1), intRes(ResourceMemory, 2048)}, msg: "Resource CPU must have a non-negative integerValue."},
		{name: "negative MEMORY", rs: []wire.Resource{intRes(ResourceCPU, 1), intRes(ResourceMemory, -2048)}, msg: "Resource MEMORY must have a non-negative integerValue."},
		{name: "CPU twice", rs: agentResources(intRes(ResourceCPU, 1024)), msg: "Resource CPU is given more than once."},
		{name: "PORTS twice", rs: agentResources(setRes(ResourcePorts, "80")), msg: "Resource PORTS is given more than once."},
		{name: "unknown resource GPU", rs: agentResources(setRes("GPU", "gpu-0")), msg: fmt.Sprintf(unknown, "GPU")},
		{name: "lower-case cpu", rs: []wire.Resource{intRes("cpu", 1024), intRes(ResourceMemory, 2048)}, msg: fmt.Sprintf(unknown, "cpu")},
		{name: "resource without a name", rs: agentResources(wire.Resource{IntegerValue: new(int32(1))}), msg: fmt.Sprintf(unknown, "")},
		{name: "port 0", rs: []wire.Resource{intRes(ResourceCPU, 1), intRes(ResourceMemory, 1), setRes(ResourcePortsUDP, "53", "0")}, msg: `Resource PORTS_UDP has an invalid port "0".`},
		{name: "port 65536", rs: []wire.Resource{intRes(ResourceCPU, 1), intRes(ResourceMemory, 1), setRes(ResourcePorts, "65536")}, msg: `Resource PORTS has an invalid port "65536".`},
		{name: "port x", rs: []wire.Resource{intRes(ResourceCPU, 1), intRes(ResourceMemory, 1), setRes(ResourcePorts, "x")}, msg: `Resource PORTS has an invalid port "x".`},
		{name: "empty port", rs: []wire.Resource{intRes(ResourceCPU, 1), intRes(ResourceMemory, 1), setRes(ResourcePorts, "")}, msg: `Resource PORTS has an invalid port "".`},
		{name: "negative port", rs: []wire.Resource{intRes(ResourceCPU, 1), intRes(ResourceMemory, 1), setRes(ResourcePorts, "-1")}, msg: `Resource PORTS has an invalid port "-1".`},
		{name: "port with a sign", rs: []wire.Resource{intRes(ResourceCPU, 1), intRes(ResourceMemory, 1), setRes(ResourcePorts, "+80")}, msg: `Resource PORTS has an invalid port "+80".`},
		{name: "port of six digits", rs: []wire.Resource{intRes(ResourceCPU, 1), intRes(ResourceMemory, 1), setRes(ResourcePorts, "000080")}, msg: `Resource PORTS has an invalid port "000080".`},
		{name: "port range", rs: []wire.Resource{intRes(ResourceCPU, 1), intRes(ResourceMemory, 1), setRes(ResourcePorts, "80-90")}, msg: `Resource PORTS has an invalid port "80-90".`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateTotalResources(tt.rs)
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			wantError(t, err, CodeInvalidParameter, tt.msg)
		})
	}
}

func TestValidateAttribute(t *testing.T) {
	badName := func(name string) string {
		return fmt.Sprintf("Attribute name %q is not valid: up to 128 letters, numbers, hyphens, underscores, periods and slashes.", name)
	}
	badValue := func(name string) string {
		return fmt.Sprintf(`The value of attribute %q is not valid: up to 128 letters, numbers, spaces and the characters _ . / \ : @ -.`, name)
	}
	spaced := func(name string) string {
		return fmt.Sprintf("The value of attribute %q can't start or end with a space.", name)
	}
	long := strings.Repeat("n", 128)
	tests := []struct {
		name string
		attr wire.Attribute
		msg  string // "" when valid
	}{
		{name: "name and value", attr: wire.Attribute{Name: new("stack"), Value: new("prod")}},
		{name: "name without a value", attr: wire.Attribute{Name: new("gpu")}},
		{name: "empty value", attr: wire.Attribute{Name: new("gpu"), Value: new("")}},
		{name: "every character a name may have", attr: wire.Attribute{Name: new(`aZ09-_./\`)}},
		{name: "every character a value may have", attr: wire.Attribute{Name: new("v"), Value: new(`aZ09-_./\:@ x`)}},
		{name: "built-in name", attr: wire.Attribute{Name: new("ecs.availability-zone"), Value: new("us-east-1a")}},
		{name: "name of 128 characters", attr: wire.Attribute{Name: new(long)}},
		{name: "value of 128 characters", attr: wire.Attribute{Name: new("v"), Value: new(strings.Repeat("v", 128))}},
		{name: "target members are not checked here", attr: wire.Attribute{Name: new("v"), TargetId: new("?"), TargetType: "x"}},
		{name: "no name", attr: wire.Attribute{Value: new("x")}, msg: badName("")},
		{name: "empty name", attr: wire.Attribute{Name: new("")}, msg: badName("")},
		{name: "name of 129 characters", attr: wire.Attribute{Name: new(long + "n")}, msg: badName(long + "n")},
		{name: "name with a space", attr: wire.Attribute{Name: new("my attr")}, msg: badName("my attr")},
		{name: "name with a colon", attr: wire.Attribute{Name: new("a:b")}, msg: badName("a:b")},
		{name: "name with an at sign", attr: wire.Attribute{Name: new("a@b")}, msg: badName("a@b")},
		{name: "name with a non-ASCII letter", attr: wire.Attribute{Name: new("zoné")}, msg: badName("zoné")},
		{name: "value of 129 characters", attr: wire.Attribute{Name: new("v"), Value: new(strings.Repeat("v", 129))}, msg: badValue("v")},
		{name: "value with a comma", attr: wire.Attribute{Name: new("v"), Value: new("a,b")}, msg: badValue("v")},
		{name: "value with a tab", attr: wire.Attribute{Name: new("v"), Value: new("a\tb")}, msg: badValue("v")},
		{name: "value with a non-ASCII letter", attr: wire.Attribute{Name: new("v"), Value: new("zoné")}, msg: badValue("v")},
		{name: "value with a leading space", attr: wire.Attribute{Name: new("v"), Value: new(" prod")}, msg: spaced("v")},
		{name: "value with a trailing space", attr: wire.Attribute{Name: new("v"), Value: new("prod ")}, msg: spaced("v")},
		{name: "value of one space", attr: wire.Attribute{Name: new("v"), Value: new(" ")}, msg: spaced("v")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateAttribute(tt.attr)
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			wantError(t, err, CodeInvalidParameter, tt.msg)
		})
	}
}

// attrs builds attributes from name, value pairs; a value "-" means none.
func attrs(nv ...string) []wire.Attribute {
	out := make([]wire.Attribute, 0, len(nv)/2)
	for i := 0; i < len(nv); i += 2 {
		a := wire.Attribute{Name: new(nv[i])}
		if nv[i+1] != "-" {
			a.Value = new(nv[i+1])
		}
		out = append(out, a)
	}
	return out
}

// pairs renders attributes as name=value (name alone without a value),
// showing the target members when set.
func pairs(as []wire.Attribute) []string {
	out := []string{}
	for _, a := range as {
		s := str(a.Name)
		if a.Value != nil {
			s += "=" + *a.Value
		}
		if a.TargetId != nil || a.TargetType != "" {
			s += fmt.Sprintf(" (target %s %s)", str(a.TargetId), a.TargetType)
		}
		out = append(out, s)
	}
	return out
}

func TestSetAttribute(t *testing.T) {
	tests := []struct {
		name string
		cur  []wire.Attribute
		set  wire.Attribute
		want []string
	}{
		{name: "adds to nothing", set: attrs("stack", "prod")[0], want: []string{"stack=prod"}},
		{name: "adds a new name at the end", cur: attrs("a", "1", "b", "2"), set: attrs("c", "3")[0], want: []string{"a=1", "b=2", "c=3"}},
		{name: "replaces the value in place", cur: attrs("a", "1", "b", "2", "c", "3"), set: attrs("b", "two")[0], want: []string{"a=1", "b=two", "c=3"}},
		{name: "replaces a value with none", cur: attrs("a", "1", "b", "2"), set: attrs("a", "-")[0], want: []string{"a", "b=2"}},
		{name: "gives a value to an attribute without one", cur: attrs("gpu", "-"), set: attrs("gpu", "yes")[0], want: []string{"gpu=yes"}},
		{
			name: "keeps only name and value of what it adds",
			cur:  attrs("a", "1"),
			set:  wire.Attribute{Name: new("b"), Value: new("2"), TargetId: new("0123456789abcdef0123456789abcdef"), TargetType: wire.TargetTypeContainerInstance},
			want: []string{"a=1", "b=2"},
		},
		{name: "names are case-sensitive", cur: attrs("Stack", "prod"), set: attrs("stack", "dev")[0], want: []string{"Stack=prod", "stack=dev"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := pairs(tt.cur)
			got := SetAttribute(tt.cur, tt.set)
			if !reflect.DeepEqual(pairs(got), tt.want) {
				t.Fatalf("SetAttribute = %v, want %v", pairs(got), tt.want)
			}
			if after := pairs(tt.cur); !reflect.DeepEqual(after, before) {
				t.Fatalf("SetAttribute changed its input: %v, was %v", after, before)
			}
		})
	}
}

func TestRemoveAttribute(t *testing.T) {
	tests := []struct {
		name   string
		cur    []wire.Attribute
		remove string
		want   []string
	}{
		{name: "removes the named attribute and keeps the order", cur: attrs("a", "1", "b", "2", "c", "3"), remove: "b", want: []string{"a=1", "c=3"}},
		{name: "removes an attribute without a value", cur: attrs("a", "-", "b", "2"), remove: "a", want: []string{"b=2"}},
		{name: "an unknown name changes nothing", cur: attrs("a", "1"), remove: "z", want: []string{"a=1"}},
		{name: "names are case-sensitive", cur: attrs("a", "1"), remove: "A", want: []string{"a=1"}},
		{name: "from nothing", remove: "a", want: []string{}},
		{name: "the last attribute", cur: attrs("a", "1"), remove: "a", want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := pairs(tt.cur)
			got := RemoveAttribute(tt.cur, tt.remove)
			if !reflect.DeepEqual(pairs(got), tt.want) {
				t.Fatalf("RemoveAttribute = %v, want %v", pairs(got), tt.want)
			}
			if after := pairs(tt.cur); !reflect.DeepEqual(after, before) {
				t.Fatalf("RemoveAttribute changed its input: %v, was %v", after, before)
			}
		})
	}
}

func TestBuiltinAttribute(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"ecs.availability-zone", true},
		{"ecs.instance-type", true},
		{"ecs.capability.docker-remote-api.1.44", true},
		{"com.amazonaws.ecs.capability.logging-driver.awslogs", true},
		{"ecs.", true},
		{"stack", false},
		{"ecs", false},
		{"ecsx.y", false},
		{"ECS.os-type", false},
		{"my.ecs.attribute", false},
		{"com.amazonaws.ec2.x", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.name), func(t *testing.T) {
			if got := BuiltinAttribute(tt.name); got != tt.want {
				t.Fatalf("BuiltinAttribute(%q) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

func TestCustomAttributeCount(t *testing.T) {
	tests := []struct {
		name  string
		attrs []wire.Attribute
		want  int
	}{
		{name: "none", want: 0},
		{name: "built-in only", attrs: attrs("ecs.os-type", "linux", "com.amazonaws.ecs.capability.privileged-container", "-"), want: 0},
		{name: "custom only", attrs: attrs("a", "1", "b", "-"), want: 2},
		{name: "mixed", attrs: attrs("ecs.os-type", "linux", "stack", "prod", "ecs.instance-type", "t3.medium", "team", "-"), want: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CustomAttributeCount(tt.attrs); got != tt.want {
				t.Fatalf("CustomAttributeCount(%v) = %d, want %d", pairs(tt.attrs), got, tt.want)
			}
		})
	}
}

// resources renders resources as name:type=value for comparison: an
// integer, or the set in its order.
func resources(rs []wire.Resource) []string {
	out := []string{}
	for _, r := range rs {
		s := str(r.Name) + ":" + str(r.Type) + "="
		switch {
		case r.IntegerValue != nil:
			s += fmt.Sprint(*r.IntegerValue)
		case r.StringSetValue != nil:
			s += "{" + strings.Join(r.StringSetValue, ",") + "}"
		default:
			s += "none"
		}
		out = append(out, s)
	}
	return out
}

func TestRebaseResources(t *testing.T) {
	tests := []struct {
		name                   string
		oldReg, oldRem, newReg []wire.Resource
		want                   []string
	}{
		{
			// The doc comment's worked example.
			name:   "a task's CPU hold and port stay held when the registration grows",
			oldReg: []wire.Resource{intRes(ResourceCPU, 2048), setRes(ResourcePorts, "22")},
			oldRem: []wire.Resource{intRes(ResourceCPU, 1536), setRes(ResourcePorts, "22", "8080")},
			newReg: []wire.Resource{intRes(ResourceCPU, 4096), setRes(ResourcePorts, "22", "2375")},
			want:   []string{"CPU:INTEGER=3584", "PORTS:STRINGSET={22,2375,8080}"},
		},
		{
			name:   "nothing held: remaining is the new registration",
			oldReg: agentResources(),
			oldRem: agentResources(),
			newReg: []wire.Resource{intRes(ResourceCPU, 4096), intRes(ResourceMemory, 7800), setRes(ResourcePorts, "22"), setRes(ResourcePortsUDP, "53")},
			want:   []string{"CPU:INTEGER=4096", "MEMORY:INTEGER=7800", "PORTS:STRINGSET={22}", "PORTS_UDP:STRINGSET={53}"},
		},
		{
			name:   "holds survive a smaller registration",
			oldReg: []wire.Resource{intRes(ResourceCPU, 2048), intRes(ResourceMemory, 3900)},
			oldRem: []wire.Resource{intRes(ResourceCPU, 1024), intRes(ResourceMemory, 2900)},
			newReg: []wire.Resource{intRes(ResourceCPU, 1024), intRes(ResourceMemory, 1900)},
			want:   []string{"CPU:INTEGER=0", "MEMORY:INTEGER=900"},
		},
		{
			name:   "resources absent before are taken as registered",
			oldReg: []wire.Resource{intRes(ResourceCPU, 2048), intRes(ResourceMemory, 3900)},
			oldRem: []wire.Resource{intRes(ResourceCPU, 1536), intRes(ResourceMemory, 3900)},
			newReg: []wire.Resource{intRes(ResourceCPU, 2048), intRes(ResourceMemory, 3900), setRes(ResourcePorts, "22"), setRes(ResourcePortsUDP)},
			want:   []string{"CPU:INTEGER=1536", "MEMORY:INTEGER=3900", "PORTS:STRINGSET={22}", "PORTS_UDP:STRINGSET={}"},
		},
		{
			name:   "a resource registered but not remaining is taken as registered",
			oldReg: []wire.Resource{intRes(ResourceCPU, 2048), intRes(ResourceMemory, 3900)},
			oldRem: []wire.Resource{intRes(ResourceMemory, 3000)},
			newReg: []wire.Resource{intRes(ResourceCPU, 1024), intRes(ResourceMemory, 3900)},
			want:   []string{"CPU:INTEGER=1024", "MEMORY:INTEGER=3000"},
		},
		{
			name:   "nothing registered before",
			newReg: agentResources(),
			want:   resources(agentResources()),
		},
		{
			name:   "resources no longer registered are dropped",
			oldReg: agentResources(),
			oldRem: agentResources(),
			newReg: []wire.Resource{intRes(ResourceCPU, 2048), intRes(ResourceMemory, 3900)},
			want:   []string{"CPU:INTEGER=2048", "MEMORY:INTEGER=3900"},
		},
		{
			name:   "the order is the new registration's",
			oldReg: []wire.Resource{intRes(ResourceCPU, 2048), intRes(ResourceMemory, 3900)},
			oldRem: []wire.Resource{intRes(ResourceCPU, 2048), intRes(ResourceMemory, 3400)},
			newReg: []wire.Resource{intRes(ResourceMemory, 3900), intRes(ResourceCPU, 2048)},
			want:   []string{"MEMORY:INTEGER=3400", "CPU:INTEGER=2048"},
		},
		{
			name:   "a held port that is now reserved is listed once",
			oldReg: []wire.Resource{setRes(ResourcePorts, "22")},
			oldRem: []wire.Resource{setRes(ResourcePorts, "22", "8080", "9090")},
			newReg: []wire.Resource{setRes(ResourcePorts, "8080", "22")},
			want:   []string{"PORTS:STRINGSET={8080,22,9090}"},
		},
		{
			name:   "a reserved port dropped from the registration is freed",
			oldReg: []wire.Resource{setRes(ResourcePortsUDP, "53", "123")},
			oldRem: []wire.Resource{setRes(ResourcePortsUDP, "53", "123", "5000")},
			newReg: []wire.Resource{setRes(ResourcePortsUDP, "53")},
			want:   []string{"PORTS_UDP:STRINGSET={53,5000}"},
		},
		{
			name:   "held ports join an empty registration",
			oldReg: []wire.Resource{setRes(ResourcePorts)},
			oldRem: []wire.Resource{setRes(ResourcePorts, "8080")},
			newReg: []wire.Resource{setRes(ResourcePorts)},
			want:   []string{"PORTS:STRINGSET={8080}"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inputs := [][]string{resources(tt.oldReg), resources(tt.oldRem), resources(tt.newReg)}
			got := RebaseResources(tt.oldReg, tt.oldRem, tt.newReg)
			if !reflect.DeepEqual(resources(got), tt.want) {
				t.Fatalf("RebaseResources = %v, want %v", resources(got), tt.want)
			}
			if after := [][]string{resources(tt.oldReg), resources(tt.oldRem), resources(tt.newReg)}; !reflect.DeepEqual(after, inputs) {
				t.Fatalf("RebaseResources changed its inputs: %v, were %v", after, inputs)
			}
		})
	}
}
