// Package sdkhttp holds the HTTP plumbing berth's own aws-sdk-go-v2 clients
// (the end-to-end tests and the benchmarks) need.
//
// Transport works around a client-side race in smithy-go v1.28.8 (the
// latest release; aws/aws-sdk-go-v2#2737). The SDK hands net/http each
// request body wrapped in a ReadCloser that it closes once the response's
// headers arrive, and whose WriteTo then answers io.EOF. net/http, still
// checking for bytes past Content-Length after writing the body, takes that
// io.EOF for a failed write and closes the connection, sometimes under a
// response body still being read: a call the server answered 200 then fails
// with "deserialization failed ... use of closed network connection", and
// otherwise the keep-alive connection is lost. Handing net/http the body as
// an in-memory reader avoids both, at the cost of one copy of a small body.
// smithy-go's main branch has the fix; drop this when a release has it.
package sdkhttp

import (
	"bytes"
	"io"
	"net/http"
)

// Transport sends each request with its body read into memory first.
type Transport struct {
	Base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return t.Base.RoundTrip(r)
	}
	body, err := io.ReadAll(r.Body)
	_ = r.Body.Close() // a RoundTripper must close the body, even on error
	if err != nil {
		return nil, err
	}
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	req.ContentLength = int64(len(body))
	return t.Base.RoundTrip(req)
}
