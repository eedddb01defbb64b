package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

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
	// Signer and BaseURL sign the close-the-loop email's unsubscribe link; without them no
	// close-the-loop email is sent.
	Signer  *token.Signer
	BaseURL string
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

// route is one endpoint: the least role that may call it and its function.
type route struct {
	role string
	html bool // a console page: errors render as pages, a missing login redirects to the login form
	fn   func(ctx context.Context, req web.Request, who *store.APIToken, args []string) (web.Response, error)
}

// routes maps "METHOD /pattern" to its route; {x} matches one path segment.
func (h *Handler) routes() map[string]route {
	return map[string]route{
		"GET /ops/tickets":              {store.RoleViewer, false, h.listTickets},
		"GET /ops/tickets/{id}":         {store.RoleViewer, false, h.getTicket},
		"PATCH /ops/tickets/{id}":       {store.RoleAgent, false, h.patchTicket},
		"GET /ops/scores":               {store.RoleViewer, false, h.scores},
		"GET /ops/contacts/{id}/export": {store.RoleAdmin, false, h.exportContact},
		"DELETE /ops/contacts/{id}":     {store.RoleAdmin, false, h.eraseContact},
		"GET /ops/":                     {store.RoleViewer, true, h.queuePage},
		"GET /ops/ticket/{id}":          {store.RoleViewer, true, h.ticketPage},
		"POST /ops/ticket/{id}":         {store.RoleAgent, true, h.ticketForm},
		"GET /ops/trends":               {store.RoleViewer, true, h.trendsPage},
	}
}

// Handle serves /ops and everything under it.
func (h *Handler) Handle(ctx context.Context, req web.Request) (web.Response, error) {
	path := req.RawPath
	if path == "" {
		path = req.RequestContext.HTTP.Path
	}
	method := strings.ToUpper(web.Method(req))
	if method == http.MethodHead {
		method = http.MethodGet
	}
	switch path {
	case "/ops":
		return redirect("/ops/"), nil
	case "/ops/login":
		return web.ForMethod(req, h.login(ctx, req)), nil
	case "/ops/logout":
		return h.logout(req), nil
	}
	r, args, known := h.match(method, path)
	if r.fn == nil {
		if known {
			return respond(req, false, errMethod), nil
		}
		return respond(req, strings.HasPrefix(web.Header(req, "Accept"), "text/html"), errNotFound), nil
	}
	who, viaCookie, err := h.authenticate(ctx, req)
	if err != nil {
		if r.html && errors.Is(err, errUnauthorized) {
			return redirect(loginURL(path, req.RawQueryString)), nil
		}
		return respond(req, r.html, err), nil
	}
	if !Allowed(who.Role, r.role) {
		return respond(req, r.html, errForbidden), nil
	}
	if viaCookie && method != http.MethodGet && !sameOrigin(req) {
		return respond(req, r.html, errForbidden), nil
	}
	resp, err := r.fn(ctx, req, who, args)
	if err != nil {
		return respond(req, r.html, err), nil
	}
	return web.ForMethod(req, resp), nil
}

// match finds the route of method and path; known reports whether the path exists for another method.
func (h *Handler) match(method, path string) (route, []string, bool) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	known := false
	for pattern, r := range h.routes() {
		m, p, _ := strings.Cut(pattern, " ")
		want := strings.Split(strings.TrimPrefix(p, "/"), "/")
		if len(want) != len(segs) {
			continue
		}
		var args []string
		ok := true
		for i, w := range want {
			if strings.HasPrefix(w, "{") {
				if segs[i] == "" {
					ok = false
					break
				}
				args = append(args, segs[i])
			} else if w != segs[i] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		if m == method {
			return r, args, true
		}
		known = true
	}
	return route{}, nil, known
}

// respond renders err as JSON for the API and as a page for the console. Internal errors are
// logged with their detail and shown as a generic message.
func respond(req web.Request, html bool, err error) web.Response {
	code, msg := status(err)
	if code == http.StatusInternalServerError {
		slog.Error("ops request failed", "path", req.RawPath, "err", err)
	}
	if html {
		return web.ForMethod(req, page(code, "Error", errorView{Code: code, Message: msg}))
	}
	return web.Error(code, msg)
}

func redirect(to string) web.Response {
	return web.Response{StatusCode: http.StatusSeeOther, Headers: map[string]string{"Location": to, "Cache-Control": "no-store"}}
}
