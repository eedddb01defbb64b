package main

import (
	"context"
	"fmt"
	"log/slog"
)

// SLAResult is what one SLA tick did.
type SLAResult struct {
	Overdue   int `json:"overdue"`
	Escalated int `json:"escalated"`
	// Renotified counts tickets escalated by an earlier tick whose notification is tried again.
	Renotified int `json:"renotified"`
	// WebhookRetries and WebhooksDelivered count the failed webhook deliveries retried this tick.
	WebhookRetries    int `json:"webhookRetries"`
	WebhooksDelivered int `json:"webhooksDelivered"`
}

// CheckSLA escalates open and assigned tickets past their SLA due time, each once (priority up,
// flagged escalated, the team notified again), notifies again the escalations of earlier ticks
// whose notification has no recorded outcome (it could not start then), and retries failed
// webhook deliveries that are due.
func (h *Handler) CheckSLA(ctx context.Context) (SLAResult, error) {
	var res SLAResult
	due, err := h.Store.OverdueTickets(ctx, h.now())
	if err != nil {
		return res, fmt.Errorf("sla check: %w", err)
	}
	res.Overdue = len(due)
	var escalated []string
	for i := range due {
		if due[i].Escalated != nil {
			escalated = append(escalated, due[i].ID) // its notification is claimed once, so this is safe
			res.Renotified++
			continue
		}
		ok, err := h.Store.Escalate(ctx, &due[i])
		if err != nil {
			slog.ErrorContext(ctx, "escalate", "ticket", due[i].ID, "error", err)
			continue
		}
		if ok {
			escalated = append(escalated, due[i].ID)
		}
	}
	res.Escalated = len(escalated) - res.Renotified
	// An escalation's notification that could not start is logged by notifyAll and tried again by
	// the next tick, which finds the ticket escalated with no notification recorded.
	h.notifyAll(ctx, escalated, NotifyEscalation)
	res.WebhookRetries, res.WebhooksDelivered = h.retryWebhooks(ctx)
	slog.InfoContext(ctx, "sla check", "overdue", res.Overdue, "escalated", res.Escalated, "renotified", res.Renotified,
		"webhookRetries", res.WebhookRetries, "webhooksDelivered", res.WebhooksDelivered)
	return res, nil
}
