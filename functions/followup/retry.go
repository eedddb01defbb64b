package main

import (
	"context"
	"log/slog"
	"time"
)

// DefaultRetryRounds are the waits before each later round of a failed webhook (each round is
// itself up to three quick attempts): about eight hours in all, then the delivery stays failed.
// The SLA schedule runs every 5 minutes, so a round runs at most 5 minutes late.
var DefaultRetryRounds = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour}

func (h *Handler) rounds() []time.Duration {
	if len(h.RetryRounds) > 0 {
		return h.RetryRounds
	}
	return DefaultRetryRounds
}

// retryWebhooks runs the due rounds of failed webhook deliveries (on the SLA tick). Each retry is
// claimed by moving it to its next round first, so concurrent ticks never both post it, and a
// round that dies is picked up by a later tick.
func (h *Handler) retryWebhooks(ctx context.Context) (tried, delivered int) {
	due, err := h.Store.DueWebhookRetries(ctx, h.now())
	if err != nil {
		slog.ErrorContext(ctx, "due webhook retries", "error", err)
		return 0, 0
	}
	rounds := h.rounds()
	for _, r := range due {
		var next time.Time
		if r.Rounds+1 < len(rounds) {
			next = h.now().Add(rounds[r.Rounds+1])
		}
		ok, err := h.Store.ClaimWebhookRetry(ctx, r, next)
		if err != nil || !ok {
			if err != nil {
				slog.ErrorContext(ctx, "claim webhook retry", "ticket", r.TicketID, "error", err)
			}
			continue
		}
		t, err := h.Store.GetTicket(ctx, r.TicketID)
		if err != nil {
			slog.ErrorContext(ctx, "read ticket for webhook retry", "ticket", r.TicketID, "error", err)
			continue
		}
		tried++
		d := t.Notifications[r.Notify]
		state, attempts, status, err := h.webhook(ctx, t, r.Notify)
		d.Webhook, d.WebhookAttempts, d.WebhookStatus, d.At = state, d.WebhookAttempts+attempts, status, h.now()
		if err != nil {
			d.Error = "webhook: " + err.Error()
			slog.WarnContext(ctx, "webhook retry failed", "ticket", r.TicketID, "round", r.Rounds+1, "last", next.IsZero(), "error", err)
		} else {
			d.Error = ""
			delivered++
		}
		if err := h.Store.RecordDelivery(ctx, r.TicketID, r.Notify, d); err != nil {
			slog.ErrorContext(ctx, "record webhook retry", "ticket", r.TicketID, "error", err)
		}
		if (err == nil || !retryLater(state, status)) && !next.IsZero() {
			if err := h.Store.FinishWebhookRetry(ctx, r.TicketID, r.Notify); err != nil {
				slog.ErrorContext(ctx, "finish webhook retry", "ticket", r.TicketID, "error", err)
			}
		}
	}
	return tried, delivered
}
