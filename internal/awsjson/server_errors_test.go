package awsjson

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"
)

var errFull = errors.New("store: out of space")

// TestServerKeepsTheMessageOfAKnownServerError: a ServerException the
// service's MapError chose (a full disk) reaches the client with its
// message; only an error nobody recognised is reduced to "An internal
// error occurred", its detail kept for the log.
func TestServerKeepsTheMessageOfAKnownServerError(t *testing.T) {
	const msg = "The data store is out of space; reads still work."
	svc := &Service{TargetPrefix: testPrefix, MapError: func(err error) *Error {
		if errors.Is(err, errFull) {
			return Errorf(TypeServer, msg)
		}
		return nil
	}}
	svc.Handle("Full", Handle(func(context.Context, *echoIn) (*echoOut, error) { return nil, errFull }))
	svc.Handle("Unknown", Handle(func(context.Context, *echoIn) (*echoOut, error) { return nil, errors.New("disk on fire") }))
	s := NewServer(allowAll{}, slog.New(slog.NewTextHandler(io.Discard, nil)), svc)

	full := do(t, s, http.MethodPost, "/", testPrefix+".Full", "{}")
	if full.status != http.StatusInternalServerError || full.errType != TypeServer || full.body["message"] != msg {
		t.Fatalf("known server error: status %d type %q body %v, want 500 %s %q", full.status, full.errType, full.body, TypeServer, msg)
	}
	unknown := do(t, s, http.MethodPost, "/", testPrefix+".Unknown", "{}")
	if got, _ := unknown.body["message"].(string); got != "An internal error occurred. Request id: "+unknown.requestID+"." {
		t.Fatalf("unknown error's message = %q, want the generic one", got)
	}
}
