package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/score"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/ticket"
)

// breach opens the aggregate ticket of a new breach item, once.
func (h *Handler) breach(ctx context.Context, r events.DynamoDBEventRecord) (string, error) {
	var b score.Breach
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
	summary := b.Summary()
	draft := ticket.Ticket{
		ID: ticket.BreachID(b.Survey, b.Rule, b.Window, b.WindowEnd), Cause: ticket.CauseBreach, Survey: b.Survey,
		Priority: ticket.BreachPriority(rule), Team: ticket.Team(f.Routing(), "", nil),
		CreatedAt: now, SLADue: ticket.SLADue(f.Routing(), now),
		Breach: &ticket.Breach{Rule: b.Rule, Window: b.Window, WindowEnd: b.WindowEnd, Value: b.Value, N: int(b.N),
			MarginOfError: b.MarginOfError, Detail: summary},
		History: []ticket.Event{{At: now, Actor: "scorer", Action: "opened", Text: summary}},
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
