package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/storetest"
	"github.com/cxloop/cxloop/shared/ticket"
)

func TestEraseThenExportLeavesNothingPersonalAndScoresUnchanged(t *testing.T) {
	t.Parallel()
	s, ctx := ticketStore(t), context.Background()
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	score := 3
	inv := store.Invitation{PK: "EVENT#inv1", SK: "EVENT", Kind: store.KindInvitation, ID: "inv1", EventID: "order-1234-delivered",
		Touchpoint: "order.delivered", OccurredAt: at, ContactID: "cust-1", Email: "ana@example.com", Name: "Ana Lopez", Locale: "pt-BR",
		Outcome: invitation.OutcomeInvited, DecidedAt: at, Survey: "nps-relationship", Status: invitation.StatusSent,
		Answers: []store.Answer{{Score: 3, At: at.UnixMilli(), Comment: "the courier was rude", Lang: "en"}}, Score: &score, Comment: "the courier was rude",
		Context: map[string]string{"orderId": "A-77001"}, // the touchpoint values of the page's and email's context line
		GSI1PK:  "CONTACT#cust-1", GSI1SK: "DEC#" + store.FormatTime(at) + "#inv1", GSI4PK: "DUE#01", GSI4SK: store.FormatTime(at)}
	hist := map[string]any{"PK": "HIST#nps-relationship", "SK": "DAY#2026-11-23", "kind": store.KindHistogram, "c3": 1}
	state := map[string]any{"PK": "CONTACT#cust-1", "SK": "STATE", "kind": store.KindContact, "email": "ana@example.com",
		"lastInviteAt": store.FormatTime(at)}
	for _, v := range []any{inv, hist, state} {
		item, err := attributevalue.MarshalMap(v)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	d, a := answerDraft("inv1", "cust-1", 3, at)
	d.Comment, a.Comment = "the courier was rude", "the courier was rude"
	if _, _, err := s.OpenAnswerTicket(ctx, d, a, at, at); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateTicket(ctx, d.ID, ticket.Change{Actor: "agent", Note: "Called Ana Lopez on +34 600 000 000"}); err != nil {
		t.Fatal(err)
	}
	personal := []string{"ana@example.com", "Ana Lopez", "courier was rude", "+34 600", "order-1234", "A-77001"}

	before, err := s.ExportContact(ctx, "cust-1")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(before)
	for _, p := range personal {
		if !strings.Contains(string(raw), p) {
			t.Fatalf("the export before erasure lacks %q: %s", p, raw)
		}
	}
	// The ticket's opening answer is stored once (on the ticket's own fields) and exported whole.
	for _, r := range before.Records {
		if r["kind"] != store.KindTicket {
			continue
		}
		opening, _ := r["answers"].([]any)[0].(map[string]any)
		if opening["comment"] != "the courier was rude" || opening["invitationId"] != "inv1" {
			t.Errorf("exported opening answer %v, want it whole", opening)
		}
	}
	n, err := s.EraseContact(ctx, "cust-1")
	if err != nil || n.Invitations != 1 || n.Tickets != 1 {
		t.Fatalf("erase = %+v %v", n, err)
	}
	after, err := s.ExportContact(ctx, "cust-1")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = json.Marshal(after)
	for _, p := range personal {
		if strings.Contains(string(raw), p) {
			t.Errorf("the export after erasure still contains %q: %s", p, raw)
		}
	}
	if len(after.Records) != 2 || after.State["lastInviteAt"] == nil {
		t.Fatalf("erasure removed records instead of fields: %d left", len(after.Records))
	}
	got, err := s.GetInvitation(ctx, "inv1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Context != nil || got.Locale != "" {
		t.Errorf("the erased invitation keeps its context values %v or its locale %q (docs/SECURITY.md lists it)", got.Context, got.Locale)
	}
	if got.Score == nil || *got.Score != 3 || len(got.Answers) != 1 || got.Answers[0].Score != 3 || got.Answers[0].Comment != "" || got.Stopped != invitation.StopErased || got.GSI4PK != "" {
		t.Fatalf("erased invitation: score %v, answers %v, stopped %q, due %q: want the score kept and sending stopped",
			got.Score, got.Answers, got.Stopped, got.GSI4PK)
	}
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "HIST#nps-relationship"}, "SK": &types.AttributeValueMemberS{Value: "DAY#2026-11-23"}}})
	if err != nil || out.Item == nil {
		t.Fatalf("histogram gone: %v", err)
	}
	var h map[string]any
	_ = attributevalue.UnmarshalMap(out.Item, &h)
	if h["c3"] != float64(1) {
		t.Fatalf("histogram changed: %v", h)
	}
}

// Retention of the contact's state item: it lives as long as its newest invitation, an
// unsubscription keeps it, and an erasure keeps the fence at least ErasureFenceRetention.
func TestContactStateRetention(t *testing.T) {
	t.Parallel()
	s, ctx := ticketStore(t), context.Background()
	now := time.Now().UTC()
	ttlOf := func(contact string) int64 {
		t.Helper()
		out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), ConsistentRead: aws.Bool(true),
			Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "CONTACT#" + contact}, "SK": &types.AttributeValueMemberS{Value: "STATE"}}})
		if err != nil || out.Item == nil {
			t.Fatalf("state of %s: %v", contact, err)
		}
		var m struct {
			TTL int64 `dynamodbav:"ttl"`
		}
		_ = attributevalue.UnmarshalMap(out.Item, &m)
		return m.TTL
	}
	invite := func(contact, event string) *store.Invitation {
		t.Helper()
		inv := &store.Invitation{ID: store.EventKey(event), EventID: event, ContactID: contact, Email: contact + "@example.com",
			OccurredAt: now, DecidedAt: now, Outcome: invitation.OutcomeInvited, Survey: "nps-relationship", Status: invitation.StatusPending,
			DueAt: now, TTL: now.Add(400 * 24 * time.Hour).Unix()}
		if _, err := s.Invite(ctx, inv, store.InviteClaim{Fingerprint: event}); err != nil {
			t.Fatal(err)
		}
		return inv
	}
	inv := invite("ret-1", "ret-event-1")
	if got := ttlOf("ret-1"); got != inv.TTL {
		t.Fatalf("state ttl = %d, want the invitation's %d", got, inv.TTL)
	}
	if _, err := s.Unsubscribe(ctx, "ret-1", inv.Email); err != nil {
		t.Fatal(err)
	}
	if got := ttlOf("ret-1"); got != 0 {
		t.Fatalf("an unsubscribed contact's state expires at %d, want never", got)
	}
	invite("ret-2", "ret-event-2")
	if _, err := s.EraseContact(ctx, "ret-2"); err != nil {
		t.Fatal(err)
	}
	if got := ttlOf("ret-2"); got < now.Add(store.ErasureFenceRetention).Unix() {
		t.Fatalf("the erasure fence expires at %d, before %v", got, store.ErasureFenceRetention)
	}
}

// afterFirstContactQuery runs during once, right after the client's first query of a contact's
// items on GSI1 answered: for EraseContact, between its listing and its fence.
func afterFirstContactQuery(during func()) func(*dynamodb.Options) {
	var once sync.Once
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("afterFirstContactQuery",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					out, md, err := next.HandleInitialize(ctx, in)
					if q, ok := in.Parameters.(*dynamodb.QueryInput); ok && err == nil && aws.ToString(q.IndexName) == store.IndexContact {
						once.Do(during)
					}
					return out, md, err
				}), middleware.After)
		})
	}
}

// A decision written after the erasure listed the contact's items, and before its fence (or
// missing from GSI1 by index lag), was decided before the erasure: it is erased too. One decided
// after the erasure's time starts afresh and is left alone.
func TestEraseAlsoErasesWhatWasDecidedBetweenItsListingAndItsFence(t *testing.T) {
	t.Parallel()
	s, ctx := ticketStore(t), context.Background()
	erasedAt := time.Now().UTC().Truncate(time.Millisecond)
	put := func(inv store.Invitation) {
		t.Helper()
		item, err := attributevalue.MarshalMap(inv)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	invitationAt := func(id, name string, at time.Time) store.Invitation {
		return store.Invitation{PK: "EVENT#" + id, SK: "EVENT", Kind: store.KindInvitation, ID: id, EventID: "order-" + id,
			Touchpoint: "order.delivered", OccurredAt: at, ContactID: "cust-late", Email: "late@example.com", Name: name,
			Outcome: invitation.OutcomeInvited, DecidedAt: at, Survey: "nps-relationship", Status: invitation.StatusPending, DueAt: at,
			GSI1PK: "CONTACT#cust-late", GSI1SK: "DEC#" + store.FormatTime(at) + "#" + id}
	}
	skipAt := func(id, name string, at time.Time) {
		t.Helper()
		d := &store.Invitation{ID: id, EventID: "order-" + id, Touchpoint: "order.delivered", OccurredAt: at, DecidedAt: at,
			ContactID: "cust-late", Email: "late@example.com", Name: name, Outcome: invitation.OutcomeQuietPeriod, Survey: "nps-relationship"}
		if _, err := s.RecordDecision(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	put(invitationAt("listed", "Listed Person", erasedAt.Add(-time.Hour)))
	during := func() {
		skipAt("skipped-early", "Skipped Early", erasedAt.Add(-time.Second))
		put(invitationAt("invited-early", "Invited Early", erasedAt.Add(-time.Second)))
		skipAt("skipped-after", "Skipped After", erasedAt.Add(time.Second))
	}
	eraser := store.New(storetest.Client(t, afterFirstContactQuery(during)), s.Table)
	eraser.Now = func() time.Time { return erasedAt }
	n, err := eraser.EraseContact(ctx, "cust-late")
	if err != nil {
		t.Fatal(err)
	}
	if n.Invitations != 3 {
		t.Errorf("erased %d decisions and invitations, want 3 (the listed one and the two decided before the fence)", n.Invitations)
	}
	for _, id := range []string{"skipped-early", "invited-early"} {
		got, err := s.GetInvitation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.ErasedAt == nil || got.Email != "" || got.Name != "" || got.EventID != "" {
			t.Errorf("%s, decided before the fence, kept erasedAt %v, email %q, name %q, event %q", id, got.ErasedAt, got.Email, got.Name, got.EventID)
		}
	}
	if got, err := s.GetInvitation(ctx, "invited-early"); err != nil || got.Stopped != invitation.StopErased || got.GSI4PK != "" {
		t.Errorf("the invitation decided before the fence: stopped %q, due %q, %v: want stopped and off the due index", got.Stopped, got.GSI4PK, err)
	}
	if got, err := s.GetInvitation(ctx, "skipped-after"); err != nil || got.ErasedAt != nil || got.Name != "Skipped After" {
		t.Errorf("a decision after the erasure was erased: %+v %v", got, err)
	}
	x, err := s.ExportContact(ctx, "cust-late")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(x)
	var kept []string
	for _, p := range []string{"Listed Person", "Skipped Early", "Invited Early", "order-skipped-early", "order-invited-early"} {
		if strings.Contains(string(raw), p) {
			kept = append(kept, p)
		}
	}
	if len(kept) > 0 {
		t.Errorf("the export after erasure still contains %q: %s", kept, raw)
	}
}

// failFirstAddressDelete fails the client's first DeleteItem of an address index entry (ADDR#),
// before it reaches the table: a throttle or a timeout half-way through an erasure.
func failFirstAddressDelete(o *dynamodb.Options) {
	var once sync.Once
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("failFirstAddressDelete",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if d, ok := in.Parameters.(*dynamodb.DeleteItemInput); ok {
					if pk, ok := d.Key["PK"].(*types.AttributeValueMemberS); ok && strings.HasPrefix(pk.Value, "ADDR#") {
						failed := false
						once.Do(func() { failed = true })
						if failed {
							return middleware.InitializeOutput{}, middleware.Metadata{}, errors.New("injected: the address index delete failed")
						}
					}
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	})
}

// An erasure that failed half-way is finished by running it again: the address index entry of
// the contact's ticket goes even when its first delete failed.
func TestAnEraseThatFailedOnTheAddressIndexIsFinishedByRunningItAgain(t *testing.T) {
	t.Parallel()
	s, ctx := ticketStore(t), context.Background()
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	inv := store.Invitation{PK: "EVENT#inv-addr", SK: "EVENT", Kind: store.KindInvitation, ID: "inv-addr", EventID: "order-addr",
		Touchpoint: "order.delivered", OccurredAt: at, ContactID: "cust-addr", Email: "ana@example.com", Name: "Ana",
		Outcome: invitation.OutcomeInvited, DecidedAt: at, Survey: "nps-relationship", Status: invitation.StatusSent,
		GSI1PK: "CONTACT#cust-addr", GSI1SK: "DEC#" + store.FormatTime(at) + "#inv-addr"}
	item, err := attributevalue.MarshalMap(inv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item}); err != nil {
		t.Fatal(err)
	}
	d, a := answerDraft("inv-addr", "cust-addr", 3, at)
	if _, _, err := s.OpenAnswerTicket(ctx, d, a, at, at); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ContactsWithAddress(ctx, "ana@example.com"); err != nil || len(got) != 1 {
		t.Fatalf("contacts with the address before erasure = %v %v, want cust-addr", got, err)
	}

	eraser := store.New(storetest.Client(t, failFirstAddressDelete), s.Table)
	if _, err := eraser.EraseContact(ctx, "cust-addr"); err == nil {
		t.Fatal("the erase whose address index delete failed reported success")
	}
	if _, err := eraser.EraseContact(ctx, "cust-addr"); err != nil {
		t.Fatalf("erase again: %v", err)
	}
	if got, err := s.ContactsWithAddress(ctx, "ana@example.com"); err != nil || len(got) != 0 {
		t.Errorf("contacts with the address after the erasure ran again = %v %v, want none", got, err)
	}
	got, err := s.GetTicket(ctx, d.ID)
	if err != nil || got.Email != "" || got.Erased == nil {
		t.Errorf("the ticket after the erasure ran again: email %q, erased %v, %v", got.Email, got.Erased, err)
	}
}

// An agent's note that commits between erase's read of a ticket and its write is kept (its text
// erased): the erasure rewrites the ticket's history from what it read, and must not drop it.
func TestANoteAddedWhileTheTicketIsErasedIsKeptWithoutItsText(t *testing.T) {
	t.Parallel()
	s, ctx := ticketStore(t), context.Background()
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	d, a := answerDraft("inv-note", "cust-note", 3, at)
	if _, _, err := s.OpenAnswerTicket(ctx, d, a, at, at); err != nil {
		t.Fatal(err)
	}
	during := func() {
		if _, err := s.UpdateTicket(ctx, d.ID, ticket.Change{Actor: "agent:maria", Note: "Called Ana on +34 600 000 000"}); err != nil {
			t.Fatal(err)
		}
	}
	eraser := store.New(storetest.Client(t, storetest.BeforeFirstUpdateOf("TICKET#"+d.ID, during)), s.Table)
	if _, err := eraser.EraseContact(ctx, "cust-note"); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetTicket(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	var notes []ticket.Event
	for _, ev := range got.History {
		if ev.Action == "note" {
			notes = append(notes, ev)
		}
	}
	if len(notes) != 1 || notes[0].Actor != "agent:maria" || notes[0].Text != "[erased]" {
		t.Errorf("notes after the erasure = %+v, want maria's note with its text erased; history %+v", notes, got.History)
	}
	if got.Erased == nil || got.Email != "" {
		t.Errorf("the ticket is not erased: erasedAt %v, email %q", got.Erased, got.Email)
	}
}
