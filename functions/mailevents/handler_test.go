package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
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

// putInvitation writes a due invitation to a fresh address, as TouchpointFunction would.
func putInvitation(t *testing.T, st *store.Store, email string) *store.Invitation {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	suffix := hex.EncodeToString(b)
	if email == "" {
		email = "bob-" + suffix + "@example.test"
	}
	now := st.Now()
	id := store.EventKey("evt-" + suffix)
	inv := &store.Invitation{
		PK: "EVENT#" + id, SK: "EVENT", Kind: store.KindInvitation, ID: id, EventID: "evt-" + suffix,
		ContactID: "cust-" + suffix, Email: email, Survey: "nps-relationship", Outcome: invitation.OutcomeInvited,
		Status: invitation.StatusPending, DueAt: now.Add(-time.Minute), LinkExpiresAt: now.Add(14 * 24 * time.Hour),
		GSI4PK: fmt.Sprintf("DUE#%02d", store.DueShard(id)), GSI4SK: store.FormatTime(now.Add(-time.Minute)),
	}
	item, err := attributevalue.MarshalMap(inv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(st.Table), Item: item}); err != nil {
		t.Fatal(err)
	}
	return inv
}

// sample reads events/<name> and points it at the invitation and address of the test.
func sample(t *testing.T, name, invitation, email string, patch func(detail map[string]any)) events.EventBridgeEvent {
	t.Helper()
	raw, err := os.ReadFile("../../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var d map[string]any
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		t.Fatal(err)
	}
	m := d["mail"].(map[string]any)
	tags := m["tags"].(map[string]any)
	if invitation == "" {
		delete(tags, "invitation")
	} else {
		tags["invitation"] = []string{invitation}
	}
	for k, field := range map[string]string{"bounce": "bouncedRecipients", "complaint": "complainedRecipients"} {
		if sub, ok := d[k].(map[string]any); ok {
			sub[field].([]any)[0].(map[string]any)["emailAddress"] = email
		}
	}
	if patch != nil {
		patch(d)
	}
	ev.Detail, _ = json.Marshal(d)
	return ev
}

func TestAPermanentBounceSuppressesAndStops(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	h := &Handler{Store: st}
	ctx := context.Background()
	inv := putInvitation(t, st, "")
	ev := sample(t, "mailevents-bounce.json", inv.ID, inv.Email, nil)

	for i, wantStopped := range []bool{true, false} { // the second delivery changes nothing
		res, err := h.Handle(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		if res.Kind != "bounce" || res.Suppressed != 1 || res.Stopped != wantStopped {
			t.Errorf("delivery %d: %+v", i+1, res)
		}
	}
	if ok, err := st.IsSuppressed(ctx, strings.ToUpper(inv.Email)); err != nil || !ok {
		t.Errorf("address not suppressed (err %v)", err)
	}
	if after, _ := st.GetInvitation(ctx, inv.ID); after.Stopped != invitation.StopBounced {
		t.Errorf("stopped = %q, want bounced", after.Stopped)
	}

	// The next invitation to the same address is never sent: the dispatcher's claim finds it
	// blocked (functions/dispatch tests that a blocked claim is stopped, not sent).
	next := putInvitation(t, st, inv.Email)
	due, _, err := st.DuePage(ctx, store.DueShard(next.ID), st.Now(), 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range due {
		if due[i].ID != next.ID {
			continue
		}
		c, err := st.ClaimDue(ctx, &due[i], st.Now())
		if err != nil || c.Outcome != store.ClaimInvite {
			t.Fatalf("claim: %v %v", c, err)
		}
		reason, err := st.Blocked(ctx, c.Inv)
		if err != nil || reason != invitation.StopSuppressed {
			t.Fatalf("blocked = %q (%v), want suppressed", reason, err)
		}
		return
	}
	t.Fatal("the next invitation is not on the due index")
}

func TestMailEvents(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	h := &Handler{Store: st}
	ctx := context.Background()
	tests := []struct {
		name           string
		file           string
		tagged         bool
		patch          func(map[string]any)
		wantKind       string
		wantSuppressed bool
		wantStopped    string
	}{
		{"a complaint suppresses and stops", "mailevents-complaint.json", true, nil, "complaint", true, invitation.StopComplained},
		{"a transient bounce is only noted", "mailevents-bounce.json", true, func(d map[string]any) {
			d["bounce"].(map[string]any)["bounceType"] = "Transient"
		}, "transient-bounce", false, ""},
		{"a bounce of an untagged email (a ticket notice) still suppresses", "mailevents-bounce.json", false, nil, "bounce", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := putInvitation(t, st, "")
			tag := ""
			if tt.tagged {
				tag = inv.ID
			}
			res, err := h.Handle(ctx, sample(t, tt.file, tag, inv.Email, tt.patch))
			if err != nil {
				t.Fatal(err)
			}
			if res.Kind != tt.wantKind {
				t.Errorf("kind = %q, want %q", res.Kind, tt.wantKind)
			}
			if ok, _ := st.IsSuppressed(ctx, inv.Email); ok != tt.wantSuppressed {
				t.Errorf("suppressed = %v, want %v", ok, tt.wantSuppressed)
			}
			if after, _ := st.GetInvitation(ctx, inv.ID); after.Stopped != tt.wantStopped {
				t.Errorf("stopped = %q, want %q", after.Stopped, tt.wantStopped)
			}
		})
	}
}

func TestMalformedEventsAreDroppedNotRetried(t *testing.T) {
	t.Parallel()
	h := &Handler{Store: storetest.New(t)}
	for _, detail := range []string{`"not an object"`, `{"eventType":"Delivery","delivery":{}}`} {
		res, err := h.Handle(context.Background(), events.EventBridgeEvent{DetailType: DetailBounce, Detail: json.RawMessage(detail)})
		if err != nil || res.Kind != "ignored" {
			t.Errorf("%s: %+v %v", detail, res, err)
		}
	}
}

// unsure claims inv and records its send as unsure, as the dispatcher does when SES's answer is lost.
func unsure(t *testing.T, st *store.Store, inv *store.Invitation) {
	t.Helper()
	ctx := context.Background()
	due, _, err := st.DuePage(ctx, store.DueShard(inv.ID), st.Now(), 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range due {
		if due[i].ID != inv.ID {
			continue
		}
		c, err := st.ClaimDue(ctx, &due[i], st.Now())
		if err != nil || c.Outcome != store.ClaimInvite {
			t.Fatalf("claim: %v %v", c, err)
		}
		if err := st.MarkUnsure(ctx, c, fmt.Errorf("no answer from SES"), st.Now()); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatal("the invitation is not on the due index")
}

func TestASendEventSettlesAnUnsureInvitationOnce(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	h := &Handler{Store: st}
	ctx := context.Background()
	tests := []struct {
		name       string
		unsure     bool
		kind       string
		wantSettle []string // per delivery of the same event
		wantStatus string
	}{
		{"an unsure invitation becomes sent; the redelivery changes nothing", true, "invite", []string{store.SettleSent, store.SettleUnchanged}, invitation.StatusSent},
		{"a sent invitation is left alone", false, "invite", []string{store.SettleUnchanged}, invitation.StatusSent},
		{"a reminder's Send event settles nothing", true, "reminder", []string{store.SettleUnchanged}, invitation.StatusUnsure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := putInvitation(t, st, "")
			if tt.unsure {
				unsure(t, st, inv)
			} else {
				st.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(st.Table),
					Key:              map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: inv.PK}, "SK": &types.AttributeValueMemberS{Value: inv.SK}},
					UpdateExpression: aws.String("SET #s = :s"), ExpressionAttributeNames: map[string]string{"#s": "status"},
					ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: invitation.StatusSent}}})
			}
			ev := sample(t, "mailevents-send.json", inv.ID, inv.Email, func(d map[string]any) {
				d["mail"].(map[string]any)["tags"].(map[string]any)["kind"] = []string{tt.kind}
			})
			if ev.DetailType != DetailSent {
				t.Fatalf("sample detail-type %q", ev.DetailType)
			}
			for i, want := range tt.wantSettle {
				res, err := h.Handle(ctx, ev)
				if err != nil {
					t.Fatal(err)
				}
				if res.Kind != "send" || res.Settle != want {
					t.Errorf("delivery %d: %+v, want settle %q", i+1, res, want)
				}
			}
			after, _ := st.GetInvitation(ctx, inv.ID)
			if after.Status != tt.wantStatus {
				t.Errorf("status %q, want %q", after.Status, tt.wantStatus)
			}
			if tt.wantStatus == invitation.StatusSent && tt.unsure && (after.MessageID == "" || after.SettledBy != "send-event" || after.GSI4PK != "") {
				t.Errorf("settled item: messageId %q settledBy %q due %q (no reminder configured: nothing due)", after.MessageID, after.SettledBy, after.GSI4PK)
			}
		})
	}
}

// A Delivery event proves acceptance as well as a Send event: when the Send event was lost, the
// Delivery event settles the unsure invitation, and the Send event arriving after it changes nothing.
func TestADeliveryEventSettlesAnUnsureInvitationWhoseSendEventWasLost(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	h := &Handler{Store: st}
	ctx := context.Background()
	inv := putInvitation(t, st, "")
	unsure(t, st, inv)
	delivered := sample(t, "mailevents-delivery.json", inv.ID, inv.Email, nil)
	if delivered.DetailType != DetailDelivered {
		t.Fatalf("sample detail-type %q", delivered.DetailType)
	}
	res, err := h.Handle(ctx, delivered)
	if err != nil || res.Kind != "delivery" || res.Settle != store.SettleSent {
		t.Fatalf("delivery event: %+v %v, want the unsure invitation settled", res, err)
	}
	sent := sample(t, "mailevents-send.json", inv.ID, inv.Email, nil)
	if res, err := h.Handle(ctx, sent); err != nil || res.Settle != store.SettleUnchanged {
		t.Fatalf("the Send event after it: %+v %v, want unchanged", res, err)
	}
	after, _ := st.GetInvitation(ctx, inv.ID)
	if after.Status != invitation.StatusSent || after.SettledBy != "send-event" || after.MessageID == "" {
		t.Fatalf("after the Delivery event: status %q settledBy %q messageId %q", after.Status, after.SettledBy, after.MessageID)
	}
}
