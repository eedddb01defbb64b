package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/mail"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/ticket"
	"github.com/cxloop/cxloop/shared/token"
	"github.com/cxloop/cxloop/shared/web"
)

// Sender sends one email.
type Sender interface {
	Send(ctx context.Context, m mail.Message) (string, error)
}

// Handler holds the TicketsFunction's dependencies.
type Handler struct {
	Store   *store.Store
	Catalog *catalog.Catalog
	Mail    Sender
	// Retention is how long closed tickets are kept (TICKET_RETENTION_DAYS): their TTL.
	Retention time.Duration
	// AuditRetention is how long audit entries are kept (AUDIT_RETENTION_DAYS); 0 keeps them.
	AuditRetention time.Duration
	// Signer and BaseURL sign the close-the-loop email's unsubscribe link; without them no
	// close-the-loop email is sent.
	Signer  *token.Signer
	BaseURL string
	// Meter reads metered usage for the Costs page (CloudWatch in AWS); nil: estimated (costs.go).
	Meter CostMeter
	// OIDC, when set, offers sign-in with the company's identity provider beside pasted tokens.
	OIDC *OIDC
	// Teams are the teams' addresses (TEAM_ADDRESSES, OPS_NOTIFY_ADDRESS): the close-the-loop
	// email's Reply-To is the ticket team's.
	Teams ticket.TeamAddresses

	once sync.Once
	mux  *web.Mux
}

// Errors of a request, mapped to statuses in status().
var (
	errUnauthorized = errors.New("a valid token is required")
	errForbidden    = errors.New("your role may not do this")
	errBadRequest   = errors.New("bad request")
	errNotFound     = errors.New("not found")
	errMethod       = errors.New("method not allowed")
)

// status maps an error to its HTTP status and a message safe to show: the one place where domain
// outcomes become statuses.
func status(err error) (int, string) {
	switch {
	case errors.Is(err, errUnauthorized):
		return http.StatusUnauthorized, "a valid token is required"
	case errors.Is(err, errForbidden):
		return http.StatusForbidden, "your role may not do this"
	case errors.Is(err, errNotFound), errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "not found"
	case errors.Is(err, errMethod):
		return http.StatusMethodNotAllowed, "method not allowed"
	case errors.Is(err, ticket.ErrTransition):
		return http.StatusConflict, "that status change is not allowed from the ticket's current status"
	case errors.Is(err, store.ErrReopenBlocked):
		return http.StatusConflict, "the contact has another open ticket for this survey"
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict, "the ticket changed meanwhile; reload and try again"
	case errors.Is(err, store.ErrBadCursor):
		return http.StatusBadRequest, "bad cursor: use the next value of the previous page"
	case errors.Is(err, ticket.ErrUnknownStatus), errors.Is(err, errBadRequest), errors.Is(err, web.ErrTooLarge):
		msg := err.Error()
		if errors.Is(err, web.ErrTooLarge) {
			msg = "request body too large"
		}
		return http.StatusBadRequest, msg
	}
	return http.StatusInternalServerError, "internal error"
}

// endpoint is one route's function, called once the caller's token holds the route's role.
type endpoint func(r *http.Request, who *access.Token) (web.Reply, error)

// routes registers every /ops route: its pattern, the least role that may call it, and whether it
// is a console page (errors render as pages, a missing sign-in redirects to the sign-in form) or
// the JSON API.
func (h *Handler) routes() *web.Mux {
	m := web.NewMux(h.notFound, h.methodNotAllowed)
	api := func(pattern, role string, fn endpoint) { m.Handle(pattern, h.guard(role, false, fn)) }
	page := func(pattern, role string, fn endpoint) { m.Handle(pattern, h.guard(role, true, fn)) }

	api("GET /ops/tickets", access.Viewer, h.listTickets)
	api("GET /ops/tickets/{id}", access.Viewer, h.getTicket)
	api("PATCH /ops/tickets/{id}", access.Agent, h.patchTicket)
	api("GET /ops/scores", access.Viewer, h.scores)
	api("GET /ops/contacts/{id}/export", access.Admin, h.exportContact)
	api("DELETE /ops/contacts/{id}", access.Admin, h.eraseContact)
	page("GET /ops/{$}", access.Viewer, h.queuePage)
	page("GET /ops/ticket/{id}", access.Viewer, h.ticketPage)
	page("POST /ops/ticket/{id}", access.Agent, h.ticketForm)
	page("GET /ops/trends", access.Viewer, h.trendsPage)
	api("GET /ops/costs", access.Viewer, h.costs)
	page("GET /ops/costs/page", access.Viewer, h.costsPage)
	api("GET /ops/themes", access.Viewer, h.themes)
	page("GET /ops/themes/page", access.Viewer, h.themesPage)

	m.HandleFunc("/ops", func(w http.ResponseWriter, _ *http.Request) { redirect("/ops/").Write(w) })
	m.HandleFunc("GET /ops/login", func(w http.ResponseWriter, r *http.Request) { h.loginForm(r).Write(w) })
	m.HandleFunc("POST /ops/login", func(w http.ResponseWriter, r *http.Request) { h.login(r).Write(w) })
	m.HandleFunc("POST /ops/logout", func(w http.ResponseWriter, _ *http.Request) { logout().Write(w) })
	if h.OIDC != nil {
		m.HandleFunc("GET /ops/login/oidc", func(w http.ResponseWriter, r *http.Request) { h.oidcStart(r).Write(w) })
		m.HandleFunc("GET "+callbackPath, func(w http.ResponseWriter, r *http.Request) { h.oidcCallback(r).Write(w) })
	}
	return m
}

// Handle is the Lambda entry: one HTTP API event through ServeHTTP.
func (h *Handler) Handle(ctx context.Context, req web.Request) (web.Response, error) {
	return web.Serve(ctx, h, req), nil
}

// ServeHTTP serves /ops and everything under it. The routes are registered on first use, once.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.once.Do(func() { h.mux = h.routes() })
	h.mux.ServeHTTP(w, r)
}

// guard runs fn for a caller whose token holds role; a cookie-borne write must also come from
// the console's own origin.
func (h *Handler) guard(role string, html bool, fn endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reply, err := h.authorized(r, role, html, fn)
		if err != nil {
			reply = respond(r, html, err)
		}
		reply.Write(w)
	})
}

func (h *Handler) authorized(r *http.Request, role string, html bool, fn endpoint) (web.Reply, error) {
	who, viaCookie, err := h.authenticate(r)
	if err != nil {
		if html && errors.Is(err, errUnauthorized) {
			return redirect(loginURL(r.URL.Path, r.URL.RawQuery)), nil
		}
		return web.Reply{}, err
	}
	if !access.Allows(who.Role, role) {
		return web.Reply{}, errForbidden
	}
	if viaCookie && !web.IsRead(r) && !sameOrigin(r) {
		return web.Reply{}, errForbidden
	}
	return fn(r, who)
}

// wantsHTML reports whether an unmatched request came from a browser, which gets a page.
func wantsHTML(r *http.Request) bool { return strings.HasPrefix(web.Header(r, "Accept"), "text/html") }

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	respond(r, wantsHTML(r), errNotFound).Write(w)
}

func (h *Handler) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	respond(r, wantsHTML(r), errMethod).Write(w)
}

// respond renders err as JSON for the API and as a page for the console. Internal errors are
// logged with their detail and shown as a generic message.
func respond(r *http.Request, html bool, err error) web.Reply {
	code, msg := status(err)
	if code == http.StatusInternalServerError {
		slog.ErrorContext(r.Context(), "ops request failed", "path", r.URL.Path, "error", err)
	}
	if html {
		return page(r.Context(), code, "Error", errorView{Code: code, Message: msg})
	}
	return web.Error(code, msg)
}

func redirect(to string) web.Reply {
	return web.Reply{StatusCode: http.StatusSeeOther, Headers: map[string]string{"Location": to, "Cache-Control": "no-store"}}
}
