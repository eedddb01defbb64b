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
}

// CheckSLA escalates open and assigned tickets past their SLA due time, each once (priority up,
// flagged escalated, the team notified again).
func (h *Handler) CheckSLA(ctx context.Context) (SLAResult, error) {
	var res SLAResult
	due, err := h.Store.OverdueTickets(ctx, h.now())
	if err != nil {
		return res, fmt.Errorf("sla check: %w", err)
	}
	res.Overdue = len(due)
	var escalated []string
	for i := range due {
		ok, err := h.Store.Escalate(ctx, &due[i])
		if err != nil {
			slog.ErrorContext(ctx, "escalate", "ticket", due[i].ID, "err", err)
			continue
		}
		if ok {
			escalated = append(escalated, due[i].ID)
		}
	}
	res.Escalated = len(escalated)
	h.notifyAll(ctx, escalated, NotifyEscalation)
	slog.InfoContext(ctx, "sla check", "overdue", res.Overdue, "escalated", res.Escalated)
	return res, nil
}
