package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/ticket"
)

// The ticket page says who the customer is and what else happened with them: every decision with
// its reason, the invitation's answer, and their other tickets; a viewer sees the name and email
// masked there too.
func TestTheTicketPageShowsTheCustomerAndTheirHistory(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	ctx := context.Background()
	at := time.Now().UTC().Add(-2 * time.Hour)
	contact := "cust-history"
	inv := &store.Invitation{ID: store.EventKey("ev-history-1"), EventID: "ev-history-1", Touchpoint: "order.delivered", OccurredAt: at,
		ContactID: contact, Email: "history@example.com", Name: "Ana Lopez", Outcome: invitation.OutcomeInvited, DecidedAt: at,
		Survey: "nps-relationship", DueAt: at, SentAt: &at}
	if _, err := f.h.Store.Invite(ctx, inv, store.InviteClaim{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.h.Store.RecordAnswer(ctx, inv, store.NewAnswer{Score: 2, Comment: "late again", EditWindow: time.Hour}); err != nil {
		t.Fatal(err)
	}
	skip := &store.Invitation{ID: store.EventKey("ev-history-2"), EventID: "ev-history-2", Touchpoint: "support.case.closed",
		OccurredAt: at.Add(time.Hour), ContactID: contact, Outcome: invitation.OutcomeQuietPeriod, Detail: "surveyed 1 h ago", DecidedAt: at.Add(time.Hour)}
	if _, err := f.h.Store.RecordDecision(ctx, skip); err != nil {
		t.Fatal(err)
	}
	id := f.openTicket(t, inv.ID, contact, "history@example.com")
	// An earlier ticket of another survey (a second low answer to the same survey would attach).
	score, now := 1, time.Now().UTC()
	prev := ticket.Ticket{ID: ticket.AnswerID("inv-history-other"), Cause: ticket.CauseAnswer, Survey: "csat-support", ContactID: contact,
		Email: "history@example.com", Name: "Ana Lopez", InvitationID: "inv-history-other", Score: &score, Priority: "normal",
		Team: "support", CreatedAt: now.Add(-time.Minute), SLADue: now.Add(time.Hour)}
	if _, _, err := f.h.Store.OpenAnswerTicket(ctx, prev, ticket.Answer{InvitationID: "inv-history-other", Score: 1, At: now}, now, now); err != nil {
		t.Fatal(err)
	}
	other := prev.ID

	page := f.call(t, "GET", "/ops/ticket/"+id, f.tokens[access.Agent], "", nil)
	for _, want := range []string{"Contact id</dt><dd>cust-history", "Score 2/10", "Asked: “¿Qué probabilidad hay de que recomiendes Acme", "Ana Lopez", "history@example.com", "region</dt><dd>eu",
		"quiet-period", "surveyed 1 h ago", "support.case.closed", "answered <strong>2/10</strong>", "late again",
		id + " (this one)", `href="/ops/ticket/` + other + `"`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the ticket page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("page:\n%s", page.Body)
	}
	viewer := f.call(t, "GET", "/ops/ticket/"+id, f.tokens[access.Viewer], "", nil)
	if viewer.StatusCode != 200 || strings.Contains(viewer.Body, "Ana Lopez") || strings.Contains(viewer.Body, "history@example.com") {
		t.Errorf("a viewer's ticket page shows the name or email")
	}
}
