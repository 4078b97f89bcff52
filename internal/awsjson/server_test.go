package awsjson

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// allowAll is an Authenticator that accepts every request.
type allowAll struct{}

func (allowAll) Verify(*http.Request, []byte) (Identity, error) {
	return Identity{AccessKeyID: "AKID", Region: "us-east-1", Service: "test"}, nil
}

// denyAll is an Authenticator that rejects every request.
type denyAll struct{}

func (denyAll) Verify(*http.Request, []byte) (Identity, error) {
	return Identity{}, Errorf(TypeUnrecognizedClient, "The security token included in the request is invalid.")
}

type echoIn struct {
	Name  *string  `json:"name,omitempty"`
	Count *int32   `json:"count,omitempty"`
	Tags  []string `json:"tags,omitempty"`
	Inner *struct {
		Flag *bool `json:"flag,omitempty"`
	} `json:"inner,omitempty"`
}

type echoOut struct {
	Name  string `json:"name"`
	Count int32  `json:"count"`
	Who   string `json:"who"`
}

var errDomain = errors.New("domain: thing not found")

const testPrefix = "TestService_20200101"

func newTestServer(auth Authenticator) *Server {
	svc := &Service{TargetPrefix: testPrefix, MapError: func(err error) *Error {
		if errors.Is(err, errDomain) {
			return Errorf("ThingNotFoundException", "Thing not found.")
		}
		return nil
	}}
	svc.Handle("Echo", Handle(func(ctx context.Context, in *echoIn) (*echoOut, error) {
		out := &echoOut{Who: IdentityFrom(ctx).AccessKeyID}
		if in.Name != nil {
			out.Name = *in.Name
		}
		if in.Count != nil {
			out.Count = *in.Count
		}
		return out, nil
	}))
	svc.Handle("NoOutput", Handle(func(context.Context, *echoIn) (*struct{}, error) { return nil, nil }))
	svc.Handle("Fail", Handle(func(context.Context, *echoIn) (*echoOut, error) { return nil, errDomain }))
	svc.Handle("Conflict", Handle(func(context.Context, *echoIn) (*echoOut, error) {
		return nil, &Error{Type: "ConflictException", Message: "in use", Extra: map[string]any{"resourceIds": []string{"a"}}}
	}))
	svc.Handle("Broken", Handle(func(context.Context, *echoIn) (*echoOut, error) { return nil, errors.New("disk on fire") }))
	svc.Handle("Panic", Handle(func(context.Context, *echoIn) (*echoOut, error) { panic("boom") }))
	return NewServer(auth, slog.New(slog.NewTextHandler(io.Discard, nil)), svc)
}

// response is what a test reads back from one request.
type response struct {
	status    int
	errType   string // X-Amzn-ErrorType
	requestID string
	body      map[string]any
}

func do(t *testing.T, s *Server, method, path, target, body string) response {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	return serve(t, s, req)
}

// serve sends req to s and reads the response back.
func serve(t *testing.T, s *Server, req *http.Request) response {
	t.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	r := response{status: rec.Code, errType: rec.Header().Get("X-Amzn-ErrorType"), requestID: rec.Header().Get("x-amzn-RequestId")}
	if ct := rec.Header().Get("Content-Type"); ct != contentType {
		t.Errorf("Content-Type = %q, want %q", ct, contentType)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &r.body); err != nil {
		t.Fatalf("response body %q is not a JSON object: %v", rec.Body.String(), err)
	}
	return r
}

func TestServerResponses(t *testing.T) {
	s := newTestServer(allowAll{})
	tests := []struct {
		name       string
		method     string
		target     string
		body       string
		wantStatus int
		wantType   string // "" for success
		wantMsg    string // substring of message
		wantBody   map[string]any
	}{
		{name: "success", target: testPrefix + ".Echo", body: `{"name":"x","count":3}`, wantStatus: 200, wantBody: map[string]any{"name": "x", "count": float64(3), "who": "AKID"}},
		{name: "empty body means {}", target: testPrefix + ".Echo", body: ``, wantStatus: 200, wantBody: map[string]any{"name": "", "count": float64(0), "who": "AKID"}},
		{name: "unknown members are ignored", target: testPrefix + ".Echo", body: `{"name":"x","extra":[1,2]}`, wantStatus: 200},
		{name: "no modeled output answers {}", target: testPrefix + ".NoOutput", body: `{}`, wantStatus: 200, wantBody: map[string]any{}},
		{name: "missing target", target: "", wantStatus: 400, wantType: TypeUnknownOperation, wantMsg: "Missing X-Amz-Target"},
		{name: "unknown prefix", target: "Other_1.Echo", wantStatus: 400, wantType: TypeUnknownOperation, wantMsg: "Unknown service target"},
		{name: "unknown operation", target: testPrefix + ".Nope", wantStatus: 400, wantType: TypeUnknownOperation, wantMsg: `Unknown operation "Nope"`},
		{name: "GET is not an operation", method: http.MethodGet, target: testPrefix + ".Echo", wantStatus: 404, wantType: TypeUnknownOperation},
		{name: "malformed JSON", target: testPrefix + ".Echo", body: `{"name":`, wantStatus: 400, wantType: TypeSerialization, wantMsg: "Malformed JSON"},
		{name: "body must be an object", target: testPrefix + ".Echo", body: `[1]`, wantStatus: 400, wantType: TypeSerialization, wantMsg: "must be a JSON object"},
		{name: "wrong type names the member", target: testPrefix + ".Echo", body: `{"count":"three"}`, wantStatus: 400, wantType: TypeSerialization, wantMsg: "Member 'count' must be an integer, got a JSON string"},
		{name: "wrong type in a nested member", target: testPrefix + ".Echo", body: `{"inner":{"flag":"yes"}}`, wantStatus: 400, wantType: TypeSerialization, wantMsg: "Member 'inner.flag' must be a boolean"},
		{name: "list expected", target: testPrefix + ".Echo", body: `{"tags":"a"}`, wantStatus: 400, wantType: TypeSerialization, wantMsg: "Member 'tags' must be a list"},
		{name: "trailing data", target: testPrefix + ".Echo", body: `{} {}`, wantStatus: 400, wantType: TypeSerialization, wantMsg: "Unexpected data"},
		{name: "domain error mapped", target: testPrefix + ".Fail", wantStatus: 400, wantType: "ThingNotFoundException", wantMsg: "Thing not found."},
		{name: "extra error members", target: testPrefix + ".Conflict", wantStatus: 400, wantType: "ConflictException", wantBody: map[string]any{"__type": "ConflictException", "message": "in use", "resourceIds": []any{"a"}}},
		{name: "unmapped error is a 500 without detail", target: testPrefix + ".Broken", wantStatus: 500, wantType: TypeServer, wantMsg: "An internal error occurred. Request id: "},
		{name: "panic is a 500 with the request id", target: testPrefix + ".Panic", wantStatus: 500, wantType: TypeServer, wantMsg: "An internal error occurred. Request id: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			r := do(t, s, method, "/", tt.target, tt.body)
			if r.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %v)", r.status, tt.wantStatus, r.body)
			}
			if r.requestID == "" {
				t.Error("no x-amzn-RequestId header")
			}
			if r.errType != tt.wantType {
				t.Errorf("X-Amzn-ErrorType = %q, want %q", r.errType, tt.wantType)
			}
			if tt.wantType != "" {
				if r.body["__type"] != tt.wantType {
					t.Errorf("__type = %v, want %q", r.body["__type"], tt.wantType)
				}
				if msg, _ := r.body["message"].(string); !strings.Contains(msg, tt.wantMsg) {
					t.Errorf("message = %q, want it to contain %q", msg, tt.wantMsg)
				}
				if strings.Contains(r.body["message"].(string), "disk on fire") {
					t.Error("internal error detail leaked to the client")
				}
			}
			if tt.wantBody != nil {
				got, _ := json.Marshal(r.body)
				want, _ := json.Marshal(tt.wantBody)
				if string(got) != string(want) {
					t.Errorf("body = %s, want %s", got, want)
				}
			}
		})
	}
}

func TestServerPanicMessageCarriesRequestID(t *testing.T) {
	r := do(t, newTestServer(allowAll{}), http.MethodPost, "/", testPrefix+".Panic", "{}")
	if msg := r.body["message"].(string); !strings.Contains(msg, r.requestID) {
		t.Fatalf("message %q does not name request id %q", msg, r.requestID)
	}
}

func TestServerRequestIDsAreUnique(t *testing.T) {
	s := newTestServer(allowAll{})
	seen := map[string]bool{}
	for range 100 {
		id := do(t, s, http.MethodPost, "/", testPrefix+".Echo", "{}").requestID
		if seen[id] {
			t.Fatalf("request id %q repeated", id)
		}
		seen[id] = true
	}
}

func TestServerRejectsUnauthenticatedBeforeRouting(t *testing.T) {
	r := do(t, newTestServer(denyAll{}), http.MethodPost, "/", testPrefix+".Nope", "{}")
	if r.status != 400 || r.errType != TypeUnrecognizedClient {
		t.Fatalf("got %d %q, want 400 %s", r.status, r.errType, TypeUnrecognizedClient)
	}
}

// TestServerCapsBody: a body over MaxBodyBytes (1 MiB, well under the
// 10 MB that S8 of ecs-behaviour.md §6.4 allows at most) is refused with
// 413 whether or not the client announced its length.
func TestServerCapsBody(t *testing.T) {
	if MaxBodyBytes > 10_000_000 {
		t.Fatalf("MaxBodyBytes = %d, want at most 10 MB", MaxBodyBytes)
	}
	s := newTestServer(allowAll{})
	tests := []struct {
		name          string
		size          int
		unknownLength bool // sent chunked, without Content-Length
		wantStatus    int
	}{
		{name: "at the cap", size: MaxBodyBytes, wantStatus: 400}, // a valid length but not valid JSON
		{name: "one byte over", size: MaxBodyBytes + 1, wantStatus: http.StatusRequestEntityTooLarge},
		{name: "at the cap, length unannounced", size: MaxBodyBytes, unknownLength: true, wantStatus: 400},
		{name: "one byte over, length unannounced", size: MaxBodyBytes + 1, unknownLength: true, wantStatus: http.StatusRequestEntityTooLarge},
		{name: "10 MB", size: 10_000_000, wantStatus: http.StatusRequestEntityTooLarge},
		{name: "10 MB, length unannounced", size: 10_000_000, unknownLength: true, wantStatus: http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"name":"` + strings.Repeat("a", tt.size) + `"}`
			body = body[:tt.size]
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			req.Header.Set("X-Amz-Target", testPrefix+".Echo")
			if tt.unknownLength {
				req.ContentLength = -1
			}
			r := serve(t, s, req)
			if r.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%v)", r.status, tt.wantStatus, r.body)
			}
			if tt.wantStatus == http.StatusRequestEntityTooLarge && r.errType != TypeRequestEntityTooLarge {
				t.Errorf("error type = %q, want %q", r.errType, TypeRequestEntityTooLarge)
			}
		})
	}
}

// FuzzDecode feeds arbitrary bodies to the decoder of a realistic input
// shape: it must never panic, and every rejection must be a
// SerializationException.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{``, `{}`, `{"name":"x","count":1,"tags":["a"],"inner":{"flag":true}}`, `{"count":1e99}`, `[`, `{"inner":null}`, "\x00", `{"name":"\ud800"}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in echoIn
		err := Decode(body, &in)
		if err == nil {
			return
		}
		var apiErr *Error
		if !errors.As(err, &apiErr) || apiErr.Type != TypeSerialization {
			t.Fatalf("Decode(%q) = %v, want a SerializationException", body, err)
		}
	})
}
