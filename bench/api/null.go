package main

// The null-HTTP baseline: a process that answers every POST / with a fixed
// response body captured from berth (a real DescribeTaskDefinition answer),
// doing no authentication, routing or storage. Driving it with the same SDK
// clients shows what the client side, HTTP and loopback cost on this
// machine: the ceiling any server could reach here.
//
// It is this benchmark binary run again with nullServerEnv set, so that
// client and server are separate processes, as with berth.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"
)

// nullServerEnv names the response body file; set, the binary is the null
// server.
const nullServerEnv = "BERTH_BENCH_NULL_SERVER_BODY"

// runNullServer serves until its standard input closes (the parent exited
// or is done with it).
func runNullServer(bodyFile string) error {
	body, err := os.ReadFile(bodyFile)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000")
		_, _ = w.Write(body)
	})}
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); _ = srv.Close() }()
	fmt.Printf("ADDR %s\n", ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// nullProcess is a running null server.
type nullProcess struct {
	url    string
	cmd    *exec.Cmd
	stdin  io.Closer
	exited chan struct{}
}

// startNull starts the null server answering with the body in bodyFile.
func startNull(ctx context.Context, bodyFile string) (*nullProcess, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), nullServerEnv+"="+bodyFile)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start null server: %w", err)
	}
	p := &nullProcess{cmd: cmd, stdin: stdin, exited: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		addr <- strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() { _ = cmd.Wait(); close(p.exited) }()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case a := <-addr:
		if a == "" {
			p.stop()
			return nil, errors.New("null server did not report its address")
		}
		p.url = "http://" + a
	case <-timer.C:
		p.stop()
		return nil, fmt.Errorf("null server not up after %s", startTimeout)
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	}
	return p, nil
}

func (p *nullProcess) pid() int { return p.cmd.Process.Pid }

// stop closes the server's standard input, which stops it, and kills it if
// it has not exited after stopTimeout.
func (p *nullProcess) stop() {
	_ = p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}
