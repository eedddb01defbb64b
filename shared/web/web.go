// Package web holds what every cxloop HTTP function shares: the adapter between API Gateway HTTP
// API (payload 2.0) events and net/http (lambda.go), a ServeMux whose unmatched requests get the
// function's own error pages (mux.go), request helpers, and JSON and HTML replies with the
// security headers every cxloop page sends (docs/CONTRACTS.md 6).
package web

import (
	"encoding/json"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
)

// Request and Response are the HTTP API payload 2.0 shapes: what Lambda hands an HTTP function
// and what it returns. Only the adapter (Serve) and tests that invoke a function as Lambda does
// use them; handlers see *http.Request and write to an http.ResponseWriter.
type (
	Request  = events.APIGatewayV2HTTPRequest
	Response = events.APIGatewayV2HTTPResponse
)

// Reply is a response before it is written. Handlers return one (or an error), so that each
// function turns errors into statuses in one place and then writes the result.
type Reply struct {
	StatusCode int
	Headers    map[string]string
	Cookies    []string // Set-Cookie values
	Body       string
}

// Write sends the reply. A zero status is 200.
func (p Reply) Write(w http.ResponseWriter) {
	for k, v := range p.Headers {
		w.Header().Set(k, v)
	}
	for _, c := range p.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	code := p.StatusCode
	if code == 0 {
		code = http.StatusOK
	}
	w.WriteHeader(code)
	_, _ = w.Write([]byte(p.Body))
}

// JSON answers with v as JSON.
func JSON(status int, v any) Reply {
	b, err := json.Marshal(v)
	if err != nil {
		return Error(http.StatusInternalServerError, "internal error")
	}
	return Reply{
		StatusCode: status,
		Headers: map[string]string{
			"Content-Type":  "application/json",
			"Cache-Control": "no-store",
		},
		Body: string(b),
	}
}

// Error answers with {"error": msg}. Callers pass a message safe to show, never err.Error() of an
// internal failure.
func Error(status int, msg string) Reply {
	b, _ := json.Marshal(map[string]string{"error": msg})
	return Reply{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"},
		Body:       string(b),
	}
}

// PageCSP is the Content-Security-Policy of every server-rendered page: nothing from third
// parties, no inline script, forms post only to the page's own origin.
const PageCSP = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// HTML answers with a server-rendered page and the page security headers of docs/CONTRACTS.md 6.
func HTML(status int, body string) Reply {
	return Reply{
		StatusCode: status,
		Headers: map[string]string{
			"Content-Type":            "text/html; charset=utf-8",
			"Content-Security-Policy": PageCSP,
			"Referrer-Policy":         "no-referrer",
			"Cache-Control":           "no-store",
			"X-Robots-Tag":            "noindex",
			"X-Content-Type-Options":  "nosniff",
		},
		Body: body,
	}
}

// WithHeader returns p with one more header.
func WithHeader(p Reply, name, value string) Reply {
	h := make(map[string]string, len(p.Headers)+1)
	for k, v := range p.Headers {
		h[k] = v
	}
	h[name] = value
	p.Headers = h
	return p
}
