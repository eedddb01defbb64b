package web

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"
)

// ErrTooLarge is returned for bodies over the caller's limit.
var ErrTooLarge = errors.New("request body too large")

// Body reads the request body and refuses one larger than limit bytes. (The adapter has already
// decoded what API Gateway base64-encodes, form posts among them.)
func Body(r *http.Request, limit int) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	if r.ContentLength > int64(limit) {
		return nil, ErrTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(b) > limit {
		return nil, ErrTooLarge
	}
	return b, nil
}

// Header returns a request header, case-insensitively.
func Header(r *http.Request, name string) string { return r.Header.Get(name) }

// Bearer returns the token of an `Authorization: Bearer <token>` header, or "".
func Bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// Param returns a wildcard of the route's pattern ("token" of GET /s/{token}), or "".
func Param(r *http.Request, name string) string { return r.PathValue(name) }

// Query returns a query string parameter, or "". Repeated parameters are joined with a comma, as
// API Gateway joins them; callers that need exactly one value treat that as malformed.
func Query(r *http.Request, name string) string { return strings.Join(r.URL.Query()[name], ",") }

// IsRead reports whether the request is a GET or HEAD: a read that must change nothing, because
// link scanners, prefetchers and crawlers send them.
func IsRead(r *http.Request) bool { return r.Method == http.MethodGet || r.Method == http.MethodHead }

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
