package sdkhttp

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// recordingBody notes whether it was closed.
type recordingBody struct {
	io.Reader
	closed bool
}

func (b *recordingBody) Close() error { b.closed = true; return nil }

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestTransportSendsTheBodyFromMemory(t *testing.T) {
	orig := &recordingBody{Reader: strings.NewReader(`{"a":1}`)}
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1/", orig)
	if err != nil {
		t.Fatal(err)
	}
	var sent *http.Request
	tr := Transport{Base: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent = r
		return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
	})}
	if _, err := tr.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if !orig.closed {
		t.Error("the caller's body was not closed")
	}
	if sent == req {
		t.Fatal("the caller's request was modified instead of copied")
	}
	if sent.ContentLength != 7 {
		t.Errorf("ContentLength = %d, want 7", sent.ContentLength)
	}
	for i := range 2 { // the body, then a fresh one from GetBody
		b, err := io.ReadAll(sent.Body)
		if err != nil || string(b) != `{"a":1}` {
			t.Fatalf("body %d = %q (%v), want the original bytes", i, b, err)
		}
		if sent.Body, err = sent.GetBody(); err != nil {
			t.Fatal(err)
		}
	}
}
