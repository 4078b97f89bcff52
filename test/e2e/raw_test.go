package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// ecsTarget is the X-Amz-Target prefix of every ECS operation:
// rawCall(t, ecsTarget+"ListClusters", "{}").
const ecsTarget = "AmazonEC2ContainerServiceV20141113."

// rawResponse is one AWS JSON response as it came over the wire.
type rawResponse struct {
	Status    int
	Header    http.Header
	ErrorType string // the X-Amzn-ErrorType header
	Type      string // the body's __type
	Message   string // the body's message (or Message)
	Body      []byte
}

// rawRequest sends body as POST / to s with the given X-Amz-Target (no
// header when target is empty), signed with SigV4 over the body's SHA-256
// the way the SDKs sign it, and returns the response as received. It does
// what the SDK will not: send requests its client-side validation refuses.
// Each edit runs on the request before it is signed.
func rawRequest(t testing.TB, s *server, target, body string, edit ...func(*http.Request)) rawResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), http.MethodPost, s.url()+"/", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	for _, e := range edit {
		e(req)
	}
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}
	if err := v4.NewSigner().SignHTTP(req.Context(), creds, req, hex.EncodeToString(sum[:]), "ecs", testRegion, time.Now()); err != nil {
		t.Fatalf("sign: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response of %s: %v", target, err)
	}
	out := rawResponse{Status: resp.StatusCode, Header: resp.Header, ErrorType: resp.Header.Get("X-Amzn-ErrorType"), Body: raw}
	var fields struct {
		Type         string `json:"__type"`
		Message      string `json:"message"`
		MessageUpper string `json:"Message"`
	}
	if json.Unmarshal(raw, &fields) == nil {
		out.Type = fields.Type
		out.Message = fields.Message
		if out.Message == "" {
			out.Message = fields.MessageUpper
		}
	}
	return out
}

// rawCall sends one signed request to the shared server and returns the
// HTTP status, the error type and the error message (both empty on
// success). The error type must be the same in the X-Amzn-ErrorType header
// and the body's __type: the Go SDK reads the one, botocore the other.
func rawCall(t testing.TB, target, body string) (status int, errType, msg string) {
	t.Helper()
	r := rawRequest(t, shared, target, body)
	if r.ErrorType != r.Type {
		t.Fatalf("%s: X-Amzn-ErrorType %q and __type %q differ; body %s", target, r.ErrorType, r.Type, r.Body)
	}
	return r.Status, r.Type, r.Message
}
