package ecs

import (
	"regexp"
	"strings"
	"time"

	"github.com/berth-org/berth/internal/wire"
)

// InstanceStatus is a container instance's status, persisted by name.
type InstanceStatus string

// Container instance statuses berth uses. ECS also has REGISTERING,
// DEREGISTERING and REGISTRATION_FAILED for its ENI-trunking flow, which
// berth does not have: registration and deregistration are atomic here.
const (
	InstanceActive   InstanceStatus = "ACTIVE"
	InstanceDraining InstanceStatus = "DRAINING"
	InstanceInactive InstanceStatus = "INACTIVE"
)

// Resource names ECS uses for an instance's registered and remaining
// resources.
const (
	ResourceCPU      = "CPU"
	ResourceMemory   = "MEMORY"
	ResourcePorts    = "PORTS"
	ResourcePortsUDP = "PORTS_UDP"
)

// ContainerInstance is a machine registered into a cluster, as stored.
//
// Writers: Status by RegisterContainerInstance, UpdateContainerInstancesState
// and DeregisterContainerInstance; AgentConnected, DisconnectedAt and
// DowntimeAtDisconnect by the agent session layer only (and
// AgentConnected by a deregistration, which ends the instance);
// Remaining by task placement and release only. Every change bumps
// Version, which ECS reports and placement compares.
type ContainerInstance struct {
	ID            string         `json:"id"`
	ARN           string         `json:"arn"`
	Cluster       string         `json:"cluster"`
	EC2InstanceID string         `json:"ec2InstanceId"`
	Status        InstanceStatus `json:"status"`
	StatusReason  string         `json:"statusReason,omitempty"`
	Version       int64          `json:"version"`
	RegisteredAt  time.Time      `json:"registeredAt"`

	// Registered is what the instance offers; Remaining is Registered minus
	// what placed tasks hold.
	Registered []wire.Resource `json:"registered"`
	Remaining  []wire.Resource `json:"remaining"`

	// Attributes are the instance's own (ecs.*, reported at registration)
	// and custom ones (PutAttributes), each with Name and Value only.
	Attributes     []wire.Attribute  `json:"attributes,omitempty"`
	VersionInfo    *wire.VersionInfo `json:"versionInfo,omitempty"`
	AgentConnected bool              `json:"agentConnected"`
	// DisconnectedAt is when the agent was last marked disconnected; zero
	// while it is connected (and for an instance whose agent has not been
	// seen leaving). DowntimeAtDisconnect is how long the control plane
	// had been down in all (store.Downtime) at that moment, so that the
	// time the agent has been away, the control plane's own outages not
	// counted, is (now − DisconnectedAt) − (downtime now −
	// DowntimeAtDisconnect). Neither is on the ECS wire: they decide when
	// the instance is lost (ecs.ClusterSettingLostInstanceTimeout).
	DisconnectedAt       time.Time     `json:"disconnectedAt,omitzero"`
	DowntimeAtDisconnect time.Duration `json:"downtimeAtDisconnect,omitzero"`
	Tags                 []Tag         `json:"tags,omitempty"`

	// AgentTokenHash is the SHA-256 (hex) of the credential the instance's
	// agent authenticates with; the agent alone holds the token itself.
	AgentTokenHash string `json:"agentTokenHash,omitempty"`
}

// Attribute limits (PutAttributes in the ECS model and developer guide).
const (
	MaxCustomAttributes     = 10
	MaxAttributesPerCall    = 10
	maxAttributeNameLength  = 128
	maxAttributeValueLength = 128
)

// Attribute names: "Up to 128 letters (uppercase and lowercase), numbers,
// hyphens, underscores, forward slashes, back slashes, or periods";
// values add spaces, colons, at signs and a few more (ECS developer guide,
// "Attributes").
var (
	attributeNamePattern  = regexp.MustCompile(`^[a-zA-Z0-9_./\\-]+$`)
	attributeValuePattern = regexp.MustCompile(`^[a-zA-Z0-9_./\\:@ -]*$`)
)

// BuiltinAttribute reports whether name is set by the agent rather than by
// PutAttributes; such attributes do not count toward the custom limit.
func BuiltinAttribute(name string) bool {
	return strings.HasPrefix(name, "ecs.") || strings.HasPrefix(name, "com.amazonaws.ecs.")
}

// ValidateAttribute checks one attribute's name and value.
func ValidateAttribute(a wire.Attribute) error {
	name, value := str(a.Name), str(a.Value)
	switch {
	case name == "" || len(name) > maxAttributeNameLength || !attributeNamePattern.MatchString(name):
		return InvalidParameter("Attribute name %q is not valid: up to %d letters, numbers, hyphens, underscores, periods and slashes.", name, maxAttributeNameLength)
	case len(value) > maxAttributeValueLength || !attributeValuePattern.MatchString(value):
		return InvalidParameter("The value of attribute %q is not valid: up to %d letters, numbers, spaces and the characters _ . / \\ : @ -.", name, maxAttributeValueLength)
	case strings.TrimSpace(value) != value:
		// "The value can't start or end with a space" (ECS API reference,
		// Attribute).
		return InvalidParameter("The value of attribute %q can't start or end with a space.", name)
	}
	return nil
}

// SetAttribute returns attrs with a added, or its value replaced.
func SetAttribute(attrs []wire.Attribute, a wire.Attribute) []wire.Attribute {
	out := append([]wire.Attribute(nil), attrs...)
	for i := range out {
		if str(out[i].Name) == str(a.Name) {
			out[i].Value = a.Value
			return out
		}
	}
	return append(out, wire.Attribute{Name: a.Name, Value: a.Value})
}

// RemoveAttribute returns attrs without the named attribute.
func RemoveAttribute(attrs []wire.Attribute, name string) []wire.Attribute {
	out := make([]wire.Attribute, 0, len(attrs))
	for _, a := range attrs {
		if str(a.Name) != name {
			out = append(out, a)
		}
	}
	return out
}

// CustomAttributeCount counts attributes PutAttributes may add.
func CustomAttributeCount(attrs []wire.Attribute) int {
	n := 0
	for _, a := range attrs {
		if !BuiltinAttribute(str(a.Name)) {
			n++
		}
	}
	return n
}

// ValidateTotalResources checks RegisterContainerInstance's totalResources:
// CPU and MEMORY are required non-negative integers; PORTS and PORTS_UDP,
// when present, are sets of reserved port numbers. An absent integerValue
// is 0: integerValue is a primitive with default 0 in the ECS model, and
// aws-sdk-go-v2 omits it when it is 0.
func ValidateTotalResources(rs []wire.Resource) error {
	seen := map[string]bool{}
	for _, r := range rs {
		name := str(r.Name)
		if seen[name] {
			return InvalidParameter("Resource %s is given more than once.", name)
		}
		seen[name] = true
		switch name {
		case ResourceCPU, ResourceMemory:
			if r.IntegerValue != nil && *r.IntegerValue < 0 {
				return InvalidParameter("Resource %s must have a non-negative integerValue.", name)
			}
		case ResourcePorts, ResourcePortsUDP:
			for _, p := range r.StringSetValue {
				if !validPort(p) {
					return InvalidParameter("Resource %s has an invalid port %q.", name, p)
				}
			}
		default:
			return InvalidParameter("Unknown resource %q. Valid resources: CPU, MEMORY, PORTS, PORTS_UDP.", name)
		}
	}
	for _, name := range []string{ResourceCPU, ResourceMemory} {
		if !seen[name] {
			return InvalidParameter("totalResources must include %s.", name)
		}
	}
	return nil
}

func validPort(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n >= 1 && n <= 65535
}

// RebaseResources returns an instance's remaining resources after its
// registered resources change from oldReg to newReg (an agent
// re-registering with another --cpu, say) while its tasks keep what they
// hold. For CPU and MEMORY a task's hold is subtracted from what remains;
// for PORTS and PORTS_UDP, ECS lists the ports in use, so a task's ports are
// added to the reserved ones.
//
// Worked example: registered CPU 2048, remaining 1536 (a task holds 512).
// Re-registered with CPU 4096: remaining = 4096 − (2048 − 1536) = 3584.
// Ports: registered {22}, remaining {22, 8080} (a task holds 8080);
// re-registered with {22, 2375}: remaining = {22, 2375, 8080}.
func RebaseResources(oldReg, oldRem, newReg []wire.Resource) []wire.Resource {
	out := make([]wire.Resource, 0, len(newReg))
	for _, r := range newReg {
		name := str(r.Name)
		before, after := findResource(oldReg, name), findResource(oldRem, name)
		switch {
		case before == nil || after == nil:
			out = append(out, r)
		case r.IntegerValue != nil:
			held := intValue(before) - intValue(after)
			v := *r.IntegerValue - held
			out = append(out, wire.Resource{Name: r.Name, Type: r.Type, IntegerValue: &v})
		default:
			inUse := setDiff(after.StringSetValue, before.StringSetValue)
			out = append(out, wire.Resource{Name: r.Name, Type: r.Type, StringSetValue: setUnion(r.StringSetValue, inUse)})
		}
	}
	return out
}

func findResource(rs []wire.Resource, name string) *wire.Resource {
	for i := range rs {
		if str(rs[i].Name) == name {
			return &rs[i]
		}
	}
	return nil
}

func intValue(r *wire.Resource) int32 {
	if r.IntegerValue == nil {
		return 0
	}
	return *r.IntegerValue
}

func setDiff(a, b []string) []string {
	drop := map[string]bool{}
	for _, s := range b {
		drop[s] = true
	}
	var out []string
	for _, s := range a {
		if !drop[s] {
			out = append(out, s)
		}
	}
	return out
}

func setUnion(a, b []string) []string {
	out := append([]string{}, a...)
	have := map[string]bool{}
	for _, s := range a {
		have[s] = true
	}
	for _, s := range b {
		if !have[s] {
			out = append(out, s)
			have[s] = true
		}
	}
	return out
}
