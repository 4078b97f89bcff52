package awsjson

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzParseAuthorization: the parser never panics, and every input either
// parses into a structurally valid header or is IncompleteSignatureException.
func FuzzParseAuthorization(f *testing.F) {
	const sig = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, seed := range []string{
		"AWS4-HMAC-SHA256 Credential=AKID/20260102/us-west-2/ecs/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig,
		"AWS4-HMAC-SHA256 Signature=" + sig + ",SignedHeaders=host,Credential=AKID/20260102/r/s/aws4_request",
		"AWS4-HMAC-SHA256 Credential=AKID/20260102/us-west-2/ecs/aws4_request, SignedHeaders=host;;x, Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=/20261301//ecs/aws4_requests, SignedHeaders=Host, Signature=" + strings.ToUpper(sig),
		"AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f, SignedHeaders==, Signature==,,,",
		"AWS4-HMAC-SHA256 Credential",
		"AWS4-HMAC-SHA256",
		"AWS4-HMAC-SHA256 ",
		"Bearer token",
		"",
		"AWS4-HMAC-SHA256 Credential=\xff/20260102/\x00/ecs/aws4_request, SignedHeaders=host, Signature=" + sig,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, authz string) {
		auth, e := parseAuthorization(authz)
		if e != nil {
			if auth != nil {
				t.Fatalf("parseAuthorization(%q) returned both a result and %v", authz, e)
			}
			if e.Type != TypeIncompleteSignature || e.Message == "" {
				t.Fatalf("parseAuthorization(%q) = %s: %q, want a non-empty IncompleteSignatureException", authz, e.Type, e.Message)
			}
			return
		}
		if auth == nil {
			t.Fatalf("parseAuthorization(%q) returned neither a result nor an error", authz)
		}
		checkParsed(t, authz, auth)
	})
}

// checkParsed asserts the invariants Verify relies on after a parse succeeds.
func checkParsed(t *testing.T, authz string, a *sigV4Auth) {
	t.Helper()
	switch {
	case !strings.HasPrefix(strings.TrimSpace(authz), sigV4Algorithm+" "):
		t.Fatalf("%q parsed without the %s algorithm", authz, sigV4Algorithm)
	case a.accessKeyID == "" || a.region == "" || a.service == "":
		t.Fatalf("%q parsed with an empty scope part: %+v", authz, a)
	case strings.Contains(a.accessKeyID+a.region+a.service, "/"):
		t.Fatalf("%q parsed with a '/' inside a scope part: %+v", authz, a)
	case !isScopeDate(a.date):
		t.Fatalf("%q parsed with scope date %q", authz, a.date)
	case len(a.signature) != 64 || strings.IndexFunc(a.signature, notLowerHex) >= 0:
		t.Fatalf("%q parsed with signature %q", authz, a.signature)
	}
	hasHost := false
	for _, h := range a.headers {
		if h == "" || h != strings.ToLower(h) {
			t.Fatalf("%q parsed with signed header %q", authz, h)
		}
		hasHost = hasHost || h == "host"
	}
	if !hasHost {
		t.Fatalf("%q parsed without host in SignedHeaders", authz)
	}
}

// FuzzVerify: arbitrary header values and bodies never panic Verify, which
// either succeeds or returns an *Error of a protocol-layer type. The first
// seed is a correctly signed request, so mutations start from the HMAC path.
func FuzzVerify(f *testing.F) {
	signed, body := signRequest(f, signOpts{body: testBody, token: "tok"})
	h := signed.Header
	f.Add(h.Get("Authorization"), h.Get("X-Amz-Date"), "", signed.Host, h.Get("X-Amz-Target"),
		h.Get("X-Amz-Security-Token"), "", "", body)
	f.Add(h.Get("Authorization"), "", "Fri, 02 Jan 2026 03:04:05 GMT", signed.Host, "", "", "", "a=1", body)
	f.Add(h.Get("Authorization"), h.Get("X-Amz-Date"), "", "h:1", testTarget, "", unsignedPayload, "", []byte{})
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDBERTHTEST/20260102/us-west-2/ecs/aws4_request, "+
		"SignedHeaders=host;x-amz-date;x-amz-target;content-length;transfer-encoding, Signature="+strings.Repeat("0", 64),
		"20260102T030405Z", "", "", "", "", "", "", []byte("{}"))
	f.Add("", "", "", "", "", "", "", "X-Amz-Algorithm=AWS4-HMAC-SHA256", []byte(nil))
	f.Add("garbage", "not a date", "nor this", "\x00", "\xff", "", "deadbeef", "%zz&;", []byte("\x00"))

	strict, anyKey := testVerifier(AuthStrict), testVerifier(AuthAnyKey)
	// The first seed must really verify, or the fuzzer never reaches the HMAC.
	seed := fuzzRequest(h.Get("Authorization"), h.Get("X-Amz-Date"), "", signed.Host, h.Get("X-Amz-Target"),
		h.Get("X-Amz-Security-Token"), "", "", body)
	if _, err := strict.Verify(seed, body); err != nil {
		f.Fatalf("signed seed does not verify: %v", err)
	}

	f.Fuzz(func(t *testing.T, authz, amzDate, date, host, target, token, contentSHA, query string, body []byte) {
		r := fuzzRequest(authz, amzDate, date, host, target, token, contentSHA, query, body)
		for _, v := range []*Verifier{strict, anyKey} {
			id, err := v.Verify(r, body)
			if err != nil {
				checkVerifyError(t, err)
				continue
			}
			if v == strict && id.AccessKeyID != testKeyID {
				t.Fatalf("strict mode accepted unknown key %q", id.AccessKeyID)
			}
		}
	})
}

// fuzzRequest builds a server-side-shaped request; empty values are omitted.
func fuzzRequest(authz, amzDate, date, host, target, token, contentSHA, query string, body []byte) *http.Request {
	r := &http.Request{
		Method:        http.MethodPost,
		URL:           &url.URL{Path: "/", RawQuery: query},
		Host:          host,
		Header:        http.Header{},
		ContentLength: int64(len(body)),
	}
	for k, v := range map[string]string{
		"Authorization": authz, "X-Amz-Date": amzDate, "Date": date, "Content-Type": "application/x-amz-json-1.1",
		"X-Amz-Target": target, "X-Amz-Security-Token": token, "X-Amz-Content-Sha256": contentSHA,
	} {
		if v != "" {
			r.Header.Set(k, v)
		}
	}
	return r
}

func checkVerifyError(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Verify returned %T %v, want *Error", err, err)
	}
	switch e.Type {
	case TypeMissingAuthToken, TypeIncompleteSignature, TypeInvalidSignature, TypeUnrecognizedClient:
	default:
		t.Fatalf("Verify returned unexpected error type %s: %s", e.Type, e.Message)
	}
	if e.Message == "" {
		t.Fatalf("Verify returned %s with no message", e.Type)
	}
}
