package awsjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// MaxBodyBytes caps a request body. The largest ECS request is a task
// definition (10 containers with environment and secrets); AWS caps those
// around 64 KiB, so 1 MiB is generous and still keeps a hostile client from
// making the server buffer gigabytes.
const MaxBodyBytes = 1 << 20

const contentType = "application/x-amz-json-1.1"

// Operation handles one decoded request. It returns the value to send as the
// response body, or an error for the Service's MapError to translate.
type Operation func(ctx context.Context, body []byte) (any, error)

// Service is one AWS JSON API: a target prefix and its operations.
type Service struct {
	// TargetPrefix is the X-Amz-Target prefix, e.g.
	// "AmazonEC2ContainerServiceV20141113".
	TargetPrefix string
	// MapError turns an operation's error into an API error. It is the one
	// place domain errors become API error types. Errors it cannot place
	// become ServerException.
	MapError func(error) *Error
	ops      map[string]Operation
}

// Handle registers op under name.
func (s *Service) Handle(name string, op Operation) {
	if s.ops == nil {
		s.ops = map[string]Operation{}
	}
	s.ops[name] = op
}

// Has reports whether an operation is registered under name.
func (s *Service) Has(name string) bool { _, ok := s.ops[name]; return ok }

// Operations returns the names of the registered operations, sorted: what
// the server routes, for tests that must cover every operation.
func (s *Service) Operations() []string { return slices.Sorted(maps.Keys(s.ops)) }

// Authenticator verifies who signed a request. *Verifier implements it.
type Authenticator interface {
	Verify(r *http.Request, body []byte) (Identity, error)
}

// Server is an http.Handler serving one or more Services on POST /.
type Server struct {
	Auth     Authenticator
	Log      *slog.Logger
	services map[string]*Service
}

// NewServer returns a Server that authenticates with auth and logs to log.
func NewServer(auth Authenticator, log *slog.Logger, services ...*Service) *Server {
	s := &Server{Auth: auth, Log: log, services: map[string]*Service{}}
	for _, svc := range services {
		s.services[svc.TargetPrefix] = svc
	}
	return s
}

type ctxKey int

const (
	identityKey ctxKey = iota
	requestIDKey
)

// IdentityFrom returns the authenticated caller of the request ctx belongs to.
func IdentityFrom(ctx context.Context) Identity {
	id, _ := ctx.Value(identityKey).(Identity)
	return id
}

// RequestIDFrom returns the id of the request ctx belongs to.
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", reqID)
	w.Header().Set("Content-Type", contentType)
	log := s.Log.With("request_id", reqID)

	if r.Method != http.MethodPost || (r.URL.Path != "/" && r.URL.Path != "") {
		writeError(w, &Error{Type: TypeUnknownOperation, Message: fmt.Sprintf("%s %s is not an operation; AWS JSON requests are POST /.", r.Method, r.URL.Path), Status: http.StatusNotFound})
		return
	}
	body, err := readBody(r)
	if err != nil {
		writeError(w, asError(err))
		return
	}
	id, err := s.Auth.Verify(r, body)
	if err != nil {
		log.Info("request not authenticated", "err", err, "remote", r.RemoteAddr)
		writeError(w, asError(err))
		return
	}
	svc, opName, op, apiErr := s.route(r.Header.Get("X-Amz-Target"))
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	ctx := context.WithValue(r.Context(), identityKey, id)
	ctx = context.WithValue(ctx, requestIDKey, reqID)
	out, err := s.invoke(ctx, log.With("op", opName), svc, op, body)
	if err != nil {
		writeError(w, err.(*Error))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) route(target string) (*Service, string, Operation, *Error) {
	prefix, name, ok := strings.Cut(target, ".")
	if target == "" {
		return nil, "", nil, Errorf(TypeUnknownOperation, "Missing X-Amz-Target header.")
	}
	svc := s.services[prefix]
	if !ok || svc == nil {
		return nil, "", nil, Errorf(TypeUnknownOperation, "Unknown service target %q.", prefix)
	}
	op := svc.ops[name]
	if op == nil {
		return nil, "", nil, Errorf(TypeUnknownOperation, "Unknown operation %q.", name)
	}
	return svc, name, op, nil
}

// invoke runs op, turning a panic into ServerException and any error into
// an *Error through the service's MapError. The returned error, when not nil,
// is always an *Error.
func (s *Server) invoke(ctx context.Context, log *slog.Logger, svc *Service, op Operation, body []byte) (out any, err error) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("operation panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			out, err = nil, Errorf(TypeServer, "An internal error occurred. Request id: %s.", RequestIDFrom(ctx))
		}
	}()
	out, err = op(ctx, body)
	if err == nil {
		return out, nil
	}
	apiErr, known := mapError(svc, err)
	switch {
	case !known: // its detail is for the log, not the client
		log.Error("operation failed", "err", err)
		apiErr = Errorf(TypeServer, "An internal error occurred. Request id: %s.", RequestIDFrom(ctx))
	case apiErr.Type == TypeServer: // a known failure, such as a full disk
		log.Error("operation failed", "err", err)
	default:
		log.Debug("operation rejected", "type", apiErr.Type, "err", apiErr.Message)
	}
	return nil, apiErr
}

// mapError turns err into the *Error to answer; known is false for an
// error neither an *Error nor recognised by the service's MapError.
func mapError(svc *Service, err error) (apiErr *Error, known bool) {
	if errors.As(err, &apiErr) {
		return apiErr, true
	}
	if svc.MapError != nil {
		if e := svc.MapError(err); e != nil {
			return e, true
		}
	}
	return &Error{Type: TypeServer, Message: err.Error()}, false
}

func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, tooLarge()
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, Errorf(TypeSerialization, "Could not read the request body: %v.", err)
	}
	if len(body) > MaxBodyBytes {
		return nil, tooLarge()
	}
	return body, nil
}

func tooLarge() *Error {
	return &Error{Type: TypeRequestEntityTooLarge, Message: fmt.Sprintf("Request body exceeds the limit of %d bytes.", MaxBodyBytes), Status: http.StatusRequestEntityTooLarge}
}

func asError(err error) *Error {
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return apiErr
	}
	return &Error{Type: TypeServer, Message: "An internal error occurred."}
}

// WriteError sends e as an AWS JSON error response.
func WriteError(w http.ResponseWriter, e *Error) {
	w.Header().Set("Content-Type", contentType)
	writeError(w, e)
}

func writeError(w http.ResponseWriter, e *Error) {
	w.Header().Set("X-Amzn-ErrorType", e.Type)
	body := make(map[string]any, 2+len(e.Extra))
	for k, v := range e.Extra {
		body[k] = v
	}
	body["__type"] = e.Type
	body["message"] = e.Message
	writeJSON(w, e.HTTPStatus(), body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only a bug (an unencodable type) gets here; say so in the protocol.
		status = http.StatusInternalServerError
		buf.Reset()
		fmt.Fprintf(&buf, `{"__type":%q,"message":"An internal error occurred while encoding the response."}`, TypeServer)
		w.Header().Set("X-Amzn-ErrorType", TypeServer)
	}
	// The whole body is in hand, so say its length, as AWS does, rather
	// than letting net/http fall back to chunked encoding for bodies past its
	// buffer size.
	body := bytes.TrimSuffix(buf.Bytes(), []byte("\n")) // Encode's newline is not part of the document
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
