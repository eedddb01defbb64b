package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/ticket"
	"github.com/cxloop/cxloop/shared/web"
)

// CookieName is the console's session cookie: the pasted token itself, HttpOnly, Secure,
// SameSite=Lax, scoped to /ops. The table only holds its hash. Lax, not Strict, so that a link
// opened from webmail or chat (a cross-site top-level GET) arrives signed in; every cookie-borne
// write is still refused unless sameOrigin vouches for it, and GETs change nothing.
const CookieName = "cxops"

// cookieAttrs are the session cookie's attributes, for setting and clearing it alike.
const cookieAttrs = "Path=/ops; HttpOnly; Secure; SameSite=Lax"

// Masked stands in for a contact's email or name where the caller may not see it: fixed length,
// so it tells nothing about the original.
const Masked = "•••"

// visible is the one rule of what each role sees of a contact, applied to every ticket a page or
// API returns: agents and admins see the address and name (they work the ticket and close the
// loop); viewers (dashboards, wall screens, people who read numbers) see both masked. Comments
// and scores stay: they are what a viewer is there to read.
func visible(role string, t ticket.Ticket) ticket.Ticket {
	if access.Allows(role, access.Agent) {
		return t
	}
	if t.Email != "" {
		t.Email = Masked + "@" + Masked
	}
	if t.Name != "" {
		t.Name = Masked
	}
	return t
}

// visibleAll is visible over a list.
func visibleAll(role string, list []ticket.Ticket) []ticket.Ticket {
	out := make([]ticket.Ticket, len(list))
	for i, t := range list {
		out[i] = visible(role, t)
	}
	return out
}

// authenticate finds the caller's token: the Authorization bearer header, else the console
// cookie. It reports whether the cookie was used (console forms then need a same-origin request).
func (h *Handler) authenticate(r *http.Request) (*access.Token, bool, error) {
	raw, viaCookie := web.Bearer(r), false
	if raw == "" {
		if c, err := r.Cookie(CookieName); err == nil {
			raw, viaCookie = c.Value, true
		}
	}
	if raw == "" {
		return nil, false, errUnauthorized
	}
	if viaCookie && strings.HasPrefix(raw, sessionPrefix) {
		who, err := h.OIDC.fromSession(raw, h.Store.Now())
		return who, true, err
	}
	tok, err := h.Store.LookupAPIToken(r.Context(), raw)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, errUnauthorized
	}
	if err != nil {
		return nil, false, fmt.Errorf("authenticate: %w", err)
	}
	return tok, viaCookie, nil
}

// sameOrigin refuses a cookie-authenticated write from another site. SameSite=Lax already keeps
// the cookie off cross-site POSTs; this is the second lock. Browsers send Sec-Fetch-Site
// (the console's no-referrer policy makes them send "Origin: null" on form posts, so Origin is only
// compared when it names a site).
func sameOrigin(r *http.Request) bool {
	if site := web.Header(r, "Sec-Fetch-Site"); site != "" {
		return site == "same-origin" || site == "none"
	}
	origin := web.Header(r, "Origin")
	if origin == "" || origin == "null" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// sameOriginLogin is sameOrigin for the sign-in form, which has no session to protect yet and so
// no SameSite cookie to lean on: a cross-site form that posts the attacker's own token would sign
// the victim in as the attacker (login CSRF). Besides what sameOrigin refuses, an "Origin: null"
// that no Sec-Fetch-Site vouches for is refused here, since it cannot be told from a cross-site post.
func sameOriginLogin(r *http.Request) bool {
	if web.Header(r, "Sec-Fetch-Site") == "" && web.Header(r, "Origin") == "null" {
		return false
	}
	return sameOrigin(r)
}

// loginForm shows the token form: GET /ops/login?next=.
func (h *Handler) loginForm(r *http.Request) web.Reply {
	return page(r.Context(), http.StatusOK, "Sign in", loginView{Next: safeNext(web.Query(r, "next")), OIDC: h.OIDC != nil})
}

// login checks a pasted token and sets the cookie: POST /ops/login.
func (h *Handler) login(r *http.Request) web.Reply {
	if !sameOriginLogin(r) {
		return respond(r, true, errForbidden)
	}
	body, err := web.Body(r, 4096)
	if err != nil {
		return respond(r, true, fmt.Errorf("%w: %v", errBadRequest, err))
	}
	form, _ := url.ParseQuery(string(body))
	raw := strings.TrimSpace(form.Get("token"))
	tok, err := h.Store.LookupAPIToken(r.Context(), raw)
	if err != nil || access.Rank(tok.Role) == 0 {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return respond(r, true, err)
		}
		return page(r.Context(), http.StatusUnauthorized, "Sign in", loginView{Error: "That token is not valid for the console.", Next: safeNext(form.Get("next")), OIDC: h.OIDC != nil})
	}
	to := safeNext(form.Get("next"))
	if to == "" {
		to = "/ops/"
	}
	resp := redirect(to)
	resp.Cookies = []string{fmt.Sprintf("%s=%s; Max-Age=43200; %s", CookieName, raw, cookieAttrs)}
	return resp
}

// loginURL is the sign-in page that returns to path (with its query) afterwards.
func loginURL(path, rawQuery string) string {
	next := (&url.URL{Path: path, RawQuery: rawQuery}).String()
	if safeNext(next) == "" {
		return "/ops/login"
	}
	return "/ops/login?next=" + url.QueryEscape(next)
}

// safeNext returns next if it is a console page of this origin to return to after signing in,
// else "": only a path under /ops/ (not the sign-in or sign-out pages), never a scheme, a host,
// a protocol-relative "//host" or a "/\host" that some browsers read as one, nor control characters.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/ops/") || strings.ContainsAny(next, "\\\x00\r\n\t") || strings.Contains(next, "//") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Fragment != "" ||
		u.Path == "/ops/login" || u.Path == "/ops/logout" || strings.Contains("/"+u.Path+"/", "/../") {
		return ""
	}
	return u.String()
}

// logout clears the cookie: POST /ops/logout.
func logout() web.Reply {
	resp := redirect("/ops/login")
	resp.Cookies = []string{CookieName + "=; Max-Age=0; " + cookieAttrs}
	return resp
}
