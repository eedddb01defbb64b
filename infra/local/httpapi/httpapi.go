// Package httpapi is the local stand-in for an API Gateway HTTP API (like `sam local start-api`):
// it serves template.yaml's HttpApi routes by turning each request into a payload 2.0 event
// (events.APIGatewayV2HTTPRequest) for the route's function and writing the function's
// response back, with API Gateway's conventions: base64 for non-text bodies, cookies apart from
// headers, lower-cased headers, 500 for a function error, 404 JSON when no route matches.
package httpapi

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cxloop/cxloop/infra/local/lambdahost"
)

// MaxBody is API Gateway's payload limit (10 MB).
const MaxBody = 10 << 20

// Server routes HTTP requests to functions.
type Server struct {
	routes []Route
	invoke lambdahost.Invoker
	log    *slog.Logger
}

// New returns a Server for routes that invokes functions through inv.
func New(routes []Route, inv lambdahost.Invoker, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{routes: routes, invoke: inv, log: log}
}

// Routes returns the routes served.
func (s *Server) Routes() []Route { return s.routes }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route, params, ok := s.find(r.Method, Path(r.URL))
	if !ok {
		writeMessage(w, http.StatusNotFound, "Not Found")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		writeMessage(w, http.StatusBadRequest, "Bad Request")
		return
	}
	if len(body) > MaxBody {
		writeMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	ev := Event(r, route, params, body)
	w.Header().Set("Apigw-Requestid", ev.RequestContext.RequestID)
	payload, err := json.Marshal(ev)
	if err != nil {
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	res, err := s.invoke.Invoke(r.Context(), route.Function, payload)
	if err != nil {
		s.log.Error("invoke failed", "function", route.Function, "route", route.Key(), "error", err)
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	if res.Failed() {
		s.log.Warn("function error", "function", route.Function, "route", route.Key(), "error", string(res.Payload))
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	writeResponse(w, res.Payload)
}

// Path is the request path as API Gateway HTTP APIs route it and hand it to the function (rawPath
// and requestContext.http.path of payload 2.0): percent-decoded, so an encoded '/' separates
// segments, and cut at a decoded '?'. Captures of live HTTP APIs show both (REST APIs, function
// URLs and ALBs keep the encoding); ids that must survive travel as web.PathID instead.
func Path(u *url.URL) string {
	p := u.Path
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

func (s *Server) find(method, path string) (Route, map[string]string, bool) {
	var best Route
	var bestParams map[string]string
	var bestScore []int
	found := false
	for _, rt := range s.routes {
		params, score, ok := rt.match(method, path)
		if ok && (!found || better(score, bestScore)) {
			best, bestParams, bestScore, found = rt, params, score, true
		}
	}
	return best, bestParams, found
}

// Event builds the payload 2.0 event API Gateway would send for r on route.
func Event(r *http.Request, route Route, params map[string]string, body []byte) events.APIGatewayV2HTTPRequest {
	now := time.Now().UTC()
	ip, port, _ := net.SplitHostPort(r.RemoteAddr)
	headers := map[string]string{}
	for k, v := range r.Header {
		if strings.EqualFold(k, "Cookie") {
			continue
		}
		headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	headers["host"] = r.Host
	if len(body) > 0 {
		headers["content-length"] = strconv.Itoa(len(body))
	}
	headers["x-forwarded-for"] = ip
	headers["x-forwarded-proto"] = "http"
	if _, p, err := net.SplitHostPort(r.Host); err == nil {
		headers["x-forwarded-port"] = p
	} else {
		headers["x-forwarded-port"] = port
	}
	var cookies []string
	for _, line := range r.Header.Values("Cookie") {
		for c := range strings.SplitSeq(line, ";") {
			if c = strings.TrimSpace(c); c != "" {
				cookies = append(cookies, c)
			}
		}
	}
	var query map[string]string
	for k, v := range r.URL.Query() {
		query = set(query, k, strings.Join(v, ","))
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              route.Key(),
		RawPath:               Path(r.URL),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     route.Key(),
			AccountID:    lambdahost.AccountID,
			Stage:        "$default",
			RequestID:    requestID(),
			APIID:        "local",
			DomainName:   r.Host,
			DomainPrefix: strings.Split(r.Host, ".")[0],
			Time:         now.Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      Path(r.URL),
				Protocol:  r.Proto,
				SourceIP:  ip,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if isText(r.Header.Get("Content-Type")) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// isText reports whether API Gateway passes a body of this content type as plain text. Everything
// else, application/x-www-form-urlencoded included, arrives base64-encoded, as API Gateway HTTP APIs deliver it (docs/SURVEY-PAGE.md).
func isText(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "json") || strings.HasSuffix(mt, "+json") ||
		strings.HasSuffix(mt, "xml") || mt == "application/javascript"
}

// writeResponse writes a function's payload 2.0 response. A payload without statusCode is, as in
// API Gateway, a 200 application/json whose body is the payload itself.
func writeResponse(w http.ResponseWriter, payload []byte) {
	var probe map[string]json.RawMessage
	if json.Unmarshal(payload, &probe) != nil || probe["statusCode"] == nil {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(payload)
		return
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(payload, &resp); err != nil {
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	h := w.Header()
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
			return
		}
		body = b
	}
	if resp.StatusCode == 0 {
		resp.StatusCode = http.StatusOK
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}

func writeMessage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

// requestID returns an id shaped like API Gateway's ("JKJaXmPLvHcESHA=").
func requestID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}
