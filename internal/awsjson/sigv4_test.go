package awsjson

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go"
)

const (
	testKeyID   = "AKIDBERTHTEST"
	testSecret  = "berth/Test+Secret/0123456789abcdefghijKLMN"
	testRegion  = "us-west-2"
	testService = "ecs"
	testTarget  = "AmazonEC2ContainerServiceV20141113.ListClusters"
	testBody    = `{"maxResults":10,"nextToken":"abc"}`
	testHost    = "berth.example.com"
)

// testNow is the verifier's clock in every test that does not override it.
var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func testVerifier(mode AuthMode) *Verifier {
	return &Verifier{
		Mode:        mode,
		Credentials: StaticCredentials{testKeyID: testSecret},
		Now:         func() time.Time { return testNow },
	}
}

// signOpts describes a request for signRequest; zero fields take defaults.
type signOpts struct {
	method, url   string
	host          string // overrides the URL's host, like a Host header
	body          string
	at            time.Time
	keyID, secret string
	token         string
	region        string
	service       string
	payloadHash   string              // default: hex SHA-256 of body
	headers       map[string][]string // extra headers, signed
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// signRequest builds an ECS-style JSON request and signs it with
// aws-sdk-go-v2's SigV4 signer, the reference implementation.
func signRequest(t testing.TB, o signOpts) (*http.Request, []byte) {
	t.Helper()
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&o.method, http.MethodPost)
	def(&o.url, "https://"+testHost+"/")
	def(&o.keyID, testKeyID)
	def(&o.secret, testSecret)
	def(&o.region, testRegion)
	def(&o.service, testService)
	if o.at.IsZero() {
		o.at = testNow
	}
	body := []byte(o.body)
	def(&o.payloadHash, sha256Hex(body))

	r, err := http.NewRequest(o.method, o.url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if o.host != "" {
		r.Host = o.host
	}
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", testTarget)
	for k, vs := range o.headers {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	creds := aws.Credentials{AccessKeyID: o.keyID, SecretAccessKey: o.secret, SessionToken: o.token}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, o.payloadHash, o.service, o.region, o.at); err != nil {
		t.Fatal(err)
	}
	return r, body
}

// wantAPIError fails unless err is an *Error of type typ with message msg.
func wantAPIError(t *testing.T, err error, typ, msg string) {
	t.Helper()
	var ae *Error
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v (%T), want *Error %s: %q", err, err, typ, msg)
	}
	if ae.Type != typ || ae.Message != msg {
		t.Fatalf("error =\n  %s: %q\nwant\n  %s: %q", ae.Type, ae.Message, typ, msg)
	}
}

func wantIdentity(t *testing.T, got, want Identity) {
	t.Helper()
	if got.AccessKeyID != want.AccessKeyID || got.Region != want.Region ||
		got.Service != want.Service || !got.SignedAt.Equal(want.SignedAt) {
		t.Fatalf("identity = %+v, want %+v", got, want)
	}
}

func TestSigV4Accepts(t *testing.T) {
	defaultID := Identity{AccessKeyID: testKeyID, Region: testRegion, Service: testService, SignedAt: testNow}
	tests := []struct {
		name string
		mode AuthMode
		opts signOpts
		want Identity
	}{
		{"strict", AuthStrict, signOpts{body: testBody}, defaultID},
		{"zero mode is strict", "", signOpts{body: testBody}, defaultID},
		{"any-key", AuthAnyKey, signOpts{body: testBody}, defaultID},
		{"any-key unknown key", AuthAnyKey, signOpts{body: testBody, keyID: "AKIDNOBODY", secret: "whatever"},
			Identity{AccessKeyID: "AKIDNOBODY", Region: testRegion, Service: testService, SignedAt: testNow}},
		{"empty body", AuthStrict, signOpts{}, defaultID},
		{"session token signed", AuthStrict, signOpts{body: testBody, token: "FwoGZXIvYXdzEBYaDH+session/token=="}, defaultID},
		{"host with port", AuthStrict, signOpts{body: testBody, url: "http://127.0.0.1:8443/"}, defaultID},
		{"host header differs from URL", AuthStrict, signOpts{body: testBody, host: "berth.internal:9000"}, defaultID},
		{"other region and service", AuthStrict, signOpts{body: testBody, region: "eu-central-1", service: "logs"},
			Identity{AccessKeyID: testKeyID, Region: "eu-central-1", Service: "logs", SignedAt: testNow}},
		{"extra signed headers, spaces collapsed", AuthStrict, signOpts{body: testBody, headers: map[string][]string{
			"X-Berth-Note": {"  a   b  c  "},
			"X-Multi":      {"1", " 2 "},
		}}, defaultID},
		{"x-amz-content-sha256 sent", AuthStrict, signOpts{body: testBody, headers: map[string][]string{
			"X-Amz-Content-Sha256": {sha256Hex([]byte(testBody))},
		}}, defaultID},
		{"UNSIGNED-PAYLOAD", AuthStrict, signOpts{body: testBody, payloadHash: unsignedPayload, headers: map[string][]string{
			"X-Amz-Content-Sha256": {unsignedPayload},
		}}, defaultID},
		{"path and query double-encoded", AuthStrict, signOpts{
			method: http.MethodGet,
			url:    "https://" + testHost + "/a%20b/%E1%88%B4/c~d?b=2&a=1&a-b=3&c=x%20y&d=a+b&e&a=0&f=%2F",
		}, defaultID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, body := signRequest(t, tc.opts)
			id, err := testVerifier(tc.mode).Verify(r, body)
			if err != nil {
				t.Fatalf("Verify: %v\nAuthorization: %s", err, r.Header.Get("Authorization"))
			}
			wantIdentity(t, id, tc.want)
		})
	}
}

// The SDK signs every header it is given, so the default request really does
// exercise signed content-type, content-length and x-amz-target.
func TestSigV4SignsTargetAndContentType(t *testing.T) {
	r, _ := signRequest(t, signOpts{body: testBody, token: "tok"})
	want := "SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-security-token;x-amz-target,"
	if got := r.Header.Get("Authorization"); !strings.Contains(got, want) {
		t.Fatalf("Authorization = %s, want it to contain %s", got, want)
	}
}

func TestSigV4Tampering(t *testing.T) {
	body := []byte(testBody)
	type mutation struct {
		name   string
		mutate func(r *http.Request, body []byte) []byte
	}
	var tests []mutation
	for i := range body {
		tests = append(tests, mutation{fmt.Sprintf("body byte %d", i), func(_ *http.Request, b []byte) []byte {
			b = bytes.Clone(b)
			b[i] ^= 0x01
			return b
		}})
	}
	setHeader := func(k, v string) func(*http.Request, []byte) []byte {
		return func(r *http.Request, b []byte) []byte { r.Header.Set(k, v); return b }
	}
	tests = append(tests,
		mutation{"body extended", func(_ *http.Request, b []byte) []byte { return append(bytes.Clone(b), ' ') }},
		mutation{"body truncated", func(_ *http.Request, b []byte) []byte { return b[:len(b)-1] }},
		mutation{"content-type", setHeader("Content-Type", "application/x-amz-json-1.0")},
		mutation{"target", setHeader("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.DeleteCluster")},
		mutation{"target one byte", setHeader("X-Amz-Target", testTarget[:len(testTarget)-1]+"t")},
		mutation{"target removed", func(r *http.Request, b []byte) []byte { r.Header.Del("X-Amz-Target"); return b }},
		mutation{"target second value", func(r *http.Request, b []byte) []byte { r.Header.Add("X-Amz-Target", "x"); return b }},
		mutation{"x-amz-date within window", setHeader("X-Amz-Date", "20260102T030406Z")},
		mutation{"host", func(r *http.Request, b []byte) []byte { r.Host = "berth.example.org"; return b }},
		mutation{"host port added", func(r *http.Request, b []byte) []byte { r.Host = testHost + ":443"; return b }},
		mutation{"method", func(r *http.Request, b []byte) []byte { r.Method = http.MethodPut; return b }},
		mutation{"path", func(r *http.Request, b []byte) []byte { r.URL.Path = "/x"; return b }},
		mutation{"query", func(r *http.Request, b []byte) []byte { r.URL.RawQuery = "a=1"; return b }},
	)
	// Every hex digit of the signature, changed to another hex digit.
	for i := range 64 {
		tests = append(tests, mutation{fmt.Sprintf("signature digit %d", i), func(r *http.Request, b []byte) []byte {
			authz := r.Header.Get("Authorization")
			j := strings.Index(authz, "Signature=") + len("Signature=") + i
			d := "1"
			if authz[j] == '1' {
				d = "2"
			}
			r.Header.Set("Authorization", authz[:j]+d+authz[j+1:])
			return b
		}})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, body := signRequest(t, signOpts{body: testBody})
			if _, err := testVerifier(AuthStrict).Verify(r, body); err != nil {
				t.Fatalf("untampered request: %v", err)
			}
			body = tc.mutate(r, body)
			_, err := testVerifier(AuthStrict).Verify(r, body)
			wantAPIError(t, err, TypeInvalidSignature, msgSignatureMismatch)
		})
	}
}

func TestSigV4Keys(t *testing.T) {
	tests := []struct {
		name      string
		v         *Verifier
		opts      signOpts
		wantType  string
		wantMsg   string
		wantKeyID string
	}{
		{"wrong secret", testVerifier(AuthStrict), signOpts{secret: testSecret + "x"},
			TypeInvalidSignature, msgSignatureMismatch, ""},
		{"unknown key strict", testVerifier(AuthStrict), signOpts{keyID: "AKIDNOBODY"},
			TypeUnrecognizedClient, "The security token included in the request is invalid.", ""},
		{"unknown key any-key", testVerifier(AuthAnyKey), signOpts{keyID: "AKIDNOBODY"}, "", "", "AKIDNOBODY"},
		{"wrong secret any-key", testVerifier(AuthAnyKey), signOpts{secret: "nope"}, "", "", testKeyID},
		{"strict with nil Credentials", &Verifier{Now: func() time.Time { return testNow }}, signOpts{},
			TypeUnrecognizedClient, msgUnrecognizedClient, ""},
		{"unknown mode fails closed", &Verifier{Mode: "open", Now: func() time.Time { return testNow }}, signOpts{},
			TypeServer, `authentication is misconfigured: unknown auth mode "open"`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, body := signRequest(t, tc.opts)
			id, err := tc.v.Verify(r, body)
			if tc.wantType == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if id.AccessKeyID != tc.wantKeyID {
					t.Fatalf("AccessKeyID = %q, want %q", id.AccessKeyID, tc.wantKeyID)
				}
				return
			}
			wantAPIError(t, err, tc.wantType, tc.wantMsg)
		})
	}
}

func TestSigV4ClockSkew(t *testing.T) {
	tests := []struct {
		name    string
		now     time.Time // default testNow
		at      time.Time
		wantMsg string // "" means accepted
	}{
		{"now", time.Time{}, testNow, ""},
		{"5m-1s ago", time.Time{}, testNow.Add(-(5*time.Minute - time.Second)), ""},
		{"5m-1s ahead", time.Time{}, testNow.Add(5*time.Minute - time.Second), ""},
		{"exactly 5m ago", time.Time{}, testNow.Add(-5 * time.Minute), ""},
		{"exactly 5m ahead", time.Time{}, testNow.Add(5 * time.Minute), ""},
		{"5m+1s ago", time.Time{}, testNow.Add(-(5*time.Minute + time.Second)),
			"Signature expired: 20260102T025904Z is now earlier than 20260102T025905Z (20260102T030405Z - 5 min.)"},
		{"5m+1s ahead", time.Time{}, testNow.Add(5*time.Minute + time.Second),
			"Signature not yet current: 20260102T030906Z is still later than 20260102T030905Z (20260102T030405Z + 5 min.)"},
		{"AWS's documented example", time.Date(2019, 12, 10, 3, 44, 4, 0, time.UTC), time.Date(2019, 12, 9, 10, 46, 25, 0, time.UTC),
			"Signature expired: 20191209T104625Z is now earlier than 20191210T033904Z (20191210T034404Z - 5 min.)"},
		{"sub-second clock, exactly 5m ago", testNow.Add(900 * time.Millisecond), testNow.Add(-5 * time.Minute), ""},
		{"across midnight", time.Date(2026, 1, 3, 0, 2, 0, 0, time.UTC), time.Date(2026, 1, 2, 23, 58, 30, 0, time.UTC), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := testVerifier(AuthStrict)
			if !tc.now.IsZero() {
				v.Now = func() time.Time { return tc.now }
			}
			r, body := signRequest(t, signOpts{body: testBody, at: tc.at})
			id, err := v.Verify(r, body)
			if tc.wantMsg != "" {
				wantAPIError(t, err, TypeInvalidSignature, tc.wantMsg)
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !id.SignedAt.Equal(tc.at) {
				t.Fatalf("SignedAt = %v, want %v", id.SignedAt, tc.at)
			}
		})
	}
}

func TestSigV4ScopeDateMismatch(t *testing.T) {
	for _, mode := range []AuthMode{AuthStrict, AuthAnyKey} {
		t.Run(string(mode), func(t *testing.T) {
			r, body := signRequest(t, signOpts{body: testBody, at: testNow.Add(-time.Minute)})
			authz := r.Header.Get("Authorization")
			r.Header.Set("Authorization", strings.Replace(authz, "/20260102/", "/20260101/", 1))
			_, err := testVerifier(mode).Verify(r, body)
			wantAPIError(t, err, TypeInvalidSignature,
				"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "+
					"'20260101' != '20260102', from '20260102T030305Z'.")
		})
	}
}

func TestSigV4PayloadHashHeader(t *testing.T) {
	tests := []struct {
		name    string
		sent    string
		tamper  bool
		wantErr bool
	}{
		{"hash matches", sha256Hex([]byte(testBody)), false, false},
		{"hash does not match body", sha256Hex([]byte(testBody)), true, true},
		{"not a hash", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", false, true},
		// UNSIGNED-PAYLOAD opts out of body integrity, so a changed body passes.
		{"unsigned payload, body changed", unsignedPayload, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, body := signRequest(t, signOpts{body: testBody, payloadHash: tc.sent,
				headers: map[string][]string{"X-Amz-Content-Sha256": {tc.sent}}})
			if tc.tamper {
				body = []byte(`{"maxResults":99}`)
			}
			_, err := testVerifier(AuthStrict).Verify(r, body)
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			wantAPIError(t, err, TypeInvalidSignature, msgPayloadHashMismatch)
		})
	}
}

// Components in any order and with any spacing are one signature.
func TestSigV4AuthorizationLayout(t *testing.T) {
	r, body := signRequest(t, signOpts{body: testBody})
	_, rest, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	parts := strings.Split(rest, ", ")
	if len(parts) != 3 {
		t.Fatalf("unexpected Authorization %q", rest)
	}
	cred, sh, sig := parts[0], parts[1], parts[2]
	tests := map[string]string{
		"sdk layout":        "AWS4-HMAC-SHA256 " + rest,
		"no spaces":         "AWS4-HMAC-SHA256 " + cred + "," + sh + "," + sig,
		"reversed":          "AWS4-HMAC-SHA256 " + sig + ", " + sh + ", " + cred,
		"signature first":   "AWS4-HMAC-SHA256 " + sig + "," + cred + ",  " + sh,
		"extra spaces":      "AWS4-HMAC-SHA256   " + cred + " ,   " + sh + " , " + sig + "  ",
		"trailing comma":    "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig + ",",
		"unknown component": "AWS4-HMAC-SHA256 " + cred + ", Foo=bar, " + sh + ", " + sig,
	}
	for name, authz := range tests {
		t.Run(name, func(t *testing.T) {
			r.Header.Set("Authorization", authz)
			if _, err := testVerifier(AuthStrict).Verify(r, body); err != nil {
				t.Fatalf("Verify(%q): %v", authz, err)
			}
		})
	}
}

func TestSigV4MissingAuthentication(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		authz   []string
		wantMsg string
	}{
		{"no header", "https://h/", nil, msgMissingAuthToken},
		{"blank header", "https://h/", []string{"   "}, msgMissingAuthToken},
		{"presigned query", "https://h/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00", nil,
			msgMissingAuthToken + " (presigned query-string requests are not supported; sign with the Authorization header)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, tc.url, nil)
			r.Header["Authorization"] = tc.authz
			r.Header.Set("X-Amz-Date", "20260102T030405Z")
			for _, mode := range []AuthMode{AuthStrict, AuthAnyKey} {
				_, err := testVerifier(mode).Verify(r, nil)
				wantAPIError(t, err, TypeMissingAuthToken, tc.wantMsg)
			}
		})
	}
}

// incompleteCase is a request TestSigV4IncompleteSignature rejects.
type incompleteCase struct {
	name    string
	authz   []string
	date    string // X-Amz-Date; "" means a valid one, "-" none
	httpDat string // Date header
	want    string // the IncompleteSignatureException message
}

func incompleteSignatureCases() []incompleteCase {
	const (
		cred = "Credential=AKIDBERTHTEST/20260102/us-west-2/ecs/aws4_request"
		sh   = "SignedHeaders=host;x-amz-date"
		sig  = "Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		alg  = "AWS4-HMAC-SHA256 "
		good = alg + cred + ", " + sh + ", " + sig
	)
	return []incompleteCase{
		{"wrong algorithm", []string{"AWS4-HMAC-SHA1 " + cred + ", " + sh + ", " + sig}, "", "",
			"Unsupported Authorization algorithm 'AWS4-HMAC-SHA1'; only 'AWS4-HMAC-SHA256' is supported. " +
				"Authorization=AWS4-HMAC-SHA1 " + cred + ", " + sh + ", " + sig},
		{"bearer token", []string{"Bearer abc"}, "", "",
			"Unsupported Authorization algorithm 'Bearer'; only 'AWS4-HMAC-SHA256' is supported. Authorization=Bearer abc"},
		{"algorithm only", []string{"AWS4-HMAC-SHA256"}, "", "",
			"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256"},
		{"no signature", []string{alg + cred + ", " + sh}, "", "",
			"Authorization header requires 'Signature' parameter. Authorization=" + alg + cred + ", " + sh},
		{"no signed headers", []string{alg + cred + ", " + sig}, "", "",
			"Authorization header requires 'SignedHeaders' parameter. Authorization=" + alg + cred + ", " + sig},
		{"empty credential", []string{alg + "Credential=, " + sh + ", " + sig}, "", "",
			"Authorization header requires 'Credential' parameter. Authorization=" + alg + "Credential=, " + sh + ", " + sig},
		{"missing equals", []string{alg + "Credential, " + sh + ", " + sig}, "", "",
			"'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: '" +
				alg + "Credential, " + sh + ", " + sig + "'."},
		{"duplicate credential", []string{good + ", " + cred}, "", "",
			"Authorization header has more than one 'Credential' parameter. Authorization=" + good + ", " + cred},
		{"credential 4 parts", []string{alg + "Credential=AKID/20260102/us-west-2/aws4_request, " + sh + ", " + sig}, "", "",
			"Credential should have 5 slash-separated parts (<access key id>/<YYYYMMDD>/<region>/<service>/aws4_request), " +
				"not 4: 'AKID/20260102/us-west-2/aws4_request'."},
		{"credential 6 parts", []string{alg + "Credential=AK/ID/20260102/us-west-2/ecs/aws4_request, " + sh + ", " + sig}, "", "",
			"Credential should have 5 slash-separated parts (<access key id>/<YYYYMMDD>/<region>/<service>/aws4_request), " +
				"not 6: 'AK/ID/20260102/us-west-2/ecs/aws4_request'."},
		{"bad terminator", []string{alg + "Credential=AKID/20260102/us-west-2/ecs/aws4_requests, " + sh + ", " + sig}, "", "",
			"Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_requests'."},
		{"empty key id", []string{alg + "Credential=/20260102/us-west-2/ecs/aws4_request, " + sh + ", " + sig}, "", "",
			"Credential should begin with a non-empty access key id: '/20260102/us-west-2/ecs/aws4_request'."},
		{"short scope date", []string{alg + "Credential=AKID/2026012/us-west-2/ecs/aws4_request, " + sh + ", " + sig}, "", "",
			"Credential should be scoped to a date in YYYYMMDD format, not '2026012'."},
		{"impossible scope date", []string{alg + "Credential=AKID/20261301/us-west-2/ecs/aws4_request, " + sh + ", " + sig}, "", "",
			"Credential should be scoped to a date in YYYYMMDD format, not '20261301'."},
		{"empty region", []string{alg + "Credential=AKID/20260102//ecs/aws4_request, " + sh + ", " + sig}, "", "",
			"Credential should be scoped to a valid region, not ''."},
		{"empty service", []string{alg + "Credential=AKID/20260102/us-west-2//aws4_request, " + sh + ", " + sig}, "", "",
			"Credential should be scoped to a valid service, not ''."},
		{"host not signed", []string{alg + cred + ", SignedHeaders=content-type;x-amz-date, " + sig}, "", "",
			"'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{"empty signed header name", []string{alg + cred + ", SignedHeaders=host;;x-amz-date, " + sig}, "", "",
			"SignedHeaders 'host;;x-amz-date' contains an empty header name."},
		{"uppercase signature", []string{alg + cred + ", " + sh + ", Signature=" + strings.ToUpper(sig[len("Signature="):])}, "", "",
			"Signature should be 64 lowercase hexadecimal characters (a hex-encoded HMAC-SHA256), not '" +
				strings.ToUpper(sig[len("Signature="):]) + "'."},
		{"short signature", []string{alg + cred + ", " + sh + ", " + sig[:len(sig)-1]}, "", "",
			"Signature should be 64 lowercase hexadecimal characters (a hex-encoded HMAC-SHA256), not '" +
				sig[len("Signature="):len(sig)-1] + "'."},
		{"non-hex signature", []string{alg + cred + ", " + sh + ", " + sig[:len(sig)-1] + "g"}, "", "",
			"Signature should be 64 lowercase hexadecimal characters (a hex-encoded HMAC-SHA256), not '" +
				sig[len("Signature="):len(sig)-1] + "g'."},
		{"two authorization headers", []string{good, good}, "", "",
			"Only one Authorization header may be sent; got 2."},
		{"no date", []string{good}, "-", "",
			"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + good},
		{"malformed x-amz-date", []string{good}, "2026-01-02T03:04:05Z", "",
			"Date must be in ISO-8601 'basic format'. Got '2026-01-02T03:04:05Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{"x-amz-date with short hour", []string{good}, "20260102T3405Z", "",
			"Date must be in ISO-8601 'basic format'. Got '20260102T3405Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{"malformed date header", []string{good}, "-", "2026-01-02",
			"Date header must be in RFC 1123 format, like 'Mon, 02 Jan 2006 15:04:05 GMT'. Got '2026-01-02'."},
	}
}

func TestSigV4IncompleteSignature(t *testing.T) {
	for _, tc := range incompleteSignatureCases() {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "https://"+testHost+"/", nil)
			r.Header["Authorization"] = tc.authz
			switch tc.date {
			case "":
				r.Header.Set("X-Amz-Date", "20260102T030405Z")
			case "-":
			default:
				r.Header.Set("X-Amz-Date", tc.date)
			}
			if tc.httpDat != "" {
				r.Header.Set("Date", tc.httpDat)
			}
			for _, mode := range []AuthMode{AuthStrict, AuthAnyKey} {
				_, err := testVerifier(mode).Verify(r, nil)
				wantAPIError(t, err, TypeIncompleteSignature, tc.want)
			}
		})
	}
}

// Echoed client input is clipped, so a huge header cannot bloat error logs.
func TestSigV4ErrorEchoIsClipped(t *testing.T) {
	huge := "AWS4-HMAC-SHA256 " + strings.Repeat("x", 10000)
	_, e := parseAuthorization(huge)
	if e == nil || e.Type != TypeIncompleteSignature {
		t.Fatalf("parseAuthorization = %v, want IncompleteSignatureException", e)
	}
	if len(e.Message) > 3*maxEchoLen {
		t.Fatalf("message is %d bytes, want it clipped", len(e.Message))
	}
}

// When X-Amz-Date is absent the Date header dates the request, and the
// string to sign carries it in ISO 8601 basic form.
func TestSigV4DateHeaderFallback(t *testing.T) {
	at := testNow.Add(-2 * time.Minute)
	r := httptest.NewRequest(http.MethodPost, "http://"+testHost+"/", nil)
	r.Header.Set("Date", at.Format(http.TimeFormat))
	r.Header.Set("X-Amz-Target", testTarget)
	auth := &sigV4Auth{accessKeyID: testKeyID, date: "20260102", region: testRegion, service: testService,
		headers: []string{"date", "host", "x-amz-target"}}
	body := []byte(testBody)
	sts := stringToSign("20260102T030205Z", auth.scope(), canonicalRequest(r, auth, sha256Hex(body)))
	sig := hex.EncodeToString(hmacSHA256(deriveSigningKey(testSecret, auth.date, auth.region, auth.service), sts))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testKeyID+"/"+auth.scope()+
		", SignedHeaders=date;host;x-amz-target, Signature="+sig)

	for _, mode := range []AuthMode{AuthStrict, AuthAnyKey} {
		id, err := testVerifier(mode).Verify(r, body)
		if err != nil {
			t.Fatalf("%s: Verify: %v", mode, err)
		}
		wantIdentity(t, id, Identity{AccessKeyID: testKeyID, Region: testRegion, Service: testService, SignedAt: at})
	}
	r.Header.Set("X-Amz-Target", "x")
	_, err := testVerifier(AuthStrict).Verify(r, body)
	wantAPIError(t, err, TypeInvalidSignature, msgSignatureMismatch)
}

func TestSigV4CanonicalHelpers(t *testing.T) {
	tests := []struct{ name, got, want string }{
		{"uriEncode path", uriEncode("/a b/ሴ/-_.~", false), "/a%20b/%E1%88%B4/-_.~"},
		{"uriEncode component", uriEncode("a/b+c=d", true), "a%2Fb%2Bc%3Dd"},
		{"trimAll", trimAll("  a   b \t c  "), "a b \t c"},
		{"trimAll plain", trimAll("abc"), "abc"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/?b=2&a-b=3&a=1&a=0&c=x+y&e", nil)
	if got, want := canonicalQuery(r.URL), "a=0&a=1&a-b=3&b=2&c=x%20y&e="; got != want {
		t.Errorf("canonicalQuery = %q, want %q", got, want)
	}
}

func TestSigV4SigningKeyCache(t *testing.T) {
	v := testVerifier(AuthStrict)
	// More distinct scopes than the cache holds: every one still verifies,
	// and the cache stays bounded.
	for i := range signingKeyCacheSize + 20 {
		r, body := signRequest(t, signOpts{body: testBody, region: fmt.Sprintf("region-%d", i)})
		if _, err := v.Verify(r, body); err != nil {
			t.Fatalf("region-%d: %v", i, err)
		}
	}
	if n := v.keys.len(); n != signingKeyCacheSize {
		t.Fatalf("cache holds %d keys, want %d", n, signingKeyCacheSize)
	}
	// A cached key must be the derived key, and a new secret for the same
	// scope must not be served the old secret's key.
	if got, want := v.keys.get(testSecret, "20260102", "x", "ecs"), deriveSigningKey(testSecret, "20260102", "x", "ecs"); !bytes.Equal(got, want) {
		t.Fatal("cached key differs from derived key")
	}
	v.Credentials = StaticCredentials{testKeyID: "rotated"}
	r, body := signRequest(t, signOpts{body: testBody, region: "x"})
	_, err := v.Verify(r, body)
	wantAPIError(t, err, TypeInvalidSignature, msgSignatureMismatch)
}

// Run with -race: Verify is called from every server goroutine.
func TestSigV4Concurrent(t *testing.T) {
	v := testVerifier(AuthStrict)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				r, body := signRequest(t, signOpts{body: testBody, region: fmt.Sprintf("r-%d", (i+j)%5)})
				if _, err := v.Verify(r, body); err != nil {
					t.Errorf("Verify: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// End to end: the real ECS client, real net/http on both sides, so the
// SDK's full middleware stack (user agent, invocation id, retries header)
// and Go's server-side header handling are both in play.
func TestSigV4ECSClientRoundTrip(t *testing.T) {
	v := &Verifier{Credentials: StaticCredentials{testKeyID: testSecret}} // real clock: the SDK signs with it
	var mu sync.Mutex
	var seen []Identity
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id, err := v.Verify(r, body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if err != nil {
			var ae *Error
			errors.As(err, &ae)
			w.Header().Set("X-Amzn-ErrorType", ae.Type)
			w.WriteHeader(ae.HTTPStatus())
			fmt.Fprintf(w, `{"__type":%q,"message":%q}`, ae.Type, ae.Message)
			return
		}
		mu.Lock()
		seen = append(seen, id)
		mu.Unlock()
		io.WriteString(w, `{"clusterArns":[]}`)
	}))
	defer srv.Close()

	client := func(secret string) *ecs.Client {
		return ecs.New(ecs.Options{
			Region:           testRegion,
			BaseEndpoint:     aws.String(srv.URL),
			Credentials:      credentials.NewStaticCredentialsProvider(testKeyID, secret, ""),
			RetryMaxAttempts: 1,
		})
	}
	ctx := context.Background()
	if _, err := client(testSecret).ListClusters(ctx, &ecs.ListClustersInput{MaxResults: aws.Int32(10)}); err != nil {
		t.Fatalf("ListClusters with the right secret: %v", err)
	}
	if len(seen) != 1 || seen[0].AccessKeyID != testKeyID || seen[0].Region != testRegion || seen[0].Service != "ecs" {
		t.Fatalf("identities = %+v", seen)
	}

	_, err := client("wrong").ListClusters(ctx, &ecs.ListClustersInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != TypeInvalidSignature || apiErr.ErrorMessage() != msgSignatureMismatch {
		t.Fatalf("ListClusters with a wrong secret: %v, want %s", err, TypeInvalidSignature)
	}
}
