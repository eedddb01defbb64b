package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/ticket"
)

func TestEraseThenExportLeavesNothingPersonalAndScoresUnchanged(t *testing.T) {
	t.Parallel()
	s, ctx := ticketStore(t), context.Background()
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	score := 3
	inv := store.Invitation{PK: "EVENT#inv1", SK: "EVENT", Kind: store.KindInvitation, ID: "inv1", EventID: "order-1234-delivered",
		Touchpoint: "order.delivered", OccurredAt: at, ContactID: "cust-1", Email: "ana@example.com", Name: "Ana Lopez",
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
	if got.Context != nil {
		t.Errorf("the erased invitation keeps its context values %v", got.Context)
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
