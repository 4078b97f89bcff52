package dockerrt

import (
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// onlyFree is a probe under which only the given ports are free.
func onlyFree(ports ...uint16) func(proto, addr string) error {
	return func(_, addr string) error {
		ap := netip.MustParseAddrPort(addr)
		for _, p := range ports {
			if ap.Port() == p {
				return nil
			}
		}
		return errors.New("address already in use")
	}
}

func TestHostPortsHandsOutOnlyFreeUnreservedPorts(t *testing.T) {
	h := newHostPorts()
	h.listen = onlyFree(50000, 60000)
	allocate := func(owner, proto string) uint16 {
		t.Helper()
		p, err := h.Allocate(owner, "127.0.0.1", proto)
		if err != nil {
			t.Fatalf("Allocate(%s, %s): %v", owner, proto, err)
		}
		return p
	}

	a, b := allocate("berth-t1-a", "tcp"), allocate("berth-t1-b", "tcp")
	if diff := cmp.Diff([]uint16{50000, 60000}, []uint16{min(a, b), max(a, b)}); diff != "" {
		t.Fatalf("the two free ports (-want +got):\n%s", diff)
	}
	if _, err := h.Allocate("berth-t1-c", "127.0.0.1", "tcp"); !errors.Is(err, errNoFreePort) {
		t.Fatalf("third tcp allocation: got %v, want errNoFreePort", err)
	}
	allocate("berth-t1-c", "udp") // a udp port is not the tcp port of the same number

	h.Release("berth-t1-a")
	if got := allocate("berth-t1-d", "tcp"); got != a {
		t.Fatalf("after Release of a's owner: got %d, want a's %d", got, a)
	}
	h.free([]portKey{{"tcp", b}})
	if got := allocate("berth-t1-e", "tcp"); got != b {
		t.Fatalf("after free(b): got %d, want %d", got, b)
	}
}

func TestProbeListenSeesBoundPorts(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcpAddr, udpAddr := l.Addr().String(), pc.LocalAddr().String()
	busyTCP, busyUDP := probeListen("tcp", tcpAddr), probeListen("udp", udpAddr)
	if err := errors.Join(l.Close(), pc.Close()); err != nil {
		t.Fatal(err)
	}
	got := []bool{busyTCP != nil, busyUDP != nil, probeListen("tcp", tcpAddr) == nil, probeListen("udp", udpAddr) == nil}
	if diff := cmp.Diff([]bool{true, true, true, true}, got); diff != "" {
		t.Fatalf("[tcp busy, udp busy, tcp free after close, udp free after close] (-want +got):\n%s", diff)
	}
}
