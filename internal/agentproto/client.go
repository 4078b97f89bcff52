package agentproto

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/jsondecode"
	"github.com/berth-org/berth/internal/wire"
)

const (
	// requestTimeout bounds one request-response call (register, report,
	// heartbeat): each is one etcd transaction on the server, so seconds
	// mean the server is down or overloaded, and the caller retries.
	requestTimeout = 10 * time.Second
	// streamHeaderTimeout bounds how long opening a session may take before
	// the server answers; the stream itself then lasts indefinitely.
	streamHeaderTimeout = 10 * time.Second
	// streamIdleTimeout: with pings every PingInterval, a stream silent for
	// this long is dead (a half-open connection after a partition).
	streamIdleTimeout = 3 * PingInterval
	// maxMessage bounds one stream line: a snapshot of a few hundred tasks
	// with their task definitions.
	maxMessage = 64 << 20
)

// BootstrapCredentials are the server's AWS credentials an agent signs its
// first registration with.
type BootstrapCredentials struct {
	AccessKeyID, SecretAccessKey, Region string
}

// Client is the agent's side of the protocol. It is safe for concurrent
// use.
type Client struct {
	base   string
	short  *http.Client
	stream *http.Client

	mu          sync.Mutex
	instanceARN string
	token       string
}

// NewClient talks to the server at base (e.g. http://127.0.0.1:4040),
// over HTTP clients of its own.
func NewClient(base string) *Client {
	streamTransport := http.DefaultTransport.(*http.Transport).Clone()
	streamTransport.ResponseHeaderTimeout = streamHeaderTimeout
	return NewClientWith(base, &http.Client{Timeout: requestTimeout}, &http.Client{Transport: streamTransport})
}

// NewClientWith talks to the server at base through the given HTTP
// clients, which many Clients may share (berth agent --simulate runs
// thousands of agents over one pair). short carries register, report and
// heartbeat; each call is bounded by requestTimeout whatever short's own
// settings. stream carries session streams: it must have no Timeout,
// which would cut a stream, and its transport should bound the wait for
// response headers (NewClient's waits 10 s).
func NewClientWith(base string, short, stream *http.Client) *Client {
	return &Client{base: strings.TrimRight(base, "/"), short: short, stream: stream}
}

// SetIdentity sets the instance and token later calls authenticate with.
func (c *Client) SetIdentity(instanceARN, token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.instanceARN, c.token = instanceARN, token
}

// Error is a non-2xx answer from the server.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("agent protocol: %d %s: %s", e.Status, e.Code, e.Message)
}

// HasCode reports whether err is a server answer with the given code.
func HasCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// Register registers the instance. With creds it signs the request with
// SigV4 (a first registration); without, it uses the identity set by
// SetIdentity (a re-registration).
func (c *Client) Register(ctx context.Context, req RegisterRequest, creds *BootstrapCredentials) (RegisterResponse, error) {
	var out RegisterResponse
	body, err := json.Marshal(req)
	if err != nil {
		return out, err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+PathRegister, bytes.NewReader(body))
	if err != nil {
		return out, err
	}
	r.Header.Set("Content-Type", "application/json")
	if creds != nil {
		sum := sha256.Sum256(body)
		signer := v4.NewSigner()
		err = signer.SignHTTP(ctx, aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey},
			r, hex.EncodeToString(sum[:]), "ecs", creds.Region, time.Now())
		if err != nil {
			return out, fmt.Errorf("sign registration: %w", err)
		}
	} else {
		c.authorize(r)
	}
	err = c.do(c.short, r, &out)
	return out, err
}

// Report sends a batch of task states.
func (c *Client) Report(ctx context.Context, rep StateReport) (StateAck, error) {
	var ack StateAck
	err := c.post(ctx, PathState, rep, &ack)
	return ack, err
}

// Heartbeat renews the agent's session.
func (c *Client) Heartbeat(ctx context.Context) error {
	return c.post(ctx, PathHeartbeat, struct{}{}, nil)
}

func (c *Client) post(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	r.Header.Set("Content-Type", "application/json")
	c.authorize(r)
	return c.do(c.short, r, out)
}

func (c *Client) authorize(r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r.Header.Set("Authorization", "Bearer "+c.token)
	r.Header.Set(HeaderInstance, c.instanceARN)
}

func (c *Client) do(hc *http.Client, r *http.Request, out any) error {
	resp, err := hc.Do(r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return readError(resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode %s answer: %w", r.URL.Path, err)
	}
	return nil
}

func readError(resp *http.Response) error {
	e := &Error{Status: resp.StatusCode}
	var body ErrorBody
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(raw, &body) == nil {
		e.Code, e.Message = body.Code, body.Message
	} else {
		e.Message = strings.TrimSpace(string(raw))
	}
	return e
}

// Session is an open session stream.
type Session struct {
	body    io.ReadCloser
	scanner *bufio.Scanner
	idle    *time.Timer
	defs    definitions
}

// definitions holds the task definitions a session decoded, by their JSON.
// The server sends each task with its definition, encoded once per
// session, so an instance running 20 tasks of one definition receives the
// same bytes 20 times; decoding them once per session cut decoding a
// message of ten tasks from 81 to 54 µs (BenchmarkSessionDecode), CPU a
// simulated fleet takes from the server it shares a machine with. Decoded
// definitions are shared by the tasks that name them: the agent only
// reads them.
type definitions map[string]*wire.TaskDefinition

// maxSessionDefinitions bounds a session's decoded definitions: an
// instance runs tasks of a handful of definitions at a time, and a
// session that saw more starts over.
const maxSessionDefinitions = 64

// decode returns the definition raw encodes.
func (d *definitions) decode(raw []byte) (*wire.TaskDefinition, error) {
	if len(raw) == 0 {
		return new(wire.TaskDefinition), nil // none sent
	}
	if def, ok := (*d)[string(raw)]; ok {
		return def, nil
	}
	def := new(wire.TaskDefinition)
	if err := jsondecode.Unmarshal(raw, def); err != nil {
		return nil, err
	}
	if *d == nil || len(*d) >= maxSessionDefinitions {
		*d = definitions{}
	}
	(*d)[string(raw)] = def
	return def, nil
}

// sessionMessage is a Message as it arrives: each task's definition still
// JSON, for Session.defs.
type sessionMessage struct {
	Type     MessageType `json:"type"`
	Revision int64       `json:"revision"`
	Tasks    []struct {
		// A pointer: growing a slice of whole tasks while decoding
		// copied each of them at every doubling.
		Task       *ecs.Task       `json:"task"`
		Definition json.RawMessage `json:"definition"`
	} `json:"tasks"`
}

// OpenSession opens the session stream. Its first message is a snapshot.
func (c *Client) OpenSession(ctx context.Context) (*Session, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+PathSession, nil)
	if err != nil {
		return nil, err
	}
	c.authorize(r)
	resp, err := c.stream.Do(r)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, readError(resp)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), maxMessage)
	s := &Session{body: resp.Body, scanner: sc}
	// A stream silent past streamIdleTimeout is closed, which makes Next
	// fail: the server pings while idle, so silence means a dead link.
	s.idle = time.AfterFunc(streamIdleTimeout, func() { resp.Body.Close() })
	return s, nil
}

// Next reads the next message other than a ping.
func (s *Session) Next() (Message, error) {
	for s.scanner.Scan() {
		s.idle.Reset(streamIdleTimeout)
		m, err := s.decode(s.scanner.Bytes())
		if err != nil {
			return m, fmt.Errorf("decode session message: %w", err)
		}
		if m.Type != MessagePing {
			return m, nil
		}
	}
	if err := s.scanner.Err(); err != nil {
		return Message{}, err
	}
	return Message{}, io.EOF
}

// decode decodes one line of the stream, each definition through s.defs.
func (s *Session) decode(line []byte) (Message, error) {
	var in sessionMessage
	if err := jsondecode.Unmarshal(line, &in); err != nil {
		return Message{}, err
	}
	m := Message{Type: in.Type, Revision: in.Revision}
	if len(in.Tasks) > 0 {
		m.Tasks = make([]Task, len(in.Tasks))
	}
	for i, t := range in.Tasks {
		if t.Task == nil {
			t.Task = new(ecs.Task)
		}
		def, err := s.defs.decode(t.Definition)
		if err != nil {
			return Message{}, fmt.Errorf("task %s: definition: %w", t.Task.ID, err)
		}
		m.Tasks[i] = Task{Task: *t.Task, Definition: *def}
	}
	return m, nil
}

// Close ends the session.
func (s *Session) Close() error {
	s.idle.Stop()
	return s.body.Close()
}
