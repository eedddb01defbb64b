package web

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"
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

// PathID writes an id that a producer chose (any characters) as one URL path segment: unpadded
// base64url of its UTF-8 bytes. API Gateway HTTP APIs hand the path to the function decoded, so an
// id with '/', '%' or '?' cannot travel in the path as itself; this form survives every hop.
func PathID(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// ErrPathID is returned by ParsePathID for a segment that is not a PathID.
var ErrPathID = errors.New("the id goes in the path as unpadded base64url (see docs/OPERATIONS.md)")

// ParsePathID reads an id written by PathID.
func ParsePathID(seg string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil || len(b) == 0 || !utf8.Valid(b) {
		return "", ErrPathID
	}
	return string(b), nil
}
