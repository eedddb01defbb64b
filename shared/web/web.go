// Package web turns API Gateway HTTP API (payload 2.0) requests and responses into plain Go:
// the body (API Gateway base64-encodes form posts), bearer tokens, JSON and HTML responses with the
// security headers every cxloop page sends (docs/CONTRACTS.md 6).
package web

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Request and Response are the HTTP API payload 2.0 shapes.
type (
	Request  = events.APIGatewayV2HTTPRequest
	Response = events.APIGatewayV2HTTPResponse
)

// ErrTooLarge is returned for bodies over the caller's limit.
var ErrTooLarge = errors.New("request body too large")

// Body returns the request body, decoding base64 when API Gateway encoded it, and refuses bodies
// larger than limit bytes (decoded).
func Body(req Request, limit int) ([]byte, error) {
	raw := req.Body
	if len(raw) > 2*limit+16 { // cheap early refusal before decoding
		return nil, ErrTooLarge
	}
	var b []byte
	if req.IsBase64Encoded {
		var err error
		if b, err = base64.StdEncoding.DecodeString(raw); err != nil {
			return nil, fmt.Errorf("body is not valid base64: %w", err)
		}
	} else {
		b = []byte(raw)
	}
	if len(b) > limit {
		return nil, ErrTooLarge
	}
	return b, nil
}

// Header returns a request header, case-insensitively (HTTP API lower-cases them, tests may not).
func Header(req Request, name string) string {
	if v, ok := req.Headers[strings.ToLower(name)]; ok {
		return v
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// Bearer returns the token of an `Authorization: Bearer <token>` header, or "".
func Bearer(req Request) string {
	h := Header(req, "Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// Method returns the request's HTTP method.
func Method(req Request) string { return req.RequestContext.HTTP.Method }

// JSON answers with v as JSON.
func JSON(status int, v any) Response {
	b, err := json.Marshal(v)
	if err != nil {
		return Error(http.StatusInternalServerError, "internal error")
	}
	return Response{
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
func Error(status int, msg string) Response {
	b, _ := json.Marshal(map[string]string{"error": msg})
	return Response{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"},
		Body:       string(b),
	}
}

// PageCSP is the Content-Security-Policy of every server-rendered page: nothing from third
// parties, no inline script, forms post only to the page's own origin.
const PageCSP = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// HTML answers with a server-rendered page and the page security headers of docs/CONTRACTS.md 6.
func HTML(status int, body string) Response {
	return Response{
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
