// SurveyFunction serves the customer's pages behind the HTTP API: the survey page (GET shows it
// with the score from the email preselected, POST records the answer) and the unsubscribe page
// (GET asks to confirm, POST unsubscribes at once, including RFC 8058 one-click POSTs).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/telemetry"
	"github.com/cxloop/cxloop/shared/token"
	"github.com/cxloop/cxloop/shared/web"
)

// unsubscribeLinkLife is how long the unsubscribe link in the survey page's footer works.
const unsubscribeLinkLife = 90 * 24 * time.Hour

// Handler serves SurveyFunction's routes. Its dependencies are built once at init (main.go).
type Handler struct {
	Store   *store.Store
	Tokens  *token.Signer
	Catalog *catalog.Catalog
	Metrics *telemetry.Metrics // nil: no metric lines (tests)

	once sync.Once
	mux  *web.Mux
}

// count emits one EMF metric line (Answers per survey and outcome, Unsubscribes).
func (h *Handler) count(ctx context.Context, dims map[string]string, name string) {
	if h.Metrics == nil {
		return
	}
	if err := h.Metrics.Emit(dims, telemetry.Metric{Name: name, Value: 1, Unit: telemetry.Count}); err != nil {
		slog.WarnContext(ctx, "emit metric", "metric", name, "error", err.Error())
	}
}

// brand is the catalog's brand for the pages, nil when the catalog declares none.
func (h *Handler) brand() *brandView {
	b := h.Catalog.Brand
	if b == nil {
		return nil
	}
	v := &brandView{Company: b.Company, Address: b.Address, PrivacyURL: b.PrivacyURL, HomeURL: b.HomeURL, Accent: b.Accent}
	if l := b.LogoImage(); l != nil {
		// Inline as a data: URL, which the page's CSP allows (img-src 'self' data:).
		v.Logo = logoTag(l)
	}
	return v
}

// Handle is the Lambda entry: one HTTP API event through ServeHTTP.
func (h *Handler) Handle(ctx context.Context, req web.Request) (web.Response, error) {
	return web.Serve(ctx, h, req), nil
}

// ServeHTTP answers one request. Every failure is a page, and failures become statuses in one
// place (fail). The routes are registered on first use, once.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.once.Do(func() { h.mux = h.routes() })
	h.mux.ServeHTTP(w, r)
}

// routes registers the pages; GET patterns serve HEAD too.
func (h *Handler) routes() *web.Mux {
	m := web.NewMux(h.failing(errNoRoute), h.failing(errMethod))
	m.Handle("GET /s/{token}", h.page(h.showSurvey))
	m.Handle("POST /s/{token}", h.page(h.answer))
	m.Handle("GET /u/{token}", h.page(func(ctx context.Context, _ *http.Request, tok string) (web.Reply, error) {
		return h.showUnsubscribe(ctx, tok)
	}))
	m.Handle("POST /u/{token}", h.page(h.unsubscribeOrResubscribe))
	m.HandleFunc("GET /brand/{file}", h.logo)
	return m
}

// pageFunc is one route's function, given the link's token.
type pageFunc func(ctx context.Context, r *http.Request, tok string) (web.Reply, error)

// page serves fn, turning its error into the error page.
func (h *Handler) page(fn pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := fn(r.Context(), r, web.Param(r, "token"))
		if err != nil {
			resp = h.fail(r.Context(), r, err)
		}
		resp.Write(w)
	})
}

// failing answers every request with err's page (the unknown path, the wrong method).
func (h *Handler) failing(err error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { h.fail(r.Context(), r, err).Write(w) }
}

// pageOf tells which page a request is for ("s" or "u") from its path.
func pageOf(r *http.Request) string {
	switch {
	case strings.HasPrefix(r.URL.Path, "/s/"):
		return "s"
	case strings.HasPrefix(r.URL.Path, "/u/"):
		return "u"
	}
	return ""
}

// load verifies a link's token and reads its invitation (strongly consistent), its survey and
// the page language.
func (h *Handler) load(ctx context.Context, p token.Purpose, tok string) (*store.Invitation, *catalog.Survey, *ui, error) {
	return h.loadWith(ctx, p, tok, h.Store.GetInvitation)
}

// loadEventually is load with an eventually consistent read, at half the read units: for the
// survey form and the answer POST, whose write re-reads or is conditioned on what it read
// (store.RecordAnswer). The thank-you page reads again, consistently, if its read does not show
// the answer yet (showSurvey).
func (h *Handler) loadEventually(ctx context.Context, p token.Purpose, tok string) (*store.Invitation, *catalog.Survey, *ui, error) {
	return h.loadWith(ctx, p, tok, h.Store.ReadInvitation)
}

func (h *Handler) loadWith(ctx context.Context, p token.Purpose, tok string, read func(context.Context, string) (*store.Invitation, error)) (*store.Invitation, *catalog.Survey, *ui, error) {
	now := h.Store.Now()
	id, err := h.Tokens.Verify(p, tok, now)
	if err != nil {
		err = fmt.Errorf("%s link: %w", p, err)
		if errors.Is(err, token.ErrExpired) && id != "" {
			// A genuine link that expired: say so in the invitation's language if it still exists.
			if inv, gerr := h.Store.GetInvitation(ctx, id); gerr == nil {
				if sv, ok := h.Catalog.Survey(inv.Survey); ok {
					return nil, nil, nil, withView(err, &view{T: textsFor(sv.Locale(inv.Locale))})
				}
			}
		}
		return nil, nil, nil, err
	}
	inv, err := read(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		inv, err = h.Store.GetInvitation(ctx, id) // not there yet for a lagging read, or really unknown
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if !inv.Invited() {
		return nil, nil, nil, fmt.Errorf("invitation %s is a %s decision: %w", id, inv.Outcome, store.ErrNotFound)
	}
	sv, ok := h.Catalog.Survey(inv.Survey)
	if !ok {
		// The survey left the catalog after the email went out: it is closed.
		slog.WarnContext(ctx, "invitation of a survey no longer in the catalog", "invitation", id, "survey", inv.Survey)
		return nil, nil, nil, fmt.Errorf("survey %s of invitation %s: %w", inv.Survey, id, invitation.ErrExpired)
	}
	t := textsFor(sv.Locale(inv.Locale))
	if p == token.Survey && !inv.LinkExpiresAt.IsZero() && !now.Before(inv.LinkExpiresAt) {
		return nil, nil, nil, withView(fmt.Errorf("invitation %s: %w", id, invitation.ErrExpired), &view{T: t})
	}
	return inv, sv, t, nil
}

// showSurvey renders the survey page for GET and HEAD. It records nothing: mail scanners and
// prefetchers follow every link in an email.
func (h *Handler) showSurvey(ctx context.Context, req *http.Request, tok string) (web.Reply, error) {
	inv, sv, t, err := h.loadEventually(ctx, token.Survey, tok)
	if err == nil && inv.AnsweredAt == nil && web.Query(req, "sent") != "" {
		// The thank-you page of an answer just given, read before the answer reached this copy:
		// read again, strongly consistent.
		inv, sv, t, err = h.load(ctx, token.Survey, tok)
	}
	if err != nil {
		return web.Reply{}, err
	}
	window := h.Catalog.EditWindow.Duration
	if inv.AnsweredAt != nil && !h.Store.Now().Before(inv.EditableUntil(window)) {
		return h.render(http.StatusOK, messagePage, h.finalView(inv, sv, t))
	}
	if inv.AnsweredAt != nil && web.Query(req, "sent") != "" {
		return h.render(http.StatusOK, messagePage, h.thanksView(inv, sv, t, tok))
	}
	if web.Query(req, "score") != "" {
		// Opens of score links, against Answers: the drop-off between the email and Send. Opens
		// include mail scanners, so the gap is an upper bound. A metric line, never a write.
		h.count(ctx, map[string]string{"Survey": inv.Survey}, "ScoreLinksOpened")
	}
	v := h.surveyView(inv, sv, t)
	// A score link preselects its score only before the first answer: afterwards the page shows
	// the stored answer, so a stray click on an old email can never pass for a new choice.
	if n, ok := ParseScoreParam(web.Query(req, "score")); ok && inScale(sv.Metric, n) && inv.AnsweredAt == nil {
		v.Options = scaleOptions(sv.Metric, n, true)
	}
	return h.render(http.StatusOK, surveyPage, v)
}

// surveyView is the form for inv, with its current answer (if any) filled in.
func (h *Handler) surveyView(inv *store.Invitation, sv *catalog.Survey, t *ui) *view {
	v := &view{
		T:            t,
		Brand:        h.brand(),
		Title:        sv.Title.In(t.Lang),
		Question:     sv.Question.In(t.Lang),
		CommentLabel: commentLabel(sv, t),
		CommentHint:  fmt.Sprintf(t.CommentHint, MaxComment),
		MaxComment:   MaxComment,
		Options:      scaleOptions(sv.Metric, 0, false),
		UnsubURL:     "../u/" + h.Tokens.Sign(token.Unsubscribe, inv.ID, h.Store.Now().Add(unsubscribeLinkLife)),
	}
	v.LowHint, v.HighHint = scaleEnds(t, sv.Metric)
	if r := sv.Rule(inv.Touchpoint); r != nil {
		v.About = r.Context.Fill(t.Lang, inv.Context)
	}
	if inv.AnsweredAt != nil && inv.Score != nil {
		v.Options = scaleOptions(sv.Metric, *inv.Score, true)
		v.Comment = inv.Comment
		v.Notice = fmt.Sprintf(t.Stored, *inv.Score, formatUntil(inv.EditableUntil(h.Catalog.EditWindow.Duration)))
	}
	return v
}

// answer records a POSTed answer and thanks the customer; a repeat changes nothing, an edit
// within the edit window replaces the answer, and after it the page says the answer is final.
func (h *Handler) answer(ctx context.Context, req *http.Request, tok string) (web.Reply, error) {
	inv, sv, t, err := h.loadEventually(ctx, token.Survey, tok)
	if err != nil {
		return web.Reply{}, err
	}
	v := h.surveyView(inv, sv, t)
	body, err := web.Body(req, MaxForm)
	if err != nil {
		return web.Reply{}, withView(badForm(err), v)
	}
	form, err := DecodeForm(body)
	if err == nil && !inScale(sv.Metric, form.Score) {
		err = errScoreRange
	}
	if err != nil {
		// Show the form again as the customer filled it, with what to fix.
		v.Notice = ""
		if vals, perr := url.ParseQuery(string(body)); perr == nil {
			n, ok := ParseScoreParam(vals.Get("score"))
			v.Options = scaleOptions(sv.Metric, n, ok && inScale(sv.Metric, n))
			v.Comment = vals.Get("comment")
		}
		return web.Reply{}, withView(badForm(err), v)
	}
	after, outcome, err := h.Store.RecordAnswer(ctx, inv, store.NewAnswer{
		Score: form.Score, Comment: form.Comment, EditWindow: h.Catalog.EditWindow.Duration,
	})
	if err != nil {
		if after != nil {
			return web.Reply{}, withView(err, h.finalView(after, sv, t))
		}
		return web.Reply{}, withView(err, &view{T: t})
	}
	slog.InfoContext(ctx, "answer recorded", "invitation", inv.ID, "survey", inv.Survey, "outcome", outcome.String())
	h.count(ctx, map[string]string{"Survey": inv.Survey, "Outcome": outcome.String()}, "Answers")
	// Post/redirect/get: the thank-you page is a GET of the same link, so reloading it or going
	// back never offers to send the form again.
	return seeOther(tok + "?sent=1"), nil
}

// thanksView is the thank-you page of a recorded answer, by the answer's score band.
func (h *Handler) thanksView(inv *store.Invitation, sv *catalog.Survey, t *ui, tok string) *view {
	v := &view{
		T:        t,
		Brand:    h.brand(),
		Title:    t.ThanksTitle,
		Body:     t.ThanksBody,
		Answer:   answerOf(inv, sv, t),
		Note:     fmt.Sprintf(t.ThanksChange, formatUntil(inv.EditableUntil(h.Catalog.EditWindow.Duration))),
		Link:     tok,
		LinkText: t.ChangeLink,
	}
	if inv.Score != nil {
		v.Body += " " + thanksBody(t, sv, *inv.Score)
		// Only a customer who was happy is asked for a public review, and only when the catalog
		// has a review page (https, checked by the catalog).
		if band(sv, *inv.Score) == bandHigh {
			v.Review = h.Catalog.Review(sv)
		}
	}
	return v
}

// finalView is the page of an answer that can no longer change.
func (h *Handler) finalView(inv *store.Invitation, sv *catalog.Survey, t *ui) *view {
	return &view{T: t, Brand: h.brand(), Title: t.FinalTitle, Body: t.FinalBody, Answer: answerOf(inv, sv, t)}
}

func answerOf(inv *store.Invitation, sv *catalog.Survey, t *ui) *answerView {
	if inv == nil || inv.Score == nil {
		return nil
	}
	return &answerView{Score: *inv.Score, Comment: inv.Comment, CommentLabel: commentLabel(sv, t)}
}

func commentLabel(sv *catalog.Survey, t *ui) string {
	if s := sv.Comment.In(t.Lang); s != "" {
		return s
	}
	return t.CommentDefault
}

func inScale(m catalog.Metric, n int) bool {
	lo, hi := m.Scale()
	return lo < hi && n >= lo && n <= hi
}
