package web

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// event is an HTTP API event as API Gateway sends one.
func event(method, path, query, body string, b64 bool) Request {
	ev := Request{Version: "2.0", RawPath: path, RawQueryString: query, Body: body, IsBase64Encoded: b64,
		Headers: map[string]string{"content-type": "application/x-www-form-urlencoded", "host": "ops.example.com"}}
	ev.RequestContext.HTTP.Method = method
	ev.RequestContext.HTTP.Path = path
	return ev
}

func TestBodyDecodesWhatAPIGatewayEncodesAndRefusesOversizedBodies(t *testing.T) {
	t.Parallel()
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name    string
		body    string
		b64     bool
		limit   int
		want    string
		wantErr error
	}{
		{"a plain body", "score=9", false, 100, "score=9", nil},
		{"a base64 form body, as HTTP APIs send forms", enc("score=9&comment=%C3%A9"), true, 100, "score=9&comment=%C3%A9", nil},
		{"a body at the limit", enc("12345"), true, 5, "12345", nil},
		{"a decoded body over the limit", enc("123456"), true, 5, "", ErrTooLarge},
		{"a huge body is refused before it is read", enc(string(make([]byte, 1000))), true, 10, "", ErrTooLarge},
	}
	for _, tt := range tests {
		r, err := NewRequest(context.Background(), event("POST", "/s/abc", "", tt.body, tt.b64))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got, err := Body(r, tt.limit)
		if !errors.Is(err, tt.wantErr) || string(got) != tt.want {
			t.Errorf("%s: %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
	if _, err := NewRequest(context.Background(), event("POST", "/s/abc", "", "not base64!", true)); err == nil {
		t.Error("invalid base64 was accepted")
	}
	resp := Serve(context.Background(), http.NotFoundHandler(), event("POST", "/s/abc", "", "not base64!", true))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("invalid base64 answered %d, want 400", resp.StatusCode)
	}
}

func TestRequestHelpers(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /s/{token}", func(w http.ResponseWriter, r *http.Request) {
		if Param(r, "token") != "abc" || Param(r, "other") != "" || Query(r, "score") != "9" || Query(r, "x") != "" ||
			Query(r, "twice") != "a,b" || Bearer(r) != "cx_1" || Header(r, "AUTHORIZATION") != "Bearer cx_1" {
			t.Errorf("Param, Query, Bearer or Header of %v", r.URL)
		}
		HTML(200, "<p>hi</p>").Write(w)
	})
	ev := event("HEAD", "/s/abc", "score=9&twice=a&twice=b", "", false)
	ev.Headers["authorization"] = "Bearer cx_1"
	if got := Serve(context.Background(), mux, ev); got.Body != "" || got.StatusCode != 200 || got.Headers["Cache-Control"] != "no-store" {
		t.Errorf("HEAD response %+v", got)
	}
	ev.RequestContext.HTTP.Method = "GET"
	if got := Serve(context.Background(), mux, ev); got.Body != "<p>hi</p>" {
		t.Errorf("GET lost its body")
	}
	for m, want := range map[string]bool{"GET": true, "HEAD": true, "POST": false, "PUT": false} {
		if got := IsRead(httptest.NewRequest(m, "/", nil)); got != want {
			t.Errorf("IsRead(%s) = %v", m, got)
		}
	}
	page := HTML(200, "<p>hi</p>")
	with := WithHeader(page, "Retry-After", "60")
	if with.Headers["Retry-After"] != "60" || page.Headers["Retry-After"] != "" || with.Headers["X-Robots-Tag"] != "noindex" {
		t.Errorf("WithHeader: %v (original %v)", with.Headers, page.Headers)
	}
}

func TestPathIDRoundTripsEveryIdAProducerMaySend(t *testing.T) {
	for _, id := range []string{"cust-42", "ana maría", "a/b", "100%", "who?", "ünïcødé", "x#y", "../../etc"} {
		seg := PathID(id)
		if strings.ContainsAny(seg, "/%?#=+ ") {
			t.Errorf("PathID(%q) = %q is not one plain path segment", id, seg)
		}
		got, err := ParsePathID(seg)
		if err != nil || got != id {
			t.Errorf("ParsePathID(PathID(%q)) = %q, %v", id, got, err)
		}
	}
	for _, bad := range []string{"", "not base64!", "Y3VzdC00Mg==", "/w"} {
		if _, err := ParsePathID(bad); err == nil {
			t.Errorf("ParsePathID(%q) accepted", bad)
		}
	}
}
