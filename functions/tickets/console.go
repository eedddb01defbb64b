package main

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/mail"
	"github.com/cxloop/cxloop/shared/text"
	"github.com/cxloop/cxloop/shared/ticket"
	"github.com/cxloop/cxloop/shared/web"
)

//go:embed console/*.html
var consoleFS embed.FS

var funcs = template.FuncMap{
	"deref": func(p *int) int { return *p },
	"when": func(v any) string {
		switch t := v.(type) {
		case time.Time:
			return t.UTC().Format("2006-01-02 15:04 UTC")
		case *time.Time:
			if t != nil {
				return t.UTC().Format("2006-01-02 15:04 UTC")
			}
		}
		return ""
	},
	"overdue": func(t ticket.Ticket) bool { return ticket.Holds(t.Status) && time.Now().After(t.SLADue) },
	"label":   label,
}

// label names the button that moves a ticket from its status to next: what it does from there.
// Back to open is "Reopen" only for a resolved or closed ticket; for an assigned one it unassigns.
func label(from, next string) string {
	if next == ticket.StatusOpen {
		if from == ticket.StatusAssigned {
			return "Unassign (back to open)"
		}
		return "Reopen"
	}
	return map[string]string{ticket.StatusAssigned: "Mark assigned", ticket.StatusResolved: "Resolve", ticket.StatusClosed: "Close"}[next]
}

// consolePage parses console/<name>.html with the layout once, on its first use: parsing all seven
// pages at init took 2 ms of every cold start, most of which serve JSON or one page.
// TestConsolePagesParse parses each, so a broken template still fails the tests.
func consolePage(name string, extra template.FuncMap) func() *template.Template {
	return sync.OnceValue(func() *template.Template {
		return template.Must(template.New(name).Funcs(funcs).Funcs(extra).ParseFS(consoleFS, "console/layout.html", "console/"+name+".html"))
	})
}

// pages are the console pages pageAs renders, by name.
var pages = map[string]func() *template.Template{
	"login": consolePage("login", nil), "error": consolePage("error", nil), "queue": consolePage("queue", nil),
	"ticket": consolePage("ticket", nil), "trends": consolePage("trends", nil),
}

// Views of the pages.
type (
	loginView struct {
		Error string
		Next  string // the console page to return to after signing in (a same-origin /ops/ path)
		OIDC  bool   // offer sign-in with the identity provider
	}
	errorView struct {
		Code    int
		Message string
	}
	queueView struct {
		Status, Team, Survey, Priority       string
		Mine, HasName                        bool
		Statuses, Teams, Surveys, Priorities []string
		Theme                                string   // the theme filter
		Themes                               []string // every declared theme id of the catalog
		Rows                                 []queueRow
		NextURL                              string // the next page, "" on the last
		// Contact and Email are a search for one customer's tickets; CanSearchEmail offers the
		// address search (agents and admins).
		Contact, Email            string
		Searching, CanSearchEmail bool
	}
	ticketView struct {
		T         *ticket.Ticket
		CanAct    bool
		Next      []string // statuses the agent can move to
		CloseLoop bool
		Me        string // the caller's token name, for "Assign to me" ("" hides it)
		History   []historyRow
		Draft     string       // the close-the-loop message the composer starts from
		Question  string       // the survey's question as the customer read it
		Top       int          // the top of the survey's scale (10 for nps), 0 if unknown
		Preview   *mailPreview // the close-the-loop email as it would go out, when asked for
	}
	mailPreview struct{ To, ReplyTo, Subject, Text string }
)

// pageData is what the layout renders around a view.
type pageData struct {
	Title string
	Who   string
	View  any
}

func templateFor(v any) string {
	switch v.(type) {
	case loginView:
		return "login"
	case queueView:
		return "queue"
	case ticketView:
		return "ticket"
	case trendsView:
		return "trends"
	}
	return "error"
}

// page renders a console page with the page security headers.
func page(ctx context.Context, code int, title string, v any) web.Reply {
	return pageAs(ctx, code, title, "", v)
}

// pageAs renders a console page for who (their label in the header).
func pageAs(ctx context.Context, code int, title, who string, v any) web.Reply {
	var b bytes.Buffer
	name := templateFor(v)
	if err := pages[name]().ExecuteTemplate(&b, name+".html", pageData{Title: title, Who: who, View: v}); err != nil {
		slog.ErrorContext(ctx, "render console page", "page", name, "error", err)
		return web.HTML(http.StatusInternalServerError, "<!doctype html><title>Error</title><p>internal error</p>")
	}
	return web.HTML(code, b.String())
}

func whoLabel(t *access.Token) string {
	if t.Name != "" {
		return t.Name + " (" + t.Role + ")"
	}
	return t.Role
}

// teams lists every team the catalog routes to (for the queue filter).
func (h *Handler) teams() []string {
	var out []string
	add := func(t string) {
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	for _, sv := range h.Catalog.Surveys {
		if sv.Followup != nil {
			add(sv.Followup.Team)
			for _, r := range sv.Followup.Routes {
				add(r.Team)
			}
		}
	}
	add(ticket.DefaultTeam)
	slices.Sort(out)
	return out
}

// queuePage: GET /ops/?status=&team=&assignee=&survey=&priority=&cursor=, 50 rows a page.
func (h *Handler) queuePage(r *http.Request, who *access.Token) (web.Reply, error) {
	ctx := r.Context()
	f, err := queueFilterOf(r, who)
	if err != nil {
		return web.Reply{}, err
	}
	v := queueView{Status: f.Status, Team: f.Team, Survey: f.Survey, Priority: f.Priority, Theme: f.Theme, Themes: h.themeIDs(), Mine: web.Query(r, "assignee") == "me",
		HasName: who.Name != "", Statuses: ticket.Statuses, Teams: h.teams(), Surveys: h.surveys(), Priorities: []string{ticket.PriorityUrgent, ticket.PriorityHigh, ticket.PriorityNormal, ticket.PriorityLow}}
	sr, searching, err := searchOf(r, who)
	if err != nil {
		return web.Reply{}, err
	}
	v.Contact, v.Email, v.Searching, v.CanSearchEmail = sr.Contact, sr.Email, searching, access.Allows(who.Role, access.Agent)
	if searching {
		found, err := h.searchTickets(ctx, who, sr, f)
		if err != nil {
			return web.Reply{}, err
		}
		v.Rows = rowsOf(h.Catalog, visibleAll(who.Role, found), time.Now())
		return pageAs(ctx, http.StatusOK, "Tickets", whoLabel(who), v), nil
	}
	page, err := h.Store.TicketQueue(ctx, f, queuePageSize, web.Query(r, "cursor"))
	if err != nil {
		return web.Reply{}, err
	}
	if err := h.auditList(ctx, who, f, len(page.Tickets)); err != nil {
		return web.Reply{}, err
	}
	v.Rows = rowsOf(h.Catalog, visibleAll(who.Role, page.Tickets), time.Now())
	if page.Next != "" {
		q := url.Values{}
		for k, val := range map[string]string{"status": f.Status, "team": f.Team, "survey": f.Survey, "priority": f.Priority, "theme": f.Theme, "assignee": web.Query(r, "assignee")} {
			if val != "" {
				q.Set(k, val)
			}
		}
		q.Set("cursor", page.Next)
		v.NextURL = "/ops/?" + q.Encode()
	}
	return pageAs(ctx, http.StatusOK, "Tickets", whoLabel(who), v), nil
}

// queuePageSize is how many rows one queue page shows.
const queuePageSize = 50

// surveys lists the catalog's survey ids (for the queue filter).
func (h *Handler) surveys() []string {
	var out []string
	for _, sv := range h.Catalog.Surveys {
		out = append(out, sv.ID)
	}
	slices.Sort(out)
	return out
}

// ticketPage: GET /ops/ticket/{id}.
func (h *Handler) ticketPage(r *http.Request, who *access.Token) (web.Reply, error) {
	ctx := r.Context()
	t, err := h.Store.GetTicket(ctx, r.PathValue("id"))
	if err != nil {
		return web.Reply{}, err
	}
	v, err := h.ticketView(ctx, who, t)
	if err != nil {
		return web.Reply{}, err
	}
	return pageAs(ctx, http.StatusOK, "Ticket "+t.ID, whoLabel(who), v), nil
}

// ticketView is what the ticket page shows of t to who.
func (h *Handler) ticketView(ctx context.Context, who *access.Token, t *ticket.Ticket) (ticketView, error) {
	shown := visible(who.Role, *t)
	v := ticketView{T: &shown, CanAct: access.Allows(who.Role, access.Agent), CloseLoop: h.CanCloseLoop(t), Me: who.Name, Draft: h.closeLoopDraft(t)}
	if sv, ok := h.Catalog.Survey(t.Survey); ok {
		v.Question = mail.Localized(t.Locale, sv.Question)
		_, v.Top = sv.Metric.Scale()
	}
	if err := h.audit(ctx, who, access.AuditTicketRead, t.ID, 1); err != nil {
		return v, err
	}
	var err error
	if v.History, err = h.customerHistory(ctx, t); err != nil {
		return v, err
	}
	for _, s := range ticket.Statuses {
		if s != ticket.StatusAssigned && ticket.Transition(t.Status, s) == nil {
			v.Next = append(v.Next, s)
		}
	}
	return v, nil
}

// previewCloseLoop renders the ticket page with the close-the-loop email as the agent wrote it,
// changing nothing (the composer's "Preview" button).
func (h *Handler) previewCloseLoop(ctx context.Context, who *access.Token, id, own string) (web.Reply, error) {
	t, err := h.Store.GetTicket(ctx, id)
	if err != nil {
		return web.Reply{}, err
	}
	v, err := h.ticketView(ctx, who, t)
	if err != nil {
		return web.Reply{}, err
	}
	if !text.Valid(own) {
		return web.Reply{}, fmt.Errorf("%w: the close-the-loop message must be valid UTF-8", errBadRequest)
	}
	own = text.Clean(own)
	sv, ok := h.Catalog.Survey(t.Survey)
	if !v.CloseLoop || !ok {
		return web.Reply{}, fmt.Errorf("%w: this ticket cannot send a close-the-loop email", errBadRequest)
	}
	m, err := mail.RenderCloseLoop(mail.CloseLoop{To: t.Email, Name: t.Name, Locale: t.Locale, Title: sv.Title,
		Body: sv.Followup.CloseLoop, Text: own, TicketID: t.ID, ReplyTo: h.Teams.For(t.Team), UnsubscribeURL: "https://…/u/(a link for this customer)"})
	if err != nil {
		return web.Reply{}, fmt.Errorf("%w: write the message first", errBadRequest)
	}
	v.Draft, v.Preview = own, &mailPreview{To: m.To, ReplyTo: m.ReplyTo, Subject: m.Subject, Text: m.Text}
	return pageAs(ctx, http.StatusOK, "Ticket "+t.ID, whoLabel(who), v), nil
}

// ticketForm: POST /ops/ticket/{id} from the ticket page's forms (assign, note, status), then
// back to the ticket page (POST, redirect, GET).
func (h *Handler) ticketForm(r *http.Request, who *access.Token) (web.Reply, error) {
	ctx := r.Context()
	body, err := web.Body(r, 16<<10)
	if err != nil {
		return web.Reply{}, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return web.Reply{}, fmt.Errorf("%w: malformed form", errBadRequest)
	}
	var p Patch
	switch form.Get("action") {
	case "assign":
		a := form.Get("assignee")
		p.Assignee = &a
	case "assign-me":
		if who.Name == "" {
			return web.Reply{}, fmt.Errorf("%w: your token has no name to assign", errBadRequest)
		}
		p.Assignee = &who.Name
	case "note":
		p.Note = form.Get("note")
	case "status":
		if form.Get("preview") == "1" {
			return h.previewCloseLoop(ctx, who, r.PathValue("id"), form.Get("closeloop_text"))
		}
		p.Status = form.Get("status")
		p.CloseLoop = form.Get("closeloop") == "1"
		if p.CloseLoop {
			p.CloseLoopText = form.Get("closeloop_text")
		}
	default:
		return web.Reply{}, fmt.Errorf("%w: unknown action", errBadRequest)
	}
	if _, err := h.apply(ctx, r.PathValue("id"), who, p); err != nil {
		return web.Reply{}, err
	}
	return redirect("/ops/ticket/" + url.PathEscape(r.PathValue("id"))), nil
}
