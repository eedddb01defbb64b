package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Serve answers one HTTP API event with h: the event becomes an *http.Request, h writes its
// answer, and the answer becomes the payload 2.0 response. Each HTTP function's Lambda entry is
// this one call, so its handler is plain net/http and its tests can use httptest.
//
// API Gateway hands the function the path already percent-decoded (rawPath), so the request's
// URL is built with that as its decoded Path, never by parsing it again: a '%' or '?' that was
// escaped on the wire stays a character of its segment. Ids that may hold a '/' travel as PathID.
func Serve(ctx context.Context, h http.Handler, ev Request) Response {
	w := &recorder{header: http.Header{}}
	r, err := NewRequest(ctx, ev)
	if err != nil {
		Error(http.StatusBadRequest, "malformed request").Write(w)
		return w.response(false)
	}
	h.ServeHTTP(w, r)
	return w.response(r.Method == http.MethodHead)
}

// NewRequest turns a payload 2.0 event into the request a net/http handler reads: method, the
// decoded path and raw query, headers (the cookies list back into one Cookie header), host,
// source address, and the body decoded from base64 where API Gateway encoded it.
func NewRequest(ctx context.Context, ev Request) (*http.Request, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			return nil, fmt.Errorf("body is not valid base64: %w", err)
		}
	}
	method := ev.RequestContext.HTTP.Method
	if method == "" {
		method, _, _ = strings.Cut(ev.RouteKey, " ")
	}
	path := ev.RawPath
	if path == "" {
		path = ev.RequestContext.HTTP.Path
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u := &url.URL{Path: path, RawQuery: ev.RawQueryString}
	if u.RawQuery == "" && len(ev.QueryStringParameters) > 0 {
		q := url.Values{}
		for k, v := range ev.QueryStringParameters {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
	}
	r, err := http.NewRequestWithContext(ctx, strings.ToUpper(method), "/", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	r.URL, r.RequestURI = u, u.RequestURI()
	for k, v := range ev.Headers {
		r.Header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		all := ev.Cookies
		if c := r.Header.Get("Cookie"); c != "" {
			all = append([]string{c}, all...)
		}
		r.Header.Set("Cookie", strings.Join(all, "; "))
	}
	r.Host = r.Header.Get("Host")
	if r.Host == "" {
		r.Host = ev.RequestContext.DomainName
	}
	r.RemoteAddr = ev.RequestContext.HTTP.SourceIP
	r.ContentLength = int64(len(body))
	return r, nil
}

// recorder is the ResponseWriter Serve hands the handler: it keeps the status, headers and body
// for the payload 2.0 response.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *recorder) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// response is what was written, as payload 2.0: Set-Cookie headers in the cookies list, other
// repeated headers joined with commas, a body that is not UTF-8 in base64, and no body for HEAD.
func (w *recorder) response(head bool) Response {
	resp := Response{StatusCode: w.code, Headers: map[string]string{}}
	if resp.StatusCode == 0 {
		resp.StatusCode = http.StatusOK
	}
	for k, vs := range w.header {
		if k == "Set-Cookie" {
			resp.Cookies = append(resp.Cookies, vs...)
			continue
		}
		resp.Headers[k] = strings.Join(vs, ", ")
	}
	switch b := w.body.Bytes(); {
	case head:
	case utf8.Valid(b):
		resp.Body = string(b)
	default:
		resp.Body, resp.IsBase64Encoded = base64.StdEncoding.EncodeToString(b), true
	}
	return resp
}
