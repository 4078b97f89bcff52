package dockerrt

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/berth-org/berth/internal/agent"
	"github.com/berth-org/berth/internal/wire"
)

// networkMode maps the task's network mode to the engine's built-in
// network of the same name. awsvpc never reaches the runtime.
func networkMode(m wire.NetworkMode) (container.NetworkMode, error) {
	switch m {
	case "", wire.NetworkModeBridge:
		return network.NetworkBridge, nil
	case wire.NetworkModeHost:
		return network.NetworkHost, nil
	case wire.NetworkModeNone:
		return network.NetworkNone, nil
	default:
		return "", createErr("network mode %q is not supported by berth's Docker runtime", m)
	}
}

// ports is the port part of a create request.
type ports struct {
	exposed  network.PortSet
	bindings network.PortMap
	dynamic  []portKey
}

// portSpec translates portMappings.
//
//   - bridge: hostPort > 0 publishes that port on c.HostIP; hostPort 0 or
//     absent publishes a port allocated from the ephemeral range.
//   - host: the container's port is the host's; hostPort, if given, must
//     equal containerPort. Nothing is published.
//   - none: there is nothing to map to, so mappings are refused.
//
// Example: HostIP 127.0.0.1, bridge, [{containerPort 80}, {containerPort
// 53, hostPort 5353, protocol udp}] → 80/tcp on 127.0.0.1:<allocated, e.g.
// 49731>, 53/udp on 127.0.0.1:5353.
func portSpec(c agent.ContainerConfig, alloc portAllocator) (ports, error) {
	var p ports
	mappings := c.Def.PortMappings
	if len(mappings) == 0 {
		return p, nil
	}
	mode, err := networkMode(c.NetworkMode)
	if err != nil {
		return p, err
	}
	if mode == network.NetworkNone {
		return p, createErr("portMappings need bridge or host network mode, not none")
	}
	hostIP, err := parseHostIP(c.HostIP)
	if err != nil {
		return p, err
	}
	p.exposed = network.PortSet{}
	if mode == network.NetworkBridge {
		p.bindings = network.PortMap{}
	}
	for _, pm := range mappings {
		cp, proto, err := containerPort(pm)
		if err != nil {
			return p, err
		}
		p.exposed[cp] = struct{}{}
		hostPort := i32(pm.HostPort)
		if mode == network.NetworkHost {
			if hostPort != 0 && hostPort != i32(pm.ContainerPort) {
				return p, createErr("in host network mode hostPort (%d) must equal containerPort (%d)", hostPort, i32(pm.ContainerPort))
			}
			continue
		}
		if hostPort < 0 || hostPort > 65535 {
			return p, createErr("hostPort %d is out of range", hostPort)
		}
		if hostPort == 0 {
			port, err := alloc.Allocate(c.Name, c.HostIP, proto)
			if err != nil {
				return p, createErr("dynamic host port for %s: %v", cp, err)
			}
			p.dynamic = append(p.dynamic, portKey{proto, port})
			hostPort = int32(port)
		}
		p.bindings[cp] = append(p.bindings[cp], network.PortBinding{HostIP: hostIP, HostPort: strconv.Itoa(int(hostPort))})
	}
	return p, nil
}

// containerPort is a mapping's container side; protocol defaults to tcp.
func containerPort(pm wire.PortMapping) (network.Port, string, error) {
	n := i32(pm.ContainerPort)
	if n < 1 || n > 65535 {
		return network.Port{}, "", createErr("portMappings.containerPort %d is out of range", n)
	}
	proto := string(pm.Protocol)
	switch pm.Protocol {
	case "":
		proto = string(wire.TransportProtocolTcp)
	case wire.TransportProtocolTcp, wire.TransportProtocolUdp:
	default:
		return network.Port{}, "", createErr("portMappings.protocol %q is not tcp or udp", pm.Protocol)
	}
	port, _ := network.PortFrom(uint16(n), network.IPProtocol(proto)) // proto is never empty
	return port, proto, nil
}

// parseHostIP parses the address ports are published on; "" publishes on
// every address, as Docker does.
func parseHostIP(s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, createErr("host IP: %v", err)
	}
	return a, nil
}

// linkSpec translates links ("name" or "name:alias", naming another
// container of the task) into Docker links to that container's engine
// name. It relies on agent.ContainerConfig's naming contract, "berth-<task
// id>-<container name>", since the config carries no map for links as it
// does for volumesFrom. Links exist only on the default bridge network.
func linkSpec(c agent.ContainerConfig, mode container.NetworkMode) ([]string, error) {
	if len(c.Def.Links) == 0 {
		return nil, nil
	}
	if mode != network.NetworkBridge {
		return nil, createErr("links need bridge network mode, not %s", mode)
	}
	var out []string
	for _, l := range c.Def.Links {
		name, alias, _ := strings.Cut(l, ":")
		if name == "" {
			return nil, createErr("link %q names no container", l)
		}
		if alias == "" {
			alias = name
		}
		out = append(out, "berth-"+c.TaskID+"-"+name+":"+alias)
	}
	return out, nil
}
