package dockerrt

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
)

// The ECS ephemeral host-port range that dynamic port mappings draw from
// (the ECS agent's default ECS_DYNAMIC_HOST_PORT_RANGE).
const (
	ephemeralFirst = 49153
	ephemeralLast  = 65535
)

// errNoFreePort says every port of the ephemeral range is in use.
var errNoFreePort = errors.New("no free host port in the ephemeral range 49153-65535")

// A portAllocator chooses the host port of a mapping whose hostPort is 0
// or absent in bridge mode. containerSpec calls Allocate; the runtime
// releases what a container held when the container is removed, or when
// its creation fails.
type portAllocator interface {
	// Allocate returns a host port, free on hostIP for proto ("tcp" or
	// "udp"), and reserves it for owner (the container's name).
	Allocate(owner, hostIP, proto string) (uint16, error)
}

// portKey is one reserved host port.
type portKey struct {
	proto string
	port  uint16
}

// hostPorts is the process-wide portAllocator. A port is handed out when
// it is not reserved here and a brief listen on hostIP succeeds; it stays
// reserved until Release, so two containers created back to back, before
// either starts and binds its port, never get the same one.
//
// The small race: between the probe and the container's start another
// process on the host (or another agent sharing the engine) may bind the
// port. Docker then fails the start ("port is already allocated" or
// "address already in use"); Start returns ErrStart and the agent reports
// the container stopped, as the ECS agent does. The reservation set is
// lost when the agent restarts; ports of containers that are running are
// still seen by the probe, because Docker's userland proxy listens on
// them (with --userland-proxy=false only iptables holds them and the
// probe cannot see them).
type hostPorts struct {
	mu       sync.Mutex
	reserved map[portKey]string // → owner
	// listen probes one port; replaced in tests.
	listen func(proto, addr string) error
}

func newHostPorts() *hostPorts {
	return &hostPorts{reserved: map[portKey]string{}, listen: probeListen}
}

// Allocate scans the range from a random start, so that successive
// agents (and successive runs of the same agent) do not all try 49153
// first.
func (h *hostPorts) Allocate(owner, hostIP, proto string) (uint16, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	const n = ephemeralLast - ephemeralFirst + 1
	start := rand.IntN(n)
	for i := range n {
		port := uint16(ephemeralFirst + (start+i)%n)
		k := portKey{proto, port}
		if _, taken := h.reserved[k]; taken {
			continue
		}
		if h.listen(proto, net.JoinHostPort(hostIP, strconv.Itoa(int(port)))) != nil {
			continue
		}
		h.reserved[k] = owner
		return port, nil
	}
	return 0, fmt.Errorf("%w (%s on %s)", errNoFreePort, proto, hostIP)
}

// Release frees every port reserved for owner.
func (h *hostPorts) Release(owner string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, o := range h.reserved {
		if o == owner {
			delete(h.reserved, k)
		}
	}
}

// free frees the given ports, whoever holds them: the ports allocated
// for a container whose creation then failed. (Release by owner would
// also free the ports of an existing container of the same name.)
func (h *hostPorts) free(keys []portKey) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range keys {
		delete(h.reserved, k)
	}
}

// probeListen reports whether addr can be bound for proto, and releases
// it at once.
func probeListen(proto, addr string) error {
	if proto == "udp" {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return err
		}
		return pc.Close()
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return l.Close()
}
