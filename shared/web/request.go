package web

import (
	"net/http"
	"strings"
)

// Param returns a path parameter of the route ("token" of /s/{token}), or "".
func Param(req Request, name string) string { return req.PathParameters[name] }

// Query returns a query string parameter, or "". API Gateway joins repeated parameters with a
// comma; callers that need exactly one value treat that as malformed.
func Query(req Request, name string) string { return req.QueryStringParameters[name] }

// IsRead reports whether the request is a GET or HEAD: a read that must change nothing, because
// link scanners, prefetchers and crawlers send them.
func IsRead(req Request) bool {
	m := Method(req)
	return m == http.MethodGet || m == http.MethodHead
}

// WithHeader returns resp with one more header.
func WithHeader(resp Response, name, value string) Response {
	h := make(map[string]string, len(resp.Headers)+1)
	for k, v := range resp.Headers {
		h[k] = v
	}
	h[name] = value
	resp.Headers = h
	return resp
}

// ForMethod finishes a response for the request's method: a HEAD gets the GET's status and headers
// without the body.
func ForMethod(req Request, resp Response) Response {
	if strings.EqualFold(Method(req), http.MethodHead) {
		resp.Body = ""
		resp.IsBase64Encoded = false
	}
	return resp
}
