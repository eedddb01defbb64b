package web

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func req(method, body string, b64 bool) Request {
	r := Request{Body: body, IsBase64Encoded: b64,
		PathParameters:        map[string]string{"token": "abc"},
		QueryStringParameters: map[string]string{"score": "9"},
		Headers:               map[string]string{"content-type": "application/x-www-form-urlencoded"}}
	r.RequestContext.HTTP.Method = method
	return r
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
		{"a huge body is refused before decoding", enc(string(make([]byte, 1000))), true, 10, "", ErrTooLarge},
	}
	for _, tt := range tests {
		got, err := Body(req("POST", tt.body, tt.b64), tt.limit)
		if !errors.Is(err, tt.wantErr) || string(got) != tt.want {
			t.Errorf("%s: %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
	if _, err := Body(req("POST", "not base64!", true), 100); err == nil {
		t.Error("invalid base64 was accepted")
	}
}

func TestRequestHelpers(t *testing.T) {
	t.Parallel()
	r := req("HEAD", "", false)
	if Param(r, "token") != "abc" || Param(r, "other") != "" || Query(r, "score") != "9" || Query(r, "x") != "" {
		t.Error("Param or Query")
	}
	for m, want := range map[string]bool{"GET": true, "HEAD": true, "POST": false, "PUT": false} {
		if got := IsRead(req(m, "", false)); got != want {
			t.Errorf("IsRead(%s) = %v", m, got)
		}
	}
	page := HTML(200, "<p>hi</p>")
	if got := ForMethod(r, page); got.Body != "" || got.StatusCode != 200 || got.Headers["Cache-Control"] != "no-store" {
		t.Errorf("HEAD response %+v", got)
	}
	if got := ForMethod(req("GET", "", false), page); got.Body != "<p>hi</p>" {
		t.Errorf("GET lost its body")
	}
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
