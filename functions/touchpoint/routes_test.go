package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/access"
)

// POST /touchpoints is plain net/http: served by httptest it decides a touchpoint, and any other
// method is refused with the JSON the producers read.
func TestIntakeServedByAPlainHTTPServer(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	producer, err := f.st.CreateAPIToken(context.Background(), access.Producer, "routes producer")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	valid := `{"eventId":"routes-1","touchpoint":"support.case.closed","occurredAt":"2026-11-23T10:00:00Z","contact":{"id":"r1","email":"r1@example.com"}}`
	tests := []struct {
		name, method, path string
		want               int
		wantBody, allow    string
	}{
		{"a touchpoint is decided", "POST", "/touchpoints", 202, `"eventId":"routes-1"`, ""},
		{"a GET is refused", "GET", "/touchpoints", 405, "use POST", "POST"},
		{"another path is not found", "POST", "/elsewhere", 404, "no such route", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(valid))
			req.Header.Set("Authorization", "Bearer "+producer)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.want || !strings.Contains(string(body), tt.wantBody) || resp.Header.Get("Allow") != tt.allow {
				t.Fatalf("%d Allow %q %s, want %d Allow %q containing %q", resp.StatusCode, resp.Header.Get("Allow"), body, tt.want, tt.allow, tt.wantBody)
			}
		})
	}
}
