package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The survey pages are plain net/http: served by httptest, each route answers as through API
// Gateway, and what no pattern serves gets the survey's own 404 and 405 pages.
func TestRoutesServedByAPlainHTTPServer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.invite(testInvite{eventID: "routes-1", survey: "nps-relationship", locale: "en", contact: "cust-routes", send: true})
	tok := f.surveyToken(inv.ID)
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		name, method, path, body string
		want                     int
		wantBody, allow          string
	}{
		{"the survey page", "GET", "/s/" + tok + "?score=9", "", 200, `value="9"`, ""},
		{"HEAD of the survey page has no body", "HEAD", "/s/" + tok, "", 200, "", ""},
		{"an answer is recorded and redirected to its thank-you page", "POST", "/s/" + tok, "score=9", 303, "", ""},
		{"the unsubscribe page asks first", "GET", "/u/" + f.unsubscribeToken(inv.ID), "", 200, "<form", ""},
		{"a link with no token is not found", "GET", "/s/", "", 404, "<!doctype html>", ""},
		{"an unknown path is the not-found page", "GET", "/nowhere", "", 404, "<!doctype html>", ""},
		{"a wrong method names the right ones", "PUT", "/s/" + tok, "", 405, "<!doctype html>", "GET, HEAD, POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.want || !strings.Contains(strings.ToLower(string(body)), strings.ToLower(tt.wantBody)) ||
				resp.Header.Get("Allow") != tt.allow || tt.method == "HEAD" && len(body) != 0 {
				t.Fatalf("%d Allow %q %.300s, want %d Allow %q containing %q", resp.StatusCode, resp.Header.Get("Allow"), body, tt.want, tt.allow, tt.wantBody)
			}
		})
	}
	if got := f.get(inv.ID); got.Score == nil || *got.Score != 9 {
		t.Fatalf("the answer posted through the server was not recorded: %+v", got.Score)
	}
}
