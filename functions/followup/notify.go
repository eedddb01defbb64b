package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/mail"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/ticket"
)

// Delivery states recorded on the ticket.
const (
	StateSent      = "sent"
	StateDelivered = "delivered"
	StateFailed    = "failed"
	StateRefused   = "refused" // the webhook URL or its address is not one cxloop sends to
	StateNone      = "none"    // no address or no webhook configured
	// StateUnknown is a notification claimed by an invocation that ended before recording what
	// it sent: the email may or may not have gone out, and it is not sent again.
	StateUnknown = "unknown"
)

// staleClaim is the age past which a notification's claim has no living holder: longer than any
// Lambda invocation runs (15 minutes).
const staleClaim = 20 * time.Minute

// notify sends notification kind of ticket id once (claimed in the store) by email and webhook,
// and records the outcome on the ticket. A failed send is recorded, never returned. It returns an
// error only when nothing was sent and nothing is claimed (the ticket could not be read, the claim
// failed, no time was left for the email): the caller has the notification tried again.
func (h *Handler) notify(ctx context.Context, id, kind string) error {
	// Read, strongly consistent, right before the claim and the email, even for a ticket this
	// invocation just opened: notifications go out after the whole batch, seconds later under
	// retries, and an erasure since then must not reach the team's inbox (the erasure rule,
	// docs/SECURITY.md). Read before claiming, so a failed read leaves no claim without a send.
	t, err := h.Store.GetTicket(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		slog.WarnContext(ctx, "no ticket to notify", "ticket", id, "kind", kind)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read ticket to notify: %w", err)
	}
	if t.Notified(kind) {
		return nil // sent under an older claim, kept on the ticket
	}
	if _, ok := attemptBudget(ctx); !ok {
		return errNoTimeToSend
	}
	c, ok, err := h.Store.ClaimNotification(ctx, id, kind)
	if err != nil {
		return h.giveBack(ctx, c, err) // the claim may have been written, its answer lost
	}
	if !ok {
		// Another invocation holds the claim. One that ended without recording the outcome (killed
		// between its claim and its record) leaves the notification unrecorded for good: say so on
		// the ticket, which also takes an escalation off the SLA tick's list to notify.
		if !c.HeldSince.IsZero() && h.now().Sub(c.HeldSince) > staleClaim {
			d := ticket.Delivery{At: h.now(), Email: StateUnknown, Webhook: StateUnknown,
				Error: "claimed at " + c.HeldSince.UTC().Format(time.RFC3339) + " by an invocation that ended before recording its outcome; not sent again"}
			if err := h.Store.RecordDelivery(ctx, id, kind, d); err != nil {
				return fmt.Errorf("record a stale claim's notification: %w", err)
			}
		}
		return nil
	}
	// From here on the claim is given back only while nothing has gone out; once the email is
	// started, SES may have accepted it, and a retry could send it twice.
	budget, ok := attemptBudget(ctx)
	if !ok {
		return h.giveBack(ctx, c, errNoTimeToSend)
	}
	d := ticket.Delivery{At: h.now()}
	d.Email, d.EmailMessageID, err = h.email(ctx, t, kind, budget)
	if err != nil {
		d.Error = "email: " + err.Error()
		slog.ErrorContext(ctx, "ticket email", "ticket", id, "kind", kind, "error", err)
	}
	// Read again right before the webhook: an erasure since the first read (the email took its
	// time) must not send the comment (the erasure rule, docs/SECURITY.md).
	if fresh, ferr := h.Store.GetTicket(ctx, id); ferr == nil {
		t = fresh
	}
	d.Webhook, d.WebhookAttempts, d.WebhookStatus, err = h.webhook(ctx, t, kind)
	if err != nil {
		d.Error = strings.TrimPrefix(d.Error+"; webhook: "+err.Error(), "; ")
		slog.ErrorContext(ctx, "ticket webhook", "ticket", id, "kind", kind, "attempts", d.WebhookAttempts, "error", err)
		if retryLater(d.Webhook, d.WebhookStatus) {
			if err := h.Store.ScheduleWebhookRetry(ctx, id, kind, 0, h.now().Add(h.rounds()[0])); err != nil {
				slog.ErrorContext(ctx, "schedule webhook retry", "ticket", id, "error", err)
			}
		}
	}
	if err := h.Store.RecordDelivery(ctx, id, kind, d); err != nil {
		slog.ErrorContext(ctx, "record delivery", "ticket", id, "error", err)
	}
	return nil
}

// releaseTimeout bounds giving a claim back; it runs even when the invocation's context has ended.
const releaseTimeout = 2 * time.Second

// giveBack releases claim c, taken for a notification none of which went out, so that the next
// try sends it, and returns cause for the caller to have it tried again.
func (h *Handler) giveBack(ctx context.Context, c store.NotifyClaim, cause error) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if err := h.Store.ReleaseNotification(rctx, c); err != nil {
		// The claim stays taken and no retry will send the notification: say so loudly.
		slog.ErrorContext(ctx, "notification lost: its claim could not be given back", "ticket", c.TicketID,
			"kind", c.Kind, "cause", cause, "error", err)
		return fmt.Errorf("%w; give the claim back: %w", cause, err)
	}
	return fmt.Errorf("%w (claim given back)", cause)
}

func (h *Handler) address(team string) string {
	if a := h.TeamAddresses[team]; a != "" {
		return a
	}
	return h.OpsAddress
}

// ticketURL is the console page of a ticket (not the JSON API): the link a person opens from the
// team email or a chat message made from the webhook.
func (h *Handler) ticketURL(id string) string {
	if h.BaseURL == "" {
		return ""
	}
	return strings.TrimRight(h.BaseURL, "/") + "/ops/ticket/" + url.PathEscape(id)
}

// email sends the team's email of notification kind, the send bounded by budget: a send cut short
// may still have been accepted, so it is recorded as failed, never sent again.
func (h *Handler) email(ctx context.Context, t *ticket.Ticket, kind string, budget time.Duration) (string, string, error) {
	to := h.address(t.Team)
	if to == "" || h.Mail == nil {
		return StateNone, "", nil
	}
	n := mail.TicketNotice{To: to, Escalation: kind == NotifyEscalation, ID: t.ID, Survey: t.Survey, Cause: t.Cause,
		Touchpoint: t.Touchpoint, Priority: t.Priority, Team: t.Team, SLADue: t.SLADue, Score: t.Score, Comment: t.Comment,
		URL: h.ticketURL(t.ID)}
	if t.Breach != nil {
		n.Summary = t.Breach.Detail
	}
	m, err := mail.RenderTicketNotice(n)
	if err != nil {
		return StateFailed, "", err
	}
	sctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	mid, err := h.Mail.Send(sctx, m)
	if err != nil {
		return StateFailed, "", err
	}
	return StateSent, mid, nil
}

// WebhookBody is the JSON a webhook receiver gets. It names the contact by id only: no email
// address or name leaves the account through the webhook.
type WebhookBody struct {
	Type   string        `json:"type"` // ticket.created or ticket.escalated
	SentAt time.Time     `json:"sentAt"`
	Ticket WebhookTicket `json:"ticket"`
}

// WebhookTicket is the ticket as a webhook receiver sees it.
type WebhookTicket struct {
	ID         string            `json:"id"`
	URL        string            `json:"url,omitempty"`
	Cause      string            `json:"cause"`
	Survey     string            `json:"survey"`
	Touchpoint string            `json:"touchpoint,omitempty"`
	ContactID  string            `json:"contactId,omitempty"`
	Segments   map[string]string `json:"segments,omitempty"`
	Score      *int              `json:"score,omitempty"`
	Comment    string            `json:"comment,omitempty"`
	Breach     *ticket.Breach    `json:"breach,omitempty"`
	Priority   string            `json:"priority"`
	Team       string            `json:"team"`
	Status     string            `json:"status"`
	SLADue     time.Time         `json:"slaDue"`
	CreatedAt  time.Time         `json:"createdAt"`
}

// webhook POSTs the signed body, retrying network errors, 408, 429 and 5xx with backoff. It
// returns the state, the attempts made and the last HTTP status.
func (h *Handler) webhook(ctx context.Context, t *ticket.Ticket, kind string) (string, int, int, error) {
	if h.WebhookURL == "" {
		return StateNone, 0, 0, nil
	}
	typ := "ticket.created"
	if kind == NotifyEscalation {
		typ = "ticket.escalated"
	}
	body, err := json.Marshal(WebhookBody{Type: typ, SentAt: h.now(), Ticket: WebhookTicket{ID: t.ID, URL: h.ticketURL(t.ID),
		Cause: t.Cause, Survey: t.Survey, Touchpoint: t.Touchpoint, ContactID: t.ContactID, Segments: t.Segments,
		Score: t.Score, Comment: t.Comment, Breach: t.Breach, Priority: t.Priority, Team: t.Team, Status: t.Status,
		SLADue: t.SLADue, CreatedAt: t.CreatedAt}})
	if err != nil {
		return StateFailed, 0, 0, err
	}
	backoff := h.Backoff
	if backoff == nil {
		backoff = []time.Duration{250 * time.Millisecond, time.Second}
	}
	var status int
	for attempt := 0; ; attempt++ {
		budget, ok := attemptBudget(ctx)
		if !ok {
			// A hanging receiver must not cost the batch its deadline (and every ticket in it a
			// retry): what is left goes to the scheduled retry rounds.
			return StateFailed, attempt, 0, errDeadlineNear
		}
		actx, cancel := context.WithTimeout(ctx, budget)
		status, err = h.post(actx, body)
		cancel()
		if err == nil {
			return StateDelivered, attempt + 1, status, nil
		}
		if refused(err) {
			return StateRefused, attempt + 1, status, err
		}
		if !retryable(status) || attempt >= len(backoff) {
			return StateFailed, attempt + 1, status, err
		}
		select {
		case <-ctx.Done():
			return StateFailed, attempt + 1, status, ctx.Err()
		case <-time.After(backoff[attempt]):
		}
	}
}

// Webhook attempts and team emails are budgeted by the invocation's deadline: each gets at most
// webhookAttempt, and none starts unless webhookReserve would still be left after it for recording
// the deliveries and the rest of the batch. An email that cannot start is left to a retry.
const (
	webhookAttempt = 3 * time.Second
	webhookReserve = 5 * time.Second
	minAttempt     = 500 * time.Millisecond
)

var errDeadlineNear = errors.New("left to the scheduled retry: the invocation's deadline is near")

var errNoTimeToSend = errors.New("notification not started: the invocation's deadline is near")

// attemptBudget is how long the next webhook attempt or email may take, and whether one may start.
func attemptBudget(ctx context.Context) (time.Duration, bool) {
	dl, ok := ctx.Deadline()
	if !ok {
		return webhookAttempt, true
	}
	left := time.Until(dl) - webhookReserve
	if left < minAttempt {
		return 0, false
	}
	return min(webhookAttempt, left), true
}

// retryLater reports whether a delivery that ended in state with status is worth another round.
func retryLater(state string, status int) bool { return state == StateFailed && retryable(status) }

// retryable reports whether a failed delivery may succeed later: no answer, 408, 429 or 5xx.
func retryable(status int) bool {
	return status == 0 || status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

func (h *Handler) post(ctx context.Context, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "cxloop-webhook/1")
	// Signed per attempt: a retry carries a fresh timestamp, so it is not refused as a replay.
	req.Header.Set(ticket.SignatureHeader, ticket.Sign(h.WebhookKey, body, time.Now()))
	client := h.HTTP
	if client == nil {
		client = &http.Client{Timeout: 3 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("webhook answered %s", resp.Status)
	}
	return resp.StatusCode, nil
}
