package main

import (
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/cxloop/cxloop/shared/web"
)

// Cache lifetimes of the logo. The email asks for /brand/{file}?v=<version>, a URL that never
// changes meaning (a new file is a new version), so it may be cached for a year; any other URL
// of the same file (no or an old version) only for an hour, so a replaced logo shows soon.
const (
	logoCacheVersioned = "public, max-age=31536000, immutable"
	logoCacheOther     = "public, max-age=3600"
)

// logo serves the brand's logo (GET and HEAD /brand/{file}) from the survey API's own origin: the
// survey email shows it from here, so no third party learns who opened which email. It serves
// only the file the catalog's brand names; every other name is the 404 page.
func (h *Handler) logo(req web.Request) (web.Response, error) {
	l := h.Catalog.Brand.LogoImage() // nil-safe: nil without a brand or a logo
	if l == nil || web.Param(req, "file") != l.File {
		return web.Response{}, errNoRoute
	}
	etag := `"` + l.Version + `"`
	cache := logoCacheOther
	if web.Query(req, "v") == l.Version {
		cache = logoCacheVersioned
	}
	headers := map[string]string{
		"Content-Type":           "image/png",
		"Cache-Control":          cache,
		"ETag":                   etag,
		"X-Content-Type-Options": "nosniff",
		// An image needs nothing else, even opened on its own.
		"Content-Security-Policy": "default-src 'none'",
	}
	if etagMatches(web.Header(req, "If-None-Match"), etag) {
		return web.Response{StatusCode: http.StatusNotModified, Headers: headers}, nil
	}
	// HTTP APIs (payload 2.0) decode a base64 body flagged isBase64Encoded before sending it.
	return web.Response{StatusCode: http.StatusOK, Headers: headers,
		Body: base64.StdEncoding.EncodeToString(l.PNG), IsBase64Encoded: true}, nil
}

// etagMatches reports whether an If-None-Match header names etag (or is "*"), comparing weakly
// as RFC 9110 13.1.2 asks.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
