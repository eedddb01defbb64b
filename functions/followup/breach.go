package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/ticket"
)

// breach opens the aggregate ticket of a new breach item, once.
func (h *Handler) breach(ctx context.Context, r events.DynamoDBEventRecord) (string, error) {
	var b store.Breach
	if err := store.DecodeStreamImage(r.Change.NewImage, &b); err != nil {
		return "", fmt.Errorf("decode breach: %w", err)
	}
	var f *catalog.Followup
	if sv, ok := h.Catalog.Survey(b.Survey); ok {
		f = sv.Followup
	}
	rule := ""
	if f != nil {
		rule = f.Priority
	}
	now := h.now()
	summary := Summary(b)
	draft := store.Ticket{
		ID: ticket.BreachID(b.Survey, b.Rule, b.Window, b.WindowEnd), Cause: ticket.CauseBreach, Survey: b.Survey,
		Priority: ticket.BreachPriority(rule), Team: ticket.Team(f.Routing(), "", nil),
		CreatedAt: now, SLADue: ticket.SLADue(f.Routing(), now),
		Breach: &store.TicketBreach{Rule: b.Rule, Window: b.Window, WindowEnd: b.WindowEnd, Value: b.Value, N: int(b.N),
			MarginOfError: b.MarginOfError, Detail: summary},
		History: []store.TicketEvent{{At: now, Actor: "scorer", Action: "opened", Text: summary}},
	}
	if b.Theme != "" {
		draft.Themes = []string{b.Theme}
	}
	created, err := h.Store.OpenBreachTicket(ctx, draft)
	if err != nil {
		return "", err
	}
	slog.InfoContext(ctx, "breach ticket", "created", created, "ticket", draft.ID, "survey", b.Survey, "rule", b.Rule)
	return draft.ID, nil
}

// Summary says what a breach measured, e.g. "nps 7d to 2026-11-22: 12.5 ± 22.1 (n=40), below 20",
// or for a theme rule "theme delivery 7d to 2026-11-22: 42.0% ± 13.7 of 50 low-band comments
// mention it, above 30%".
func Summary(b store.Breach) string {
	if b.Theme != "" && b.ShareAbove != nil {
		return fmt.Sprintf("theme %s %s to %s: %.1f%% ± %.1f of %d low-band comments mention it, above %g%%",
			b.Theme, b.Window, b.WindowEnd, b.Value, b.MarginOfError, b.N, *b.ShareAbove)
	}
	s := fmt.Sprintf("%s %s to %s: %.1f ± %.1f (n=%d)", b.Metric, b.Window, b.WindowEnd, b.Value, b.MarginOfError, b.N)
	switch {
	case b.Below != nil:
		s += fmt.Sprintf(", below %g", *b.Below)
	case b.DropBy != nil && b.Previous != nil:
		s += fmt.Sprintf(", down %.1f from %.1f (n=%d), rule: a drop of %g", *b.Previous-b.Value, *b.Previous, b.PreviousN, *b.DropBy)
	}
	return s
}
