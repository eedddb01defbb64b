package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/theme"
	"github.com/cxloop/cxloop/shared/ticket"
)

// answer turns an answered invitation into a ticket (or an attachment to the contact's open one),
// or, for an edit that lifted a low score above the rule, a note on the ticket that holds it.
func (h *Handler) answer(ctx context.Context, r events.DynamoDBEventRecord) (string, error) {
	var inv, old store.Invitation
	if err := store.DecodeStreamImage(r.Change.NewImage, &inv); err != nil {
		return "", fmt.Errorf("decode invitation: %w", err)
	}
	if len(r.Change.OldImage) > 0 {
		if err := store.DecodeStreamImage(r.Change.OldImage, &old); err != nil {
			return "", fmt.Errorf("decode old invitation: %w", err)
		}
	}
	if inv.AnsweredAt == nil || inv.Score == nil {
		return "", nil
	}
	if old.AnsweredAt != nil && old.AnsweredAt.Equal(*inv.AnsweredAt) {
		return "", nil // another change of an answered invitation (a send state, an erasure): not an answer
	}
	sv, ok := h.Catalog.Survey(inv.Survey)
	if !ok {
		slog.WarnContext(ctx, "answer of a survey no longer in the catalog", "survey", inv.Survey, "invitation", inv.ID)
		return "", nil
	}
	f := sv.Followup
	at := *inv.AnsweredAt
	hk := store.AnswerHistoryKey(inv.ID, at)
	if !f.Opens(*inv.Score) {
		if old.Score == nil || !f.Opens(*old.Score) {
			return "", nil // a good answer, and it was never low
		}
		_, err := h.Store.NoteAnswer(ctx, inv.ID, hk, ticket.Event{At: at, Actor: "customer", Action: "edited",
			Text: fmt.Sprintf("The customer changed the score to %d, above the follow-up rule (at or below %d). The ticket stays open.", *inv.Score, f.AtOrBelow)})
		return "", err
	}
	a := ticket.Answer{InvitationID: inv.ID, Score: *inv.Score, Comment: inv.Comment, Touchpoint: inv.Touchpoint, At: at}
	draft := ticket.Ticket{
		ID: ticket.AnswerID(inv.ID), Cause: ticket.CauseAnswer, Survey: inv.Survey, Touchpoint: inv.Touchpoint,
		ContactID: inv.ContactID, Email: inv.Email, Name: inv.Name, Locale: inv.Locale, Segments: inv.Segments,
		InvitationID: inv.ID, Score: inv.Score, Comment: inv.Comment,
		Themes:   theme.NewMatcher(sv.Declared()).Match(inv.Comment, inv.Locale),
		Priority: ticket.Priority(f.Priority, inv.Segments), Team: ticket.Team(f.Routing(), inv.Touchpoint, inv.Segments),
		CreatedAt: h.now(), SLADue: ticket.SLADue(f.Routing(), h.now()),
		History: []ticket.Event{{At: at, Actor: "customer", Action: "opened",
			Text: fmt.Sprintf("Score %d (rule: at or below %d)", *inv.Score, f.AtOrBelow)}},
	}
	// A contact with earlier tickets for the survey is a repeat detractor: one level up.
	prior, err := h.Store.PriorTickets(ctx, inv.ContactID, inv.Survey)
	if err != nil {
		return "", err
	}
	if prior > 0 {
		draft.Priority, draft.Repeat = ticket.Repeat(draft.Priority, false), true
		draft.History[0].Text += fmt.Sprintf("; repeat detractor (%d earlier ticket(s)), priority raised", prior)
	}
	// The erasure fence compares the invitation's decision, not the answer: an answer given while
	// an erasure is marking the contact's items belongs to that erasure.
	outcome, id, err := h.Store.OpenAnswerTicket(ctx, draft, a, at, inv.DecidedAt)
	if err != nil {
		return "", err
	}
	slog.InfoContext(ctx, "answer ticket", "outcome", outcome, "ticket", id, "invitation", inv.ID, "survey", inv.Survey)
	if id == draft.ID && outcome != store.TicketAttached {
		return id, nil // created, or known: make sure its notification went out
	}
	return "", nil
}
