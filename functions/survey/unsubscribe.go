package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/token"
	"github.com/cxloop/cxloop/shared/web"
)

// errOrigin refuses a resubscribe POST that did not come from the page itself (403).
var errOrigin = errors.New("resubscribe request not from this origin")

// maxUnsubscribeBody bounds what POST /u/{token} reads to tell a resubscribe from an unsubscribe.
const maxUnsubscribeBody = 1024

// showUnsubscribe (GET, HEAD) asks to confirm, since mail scanners follow links and a GET must
// not unsubscribe anybody; a contact who already opted out sees that and may resubscribe.
func (h *Handler) showUnsubscribe(ctx context.Context, tok string) (web.Reply, error) {
	inv, _, t, err := h.load(ctx, token.Unsubscribe, tok)
	if err != nil {
		return web.Reply{}, err
	}
	sub, err := h.Store.Subscription(ctx, inv.ContactID, inv.Email)
	if err != nil {
		return web.Reply{}, err
	}
	if sub.OptedOut {
		return h.unsubscribedPage(inv, t)
	}
	v := h.unsubView(inv, t, t.UnsubTitle, t.UnsubBody)
	v.UnsubForm = true
	return h.render(http.StatusOK, unsubscribePage, v)
}

// unsubView is an unsubscribe page naming who is asking and which address: masked, since anyone
// holding the link sees the page.
func (h *Handler) unsubView(inv *store.Invitation, t *ui, title, body string) *view {
	v := messageView(t, title, body)
	if b := h.brand(); b != nil && inv.Email != "" {
		v.Note = fmt.Sprintf(t.UnsubWho, b.Company, maskAddress(inv.Email))
	}
	return v
}

// unsubscribedPage says the contact is unsubscribed and offers to resubscribe. It carries a form
// that POSTs back to this origin, so it asks the browser to send its origin (Referrer-Policy
// same-origin: with no-referrer a form POST would carry "Origin: null"); the token still goes
// to no other site.
func (h *Handler) unsubscribedPage(inv *store.Invitation, t *ui) (web.Reply, error) {
	v := h.unsubView(inv, t, t.UnsubDoneTitle, t.UnsubDoneBody)
	v.ResubForm = true
	resp, err := h.render(http.StatusOK, unsubscribePage, v)
	return web.WithHeader(resp, "Referrer-Policy", "same-origin"), err
}

// maskAddress shows an address as its first character and its domain ("a•••@example.com").
func maskAddress(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" {
		return "•••"
	}
	r, _ := utf8.DecodeRuneInString(local)
	return string(r) + "•••@" + domain
}

// unsubscribeOrResubscribe answers POST /u/{token}. A body of exactly the page's resubscribe form
// (resubscribe=1) resubscribes; every other POST unsubscribes, whatever its body, so the page's
// button and a mail client's RFC 8058 one-click POST ("List-Unsubscribe=One-Click") always work.
func (h *Handler) unsubscribeOrResubscribe(ctx context.Context, r *http.Request, tok string) (web.Reply, error) {
	if b, err := web.Body(r, maxUnsubscribeBody); err == nil {
		if vals, err := url.ParseQuery(string(b)); err == nil && len(vals) == 1 && vals.Get("resubscribe") == "1" {
			return h.resubscribe(ctx, r, tok)
		}
	}
	return h.unsubscribe(ctx, tok)
}

// unsubscribe opts the contact out at once; repeating it changes nothing.
func (h *Handler) unsubscribe(ctx context.Context, tok string) (web.Reply, error) {
	inv, _, t, err := h.load(ctx, token.Unsubscribe, tok)
	if err != nil {
		return web.Reply{}, err
	}
	stopped, err := h.Store.Unsubscribe(ctx, inv.ContactID, inv.Email)
	if err != nil {
		return web.Reply{}, err
	}
	slog.InfoContext(ctx, "contact unsubscribed", "invitation", inv.ID, "stoppedInvitations", stopped)
	h.count(ctx, map[string]string{"Function": "SurveyFunction"}, "Unsubscribes")
	return h.unsubscribedPage(inv, t)
}

// resubscribe lifts the contact's own opt-out. The signed link is the authority, as for the
// unsubscribe, and the request must come from the page itself (its Origin is this API's), so
// another site cannot resubscribe someone whose link it learned. It never undoes a bounce or
// complaint suppression, and the page says so when one holds.
func (h *Handler) resubscribe(ctx context.Context, r *http.Request, tok string) (web.Reply, error) {
	inv, _, t, err := h.load(ctx, token.Unsubscribe, tok)
	if err != nil {
		return web.Reply{}, err
	}
	if !sameOrigin(r) {
		v := h.unsubView(inv, t, t.OriginTitle, t.OriginBody)
		v.Link, v.LinkText = tok, t.UnsubTitle // this page again, by GET
		return web.Reply{}, withView(errOrigin, v)
	}
	sub, err := h.Store.Resubscribe(ctx, inv.ContactID, inv.Email, inv.TTL)
	if err != nil {
		return web.Reply{}, err
	}
	slog.InfoContext(ctx, "contact resubscribed", "invitation", inv.ID, "suppressed", sub.Suppressed)
	h.count(ctx, map[string]string{"Function": "SurveyFunction"}, "Resubscribes")
	v := h.unsubView(inv, t, t.ResubDoneTitle, t.ResubDoneBody)
	switch sub.Suppressed {
	case "":
	case store.SuppressBounce:
		v.Title, v.Body = t.ResubBlockedTitle, t.ResubBounced
	case store.SuppressComplaint:
		v.Title, v.Body = t.ResubBlockedTitle, t.ResubComplained
	default:
		v.Title, v.Body = t.ResubBlockedTitle, t.ResubSuppressed
	}
	v.UnsubForm = true // changed their mind again
	return h.render(http.StatusOK, unsubscribePage, v)
}

// sameOrigin reports whether a POST came from a page of this API: its Origin header names the
// request's own host (and scheme, where API Gateway tells it). Browsers send Origin with every
// form POST; a missing or "null" one is refused.
func sameOrigin(r *http.Request) bool {
	u, err := url.Parse(web.Header(r, "Origin"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || !strings.EqualFold(u.Host, r.Host) {
		return false
	}
	proto := web.Header(r, "X-Forwarded-Proto")
	return proto == "" || strings.EqualFold(proto, u.Scheme)
}
