package web

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// What API Gateway hands the function must reach the handler as a browser sent it, and what the
// handler writes must leave as API Gateway expects it.
func TestServeCarriesTheEventToNetHTTPAndBack(t *testing.T) {
	t.Parallel()
	var got *http.Request
	var body []byte
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		body, _ = io.ReadAll(r.Body)
		w.Header().Add("Set-Cookie", "a=1; Path=/ops")
		w.Header().Add("Set-Cookie", "b=2; Path=/ops")
		w.Header().Add("Vary", "Accept")
		w.Header().Add("Vary", "Cookie")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte("done"))
	})
	ev := event("PATCH", "/ops/contacts/ana maría/100%/who?", "x=1&y=%C3%A9", base64.StdEncoding.EncodeToString([]byte(`{"n":1}`)), true)
	ev.Cookies = []string{"cxops=tok", "other=v"}
	ev.RequestContext.HTTP.SourceIP = "203.0.113.7"
	resp := Serve(context.Background(), h, ev)

	if got.Method != "PATCH" || got.URL.Path != "/ops/contacts/ana maría/100%/who?" || got.URL.Query().Get("y") != "é" {
		t.Errorf("request %s %q ?%s", got.Method, got.URL.Path, got.URL.RawQuery)
	}
	if c, err := got.Cookie("cxops"); err != nil || c.Value != "tok" || got.Host != "ops.example.com" || got.RemoteAddr != "203.0.113.7" {
		t.Errorf("cookie %v %v, host %q, remote %q", c, err, got.Host, got.RemoteAddr)
	}
	if string(body) != `{"n":1}` || got.ContentLength != 7 {
		t.Errorf("body %q (length %d)", body, got.ContentLength)
	}
	if resp.StatusCode != 201 || resp.Body != "done" || resp.IsBase64Encoded || resp.Headers["Vary"] != "Accept, Cookie" ||
		!slices.Equal(resp.Cookies, []string{"a=1; Path=/ops", "b=2; Path=/ops"}) || resp.Headers["Set-Cookie"] != "" {
		t.Errorf("response %+v", resp)
	}
}

func TestServeEncodesABodyThatIsNotText(t *testing.T) {
	t.Parallel()
	png := []byte{0x89, 'P', 'N', 'G', 0xff, 0x00}
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(png) })
	resp := Serve(context.Background(), h, event("GET", "/logo.png", "", "", false))
	if b, err := base64.StdEncoding.DecodeString(resp.Body); err != nil || !resp.IsBase64Encoded || string(b) != string(png) || resp.StatusCode != 200 {
		t.Errorf("binary response %+v", resp)
	}
}

func TestMuxAnswersUnknownPathsAndWrongMethodsWithTheFunctionsOwnPages(t *testing.T) {
	t.Parallel()
	m := NewMux(
		func(w http.ResponseWriter, _ *http.Request) { Error(http.StatusNotFound, "nothing here").Write(w) },
		func(w http.ResponseWriter, _ *http.Request) { Error(http.StatusMethodNotAllowed, "not so").Write(w) })
	m.HandleFunc("GET /ops/tickets/{id}", func(w http.ResponseWriter, r *http.Request) { JSON(200, r.PathValue("id")).Write(w) })
	m.HandleFunc("PATCH /ops/tickets/{id}", func(w http.ResponseWriter, r *http.Request) { JSON(200, "patched").Write(w) })
	tests := []struct {
		name, method, path string
		status             int
		body, allow        string
	}{
		{"a served route", "GET", "/ops/tickets/t-1", 200, `"t-1"`, ""},
		{"a decoded '%' stays in its segment", "GET", "/ops/tickets/100%", 200, `"100%"`, ""},
		{"HEAD is served by GET", "HEAD", "/ops/tickets/t-1", 200, "", ""},
		{"an unknown path", "GET", "/ops/nothing", 404, "nothing here", ""},
		{"an empty id is no id", "GET", "/ops/tickets/", 404, "nothing here", ""},
		{"a wrong method names the right ones", "DELETE", "/ops/tickets/t-1", 405, "not so", "GET, HEAD, PATCH"},
	}
	for _, tt := range tests {
		resp := Serve(context.Background(), m, event(tt.method, tt.path, "", "", false))
		if resp.StatusCode != tt.status || !strings.Contains(resp.Body, tt.body) || resp.Headers["Allow"] != tt.allow {
			t.Errorf("%s: %d %q Allow %q, want %d %q Allow %q", tt.name, resp.StatusCode, resp.Body, resp.Headers["Allow"], tt.status, tt.body, tt.allow)
		}
	}
}
