package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/storetest"
	"github.com/cxloop/cxloop/shared/ticket"
)

// ticketStore is a fresh clone of the local stack's table (storetest): the schema is the one
// template.yaml declares.
func ticketStore(t *testing.T) *store.Store { return storetest.New(t) }

func answerDraft(inv, contact string, score int, at time.Time) (ticket.Ticket, ticket.Answer) {
	a := ticket.Answer{InvitationID: inv, Score: score, Comment: "slow delivery, ana@example.com", Touchpoint: "order.delivered", At: at}
	return ticket.Ticket{
		ID: ticket.AnswerID(inv), Cause: ticket.CauseAnswer, Survey: "nps-relationship", Touchpoint: "order.delivered",
		ContactID: contact, Email: "ana@example.com", Name: "Ana", Segments: map[string]string{"plan": "pro"},
		InvitationID: inv, Score: &score, Comment: a.Comment, Priority: ticket.PriorityHigh, Team: "customer-success",
		CreatedAt: at, SLADue: at.Add(48 * time.Hour),
		History: []ticket.Event{{At: at, Actor: "customer", Action: "opened", Text: "low answer"}},
	}, a
}

func TestALowAnswerOpensExactlyOneTicketUnderConcurrentRedelivery(t *testing.T) {
	t.Parallel()
	s, ctx := ticketStore(t), context.Background()
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	draft, a := answerDraft("inv1", "cust-1", 3, at)

	var wg sync.WaitGroup
	outcomes := make([]string, 8)
	errs := make([]error, 8)
	for i := range outcomes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outcomes[i], _, errs[i] = s.OpenAnswerTicket(ctx, draft, a, at, at)
		}()
	}
	wg.Wait()
	created := 0
	for i, o := range outcomes {
		if errs[i] != nil && !errors.Is(errs[i], store.ErrConflict) {
			// TransactionConflict between concurrent writers is a retryable error: the stream
			// redelivers. Anything else is a bug.
			if !strings.Contains(errs[i].Error(), "TransactionConflict") {
				t.Fatalf("delivery %d: %v", i, errs[i])
			}
		}
		if o == store.TicketCreated {
			created++
		}
	}
	if created != 1 {
		t.Fatalf("created %d tickets from one answer delivered 8 times at once, want 1 (%v, %v)", created, outcomes, errs)
	}
	// A later redelivery is known and adds nothing.
	if o, id, err := s.OpenAnswerTicket(ctx, draft, a, at, at); err != nil || o != store.TicketKnown || id != draft.ID {
		t.Fatalf("redelivery = %q %q %v, want known", o, id, err)
	}
	got, err := s.GetTicket(ctx, draft.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Answers) != 1 || len(got.History) != 1 || got.Status != ticket.StatusOpen {
		t.Fatalf("ticket after redeliveries: %d answers, %d history, status %s", len(got.Answers), len(got.History), got.Status)
	}
}

func TestASecondLowAnswerAttachesOnceAndRaisesPriorityOnce(t *testing.T) {
	t.Parallel()
	s, ctx := ticketStore(t), context.Background()
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	first, a1 := answerDraft("inv1", "cust-1", 3, at)
	if o, _, err := s.OpenAnswerTicket(ctx, first, a1, at, at); err != nil || o != store.TicketCreated {
		t.Fatalf("first = %q %v", o, err)
	}
	for i, inv := range []string{"inv2", "inv2", "inv3"} {
		d, a := answerDraft(inv, "cust-1", 2, at.Add(time.Duration(i+1)*time.Hour))
		o, owner, err := s.OpenAnswerTicket(ctx, d, a, a.At, a.At)
		if err != nil || owner != first.ID {
			t.Fatalf("answer %s = %q on %q, %v: want it on %s", inv, o, owner, err, first.ID)
		}
		want := map[int]string{0: store.TicketAttached, 1: store.TicketKnown, 2: store.TicketAttached}[i]
		if o != want {
			t.Fatalf("answer %d (%s) = %q, want %q", i, inv, o, want)
		}
	}
	got, _ := s.GetTicket(ctx, first.ID)
	if len(got.Answers) != 3 || got.Priority != ticket.PriorityUrgent || !got.Repeat {
		t.Fatalf("ticket has %d answers, priority %s, repeat %v: want 3, urgent (high raised once), true", len(got.Answers), got.Priority, got.Repeat)
	}
	// The opening answer is read whole, and stored once: its comment, invitation and touchpoint
	// are the ticket's own, so the item's first answer holds only score and time.
	if got.Answers[0] != a1 || got.Answers[1].InvitationID != "inv2" || got.Answers[1].Comment != a1.Comment {
		t.Fatalf("answers read back: %+v, want the first %+v", got.Answers, a1)
	}
	raw, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "TICKET#" + first.ID}, "SK": &types.AttributeValueMemberS{Value: "TICKET"}}})
	if err != nil {
		t.Fatal(err)
	}
	stored := raw.Item["answers"].(*types.AttributeValueMemberL).Value
	if opening := stored[0].(*types.AttributeValueMemberM).Value; len(opening) != 2 || opening["score"] == nil || opening["at"] == nil {
		t.Fatalf("stored opening answer %v, want score and at only", opening)
	}
	if attached := stored[1].(*types.AttributeValueMemberM).Value; attached["comment"] == nil || attached["invitationId"] == nil {
		t.Fatalf("stored attached answer %v, want it whole", attached)
	}
	if queue, err := s.ListTickets(ctx, ticket.StatusOpen, "", 10); err != nil || len(queue) != 1 || queue[0].Answers[0] != a1 {
		t.Fatalf("the queue's copy: %+v %v, want the opening answer whole", queue, err)
	}
	if _, err := s.GetTicket(ctx, ticket.AnswerID("inv2")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the attached answer got a ticket of its own: %v", err)
	}

	// Resolving releases the lock: the next low answer opens a new ticket, and a redelivered
	// old attached answer does not.
	if _, err := s.UpdateTicket(ctx, first.ID, ticket.Change{Actor: "agent", Status: ticket.StatusResolved}); err != nil {
		t.Fatal(err)
	}
	d2, a2 := answerDraft("inv2", "cust-1", 2, at.Add(time.Hour))
	if o, owner, err := s.OpenAnswerTicket(ctx, d2, a2, a2.At, a2.At); err != nil || o != store.TicketKnown || owner != first.ID {
		t.Fatalf("redelivered attached answer after resolve = %q on %q, %v: want known on the first ticket", o, owner, err)
	}
	d4, a4 := answerDraft("inv4", "cust-1", 1, at.Add(5*time.Hour))
	if o, _, err := s.OpenAnswerTicket(ctx, d4, a4, a4.At, a4.At); err != nil || o != store.TicketCreated {
		t.Fatalf("low answer after resolve = %q %v, want created", o, err)
	}
	// Now the first cannot reopen: the contact has another open ticket.
	if _, err := s.UpdateTicket(ctx, first.ID, ticket.Change{Actor: "agent", Status: ticket.StatusOpen}); !errors.Is(err, store.ErrReopenBlocked) {
		t.Fatalf("reopen while another ticket is open = %v, want ErrReopenBlocked", err)
	}
}

func TestAnAnswerAttachedBeforeReferencesIsStillFoundByItsMarker(t *testing.T) {
	t.Parallel()
	s, ctx := ticketStore(t), context.Background()
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	d, a := answerDraft("inv1", "cust-1", 3, at)
	if _, _, err := s.OpenAnswerTicket(ctx, d, a, at, at); err != nil {
		t.Fatal(err)
	}
	// The marker an attachment left before it was kept at the answer's own ticket key.
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "TICKET#" + ticket.AnswerID("inv-old")}, "SK": &types.AttributeValueMemberS{Value: "ATTACHED"},
		"kind": &types.AttributeValueMemberS{Value: "ticketref"}, "ticketId": &types.AttributeValueMemberS{Value: d.ID}}}); err != nil {
		t.Fatal(err)
	}
	id, err := s.NoteAnswer(ctx, "inv-old", "k-old", ticket.Event{At: at, Actor: "customer", Action: "edited", Text: "score 9"})
	if err != nil || id != d.ID {
		t.Fatalf("NoteAnswer of an answer attached by marker = %q %v, want %s", id, err, d.ID)
	}
}

func TestAnEditAboveTheRuleAddsANoteOnce(t *testing.T) {
	t.Parallel()
	s, ctx := ticketStore(t), context.Background()
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	d, a := answerDraft("inv1", "cust-1", 3, at)
	if _, _, err := s.OpenAnswerTicket(ctx, d, a, at, at); err != nil {
		t.Fatal(err)
	}
	edit := at.Add(10 * time.Minute)
	hk := store.AnswerHistoryKey("inv1", edit)
	for range 2 {
		id, err := s.NoteAnswer(ctx, "inv1", hk, ticket.Event{At: edit, Actor: "customer", Action: "edited", Text: "score 9"})
		if err != nil || id != d.ID {
			t.Fatalf("NoteAnswer = %q %v", id, err)
		}
	}
	got, _ := s.GetTicket(ctx, d.ID)
	if got.Status != ticket.StatusOpen || len(got.History) != 2 || got.History[1].Action != "edited" {
		t.Fatalf("after an edit delivered twice: status %s, history %+v", got.Status, got.History)
	}
	if id, err := s.NoteAnswer(ctx, "unknown", "k", ticket.Event{}); err != nil || id != "" {
		t.Fatalf("an answer without a ticket = %q %v, want none", id, err)
	}
}

func TestABreachOpensOneTicket(t *testing.T) {
	t.Parallel()
	s, ctx := ticketStore(t), context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	id := ticket.BreachID("nps-relationship", "nps-7d-below-20", "7d", "2026-11-22")
	draft := ticket.Ticket{ID: id, Cause: ticket.CauseBreach, Survey: "nps-relationship", Priority: ticket.PriorityUrgent,
		Team: "customer-success", CreatedAt: now, SLADue: now.Add(24 * time.Hour),
		Breach: &ticket.Breach{Rule: "nps-7d-below-20", Window: "7d", WindowEnd: "2026-11-22", Value: 12.5, N: 40, MarginOfError: 22.1}}
	for i, want := range []bool{true, false} {
		created, err := s.OpenBreachTicket(ctx, draft)
		if err != nil || created != want {
			t.Fatalf("delivery %d: created %v %v, want %v", i, created, err, want)
		}
	}
	list, err := s.ListTickets(ctx, ticket.StatusOpen, "customer-success", 0)
	if err != nil || len(list) != 1 || list[0].Breach == nil || list[0].Breach.N != 40 {
		t.Fatalf("queue = %+v %v", list, err)
	}
	if list, _ := s.ListTickets(ctx, "", "support", 0); len(list) != 0 {
		t.Fatalf("another team's queue shows %d tickets", len(list))
	}
}

func TestAnOverdueTicketEscalatesOnce(t *testing.T) {
	t.Parallel()
	s, ctx := ticketStore(t), context.Background()
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	d, a := answerDraft("inv1", "cust-1", 3, at)
	d.Priority = ticket.PriorityNormal
	if _, _, err := s.OpenAnswerTicket(ctx, d, a, at, at); err != nil {
		t.Fatal(err)
	}
	fresh, fa := answerDraft("inv2", "cust-2", 3, at.Add(72*time.Hour))
	if _, _, err := s.OpenAnswerTicket(ctx, fresh, fa, fa.At, fa.At); err != nil {
		t.Fatal(err)
	}
	now := at.Add(49 * time.Hour)
	due, err := s.OverdueTickets(ctx, now)
	if err != nil || len(due) != 1 || due[0].ID != d.ID {
		t.Fatalf("overdue = %v %v, want only %s", due, err, d.ID)
	}
	if ok, err := s.Escalate(ctx, &due[0]); err != nil || !ok {
		t.Fatalf("escalate = %v %v", ok, err)
	}
	if ok, err := s.Escalate(ctx, &due[0]); err != nil || ok {
		t.Fatalf("second escalate = %v %v, want false", ok, err)
	}
	// Escalated, it stays on the list only until its notification's outcome is recorded (a tick
	// whose notification could not start leaves it for the next tick).
	if due, _ := s.OverdueTickets(ctx, now); len(due) != 1 || due[0].Escalated == nil {
		t.Fatalf("an escalation with no notification recorded is off the list: %v", due)
	}
	got, _ := s.GetTicket(ctx, d.ID)
	if got.Priority != ticket.PriorityHigh || got.Escalated == nil {
		t.Fatalf("escalated ticket: priority %s, escalatedAt %v", got.Priority, got.Escalated)
	}
	// Notifications are claimed once; a claim is given back only by its holder, and then the
	// next caller claims it again.
	var claims []store.NotifyClaim
	for i, want := range []bool{true, false} {
		c, ok, err := s.ClaimNotification(ctx, d.ID, "escalation")
		if err != nil || ok != want {
			t.Fatalf("claim %d = %v %v, want %v", i, ok, err, want)
		}
		claims = append(claims, c)
	}
	if err := s.ReleaseNotification(ctx, claims[1]); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.ClaimNotification(ctx, d.ID, "escalation"); err != nil || ok {
		t.Fatalf("claim after a loser's give-back = %v %v, want it still taken", ok, err)
	}
	if err := s.ReleaseNotification(ctx, claims[0]); err != nil {
		t.Fatal(err)
	}
	again, ok, err := s.ClaimNotification(ctx, d.ID, "escalation")
	if err != nil || !ok {
		t.Fatalf("claim after the holder's give-back = %v %v, want it free", ok, err)
	}
	if err := s.ReleaseNotification(ctx, claims[0]); err != nil { // a stale holder's late give-back
		t.Fatal(err)
	}
	if _, ok, _ := s.ClaimNotification(ctx, d.ID, "escalation"); ok {
		t.Fatalf("a stale holder gave back %+v's claim", again)
	}
	if err := s.RecordDelivery(ctx, d.ID, "escalation", ticket.Delivery{Email: "sent", Webhook: "failed", WebhookAttempts: 3, At: now}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetTicket(ctx, d.ID)
	if got.Notifications["escalation"].WebhookAttempts != 3 {
		t.Fatalf("delivery not recorded: %+v", got.Notifications)
	}
	if due, _ := s.OverdueTickets(ctx, now); len(due) != 0 {
		t.Fatalf("an escalated and notified ticket is still overdue: %v", due)
	}
}

func TestAgentsChangesFollowTheLifecycle(t *testing.T) {
	t.Parallel()
	s, ctx := ticketStore(t), context.Background()
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	d, a := answerDraft("inv1", "cust-1", 3, at)
	if _, _, err := s.OpenAnswerTicket(ctx, d, a, at, at); err != nil {
		t.Fatal(err)
	}
	who := "maria"
	got, err := s.UpdateTicket(ctx, d.ID, ticket.Change{Actor: "agent:maria", Status: ticket.StatusAssigned, Assignee: &who, Note: "calling her"})
	if err != nil || got.Status != ticket.StatusAssigned || got.Assignee != "maria" || len(got.History) != 4 {
		t.Fatalf("assign = %+v %v", got, err)
	}
	if _, err := s.UpdateTicket(ctx, d.ID, ticket.Change{Status: ticket.StatusClosed}); !errors.Is(err, ticket.ErrTransition) {
		t.Fatalf("assigned -> closed = %v, want ErrTransition", err)
	}
	if _, err := s.UpdateTicket(ctx, d.ID, ticket.Change{Status: ticket.StatusResolved}); err != nil {
		t.Fatal(err)
	}
	got, err = s.UpdateTicket(ctx, d.ID, ticket.Change{Status: ticket.StatusClosed, Retention: 24 * time.Hour})
	if err != nil || got.Closed == nil {
		t.Fatalf("close = %+v %v", got, err)
	}
	raw, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "TICKET#" + d.ID}, "SK": &types.AttributeValueMemberS{Value: "TICKET"}}})
	if err != nil || raw.Item["ttl"] == nil {
		t.Fatalf("closed ticket item %v %v: want a TTL", raw.Item, err)
	}
	if l, _ := s.ListTickets(ctx, ticket.StatusClosed, "", 0); len(l) != 1 {
		t.Fatalf("closed queue has %d tickets", len(l))
	}
	next, na := answerDraft("inv9", "cust-1", 2, at.Add(time.Hour))
	if o, _, err := s.OpenAnswerTicket(ctx, next, na, na.At, na.At); err != nil || o != store.TicketCreated {
		t.Fatalf("a low answer after close = %q %v: want a new ticket (the lock released)", o, err)
	}
	if _, err := s.UpdateTicket(ctx, "nope", ticket.Change{Note: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown ticket = %v", err)
	}
}
