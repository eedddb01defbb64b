package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/cxloop/cxloop/shared/token"
	"github.com/cxloop/cxloop/shared/web"
)

// showUnsubscribe asks to confirm (GET, HEAD): mail scanners follow links, so a GET must not
// unsubscribe anybody.
func (h *Handler) showUnsubscribe(ctx context.Context, tok string) (web.Reply, error) {
	inv, _, t, err := h.load(ctx, token.Unsubscribe, tok)
	if err != nil {
		return web.Reply{}, err
	}
	v := messageView(t, t.UnsubTitle, t.UnsubBody)
	if b := h.brand(); b != nil && inv.Email != "" {
		// Who is asking and which address: masked, since anyone holding the link sees the page.
		v.Note = fmt.Sprintf(t.UnsubWho, b.Company, maskAddress(inv.Email))
	}
	return h.render(http.StatusOK, unsubscribePage, v)
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

// unsubscribe opts the contact out at once. The token is the authority, so the body is not read:
// the page's button and a mail client's RFC 8058 one-click POST ("List-Unsubscribe=One-Click")
// are treated alike, and repeating it changes nothing.
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
	return h.render(http.StatusOK, messagePage, messageView(t, t.UnsubDoneTitle, t.UnsubDoneBody))
}
