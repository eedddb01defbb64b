package main

import (
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
func (h *Handler) logo(w http.ResponseWriter, r *http.Request) {
	l := h.Catalog.Brand.LogoImage() // nil-safe: nil without a brand or a logo
	if l == nil || web.Param(r, "file") != l.File {
		h.fail(r.Context(), r, errNoRoute).Write(w)
		return
	}
	etag := `"` + l.Version + `"`
	cache := logoCacheOther
	if web.Query(r, "v") == l.Version {
		cache = logoCacheVersioned
	}
	hd := w.Header()
	hd.Set("Content-Type", "image/png")
	hd.Set("Cache-Control", cache)
	hd.Set("ETag", etag)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'") // an image needs nothing else, even opened on its own
	if etagMatches(web.Header(r, "If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	// Not UTF-8, so web.Serve hands it to API Gateway base64-encoded with isBase64Encoded, which
	// HTTP APIs (payload 2.0) decode before sending it.
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(l.PNG)
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
