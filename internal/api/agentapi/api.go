package agentapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/berth-org/berth/internal/agentproto"
	"github.com/berth-org/berth/internal/api/ecsapi"
	"github.com/berth-org/berth/internal/arn"
	"github.com/berth-org/berth/internal/awsjson"
	"github.com/berth-org/berth/internal/ecs"
	"github.com/berth-org/berth/internal/jsondecode"
	"github.com/berth-org/berth/internal/store"
)

// maxRequestBody bounds an agent request: a state report of a few hundred
// tasks is well under it.
const maxRequestBody = 4 << 20

// Config is what the agent API needs.
type Config struct {
	Store *store.Store
	// ECS registers instances, so that an agent's registration follows
	// exactly RegisterContainerInstance's rules.
	ECS      *ecsapi.API
	ARNs     arn.Builder
	Verifier *awsjson.Verifier
	Log      *slog.Logger
	// HeartbeatTimeout: 0 means agentproto.DefaultHeartbeatTimeout.
	HeartbeatTimeout time.Duration
	Now              func() time.Time
}

// API serves the agent protocol.
type API struct {
	store    *store.Store
	ecs      *ecsapi.API
	arns     arn.Builder
	verifier *awsjson.Verifier
	log      *slog.Logger
	timeout  time.Duration
	now      func() time.Time
	hub      *hub
	mux      *http.ServeMux
	// closed ends every session stream, and base the store reads they
	// make; see Close.
	closed     chan struct{}
	closeOnce  sync.Once
	base       context.Context
	cancelBase context.CancelFunc
	// sessions counts the running session streams (each in a goroutine
	// of its own once its connection is taken over from net/http); mu
	// orders their start with Close.
	sessions sync.WaitGroup
	mu       sync.Mutex
	closing  bool
}

// New returns the agent API. Run must be running for sessions to receive
// task changes and for disconnected agents to be noticed.
func New(cfg Config) *API {
	a := &API{store: cfg.Store, ecs: cfg.ECS, arns: cfg.ARNs, verifier: cfg.Verifier, log: cfg.Log,
		timeout: cfg.HeartbeatTimeout, now: cfg.Now, hub: newHub(), closed: make(chan struct{})}
	a.base, a.cancelBase = context.WithCancel(context.Background())
	if a.timeout <= 0 {
		a.timeout = agentproto.DefaultHeartbeatTimeout
	}
	if a.now == nil {
		a.now = time.Now
	}
	a.mux = http.NewServeMux()
	a.mux.HandleFunc("POST "+agentproto.PathRegister, a.handleRegister)
	a.mux.HandleFunc("GET "+agentproto.PathSession, a.handleSession)
	a.mux.HandleFunc("POST "+agentproto.PathState, a.handleState)
	a.mux.HandleFunc("POST "+agentproto.PathHeartbeat, a.handleHeartbeat)
	return a
}

// Handler routes the agent protocol's paths.
func (a *API) Handler() http.Handler { return a.mux }

// Close ends every session stream and waits for them to close: the HTTP
// server does not track them, as their connections are taken over. Each
// ends within a write's timeout. Agents reconnect to another replica, or
// to this server when it is back.
func (a *API) Close() {
	a.closeOnce.Do(func() {
		a.mu.Lock()
		a.closing = true
		close(a.closed)
		a.mu.Unlock()
		a.cancelBase()
		a.hub.wakeAll()
		a.sessions.Wait()
	})
}

// track counts a session stream about to start, unless the API is closing.
func (a *API) track() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closing {
		return false
	}
	a.sessions.Add(1)
	return true
}

// Run feeds task changes to sessions, marks agents disconnected when their
// sessions end, and marks the control plane alive (see store.Downtime),
// until ctx ends. Each loop restarts after a failure.
func (a *API) Run(ctx context.Context) {
	hubDone, aliveDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(hubDone)
		a.runHub(ctx)
	}()
	go func() {
		defer close(aliveDone)
		a.runAlive(ctx)
	}()
	a.runSessionMonitor(ctx)
	<-hubDone
	<-aliveDone
}

// protoError is an agent protocol error with its HTTP status.
type protoError struct {
	status  int
	code    string
	message string
}

func (e *protoError) Error() string { return e.code + ": " + e.message }

func badRequest(msg string) *protoError {
	return &protoError{http.StatusBadRequest, agentproto.CodeBadRequest, msg}
}

// writeError answers err: a protoError as itself, an ECS error as a bad
// request carrying the ECS message, anything else as an internal error.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var pe *protoError
	var ee *ecs.Error
	switch {
	case errors.As(err, &pe):
	case errors.As(err, &ee):
		pe = &protoError{http.StatusBadRequest, string(ee.Code), ee.Message}
	default:
		a.log.Error("agent request failed", "path", r.URL.Path, "err", err)
		pe = &protoError{http.StatusInternalServerError, agentproto.CodeInternal, "internal error"}
	}
	writeJSON(w, pe.status, agentproto.ErrorBody{Code: pe.code, Message: pe.message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // a failed write means the agent left
}

// readBody reads a bounded request body.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxRequestBody))
	if err != nil {
		return nil, badRequest("The request body could not be read: " + err.Error())
	}
	return body, nil
}

func decodeBody[T any](body []byte) (*T, error) {
	v := new(T)
	if err := jsondecode.Unmarshal(body, v); err != nil {
		return nil, badRequest("The request body is not valid JSON: " + err.Error())
	}
	return v, nil
}
