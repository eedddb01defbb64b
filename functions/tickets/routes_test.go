package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/web"
)

// The handler is plain net/http: served by httptest as by any server, every route answers as it
// does through API Gateway, and what no pattern serves gets the console's own 404 and 405.
func TestRoutesServedByAPlainHTTPServer(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	id := f.openTicket(t, "inv-routes", "cust/routes 100%", "routes@example.com")
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	viewer, agent, admin := f.tokens[access.Viewer], f.tokens[access.Agent], f.tokens[access.Admin]
	tests := []struct {
		name, method, path, token, accept string
		want                              int
		wantBody, wantHeader, headerValue string
	}{
		{"the queue API", "GET", "/ops/tickets?team=customer-success-eu", viewer, "", 200, id, "Content-Type", "application/json"},
		{"one ticket", "GET", "/ops/tickets/" + id, viewer, "", 200, `"id":"` + id, "", ""},
		{"HEAD of a ticket has its headers and no body", "HEAD", "/ops/tickets/" + id, viewer, "", 200, "", "Content-Type", "application/json"},
		{"the ticket page", "GET", "/ops/ticket/" + id, agent, "", 200, "Ana Lopez", "Content-Security-Policy", web.PageCSP},
		{"the queue page is /ops/ only", "GET", "/ops/", viewer, "", 200, id, "", ""},
		{"/ops goes to the queue", "GET", "/ops", "", "", 303, "", "Location", "/ops/"},
		{"a console page without sign-in goes to sign in and back", "GET", "/ops/ticket/" + id + "?x=1", "", "", 303, "",
			"Location", "/ops/login?next=" + url.QueryEscape("/ops/ticket/"+id+"?x=1")},
		{"the API without a token is 401 JSON", "GET", "/ops/tickets", "", "", 401, `"error"`, "", ""},
		{"a contact id with '/', ' ' and '%' travels as PathID", "GET", "/ops/contacts/" + web.PathID("cust/routes 100%") + "/export", admin, "", 200, "routes@example.com", "", ""},
		{"an unknown path is a JSON 404", "GET", "/ops/nothing/here", viewer, "", 404, `"error":"not found"`, "", ""},
		{"an unknown path in a browser is a page", "GET", "/ops/nothing/here", viewer, "text/html", 404, "<!doctype html>", "", ""},
		{"a wrong method is 405 naming the right ones", "PUT", "/ops/tickets/" + id, admin, "", 405, "method not allowed", "Allow", "GET, HEAD, PATCH"},
		{"signing out is a POST", "GET", "/ops/logout", "", "", 405, "", "Allow", "POST"},
		{"an empty id is no route", "GET", "/ops/tickets/", viewer, "", 404, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.want || !strings.Contains(string(body), tt.wantBody) {
				t.Fatalf("%d %.300s, want %d containing %q", resp.StatusCode, body, tt.want, tt.wantBody)
			}
			if tt.method == "HEAD" && len(body) != 0 {
				t.Fatalf("HEAD has a body of %d bytes", len(body))
			}
			if tt.wantHeader != "" && resp.Header.Get(tt.wantHeader) != tt.headerValue {
				t.Fatalf("%s = %q, want %q", tt.wantHeader, resp.Header.Get(tt.wantHeader), tt.headerValue)
			}
		})
	}
}
