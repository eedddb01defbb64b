package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/mail"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/telemetry"
	"github.com/cxloop/cxloop/shared/token"
)

// UnsubscribeValidity is how long an email's unsubscribe link (and List-Unsubscribe header)
// works after the survey link expired: people unsubscribe from old emails too.
const UnsubscribeValidity = 365 * 24 * time.Hour

// Handler sends what is due in one tick.
type Handler struct {
	Store   *store.Store
	Mail    *mail.Client
	Signer  *token.Signer
	Catalog *catalog.Catalog
	BaseURL string // survey links are BaseURL/s/<token>, BaseURL/u/<token>
	// Rate is the most emails one tick sends (SEND_RATE_PER_TICK): keep it under the SES quota.
	Rate int
	// Concurrency is how many shards are worked at once (default and most: all store.DueShards);
	// each works its items in order.
	Concurrency int
	Metrics     *telemetry.Metrics // nil: no metrics
}

// Summary is what one tick did; it is the function's result.
type Summary struct {
	Claimed   int `json:"claimed"`   // claims won (first emails and reminders)
	Sent      int `json:"sent"`      // emails SES accepted, reminders included
	Reminders int `json:"reminders"` // of which reminders
	Resent    int `json:"resent"`    // of which resends of unsure first emails (no Send event in the window)
	Refused   int `json:"refused"`   // refused by SES for now (throttling, 5xx): still due, retried later
	Rejected  int `json:"rejected"`  // refused by SES for good (address or content): stopped
	Stopped   int `json:"stopped"`   // stopped instead of sent: expired, unsubscribed, suppressed, erased
	Unsure    int `json:"unsure"`    // outcome unknown (lease ended or no answer): waits for the Send event
	Settled   int `json:"settled"`   // unsure sends not resent: their Send event came while they were in flight
	Retired   int `json:"retired"`   // stopped earlier (answered, bounced...), taken off the due index
	Errors    int `json:"errors"`    // store or render errors (the item stays claimed until its lease ends)
}

// Check reports a handler that cannot work (run once at init).
func (h *Handler) Check() error {
	switch {
	case h.Store == nil || h.Mail == nil || h.Signer == nil || h.Catalog == nil:
		return errors.New("dispatch: store, mail, signer and catalog are required")
	case !strings.HasPrefix(h.BaseURL, "http://") && !strings.HasPrefix(h.BaseURL, "https://"):
		return fmt.Errorf("dispatch: BASE_URL %q is not an http(s) URL", h.BaseURL)
	case h.Rate < 1:
		return fmt.Errorf("dispatch: SEND_RATE_PER_TICK must be at least 1, got %d", h.Rate)
	}
	return nil
}

// tick is the state of one invocation, shared by the shard workers.
type tick struct {
	now    time.Time
	budget atomic.Int64 // sends left in this tick
	mu     sync.Mutex
	sum    Summary
	oldest time.Time // when the longest-waiting item read this tick fell due (zero: none due)
}

// seen notes when an item read from the due index first fell due: its dueAt for the first
// email, its reminder time for a reminder. A refused send moves the item's place in the index
// later, so the index key alone would hide how long it has been waiting.
func (t *tick) seen(due *store.Invitation) {
	at := due.DueAt
	switch {
	case due.Status == invitation.StatusUnsure:
		// Waiting for its Send event until the resend window ends: due from then (the key).
		at, _ = time.Parse(store.TimeKey, due.GSI4SK)
	case due.Status != invitation.StatusPending && due.ReminderDueAt != nil:
		at = *due.ReminderDueAt
	}
	if at.IsZero() {
		return
	}
	t.mu.Lock()
	if t.oldest.IsZero() || at.Before(t.oldest) {
		t.oldest = at
	}
	t.mu.Unlock()
}

// backlog is how long the oldest item due at the tick's start had been waiting.
func (t *tick) backlog() time.Duration {
	if t.oldest.IsZero() || t.oldest.After(t.now) {
		return 0
	}
	return t.now.Sub(t.oldest)
}

func (t *tick) count(f func(*Summary)) {
	t.mu.Lock()
	f(&t.sum)
	t.mu.Unlock()
}

// Handle runs one tick: every shard of the due index, a few at a time, until the send budget is
// spent. The schedule's payload carries nothing the tick needs.
func (h *Handler) Handle(ctx context.Context, _ json.RawMessage) (Summary, error) {
	start := time.Now()
	t := &tick{now: h.Store.Now()}
	t.budget.Store(int64(h.Rate))
	workers := h.Concurrency
	if workers < 1 || workers > store.DueShards {
		workers = store.DueShards
	}
	shards := make(chan int, store.DueShards)
	for n := range store.DueShards {
		shards <- n
	}
	close(shards)
	errs := make([]error, store.DueShards)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for n := range shards {
				errs[n] = h.shard(ctx, t, n)
			}
		})
	}
	wg.Wait()
	err := errors.Join(errs...)
	slog.InfoContext(ctx, "dispatch tick", "summary", t.sum, "ms", time.Since(start).Milliseconds(), "error", err)
	h.emit(ctx, t.sum, t.backlog(), time.Since(start))
	if err != nil {
		// The summary still says what was done; the error makes the tick visible in Errors.
		return t.sum, fmt.Errorf("dispatch: %w", err)
	}
	return t.sum, nil
}

// Time limits inside a tick. A claim whose send never started would end as unsure (never sent),
// so no claim is taken when the invocation is about to time out, and one slow SES call cannot
// hold up the rest of the tick.
const (
	stopClaimingBefore = 10 * time.Second
	sendTimeout        = store.SendTimeout
)

// closing reports whether the invocation is too close to its deadline to take another claim.
func closing(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && time.Until(dl) < stopClaimingBefore
}

// maxPages bounds the pages read per shard in one tick (a stale index cannot loop a worker).
const maxPages = 20

// shard works one shard's due items, page by page, while budget and time remain.
func (h *Handler) shard(ctx context.Context, t *tick, n int) error {
	var after store.DueCursor
	for page := range maxPages {
		left := t.budget.Load()
		if left <= 0 || closing(ctx) {
			return nil
		}
		limit := int32(min(left, 50))
		due, next, err := h.Store.DuePage(ctx, n, t.now, limit, after)
		if err != nil {
			return err
		}
		if page == 0 {
			for i := range due {
				t.seen(&due[i])
			}
		}
		for i := range due {
			h.item(ctx, t, &due[i])
		}
		if next == nil {
			return nil // the shard is drained
		}
		after = next
	}
	return nil
}

// item handles one due item.
func (h *Handler) item(ctx context.Context, t *tick, due *store.Invitation) {
	if closing(ctx) {
		return
	}
	if t.budget.Add(-1) < 0 { // reserve a send before claiming, so the tick never exceeds Rate
		t.budget.Add(1)
		return
	}
	c, err := h.Store.ClaimDue(ctx, due, t.now)
	if err != nil || c.Outcome != store.ClaimInvite && c.Outcome != store.ClaimReminder && c.Outcome != store.ClaimResend {
		t.budget.Add(1) // nothing to send: give the reservation back
	}
	log := slog.With("invitation", due.ID, "survey", due.Survey)
	if err != nil {
		log.ErrorContext(ctx, "claim failed", "error", err)
		t.count(func(s *Summary) { s.Errors++ })
		return
	}
	switch c.Outcome {
	case store.ClaimLost:
		return
	case store.ClaimStopped:
		t.count(func(s *Summary) { s.Stopped++ })
		return
	case store.ClaimRetired:
		t.count(func(s *Summary) { s.Retired++ })
		return
	case store.ClaimUnsure:
		log.WarnContext(ctx, "claim lease ended before the send was marked: outcome unknown, waits for the Send event", "status", due.Status)
		t.count(func(s *Summary) { s.Unsure++ })
		return
	}
	t.count(func(s *Summary) { s.Claimed++ })
	h.send(ctx, t, c, log)
}

// send mails a won claim and settles it.
func (h *Handler) send(ctx context.Context, t *tick, c *store.Claim, log *slog.Logger) {
	fail := func(msg string, err error) {
		log.ErrorContext(ctx, msg, "error", err)
		t.count(func(s *Summary) { s.Errors++ })
	}
	reason, err := h.Store.Blocked(ctx, c.Inv)
	if err != nil {
		fail("contact check failed", err)
		if err := h.Store.Release(ctx, c, err, t.now); err != nil {
			fail("release failed", err)
		}
		return
	}
	if reason != "" {
		if err := h.Store.StopClaimed(ctx, c, reason); err != nil {
			fail("stop failed", err)
			return
		}
		log.InfoContext(ctx, "invitation stopped before sending", "reason", reason)
		t.count(func(s *Summary) { s.Stopped++ })
		return
	}
	if at := c.Inv.ClaimedAt; at != nil && h.Store.Now().Sub(*at) > store.SendStartWindow {
		// Too late to start: an erasure waits only SendInFlight for a claim (shared/store/erasure.go).
		// It stays due and a later tick checks again.
		if err := h.Store.Release(ctx, c, errors.New("send window passed before the send started"), t.now); err != nil {
			fail("release failed", err)
		}
		return
	}
	if c.Resend() && c.Inv.AcceptedMessageID != "" {
		// SES's Send event for the first email came while its send was in flight: it was accepted.
		t.budget.Add(1) // settled without an email
		if err := h.Store.MarkAccepted(ctx, c); err != nil {
			fail("mark accepted failed", err)
			return
		}
		log.InfoContext(ctx, "unsure invitation settled: its Send event came while the send was in flight", "messageId", c.Inv.AcceptedMessageID)
		t.count(func(s *Summary) { s.Settled++ })
		return
	}
	msg, err := h.message(c)
	if err != nil {
		// Stays due with the error recorded: a catalog fix lets it go out before the link expires.
		fail("render failed", err)
		if err := h.Store.Release(ctx, c, err, t.now); err != nil {
			fail("release failed", err)
		}
		return
	}
	sendCtx, cancel := context.WithTimeout(ctx, sendTimeout)
	id, err := h.Mail.Send(sendCtx, msg)
	cancel()
	switch {
	case err == nil:
		if err := h.Store.MarkSent(ctx, c, id, h.Store.Now()); err != nil {
			// Sent but not marked: the lease will end and the next tick marks it unsure, not resent.
			fail("mark sent failed", err)
		}
		t.count(func(s *Summary) {
			s.Sent++
			if c.Reminder() {
				s.Reminders++
			}
			if c.Resend() {
				s.Resent++
			}
		})
		if c.Resend() {
			log.InfoContext(ctx, "unsure invitation resent: no Send event came within the window", "messageId", id)
		}
	case errors.Is(err, mail.ErrRejected):
		// The address or the content: the same email would be refused again. Stopped, with why.
		log.WarnContext(ctx, "SES rejected the send for good; invitation stopped", "error", err)
		t.count(func(s *Summary) { s.Rejected++ })
		if err := h.Store.Reject(ctx, c, err); err != nil {
			fail("reject failed", err)
		}
	case errors.Is(err, mail.ErrRefused):
		log.WarnContext(ctx, "SES refused the send; it stays due", "error", err)
		t.count(func(s *Summary) { s.Refused++ })
		if err := h.Store.Release(ctx, c, err, t.now); err != nil {
			fail("release failed", err)
		}
	default: // mail.ErrUncertain
		log.WarnContext(ctx, "SES outcome unknown; waits for SES's Send event", "error", err, "resend", c.Resend())
		t.count(func(s *Summary) { s.Unsure++ })
		if err := h.Store.MarkUnsure(ctx, c, err, h.Store.Now()); err != nil {
			fail("mark unsure failed", err)
		}
	}
}

// message renders the claimed invitation's email with its signed links and SES tags.
func (h *Handler) message(c *store.Claim) (mail.Message, error) {
	inv := c.Inv
	sv, ok := h.Catalog.Survey(inv.Survey)
	if !ok {
		return mail.Message{}, fmt.Errorf("survey %q is not in the catalog", inv.Survey)
	}
	if !token.ValidID(inv.ID) {
		return mail.Message{}, fmt.Errorf("invitation id %q cannot be signed", inv.ID)
	}
	if inv.Email == "" {
		return mail.Message{}, errors.New("invitation has no email address")
	}
	lo, hi := sv.Metric.Scale()
	base := strings.TrimRight(h.BaseURL, "/")
	kind := mail.KindInvite
	if c.Reminder() {
		kind = mail.KindReminder
	}
	msg, err := mail.Render(mail.Invite{
		Reminder:       c.Reminder(),
		Locale:         inv.Locale,
		Name:           inv.Name,
		Metric:         sv.Metric,
		Title:          sv.Title,
		Question:       sv.Question,
		Min:            lo,
		Max:            hi,
		SurveyURL:      base + "/s/" + h.Signer.Sign(token.Survey, inv.ID, inv.LinkExpiresAt),
		UnsubscribeURL: base + "/u/" + h.Signer.Sign(token.Unsubscribe, inv.ID, inv.LinkExpiresAt.Add(UnsubscribeValidity)),
		Brand:          h.Catalog.Brand,
		BaseURL:        base,
		About:          aboutLine(sv, inv),
	})
	if err != nil {
		return mail.Message{}, err
	}
	msg.To = inv.Email
	msg.Tags = map[string]string{mail.TagInvitation: inv.ID, mail.TagSurvey: inv.Survey, mail.TagKind: kind}
	return msg, nil
}

// aboutLine is what the survey is about, from the rule's context line and the touchpoint values
// stored on the invitation, in the email's language.
func aboutLine(sv *catalog.Survey, inv *store.Invitation) string {
	r := sv.Rule(inv.Touchpoint)
	if r == nil {
		return ""
	}
	return r.Context.Fill(mail.Language(inv.Locale, sv.Question), inv.Context)
}

// emit writes the tick's EMF metrics.
// OldestDueSeconds (the backlog) feeds the template's alarm on invitations waiting too long.
func (h *Handler) emit(ctx context.Context, s Summary, backlog, took time.Duration) {
	if h.Metrics == nil {
		return
	}
	if err := h.Metrics.Emit(map[string]string{"Function": "DispatchFunction"},
		telemetry.Metric{Name: "EmailsSent", Value: float64(s.Sent), Unit: telemetry.Count},
		telemetry.Metric{Name: "RemindersSent", Value: float64(s.Reminders), Unit: telemetry.Count},
		telemetry.Metric{Name: "SendsRefused", Value: float64(s.Refused), Unit: telemetry.Count},
		telemetry.Metric{Name: "SendsRejected", Value: float64(s.Rejected), Unit: telemetry.Count},
		telemetry.Metric{Name: "UnsureResent", Value: float64(s.Resent), Unit: telemetry.Count},
		telemetry.Metric{Name: "SendsUnsure", Value: float64(s.Unsure), Unit: telemetry.Count},
		telemetry.Metric{Name: "InvitationsStopped", Value: float64(s.Stopped), Unit: telemetry.Count},
		telemetry.Metric{Name: "DispatchErrors", Value: float64(s.Errors), Unit: telemetry.Count},
		telemetry.Metric{Name: "TickDuration", Value: float64(took.Milliseconds()), Unit: telemetry.Milliseconds},
		telemetry.Metric{Name: "OldestDueSeconds", Value: backlog.Seconds(), Unit: telemetry.Seconds},
	); err != nil {
		slog.ErrorContext(ctx, "emit metrics", "error", err)
	}
}
