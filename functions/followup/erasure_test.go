package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/storetest"
)

// streamValue turns a stored attribute into the stream's JSON shape ({"S": ...}, {"M": ...}).
func streamValue(v types.AttributeValue) any {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": v.Value}
	case *types.AttributeValueMemberN:
		return map[string]any{"N": v.Value}
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": v.Value}
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": true}
	case *types.AttributeValueMemberSS:
		return map[string]any{"SS": v.Value}
	case *types.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, e := range v.Value {
			l[i] = streamValue(e)
		}
		return map[string]any{"L": l}
	case *types.AttributeValueMemberM:
		return map[string]any{"M": streamImage(v.Value)}
	}
	return map[string]any{"NULL": true}
}

func streamImage(item map[string]types.AttributeValue) map[string]any {
	m := make(map[string]any, len(item))
	for k, v := range item {
		m[k] = streamValue(v)
	}
	return m
}

// answered puts a sent invitation of contact, decided an hour ago, records a low answer with
// comment through the survey's own write, and returns the stream record of that answer exactly as
// the table's stream carries it (old and new image), without delivering it: the follow-up function
// is held back.
func answered(t *testing.T, st *store.Store, id, contact, comment string) json.RawMessage {
	t.Helper()
	inv, item := sentInvitation(t, st, id, contact, st.Now().Add(-time.Hour))
	return answerOf(t, st, inv, item, comment)
}

// sentInvitation puts an invitation of contact decided and sent at decided, and returns it with
// its item as stored (the old image of its answer's stream record).
func sentInvitation(t *testing.T, st *store.Store, id, contact string, decided time.Time) (store.Invitation, map[string]types.AttributeValue) {
	t.Helper()
	inv := store.Invitation{PK: "EVENT#" + id, SK: "EVENT", Kind: store.KindInvitation, ID: id, EventID: "evt-" + id,
		Touchpoint: "order.delivered", OccurredAt: decided, ContactID: contact, Email: contact + "@example.com", Name: "Ana Erasable",
		Locale: "es", Segments: map[string]string{"plan": "pro", "region": "eu"}, Outcome: invitation.OutcomeInvited,
		DecidedAt: decided, Survey: "nps-relationship", Status: invitation.StatusSent, SentAt: &decided, LinkExpiresAt: st.Now().Add(24 * time.Hour),
		GSI1PK: "CONTACT#" + contact, GSI1SK: "DEC#" + store.FormatTime(decided) + "#" + id}
	item, err := attributevalue.MarshalMap(inv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(st.Table), Item: item}); err != nil {
		t.Fatal(err)
	}
	return inv, item
}

// answerOf records a low answer with comment on inv (stored as item) and returns its stream record.
func answerOf(t *testing.T, st *store.Store, inv store.Invitation, item map[string]types.AttributeValue, comment string) json.RawMessage {
	t.Helper()
	ctx := context.Background()
	if _, _, err := st.RecordAnswer(ctx, &inv, store.NewAnswer{Score: 2, Comment: comment, EditWindow: time.Hour}); err != nil {
		t.Fatal(err)
	}
	out, err := st.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(st.Table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "EVENT#" + inv.ID}, "SK": &types.AttributeValueMemberS{Value: "EVENT"}}})
	if err != nil {
		t.Fatal(err)
	}
	rec := map[string]any{"Records": []any{map[string]any{"eventID": "1", "eventName": "MODIFY", "eventSource": "aws:dynamodb",
		"dynamodb": map[string]any{"Keys": streamImage(map[string]types.AttributeValue{"PK": out.Item["PK"], "SK": out.Item["SK"]}),
			"SequenceNumber": "1" + strings.Repeat("0", 20), "StreamViewType": "NEW_AND_OLD_IMAGES",
			"OldImage": streamImage(item), "NewImage": streamImage(out.Item)}}}}
	raw, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestAnAnswerErasedBeforeTheStreamDeliversItBringsNothingBack(t *testing.T) {
	t.Parallel()
	h, rcv, addr := fixture(t)
	ctx := context.Background()
	const comment = "Erasable comment: the courier shouted at me"
	held := answered(t, h.Store, "inverase0000000000000001", "cust-erase-1", comment)

	// The admin erases the contact while the answer's record waits in the stream.
	if n, err := h.Store.EraseContact(ctx, "cust-erase-1"); err != nil || n.Invitations != 1 {
		t.Fatalf("erase = %+v %v", n, err)
	}
	// The follow-up function gets the record now, twice (a redelivery, a re-drive).
	for range 2 {
		if resp := stream(t, h, held); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("the erased answer failed the batch: %+v", resp)
		}
	}
	list, err := h.Store.ListTickets(ctx, "", "", 0)
	if err != nil || len(list) != 0 {
		t.Fatalf("tickets after erasure = %d %v, want none: %+v", len(list), err, list)
	}
	if got := storetest.EmailsTo(t, addr); len(got) != 0 {
		t.Fatalf("the team got %d emails about an erased answer", len(got))
	}
	if hooks, _ := rcv.got(); len(hooks) != 0 {
		t.Fatalf("the webhook got %d bodies about an erased answer: %+v", len(hooks), hooks)
	}
	x, err := h.Store.ExportContact(ctx, "cust-erase-1")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(x)
	for _, p := range []string{comment, "Ana Erasable", "cust-erase-1@example.com"} {
		if strings.Contains(string(raw), p) {
			t.Errorf("after erasure the table still holds %q: %s", p, raw)
		}
	}
	// The old link takes no new answer: the erased invitation stays erased.
	inv, err := h.Store.GetInvitation(ctx, "inverase0000000000000001")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.Store.RecordAnswer(ctx, inv, store.NewAnswer{Score: 1, Comment: "again", EditWindow: time.Hour}); err != store.ErrNotFound {
		t.Errorf("an answer on an erased invitation = %v, want ErrNotFound", err)
	}

	// A touchpoint after the erasure starts afresh: its answer opens a ticket as usual.
	time.Sleep(5 * time.Millisecond) // sort keys have millisecond resolution
	inv2, item := sentInvitation(t, h.Store, "inverase0000000000000002", "cust-erase-1", h.Store.Now())
	fresh := answerOf(t, h.Store, inv2, item, "A new complaint after the erasure")
	if resp := stream(t, h, fresh); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("fresh answer: %+v", resp)
	}
	list, err = h.Store.ListTickets(ctx, "", "", 0)
	if err != nil || len(list) != 1 || list[0].Comment != "A new complaint after the erasure" {
		t.Fatalf("tickets after a fresh answer = %+v %v, want the new one", list, err)
	}
	if got := storetest.EmailsTo(t, addr); len(got) != 1 || strings.Contains(got[0].Body.Text+got[0].Body.HTML, comment) {
		t.Fatalf("team emails after a fresh answer = %d (or one quotes the erased comment)", len(got))
	}
}

func TestAnAnswerErasedBeforeItIsAttachedStaysOut(t *testing.T) {
	t.Parallel()
	h, rcv, _ := fixture(t)
	ctx := context.Background()
	// The contact has an open ticket from an earlier answer; a second low answer waits in the
	// stream when the contact is erased; it must not be attached (with its comment) afterwards.
	first := answered(t, h.Store, "inverase0000000000000003", "cust-erase-2", "first")
	if resp := stream(t, h, first); len(resp.BatchItemFailures) != 0 {
		t.Fatal(resp)
	}
	second := answered(t, h.Store, "inverase0000000000000004", "cust-erase-2", "Erasable second comment")
	if _, err := h.Store.EraseContact(ctx, "cust-erase-2"); err != nil {
		t.Fatal(err)
	}
	if resp := stream(t, h, second); len(resp.BatchItemFailures) != 0 {
		t.Fatal(resp)
	}
	list, err := h.Store.ListTickets(ctx, "", "", 0)
	if err != nil || len(list) != 1 {
		t.Fatalf("tickets = %d %v", len(list), err)
	}
	raw, _ := json.Marshal(list[0])
	if strings.Contains(string(raw), "Erasable second comment") || len(list[0].Answers) != 1 || list[0].Erased == nil {
		t.Fatalf("the erased answer came back on the ticket: %s", raw)
	}
	if hooks, _ := rcv.got(); len(hooks) != 1 {
		t.Fatalf("webhook bodies = %d, want only the first ticket's", len(hooks))
	}
}

// An answer given after the fence, on an invitation decided before it that the erasure has not
// reached yet, belongs to the erasure: its invitation came into being before erasedKey. The
// follow-up function gets its stream record in that window and must open nothing.
func TestAnAnswerGivenWhileTheErasureIsUnderWayOpensNoTicket(t *testing.T) {
	t.Parallel()
	h, rcv, addr := fixture(t)
	ctx := context.Background()
	const id, contact, comment = "inverase0000000000000005", "cust-erase-3", "Erasable comment given mid-erasure"
	inv, item := sentInvitation(t, h.Store, id, contact, h.Store.Now().Add(-time.Hour))

	var resp events.DynamoDBEventResponse
	var indexed []string
	during := func() {
		// The fence is written; the invitation is not marked yet, so the answer is accepted.
		rec := answerOf(t, h.Store, inv, item, comment)
		resp = stream(t, h, rec)
		var err error
		if indexed, err = h.Store.ContactsWithAddress(ctx, inv.Email); err != nil {
			t.Fatal(err)
		}
	}
	eraser := store.New(storetest.Client(t, storetest.BeforeFirstUpdateOf("EVENT#"+id, during)), h.Store.Table)
	// The erasure's clock is a minute behind the survey's: the answer is plainly after the fence.
	erasedAt := h.Store.Now().Add(-time.Minute)
	eraser.Now = func() time.Time { return erasedAt }
	if _, err := eraser.EraseContact(ctx, contact); err != nil {
		t.Fatal(err)
	}

	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("the answer failed the batch: %+v", resp)
	}
	if len(indexed) != 0 {
		t.Errorf("the answer put the erased contact under its address: %v", indexed)
	}
	if list, err := h.Store.ListTickets(ctx, "", "", 0); err != nil || len(list) != 0 {
		t.Errorf("tickets = %d %v, want none: %+v", len(list), err, list)
	}
	if got := storetest.EmailsTo(t, addr); len(got) != 0 {
		t.Errorf("the team got %d emails about an answer the erasure covers", len(got))
	}
	if hooks, _ := rcv.got(); len(hooks) != 0 {
		t.Errorf("the webhook got %d bodies about an answer the erasure covers: %+v", len(hooks), hooks)
	}
}
