package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/token"
	"github.com/cxloop/cxloop/shared/web"
)

// Errors of the handler itself.
var (
	errNoRoute    = errors.New("no such page")
	errMethod     = errors.New("method not allowed")
	errScoreRange = errors.New("score outside the survey's scale")
	errBadForm    = errors.New("bad form")
)

// pageError carries what an error page needs besides the error: the language, and for a form
// error the form as the customer filled it, for the final-answer page the answer.
type pageError struct {
	err error
	v   *view
}

func (e *pageError) Error() string { return e.err.Error() }
func (e *pageError) Unwrap() error { return e.err }

func withView(err error, v *view) error { return &pageError{err: err, v: v} }

// badForm marks an error as the customer's form to fix (400).
func badForm(err error) error { return fmt.Errorf("%w: %w", errBadForm, err) }

// fail turns an error into its page: the one place where outcomes become statuses.
//
//	unknown or tampered link, skipped decision     404
//	expired link, survey closed                    410 (in the invitation's language when known)
//	answer after the edit window                   409, the page shows the final answer
//	answer still losing races after every retry    409, "send again"
//	invitation not sent yet                        503 with Retry-After
//	form body over the limit                       413
//	form the customer must fix                     400, the form again with the problem
//	resubscribe POST not from the page's origin    403, a link back to the page
//	anything else                                  500, logged, a generic page
func (h *Handler) fail(ctx context.Context, req *http.Request, err error) web.Reply {
	v := &view{T: acceptLanguage(web.Header(req, "Accept-Language"))}
	var pe *pageError
	if errors.As(err, &pe) && pe.v != nil {
		v = pe.v
	}
	t := v.T
	var (
		status int
		resp   web.Reply
		rerr   error
	)
	switch {
	case errors.Is(err, token.ErrInvalid), errors.Is(err, store.ErrNotFound), errors.Is(err, errNoRoute):
		status = http.StatusNotFound
		resp, rerr = h.render(status, messagePage, h.errorView(req, t, t.NotFoundTitle, t.NotFoundBody, false))
	case errors.Is(err, token.ErrExpired), errors.Is(err, invitation.ErrExpired):
		status = http.StatusGone
		title, body := t.ExpiredTitle, t.ExpiredBody
		if pageOf(req) == "u" {
			title, body = t.UnsubExpiredTitle, t.UnsubExpiredBody
		}
		resp, rerr = h.render(status, messagePage, h.errorView(req, t, title, body, false))
	case errors.Is(err, invitation.ErrEditWindowClosed):
		status = http.StatusConflict
		if v.Title == "" {
			v = messageView(t, t.FinalTitle, t.FinalBody)
		}
		resp, rerr = h.render(status, messagePage, v)
	case errors.Is(err, store.ErrConflict):
		// Only many answers racing on one link for a minute get here (RecordAnswer retries with
		// jitter first): the customer's to retry, never a server error.
		status = http.StatusConflict
		resp, rerr = h.render(status, messagePage, h.errorView(req, t, t.BusyTitle, t.BusyBody, true))
	case errors.Is(err, invitation.ErrNotSent):
		status = http.StatusServiceUnavailable
		resp, rerr = h.render(status, messagePage, h.errorView(req, t, t.NotReadyTitle, t.NotReadyBody, true))
		resp = web.WithHeader(resp, "Retry-After", "60")
	case errors.Is(err, web.ErrTooLarge):
		status = http.StatusRequestEntityTooLarge
		resp, rerr = h.render(status, messagePage, h.errorView(req, t, t.TooLargeTitle, t.TooLargeBody, true))
	case errors.Is(err, errMethod):
		status = http.StatusMethodNotAllowed
		// web.Mux has set Allow to the methods the path's patterns serve.
		resp, rerr = h.render(status, messagePage, h.errorView(req, t, t.NotFoundTitle, t.NotFoundBody, false))
	case errors.Is(err, errOrigin):
		// A resubscribe POST from another site (or with no Origin): nothing changed; the page
		// leads back to the unsubscribe page, whose button sends a proper one.
		status = http.StatusForbidden
		if v.Title == "" {
			v = h.errorView(req, t, t.OriginTitle, t.OriginBody, false)
		}
		resp, rerr = h.render(status, messagePage, v)
	case errors.Is(err, errBadForm) && v.Question != "":
		status = http.StatusBadRequest
		v.Error = formProblem(t, err)
		resp, rerr = h.render(status, surveyPage, v)
	default:
		status = http.StatusInternalServerError
		slog.ErrorContext(ctx, "survey request failed", "route", req.Pattern, "error", err.Error())
		resp, rerr = h.render(status, messagePage, h.errorView(req, t, t.ErrorTitle, t.ErrorBody, true))
	}
	if rerr != nil { // a template bug: still answer with the status and a plain page
		slog.ErrorContext(ctx, "render error page", "status", status, "error", rerr.Error())
		return web.HTML(status, "<!doctype html><title>Error</title><p>Something went wrong.</p>")
	}
	if status < 500 {
		slog.InfoContext(ctx, "request refused", "route", req.Pattern, "status", status, "reason", err.Error())
	}
	return resp
}

// errorView is an error page with a way on: back to the survey when trying again can help (the
// link is relative to /s/{token}, so it is the same page), else to the company's website.
func (h *Handler) errorView(req *http.Request, t *ui, title, body string, retry bool) *view {
	v := messageView(t, title, body)
	v.Brand = h.brand()
	if tok := web.Param(req, "token"); retry && pageOf(req) == "s" && tok != "" {
		v.Link, v.LinkText = tok, t.BackToSurvey
	} else if v.Brand != nil {
		v.Link, v.LinkText = v.Brand.HomeURL, t.HomeLink
	}
	return v
}

// formProblem says what to fix in the customer's language.
func formProblem(t *ui, err error) string {
	switch {
	case errors.Is(err, ErrNoScore):
		return t.ErrNoScore
	case errors.Is(err, ErrBadScore), errors.Is(err, errScoreRange):
		return t.ErrScoreRange
	case errors.Is(err, ErrCommentTooLong):
		return fmt.Sprintf(t.ErrTooLong, MaxComment)
	}
	return t.ErrForm
}
