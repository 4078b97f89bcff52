package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// ecsTargetPrefix is the X-Amz-Target prefix of every ECS operation.
const ecsTargetPrefix = "AmazonEC2ContainerServiceV20141113."

// signedCall is one raw request to a server, signed as an AWS client would
// sign it.
type signedCall struct {
	target  string // operation name, without the ECS prefix
	body    string
	key     string        // access key id; default testAccessKey
	secret  string        // default testSecretKey
	skewBy  time.Duration // the signing clock's offset from now, applied when the request is signed
	tamper  func(*http.Request)
	noSign  bool
	rawHost string // overrides the Host header after signing
}

type rawResult struct {
	status    int
	errType   string // X-Amzn-ErrorType
	requestID string
	body      map[string]any
}

func (c signedCall) do(t *testing.T, s *server) rawResult {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), http.MethodPost, s.url()+"/", strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", ecsTargetPrefix+c.target)
	if !c.noSign {
		c.sign(t, req)
	}
	if c.rawHost != "" {
		req.Host = c.rawHost
	}
	if c.tamper != nil {
		c.tamper(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := rawResult{status: resp.StatusCode, errType: resp.Header.Get("X-Amzn-ErrorType"), requestID: resp.Header.Get("X-Amzn-Requestid")}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Fatalf("response %q is not a JSON object: %v", raw, err)
	}
	return r
}

func (c signedCall) sign(t *testing.T, req *http.Request) {
	key, secret, at := c.key, c.secret, time.Now().Add(c.skewBy)
	if key == "" {
		key, secret = testAccessKey, testSecretKey
	}
	sum := sha256.Sum256([]byte(c.body))
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "ecs", testRegion, at); err != nil {
		t.Fatal(err)
	}
}

// TestSigV4ThroughTheServer checks authentication end to end: a real
// server in strict mode, requests signed by aws-sdk-go-v2's signer.
func TestSigV4ThroughTheServer(t *testing.T) {
	t.Parallel()
	const skew = 5 * time.Minute
	tests := []struct {
		name     string
		call     signedCall
		wantType string // "" means success
		wantMsg  string // prefix of the message
	}{
		{name: "right key", call: signedCall{target: "ListClusters", body: "{}"}},
		{name: "just inside the past skew window", call: signedCall{target: "ListClusters", body: "{}", skewBy: -skew + 5*time.Second}},
		{name: "just inside the future skew window", call: signedCall{target: "ListClusters", body: "{}", skewBy: skew - 5*time.Second}},
		{name: "unsigned", call: signedCall{target: "ListClusters", body: "{}", noSign: true}, wantType: "MissingAuthenticationTokenException", wantMsg: "Missing Authentication Token"},
		{name: "unknown key", call: signedCall{target: "ListClusters", body: "{}", key: "AKIDUNKNOWN", secret: "x"}, wantType: "UnrecognizedClientException", wantMsg: "The security token included in the request is invalid."},
		{name: "wrong secret", call: signedCall{target: "ListClusters", body: "{}", key: testAccessKey, secret: "wrong"}, wantType: "InvalidSignatureException", wantMsg: "The request signature we calculated does not match the signature you provided."},
		{name: "expired", call: signedCall{target: "ListClusters", body: "{}", skewBy: -skew - time.Minute}, wantType: "InvalidSignatureException", wantMsg: "Signature expired: "},
		{name: "from the future", call: signedCall{target: "ListClusters", body: "{}", skewBy: skew + time.Minute}, wantType: "InvalidSignatureException", wantMsg: "Signature not yet current: "},
		{name: "body changed after signing", call: signedCall{target: "ListClusters", body: "{}", tamper: func(r *http.Request) {
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader([]byte(`{ }`))), 3
		}}, wantType: "InvalidSignatureException", wantMsg: "The request signature we calculated does not match"},
		{name: "target changed after signing", call: signedCall{target: "ListClusters", body: "{}", tamper: func(r *http.Request) {
			r.Header.Set("X-Amz-Target", ecsTargetPrefix+"DeleteCluster")
		}}, wantType: "InvalidSignatureException", wantMsg: "The request signature we calculated does not match"},
		{name: "host changed after signing", call: signedCall{target: "ListClusters", body: "{}", rawHost: "localhost"}, wantType: "InvalidSignatureException", wantMsg: "The request signature we calculated does not match"},
		{name: "garbled authorization", call: signedCall{target: "ListClusters", body: "{}", tamper: func(r *http.Request) {
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
		}}, wantType: "IncompleteSignatureException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := tt.call.do(t, shared)
			if r.requestID == "" {
				t.Error("no x-amzn-RequestId")
			}
			if tt.wantType == "" {
				if r.status != http.StatusOK {
					t.Fatalf("status %d %v, want 200", r.status, r.body)
				}
				return
			}
			wantAPIErrorBody(t, r, http.StatusBadRequest, tt.wantType, tt.wantMsg)
		})
	}
}

// wantAPIErrorBody asserts an AWS JSON error: status, matching header and
// __type, and a message starting with msg.
func wantAPIErrorBody(t *testing.T, r rawResult, status int, typ, msg string) {
	t.Helper()
	if r.status != status || r.errType != typ || r.body["__type"] != typ {
		t.Fatalf("got status %d, header %q, body %v; want %d %s", r.status, r.errType, r.body, status, typ)
	}
	if got, _ := r.body["message"].(string); !strings.HasPrefix(got, msg) {
		t.Fatalf("message = %q, want prefix %q", got, msg)
	}
}

// TestProtocolErrors checks the AWS JSON 1.1 layer of the real server.
func TestProtocolErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		call     signedCall
		status   int
		wantType string
		wantMsg  string
	}{
		{name: "unknown operation", call: signedCall{target: "LaunchRockets", body: "{}"}, status: 400, wantType: "UnknownOperationException", wantMsg: `Unknown operation "LaunchRockets"`},
		{name: "malformed JSON", call: signedCall{target: "ListClusters", body: "{"}, status: 400, wantType: "SerializationException", wantMsg: "Malformed JSON"},
		{name: "wrong JSON type names the member", call: signedCall{target: "ListClusters", body: `{"maxResults":"ten"}`}, status: 400, wantType: "SerializationException", wantMsg: "Member 'maxResults' must be an integer"},
		{name: "wrong type in a nested member", call: signedCall{target: "RegisterTaskDefinition", body: `{"family":"f","containerDefinitions":[{"name":"a","memory":"lots"}]}`}, status: 400, wantType: "SerializationException", wantMsg: "Member 'containerDefinitions.memory' must be an integer"},
		{name: "not an object", call: signedCall{target: "ListClusters", body: `[]`}, status: 400, wantType: "SerializationException", wantMsg: "The request body must be a JSON object."},
		{name: "operation not built yet", call: signedCall{target: "CreateTaskSet", body: `{"service":"x"}`}, status: 400, wantType: "UnsupportedFeatureException", wantMsg: "berth does not support CreateTaskSet yet."},
		{name: "operation newer than the model", call: signedCall{target: "ListGateways", body: `{}`}, status: 400, wantType: "UnsupportedFeatureException", wantMsg: "berth does not support ListGateways yet."},
		{name: "body over 1 MiB", call: signedCall{target: "ListClusters", body: `{"nextToken":"` + strings.Repeat("a", 1<<20) + `"}`}, status: 413, wantType: "RequestEntityTooLargeException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantAPIErrorBody(t, tt.call.do(t, shared), tt.status, tt.wantType, tt.wantMsg)
		})
	}
}

func TestEmptyBodyMeansEmptyObject(t *testing.T) {
	t.Parallel()
	r := signedCall{target: "ListClusters", body: ""}.do(t, shared)
	if r.status != http.StatusOK {
		t.Fatalf("status %d %v, want 200", r.status, r.body)
	}
	if _, ok := r.body["clusterArns"]; !ok {
		t.Fatalf("body %v has no clusterArns", r.body)
	}
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	resp, err := http.Get(shared.url() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz = %d, want 200", resp.StatusCode)
	}
}
