package simrt

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/berth-org/berth/internal/agent"
	"github.com/berth-org/berth/internal/wire"
)

// The ECS ephemeral host-port range dynamic port mappings draw from (the
// ECS agent's default ECS_DYNAMIC_HOST_PORT_RANGE), as in dockerrt.
const (
	ephemeralFirst = 49153
	ephemeralLast  = 65535
)

// anyAddress is the bind IP of a port published on every address.
const anyAddress = "0.0.0.0"

// portKey is one host port.
type portKey struct {
	proto wire.TransportProtocol
	port  int32
}

// hostPorts are the host ports one simulated instance has handed out.
// Dynamic ports are handed out in order from a cursor that wraps, so a
// port freed is reused last: 49153, 49154, ... on a fresh instance.
type hostPorts struct {
	held   map[portKey]struct{}
	cursor int32 // offset of the next dynamic port to try
}

func newHostPorts() hostPorts { return hostPorts{held: map[portKey]struct{}{}} }

// bind validates c's portMappings and holds their host ports, returning
// the network bindings the container reports while it runs (sorted by
// container port, protocol and bind IP, as dockerrt's) and the ports
// held. On error nothing is held; the error wraps agent.ErrCreate.
//
// Example: HostIP 127.0.0.1, bridge, [{containerPort 80}, {containerPort
// 53, hostPort 5353, protocol udp}] on a fresh instance → 53/udp on
// 127.0.0.1:5353, 80/tcp on 127.0.0.1:49153.
func (h *hostPorts) bind(c agent.ContainerConfig) ([]wire.NetworkBinding, []portKey, error) {
	if len(c.Def.PortMappings) == 0 {
		return nil, nil, nil
	}
	host, err := hostMode(c.NetworkMode)
	if err != nil {
		return nil, nil, err
	}
	bindIP := cmp.Or(c.HostIP, anyAddress)
	if host {
		bindIP = anyAddress
	}
	var (
		out  []wire.NetworkBinding
		held []portKey
	)
	for _, pm := range c.Def.PortMappings {
		k, containerPort, err := h.take(pm, host)
		if err != nil {
			h.release(held)
			return nil, nil, err
		}
		held = append(held, k)
		out = append(out, wire.NetworkBinding{BindIP: &bindIP, ContainerPort: &containerPort, HostPort: &k.port, Protocol: k.proto})
	}
	slices.SortFunc(out, func(a, b wire.NetworkBinding) int {
		return cmp.Or(cmp.Compare(*a.ContainerPort, *b.ContainerPort), strings.Compare(string(a.Protocol), string(b.Protocol)))
	})
	return out, held, nil
}

// hostMode reports whether mappings publish on the host's own network
// (host mode) rather than through a bridge.
func hostMode(m wire.NetworkMode) (bool, error) {
	switch m {
	case "", wire.NetworkModeBridge:
		return false, nil
	case wire.NetworkModeHost:
		return true, nil
	case wire.NetworkModeNone:
		return false, fmt.Errorf("%w: portMappings need bridge or host network mode, not none", agent.ErrCreate)
	default:
		return false, fmt.Errorf("%w: network mode %q is not supported by berth's runtimes", agent.ErrCreate, m)
	}
}

// take validates one mapping and holds its host port.
func (h *hostPorts) take(pm wire.PortMapping, host bool) (portKey, int32, error) {
	containerPort := i32(pm.ContainerPort)
	if containerPort < 1 || containerPort > 65535 {
		return portKey{}, 0, fmt.Errorf("%w: portMappings.containerPort %d is out of range", agent.ErrCreate, containerPort)
	}
	k := portKey{proto: cmp.Or(pm.Protocol, wire.TransportProtocolTcp), port: i32(pm.HostPort)}
	if k.proto != wire.TransportProtocolTcp && k.proto != wire.TransportProtocolUdp {
		return portKey{}, 0, fmt.Errorf("%w: portMappings.protocol %q is not tcp or udp", agent.ErrCreate, pm.Protocol)
	}
	switch {
	case host && k.port != 0 && k.port != containerPort:
		return portKey{}, 0, fmt.Errorf("%w: in host network mode hostPort (%d) must equal containerPort (%d)", agent.ErrCreate, k.port, containerPort)
	case host:
		k.port = containerPort
	case k.port < 0 || k.port > 65535:
		return portKey{}, 0, fmt.Errorf("%w: hostPort %d is out of range", agent.ErrCreate, k.port)
	case k.port == 0:
		port, ok := h.allocate(k.proto)
		if !ok {
			return portKey{}, 0, fmt.Errorf("%w: no free host port in the ephemeral range %d-%d (%s)", agent.ErrCreate, ephemeralFirst, ephemeralLast, k.proto)
		}
		k.port = port
	}
	if _, taken := h.held[k]; taken {
		return portKey{}, 0, fmt.Errorf("%w: host port %d/%s is already allocated", agent.ErrCreate, k.port, k.proto)
	}
	h.held[k] = struct{}{}
	return k, containerPort, nil
}

// allocate finds the next free ephemeral port for proto.
func (h *hostPorts) allocate(proto wire.TransportProtocol) (int32, bool) {
	const n = ephemeralLast - ephemeralFirst + 1
	for i := range int32(n) {
		off := (h.cursor + i) % n
		if _, taken := h.held[portKey{proto, ephemeralFirst + off}]; !taken {
			h.cursor = (off + 1) % n
			return ephemeralFirst + off, true
		}
	}
	return 0, false
}

func (h *hostPorts) release(keys []portKey) {
	for _, k := range keys {
		delete(h.held, k)
	}
}

func i32(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}
