package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cxloop/cxloop/infra/local/httpapi"
	"github.com/cxloop/cxloop/infra/local/lambdahost"
	"github.com/cxloop/cxloop/infra/local/lambdahost/lambdatest"
	"github.com/cxloop/cxloop/infra/local/samtemplate"
)

func newAPI(t *testing.T) *httptest.Server {
	t.Helper()
	bin := lambdatest.Binary(t)
	host := lambdahost.NewHost(
		lambdahost.Config{Name: "SurveyFunction", Binary: bin, Logs: io.Discard},
		lambdahost.Config{Name: "OpsFunction", Binary: bin, Logs: io.Discard},
	)
	t.Cleanup(func() { _ = host.Close() })
	routes := []httpapi.Route{
		{Function: "SurveyFunction", Method: "GET", Path: "/s/{token}"},
		{Function: "SurveyFunction", Method: "HEAD", Path: "/s/{token}"},
		{Function: "SurveyFunction", Method: "POST", Path: "/s/{token}"},
		{Function: "SurveyFunction", Method: "GET", Path: "/reply"},
		{Function: "SurveyFunction", Method: "GET", Path: "/fail"},
		{Function: "OpsFunction", Method: "ANY", Path: "/ops"},
		{Function: "OpsFunction", Method: "ANY", Path: "/ops/{proxy+}"},
		{Function: "SurveyFunction", Method: "GET", Path: "/ops/special"},
	}
	srv := httptest.NewServer(httpapi.New(routes, host, nil))
	t.Cleanup(srv.Close)
	return srv
}

// echoed is what the test function answers for an HTTP event it does not special-case.
type echoed struct {
	Event    events.APIGatewayV2HTTPRequest `json:"event"`
	Function string                         `json:"function"`
}

func TestRequestsBecomePayloadV2EventsForTheRightFunction(t *testing.T) {
	t.Parallel()
	srv := newAPI(t)
	tests := []struct {
		name, method, path, contentType, body string
		wantFunction, wantRouteKey            string
		wantParams                            map[string]string
		wantBody                              string
		wantBase64                            bool
		wantRawPath                           string // default: the path without its query
		wantStatus                            int    // default 200
	}{
		{name: "a path parameter is extracted", method: "GET", path: "/s/abc.def?score=9&x=1&x=2",
			wantFunction: "SurveyFunction", wantRouteKey: "GET /s/{token}", wantParams: map[string]string{"token": "abc.def"}},
		{name: "a form post arrives base64-encoded as API Gateway sends it", method: "POST", path: "/s/tok",
			contentType: "application/x-www-form-urlencoded", body: "score=9&comment=great",
			wantFunction: "SurveyFunction", wantRouteKey: "POST /s/{token}", wantParams: map[string]string{"token": "tok"},
			wantBody: base64.StdEncoding.EncodeToString([]byte("score=9&comment=great")), wantBase64: true},
		{name: "a JSON body arrives as plain text", method: "PATCH", path: "/ops/tickets/t-1", contentType: "application/json",
			body: `{"status":"closed"}`, wantFunction: "OpsFunction", wantRouteKey: "ANY /ops/{proxy+}",
			wantParams: map[string]string{"proxy": "tickets/t-1"}, wantBody: `{"status":"closed"}`},
		{name: "a greedy route does not swallow its bare prefix", method: "GET", path: "/ops",
			wantFunction: "OpsFunction", wantRouteKey: "ANY /ops"},
		{name: "a literal route beats a greedy one", method: "GET", path: "/ops/special",
			wantFunction: "SurveyFunction", wantRouteKey: "GET /ops/special"},
		// API Gateway HTTP APIs hand the path over decoded, so an encoded '/' separates segments
		// and a decoded '?' ends the path: the local API does the same.
		{name: "the path arrives decoded", method: "GET", path: "/ops/contacts/ana%20mar%C3%ADa/export",
			wantFunction: "OpsFunction", wantRouteKey: "ANY /ops/{proxy+}", wantParams: map[string]string{"proxy": "contacts/ana maría/export"},
			wantRawPath: "/ops/contacts/ana maría/export"},
		{name: "an encoded slash separates segments", method: "GET", path: "/s/a%2Fb",
			wantStatus: 404},
		{name: "a decoded question mark ends the path", method: "GET", path: "/ops/contacts/who%3Fy=2/export",
			wantFunction: "OpsFunction", wantRouteKey: "ANY /ops/{proxy+}", wantParams: map[string]string{"proxy": "contacts/who"},
			wantRawPath: "/ops/contacts/who"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			req.Header.Set("Cookie", "session=1; theme=dark")
			req.Header.Set("X-Custom", "v")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if tt.wantStatus != 0 {
				if resp.StatusCode != tt.wantStatus {
					t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
				}
				return
			}
			var got echoed
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 {
				t.Fatalf("status %d, decode: %v", resp.StatusCode, err)
			}
			ev := got.Event
			if got.Function != tt.wantFunction || ev.RouteKey != tt.wantRouteKey || ev.Version != "2.0" ||
				ev.RequestContext.HTTP.Method != tt.method || ev.Body != tt.wantBody || ev.IsBase64Encoded != tt.wantBase64 {
				t.Errorf("got function %s event %+v", got.Function, ev)
			}
			if len(ev.PathParameters) != len(tt.wantParams) {
				t.Errorf("path parameters %v, want %v", ev.PathParameters, tt.wantParams)
			}
			for k, v := range tt.wantParams {
				if ev.PathParameters[k] != v {
					t.Errorf("path parameter %s = %q, want %q", k, ev.PathParameters[k], v)
				}
			}
			if ev.Headers["x-custom"] != "v" || ev.Headers["cookie"] != "" || strings.Join(ev.Cookies, "|") != "session=1|theme=dark" {
				t.Errorf("headers %v cookies %v", ev.Headers, ev.Cookies)
			}
			wantRaw := tt.wantRawPath
			if wantRaw == "" {
				wantRaw = strings.Split(tt.path, "?")[0]
			}
			if ev.RawPath != wantRaw || ev.RequestContext.HTTP.Path != wantRaw || ev.RequestContext.HTTP.SourceIP != "127.0.0.1" || ev.RequestContext.TimeEpoch == 0 {
				t.Errorf("rawPath %q context %+v", ev.RawPath, ev.RequestContext)
			}
			if strings.Contains(tt.path, "x=1") && (ev.QueryStringParameters["x"] != "1,2" || ev.RawQueryString != "score=9&x=1&x=2") {
				t.Errorf("query %v raw %q", ev.QueryStringParameters, ev.RawQueryString)
			}
		})
	}
}

func TestResponsesAreWrittenAsAPIGatewayWrites(t *testing.T) {
	t.Parallel()
	srv := newAPI(t)
	tests := []struct {
		name, method, path string
		check              func(t *testing.T, resp *http.Response, body []byte)
	}{
		{"a structured response sets status, headers, cookies and decodes a base64 body", "GET", "/reply",
			func(t *testing.T, resp *http.Response, body []byte) {
				if resp.StatusCode != 201 || resp.Header.Get("X-Test") != "yes" || strings.Join(resp.Header.Values("X-Multi"), ",") != "a,b" ||
					len(resp.Header.Values("Set-Cookie")) != 2 || !bytes.Equal(body, []byte{0, 1, 2, 255}) {
					t.Errorf("status %d headers %v body %v", resp.StatusCode, resp.Header, body)
				}
			}},
		{"a function error is a 500 with API Gateway's message", "GET", "/fail",
			func(t *testing.T, resp *http.Response, body []byte) {
				if resp.StatusCode != 500 || strings.TrimSpace(string(body)) != `{"message":"Internal Server Error"}` {
					t.Errorf("status %d body %s", resp.StatusCode, body)
				}
			}},
		{"a path no route matches is a 404 JSON message", "GET", "/nowhere",
			func(t *testing.T, resp *http.Response, body []byte) {
				if resp.StatusCode != 404 || strings.TrimSpace(string(body)) != `{"message":"Not Found"}` {
					t.Errorf("status %d body %s", resp.StatusCode, body)
				}
			}},
		{"a method no route declares is a 404", "DELETE", "/s/tok",
			func(t *testing.T, resp *http.Response, body []byte) {
				if resp.StatusCode != 404 {
					t.Errorf("status %d", resp.StatusCode)
				}
			}},
		{"a HEAD request reaches the HEAD route and gets no body", "HEAD", "/s/tok",
			func(t *testing.T, resp *http.Response, body []byte) {
				if resp.StatusCode != 200 || len(body) != 0 {
					t.Errorf("status %d body %q", resp.StatusCode, body)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			tt.check(t, resp, body)
		})
	}
}

func TestTemplateRoutesAreServed(t *testing.T) {
	t.Parallel()
	tpl, err := samtemplate.Load("../../../template.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, r := range httpapi.RoutesFromTemplate(tpl) {
		keys[r.Key()] = r.Function
	}
	for key, fn := range map[string]string{"POST /touchpoints": "TouchpointFunction", "HEAD /s/{token}": "SurveyFunction", "ANY /ops/{proxy+}": "TicketsFunction"} {
		if keys[key] != fn {
			t.Errorf("route %s -> %q, want %s (routes %v)", key, keys[key], fn, keys)
		}
	}
}
