package awsjson

// AWS Signature Version 4 verification, done the way AWS front-ends do it for
// header-signed requests: the client's own SignedHeaders list drives the
// canonical request, error types and messages match what AWS returns, and the
// clock-skew window is AWS's five minutes. Presigned (query-string) requests
// are not supported; JSON 1.1 clients never send them.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AuthMode selects how a Verifier treats access key ids.
type AuthMode string

const (
	// AuthStrict requires the access key id to resolve through Credentials and
	// the signature to verify against its secret. The zero AuthMode is strict,
	// so a Verifier that was never configured fails closed.
	AuthStrict AuthMode = "strict"

	// AuthAnyKey accepts any access key id and does not check the HMAC (there
	// is no secret to check it with). The Authorization header must still be
	// well formed, and its scope and date valid, so clients that sign
	// correctly keep working when strict mode is turned on. It exists for
	// local development, where the AWS CLI or an SDK signs with whatever keys
	// happen to be configured. It authenticates nobody: never use it on an
	// endpoint that untrusted clients can reach.
	AuthAnyKey AuthMode = "any-key"
)

const (
	sigV4Algorithm  = "AWS4-HMAC-SHA256"
	scopeTerminator = "aws4_request"
	amzDateLayout   = "20060102T150405Z" // ISO 8601 basic format, always UTC
	scopeDateLayout = "20060102"
	unsignedPayload = "UNSIGNED-PAYLOAD"

	// maxClockSkew is how far a request's signing time may be from our clock,
	// either way. The signature is all that stops a captured request being
	// replayed, so the window bounds how long a capture stays useful, while
	// tolerating the drift of clients without NTP. Five minutes is AWS's value;
	// using the same one means a client that works against AWS works here.
	maxClockSkew = 5 * time.Minute

	// signingKeyCacheSize bounds the derived signing-key cache. One entry
	// serves one (secret, day, region, service), so a deployment needs a few
	// entries per key; the bound only stops junk scopes growing the map.
	signingKeyCacheSize = 256

	// maxEchoLen caps how much of a client-supplied value an error message
	// repeats back: enough to debug with, not enough to bloat logs.
	maxEchoLen = 512
)

// Messages AWS returns verbatim; SDKs and users search for these strings.
const (
	msgMissingAuthToken   = "Missing Authentication Token"
	msgUnrecognizedClient = "The security token included in the request is invalid."
	msgSignatureMismatch  = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgPayloadHashMismatch = "The provided 'x-amz-content-sha256' header does not match what was computed."
)

// Identity is who signed a request, as stated by its credential scope.
type Identity struct {
	AccessKeyID string
	Region      string
	Service     string
	SignedAt    time.Time // UTC
}

// Verifier authenticates SigV4-signed requests. Its zero value is a strict
// verifier that knows no keys. It holds a mutex-guarded cache, so it must not
// be copied after first use; it is safe for concurrent use.
type Verifier struct {
	Mode        AuthMode
	Credentials Credentials      // consulted in strict mode only
	Now         func() time.Time // injected clock; nil means time.Now

	keys signingKeyCache
}

// Verify checks r's Authorization header against body, the whole request body
// already read. Every error is an *Error. Checks run cheapest first, so
// garbage is rejected before any credential lookup or HMAC:
//
//  1. Authorization present (else MissingAuthenticationTokenException);
//  2. it parses (else IncompleteSignatureException);
//  3. X-Amz-Date, or failing that Date, is present and well formed;
//  4. the scope date matches it and it is within maxClockSkew of Now;
//  5. any X-Amz-Content-Sha256 matches body (or is UNSIGNED-PAYLOAD);
//  6. strict mode only: the key is known (else UnrecognizedClientException)
//     and the signature matches (else InvalidSignatureException).
//
// A header named in SignedHeaders but absent from the request is signed as an
// empty value, as the client would have had to; the signature then simply
// fails to match unless the client really signed it empty.
func (v *Verifier) Verify(r *http.Request, body []byte) (Identity, error) {
	authz, e := authorizationHeader(r)
	if e != nil {
		return Identity{}, e
	}
	auth, e := parseAuthorization(authz)
	if e != nil {
		return Identity{}, e
	}
	amzDate, signedAt, e := requestTime(r, authz)
	if e != nil {
		return Identity{}, e
	}
	if e := checkScopeDate(auth.date, amzDate); e != nil {
		return Identity{}, e
	}
	if e := checkSkew(signedAt, v.now()); e != nil {
		return Identity{}, e
	}
	bodyHash, e := payloadHash(r, body)
	if e != nil {
		return Identity{}, e
	}
	id := Identity{AccessKeyID: auth.accessKeyID, Region: auth.region, Service: auth.service, SignedAt: signedAt}

	switch v.Mode {
	case AuthAnyKey:
		return id, nil
	case AuthStrict, "":
	default:
		return Identity{}, Errorf(TypeServer, "authentication is misconfigured: unknown auth mode %q", v.Mode)
	}

	var secret string
	ok := false
	if v.Credentials != nil {
		secret, ok = v.Credentials.Secret(auth.accessKeyID)
	}
	if !ok {
		return Identity{}, Errorf(TypeUnrecognizedClient, msgUnrecognizedClient)
	}
	sts := stringToSign(amzDate, auth.scope(), canonicalRequest(r, auth, bodyHash))
	key := v.keys.get(secret, auth.date, auth.region, auth.service)
	want := hex.EncodeToString(hmacSHA256(key, sts))
	// Constant time, so response timing does not reveal how many leading
	// characters of a forged signature were right.
	if !hmac.Equal([]byte(want), []byte(auth.signature)) {
		return Identity{}, Errorf(TypeInvalidSignature, msgSignatureMismatch)
	}
	return id, nil
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// authorizationHeader returns the single, non-blank Authorization header.
func authorizationHeader(r *http.Request) (string, *Error) {
	values := r.Header.Values("Authorization")
	if len(values) > 1 {
		// Two headers make it ambiguous which one was verified; refuse both.
		return "", Errorf(TypeIncompleteSignature,
			"Only one Authorization header may be sent; got %d.", len(values))
	}
	if len(values) == 0 || strings.TrimSpace(values[0]) == "" {
		if r.URL != nil && r.URL.Query().Has("X-Amz-Algorithm") {
			return "", Errorf(TypeMissingAuthToken, "%s (presigned query-string requests are not supported; "+
				"sign with the Authorization header)", msgMissingAuthToken)
		}
		return "", Errorf(TypeMissingAuthToken, msgMissingAuthToken)
	}
	return strings.TrimSpace(values[0]), nil
}

// sigV4Auth is a parsed, structurally valid Authorization header.
type sigV4Auth struct {
	accessKeyID string
	date        string // scope date, YYYYMMDD
	region      string
	service     string
	headers     []string // SignedHeaders, lower-cased, in the client's order
	signature   string   // 64 lowercase hex digits
}

func (a *sigV4Auth) scope() string {
	return a.date + "/" + a.region + "/" + a.service + "/" + scopeTerminator
}

// parseAuthorization parses
//
//	AWS4-HMAC-SHA256 Credential=AKID/yyyymmdd/region/service/aws4_request, SignedHeaders=a;b, Signature=hex
//
// with the components in any order and any spacing after the commas.
// Unknown components are ignored: they cannot weaken the check, since only
// the three named ones feed it. Every failure is an
// IncompleteSignatureException saying exactly what is wrong.
func parseAuthorization(authz string) (*sigV4Auth, *Error) {
	authz = strings.TrimSpace(authz)
	alg, rest, _ := strings.Cut(authz, " ")
	if alg != sigV4Algorithm {
		return nil, Errorf(TypeIncompleteSignature,
			"Unsupported Authorization algorithm '%s'; only '%s' is supported. Authorization=%s",
			echo(alg), sigV4Algorithm, echo(authz))
	}
	params := make(map[string]string, 3)
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, Errorf(TypeIncompleteSignature,
				"'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.",
				echo(part), echo(authz))
		}
		k = strings.TrimSpace(k)
		if _, dup := params[k]; dup {
			return nil, Errorf(TypeIncompleteSignature,
				"Authorization header has more than one '%s' parameter. Authorization=%s", echo(k), echo(authz))
		}
		params[k] = strings.TrimSpace(val)
	}
	// AWS reports every missing parameter at once, in this order.
	var missing strings.Builder
	for _, name := range []string{"Credential", "Signature", "SignedHeaders"} {
		if params[name] == "" {
			fmt.Fprintf(&missing, "Authorization header requires '%s' parameter. ", name)
		}
	}
	if missing.Len() > 0 {
		return nil, Errorf(TypeIncompleteSignature, "%sAuthorization=%s", missing.String(), echo(authz))
	}
	auth := &sigV4Auth{}
	if e := auth.setCredential(params["Credential"]); e != nil {
		return nil, e
	}
	if e := auth.setSignedHeaders(params["SignedHeaders"]); e != nil {
		return nil, e
	}
	if e := auth.setSignature(params["Signature"]); e != nil {
		return nil, e
	}
	return auth, nil
}

// setCredential parses AKID/yyyymmdd/region/service/aws4_request. Region and
// service are not restricted here: the caller decides which it serves.
func (a *sigV4Auth) setCredential(cred string) *Error {
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return Errorf(TypeIncompleteSignature,
			"Credential should have 5 slash-separated parts (<access key id>/<YYYYMMDD>/<region>/<service>/%s), "+
				"not %d: '%s'.", scopeTerminator, len(parts), echo(cred))
	}
	keyID, date, region, service, term := parts[0], parts[1], parts[2], parts[3], parts[4]
	switch {
	case term != scopeTerminator:
		return Errorf(TypeIncompleteSignature,
			"Credential should be scoped with a valid terminator: '%s', not '%s'.", scopeTerminator, echo(term))
	case keyID == "":
		return Errorf(TypeIncompleteSignature, "Credential should begin with a non-empty access key id: '%s'.", echo(cred))
	case !isScopeDate(date):
		return Errorf(TypeIncompleteSignature,
			"Credential should be scoped to a date in YYYYMMDD format, not '%s'.", echo(date))
	case region == "":
		return Errorf(TypeIncompleteSignature, "Credential should be scoped to a valid region, not ''.")
	case service == "":
		return Errorf(TypeIncompleteSignature, "Credential should be scoped to a valid service, not ''.")
	}
	a.accessKeyID, a.date, a.region, a.service = keyID, date, region, service
	return nil
}

func isScopeDate(s string) bool {
	t, err := time.Parse(scopeDateLayout, s)
	// The round trip rejects what time.Parse tolerates but AWS would not.
	return err == nil && t.Format(scopeDateLayout) == s
}

// setSignedHeaders parses a;b;c. Names are lower-cased (SigV4's canonical
// form) but kept in the client's order: the client signed them in that order.
func (a *sigV4Auth) setSignedHeaders(list string) *Error {
	names := strings.Split(list, ";")
	hasHost := false
	for i, n := range names {
		if n == "" {
			return Errorf(TypeIncompleteSignature,
				"SignedHeaders '%s' contains an empty header name.", echo(list))
		}
		names[i] = strings.ToLower(n)
		hasHost = hasHost || names[i] == "host"
	}
	if !hasHost {
		// Without a signed Host a request could be replayed at another endpoint.
		return Errorf(TypeIncompleteSignature,
			"'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	a.headers = names
	return nil
}

func (a *sigV4Auth) setSignature(sig string) *Error {
	if len(sig) != hex.EncodedLen(sha256.Size) || strings.IndexFunc(sig, notLowerHex) >= 0 {
		return Errorf(TypeIncompleteSignature,
			"Signature should be %d lowercase hexadecimal characters (a hex-encoded HMAC-SHA256), not '%s'.",
			hex.EncodedLen(sha256.Size), echo(sig))
	}
	a.signature = sig
	return nil
}

func notLowerHex(c rune) bool { return (c < '0' || c > '9') && (c < 'a' || c > 'f') }

// requestTime returns the signing time as the string to sign carries it
// (X-Amz-Date verbatim, or Date re-rendered in ISO 8601 basic form) and as a
// time. X-Amz-Date wins because that is the header SDKs sign.
func requestTime(r *http.Request, authz string) (string, time.Time, *Error) {
	if v := r.Header.Get("X-Amz-Date"); v != "" {
		t, err := time.Parse(amzDateLayout, v)
		if err != nil || t.Format(amzDateLayout) != v {
			return "", time.Time{}, Errorf(TypeIncompleteSignature,
				"Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", echo(v))
		}
		return v, t, nil
	}
	if v := r.Header.Get("Date"); v != "" {
		t, err := time.Parse(http.TimeFormat, v)
		if err != nil {
			return "", time.Time{}, Errorf(TypeIncompleteSignature,
				"Date header must be in RFC 1123 format, like '%s'. Got '%s'.", http.TimeFormat, echo(v))
		}
		t = t.UTC()
		return t.Format(amzDateLayout), t, nil
	}
	return "", time.Time{}, Errorf(TypeIncompleteSignature,
		"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=%s",
		echo(authz))
}

// checkScopeDate requires the credential scope's day to be the signing day,
// so a signing key derived for one day cannot sign for another.
func checkScopeDate(scopeDate, amzDate string) *Error {
	if scopeDate != amzDate[:len(scopeDateLayout)] {
		return Errorf(TypeInvalidSignature,
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "+
				"'%s' != '%s', from '%s'.", scopeDate, amzDate[:len(scopeDateLayout)], amzDate)
	}
	return nil
}

// checkSkew rejects requests signed more than maxClockSkew before or after
// now. Exactly maxClockSkew is accepted. now is truncated to the second, the
// resolution of X-Amz-Date, so the messages' timestamps are consistent.
func checkSkew(signedAt, now time.Time) *Error {
	now = now.UTC().Truncate(time.Second)
	window := int(maxClockSkew / time.Minute)
	if earliest := now.Add(-maxClockSkew); signedAt.Before(earliest) {
		return Errorf(TypeInvalidSignature, "Signature expired: %s is now earlier than %s (%s - %d min.)",
			signedAt.Format(amzDateLayout), earliest.Format(amzDateLayout), now.Format(amzDateLayout), window)
	}
	if latest := now.Add(maxClockSkew); signedAt.After(latest) {
		return Errorf(TypeInvalidSignature, "Signature not yet current: %s is still later than %s (%s + %d min.)",
			signedAt.Format(amzDateLayout), latest.Format(amzDateLayout), now.Format(amzDateLayout), window)
	}
	return nil
}

// payloadHash returns the payload hash the client signed: X-Amz-Content-Sha256
// when sent, else the hex SHA-256 of body. A sent hash must match body (or be
// UNSIGNED-PAYLOAD, which opts out of body integrity): otherwise the signature
// would cover the header but not the body actually received.
func payloadHash(r *http.Request, body []byte) (string, *Error) {
	sum := sha256.Sum256(body)
	computed := hex.EncodeToString(sum[:])
	sent := r.Header.Get("X-Amz-Content-Sha256")
	switch sent {
	case "":
		return computed, nil
	case unsignedPayload, computed:
		return sent, nil
	default:
		return "", Errorf(TypeInvalidSignature, msgPayloadHashMismatch)
	}
}

// canonicalRequest builds the SigV4 canonical request from the headers the
// client says it signed, never from a fixed set.
func canonicalRequest(r *http.Request, auth *sigV4Auth, payloadHash string) string {
	method := r.Method
	if method == "" {
		method = http.MethodGet // net/http's meaning of an empty client method
	}
	var b strings.Builder
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r.URL))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL))
	b.WriteByte('\n')
	for _, name := range auth.headers {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(canonicalHeaderValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(auth.headers, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// canonicalURI is the escaped path, URI-encoded once more segment by segment.
// Every AWS service but S3 encodes the path twice, and so do SDKs signing for
// them; JSON APIs always use "/", which both encodings leave alone. The path
// is not normalised (no dot-segment removal), matching aws-sdk-go-v2.
func canonicalURI(u *url.URL) string {
	path := ""
	if u != nil {
		path = u.EscapedPath()
	}
	if path == "" {
		path = "/"
	}
	return uriEncode(path, false)
}

// canonicalQuery sorts the query's name=value pairs after SigV4-encoding
// them (the order differs from sorting before). Pairs net/url cannot parse
// are dropped: the client signed what it sent, so that only makes the
// signature mismatch, which is the right answer for a malformed query.
func canonicalQuery(u *url.URL) string {
	if u == nil || u.RawQuery == "" {
		return ""
	}
	values, _ := url.ParseQuery(u.RawQuery)
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(values))
	for k, vs := range values {
		ek := uriEncode(k, true)
		for _, v := range vs {
			pairs = append(pairs, pair{ek, uriEncode(v, true)})
		}
	}
	// Sort on key, then value, not on "k=v": '-', '.' and '%' sort below '=',
	// so "a-b=1" would wrongly precede "a=1".
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k + "=" + p.v)
	}
	return b.String()
}

// canonicalHeaderValue is a signed header's canonical value: each value
// trimmed with inner runs of spaces collapsed (as aws-sdk-go-v2 does), and
// multiple values joined with ','. An absent header is "".
func canonicalHeaderValue(r *http.Request, name string) string {
	var values []string
	switch name {
	case "host":
		// net/http moves Host out of Header. r.Host is the header as received,
		// port included; a client-side request may only have URL.Host.
		host := r.Host
		if host == "" && r.URL != nil {
			host = r.URL.Host
		}
		values = []string{host}
	case "content-length":
		values = r.Header.Values(name)
		// A server keeps Content-Length in Header; a request built in-process
		// may carry it only in ContentLength.
		if len(values) == 0 && r.ContentLength > 0 {
			values = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	case "transfer-encoding":
		// net/http moves Transfer-Encoding out of Header too.
		values = r.Header.Values(name)
		if len(values) == 0 {
			values = r.TransferEncoding
		}
	default:
		values = r.Header.Values(name)
	}
	trimmed := make([]string, len(values))
	for i, v := range values {
		trimmed[i] = trimAll(v)
	}
	return strings.Join(trimmed, ",")
}

// trimAll trims surrounding whitespace and collapses inner runs of spaces to
// one, as aws-sdk-go-v2's signer does.
func trimAll(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' && i > 0 && v[i-1] == ' ' {
			continue
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// uriEncode percent-encodes every byte outside RFC 3986's unreserved set,
// with uppercase hex, as SigV4 requires. '/' is kept when encoding a path.
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0x0f])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func stringToSign(amzDate, scope, canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	return sigV4Algorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

// deriveSigningKey is SigV4's key chain: each HMAC narrows the secret to one
// day, region and service, so a leaked signing key is worth little.
func deriveSigningKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, scopeTerminator)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// signingKeyID identifies a derived key. The secret is held as its SHA-256,
// which is cheaper than the four HMACs it saves and keeps plaintext secrets
// out of the cache.
type signingKeyID struct {
	secret                [sha256.Size]byte
	date, region, service string
}

// signingKeyCache is a small bounded map of derived signing keys. When full,
// an arbitrary entry is evicted (Go randomises map iteration): simpler than
// LRU, and stale days fall out on their own. Keys returned are shared and
// must not be modified.
type signingKeyCache struct {
	mu   sync.Mutex
	keys map[signingKeyID][]byte
}

func (c *signingKeyCache) get(secret, date, region, service string) []byte {
	id := signingKeyID{secret: sha256.Sum256([]byte(secret)), date: date, region: region, service: service}
	c.mu.Lock()
	key, ok := c.keys[id]
	c.mu.Unlock()
	if ok {
		return key
	}
	// Derive outside the lock; a concurrent miss derives the same key twice,
	// which is harmless.
	key = deriveSigningKey(secret, date, region, service)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil {
		c.keys = make(map[signingKeyID][]byte)
	}
	for k := range c.keys {
		if len(c.keys) < signingKeyCacheSize {
			break
		}
		delete(c.keys, k)
	}
	c.keys[id] = key
	return key
}

func (c *signingKeyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.keys)
}

// echo clips a client-supplied value for repeating in an error message.
func echo(s string) string {
	if len(s) <= maxEchoLen {
		return s
	}
	return strings.ToValidUTF8(s[:maxEchoLen], "") + "..."
}
