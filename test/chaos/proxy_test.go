//go:build chaos

package chaos

import (
	"io"
	"net"
	"sync"
	"testing"
)

// partition is a TCP proxy an agent reaches its server through, which the
// test can cut the way a dropping firewall does: while cut, connections
// stay open but no byte crosses in either direction, and new connections
// are accepted and held. Healing lets the held bytes through, as TCP's
// retransmissions would.
type partition struct {
	ln     net.Listener
	target string

	mu   sync.Mutex
	cut  bool
	heal chan struct{} // closed when a cut heals
}

// newPartition proxies a loopback port to target; the test's end closes
// it.
func newPartition(t *testing.T, target string) *partition {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &partition{ln: ln, target: target, heal: make(chan struct{})}
	close(p.heal)
	go p.accept()
	t.Cleanup(func() { _ = ln.Close(); p.Heal() })
	return p
}

// URL is what the agent is given as its server.
func (p *partition) URL() string { return "http://" + p.ln.Addr().String() }

// Cut stops every byte between agent and server.
func (p *partition) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.cut {
		p.cut, p.heal = true, make(chan struct{})
	}
}

// Heal lets bytes through again.
func (p *partition) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		p.cut = false
		close(p.heal)
	}
}

// gate blocks while the partition is cut.
func (p *partition) gate() {
	p.mu.Lock()
	heal := p.heal
	p.mu.Unlock()
	<-heal
}

func (p *partition) accept() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return // closed by the test's end
		}
		go p.serve(in)
	}
}

func (p *partition) serve(in net.Conn) {
	defer in.Close()
	p.gate()
	out, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer out.Close()
	done := make(chan struct{}, 2)
	go func() { p.pump(out, in); done <- struct{}{} }()
	go func() { p.pump(in, out); done <- struct{}{} }()
	<-done
}

// pump copies src to dst, holding each chunk while the partition is cut.
func (p *partition) pump(dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.gate()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
