package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/web"
)

// logoRequest is an API Gateway request for GET or HEAD /brand/{file}.
func logoRequest(method, file, query string, headers map[string]string) web.Request {
	req := web.Request{Version: "2.0", RouteKey: method + " /brand/{file}", RawPath: "/brand/" + file,
		RawQueryString: query, Headers: map[string]string{}, PathParameters: map[string]string{"file": file}}
	for k, v := range headers {
		req.Headers[k] = v
	}
	if k, v, ok := strings.Cut(query, "="); ok {
		req.QueryStringParameters = map[string]string{k: v}
	}
	req.RequestContext.HTTP.Method = method
	return req
}

// TestTheLogoIsServedFromTheAPIsOwnOriginWithItsCacheHeaders: the catalog's logo file as a PNG,
// cacheable for a year under its versioned URL and an hour otherwise, 304 for a known ETag, no
// body for HEAD, and nothing but that one file.
func TestTheLogoIsServedFromTheAPIsOwnOriginWithItsCacheHeaders(t *testing.T) {
	t.Parallel()
	cat := catalog.MustShipped()
	h := &Handler{Catalog: cat} // the logo reads no table and signs nothing
	l := cat.Brand.LogoImage()
	if l == nil {
		t.Fatal("the shipped brand has no logo")
	}
	ctx := context.Background()
	tests := []struct {
		name      string
		req       web.Request
		status    int
		cache     string
		wantImage bool
	}{
		{"the versioned URL of the email", logoRequest("GET", l.File, "v="+l.Version, nil), 200, logoCacheVersioned, true},
		{"no version", logoRequest("GET", l.File, "", nil), 200, logoCacheOther, true},
		{"an old version", logoRequest("GET", l.File, "v=000000000000", nil), 200, logoCacheOther, true},
		{"a cached copy still good", logoRequest("GET", l.File, "v="+l.Version, map[string]string{"if-none-match": `W/"x", "` + l.Version + `"`}), 304, logoCacheVersioned, false},
		{"a cached copy of another file", logoRequest("GET", l.File, "", map[string]string{"if-none-match": `"000000000000"`}), 200, logoCacheOther, true},
		{"HEAD", logoRequest("HEAD", l.File, "v="+l.Version, nil), 200, logoCacheVersioned, false},
		{"another file of brand/", logoRequest("GET", "other.png", "", nil), 404, "no-store", false},
		{"a path out of brand/", logoRequest("GET", "../surveys.yaml", "", nil), 404, "no-store", false},
		{"POST", logoRequest("POST", l.File, "", nil), 405, "no-store", false},
	}
	for _, tc := range tests {
		resp, err := h.Handle(ctx, tc.req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if resp.StatusCode != tc.status || resp.Headers["Cache-Control"] != tc.cache {
			t.Errorf("%s: status %d, Cache-Control %q; want %d, %q", tc.name, resp.StatusCode, resp.Headers["Cache-Control"], tc.status, tc.cache)
		}
		if tc.status == 200 || tc.status == 304 {
			if resp.Headers["Content-Type"] != "image/png" || resp.Headers["Etag"] != `"`+l.Version+`"` || resp.Headers["X-Content-Type-Options"] != "nosniff" {
				t.Errorf("%s: headers %v", tc.name, resp.Headers)
			}
		}
		if tc.status == 405 && resp.Headers["Allow"] != "GET, HEAD" {
			t.Errorf("%s: Allow %q, want GET, HEAD", tc.name, resp.Headers["Allow"])
		}
		if !tc.wantImage {
			if resp.StatusCode != 404 && resp.StatusCode != 405 && resp.Body != "" {
				t.Errorf("%s: a body of %d characters, want none", tc.name, len(resp.Body))
			}
			continue
		}
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if !resp.IsBase64Encoded || err != nil || !bytes.Equal(b, l.PNG) {
			t.Errorf("%s: the body is not the logo file (base64 %v, %v)", tc.name, resp.IsBase64Encoded, err)
		} else if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestEveryPageCarriesTheLogoInline: the survey page shows the logo at its display size, inline,
// so it stays one request.
func TestEveryPageCarriesTheLogoInline(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	l := f.h.Catalog.Brand.LogoImage()
	inv := f.invite(testInvite{eventID: "logo-1", survey: "nps-relationship", locale: "en", contact: "c-logo", send: true})
	want := `<header><img src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(l.PNG) + `" alt="" width="40" height="40"><span>Acme Inc.</span></header>`
	for _, resp := range []web.Response{
		f.do(request("GET", "s", f.surveyToken(inv.ID), "score=9", "")),
		f.do(request("GET", "u", f.unsubscribeToken(inv.ID), "", "")),
		f.do(request("GET", "s", "nope", "", "")),
	} {
		checkPage(t, resp)
		if !strings.Contains(resp.Body, want) {
			i := strings.Index(resp.Body, "<header")
			t.Errorf("status %d: the page does not show the logo inline at 40x40:\n%.300s", resp.StatusCode, resp.Body[max(i, 0):])
		}
	}
	if resp := f.do(request("GET", "s", f.surveyToken(inv.ID), "", "")); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

// TestTheSampleLogoEventIsTheShippedLogo: events/survey-logo-get.json (`make invoke`) asks for the
// versioned URL an email carries; a new logo file needs the event's v= updated.
func TestTheSampleLogoEventIsTheShippedLogo(t *testing.T) {
	t.Parallel()
	h := &Handler{Catalog: catalog.MustShipped()}
	resp, err := h.Handle(context.Background(), event(t, "survey-logo-get"))
	if err != nil || resp.StatusCode != http.StatusOK || resp.Headers["Cache-Control"] != logoCacheVersioned || !resp.IsBase64Encoded {
		t.Fatalf("status %d, headers %v, base64 %v (%v): the event's v= is not the shipped logo's version", resp.StatusCode, resp.Headers, resp.IsBase64Encoded, err)
	}
}
