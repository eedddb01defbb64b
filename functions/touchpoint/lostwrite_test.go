package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cxloop/cxloop/infra/local/fault"
	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
)

// lostWriteCatalog has a daily cap of 2 (one shard) and a day's quiet period, so a second
// invitation for a contact loses its claim and a third event for the day meets a full cap.
const lostWriteCatalog = `
version: "test-lost-write"
globalQuietPeriod: 0s
editWindow: 1h
surveys:
  - id: capped
    metric: csat
    title: {en: T, es: T}
    question: {en: Q, es: Q}
    touchpoints:
      - event: order.delivered
        delay: 0s
        sampleRate: 1
        quietPeriod: 1d
        dailyCap: 2
        linkExpiry: 1d
`

const lostWriteCap = 2

// write is what a fault script reads from one DynamoDB request of the touchpoint's decision: the
// operation, the item's partition key, the kind a put stores, and the expression values.
type write struct {
	op     string
	pk     string
	kind   string
	values []string
}

func writeOf(c fault.Call) write {
	var body struct {
		Key                       map[string]map[string]any
		Item                      map[string]map[string]any
		ExpressionAttributeValues map[string]map[string]any
	}
	w := write{op: c.Operation}
	if json.Unmarshal(c.Body, &body) != nil {
		return w
	}
	scalar := func(av map[string]any) string {
		for _, t := range []string{"S", "N"} {
			if v, ok := av[t].(string); ok {
				return v
			}
		}
		return ""
	}
	w.pk = scalar(body.Key["PK"])
	if body.Item != nil {
		w.pk, w.kind = scalar(body.Item["PK"]), scalar(body.Item["kind"])
	}
	for _, av := range body.ExpressionAttributeValues {
		w.values = append(w.values, scalar(av))
	}
	return w
}

func (w write) has(v string) bool {
	for _, x := range w.values {
		if x == v {
			return true
		}
	}
	return false
}

// The writes of Invite whose answers a case loses. The faulted handler decides only the event
// under test, so the key prefixes pick its own writes.
func slotTaken(w write) bool {
	return w.op == "UpdateItem" && strings.HasPrefix(w.pk, "CAP#") && !w.has("-1")
}

func slotGivenBack(w write) bool {
	return w.op == "UpdateItem" && strings.HasPrefix(w.pk, "CAP#") && w.has("-1")
}

func contactClaimed(w write) bool {
	return w.op == "UpdateItem" && strings.HasPrefix(w.pk, "CONTACT#")
}

func invitationPut(w write) bool {
	return w.op == "PutItem" && strings.HasPrefix(w.pk, "EVENT#") && w.kind == store.KindInvitation
}

// A write whose answer is lost after DynamoDB applied it is retried by the SDK, or, where the
// SDK gives up (or does not retry), fails the delivery, which EventBridge delivers again. Either
// way the event ends with one decision, at most one invitation backed by the contact's claim and
// by a counted slot, and the day's invitations stay within the cap.
func TestALostWriteAnswerNeitherLosesNorDoublesAnInvitation(t *testing.T) {
	t.Parallel()
	modes := []struct {
		name       string
		sdkRetries bool
	}{
		{"when the SDK retries the write", true},
		{"when the delivery fails and EventBridge delivers it again", false},
	}
	tests := []struct {
		name string
		// first delivers an event on another contact before this one: it takes one of the two slots.
		first bool
		// raceAt, when set, delivers the event raceID for the same contact through the fault-free
		// handler just before this event sends that write (after its rules read the contact and
		// the cap): another invitation that wins the contact's quiet period, or a concurrent
		// duplicate (raceID "lost-a") that finds the cap full and records daily-cap first.
		raceAt   func(write) bool
		raceID   string
		raceWant string
		// lose picks the write whose answer is lost, once.
		lose func(write) bool
		want string
		// leftCounted is how many slots the lost answer may leave counted without an invitation
		// (the cap reached early, docs/CONTRACTS.md 7).
		leftCounted int
		// failedWithRetries and failedWithout are how many deliveries fail, with the SDK's retries
		// and without them.
		failedWithRetries, failedWithout int
	}{
		{name: "the cap slot's answer lost leaves one slot counted early and still invites",
			lose: slotTaken, want: invitation.OutcomeInvited, leftCounted: 1, failedWithout: 1},
		{name: "the contact claim's answer lost is found as the event's own claim on its one slot",
			lose: contactClaimed, want: invitation.OutcomeInvited, failedWithout: 1},
		{name: "the invitation put's answer lost is found stored, with no second slot",
			lose: invitationPut, want: invitation.OutcomeInvited, failedWithout: 1},
		// The quiet-period outcome is recorded even though the give-back failed.
		{name: "the give-back's answer lost uncounts the slot of a claim lost to another invitation once",
			raceAt: slotTaken, raceID: "lost-race", raceWant: invitation.OutcomeInvited,
			lose: slotGivenBack, want: invitation.OutcomeQuietPeriod},
		// A put that finds the duplicate's skip undoes the claim and gives the slot back; the failed
		// give-back fails the delivery, and the redelivery finds the skip.
		{name: "the give-back's answer lost uncounts once the slot of an invitation its duplicate decided daily-cap",
			first: true, raceAt: contactClaimed, raceID: "lost-a", raceWant: invitation.OutcomeDailyCap,
			lose: slotGivenBack, want: invitation.OutcomeDailyCap, failedWithRetries: 1, failedWithout: 1},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					cat, err := catalog.Load([]byte(lostWriteCatalog))
					if err != nil {
						t.Fatal(err)
					}
					f := newFixture(t, cat)
					event := func(id, contactID string) json.RawMessage {
						return sampleEvent(t, func(d map[string]any) {
							d["eventId"], d["occurredAt"] = id, "2026-11-23T10:00:00Z"
							contact(d)["id"] = contactID
						})
					}
					var events []string
					if tc.first {
						if d := f.deliver(t, event("lost-first", "lost-first")); d.Outcome != invitation.OutcomeInvited {
							t.Fatalf("the first event: %+v, want invited", d)
						}
						events = append(events, "lost-first")
					}

					// The racing delivery goes through the fault-free handler, from inside the
					// script, so it lands between this event's read and its write.
					var raced atomic.Bool
					var raceDecision Decision
					var raceErr error
					var lost atomic.Bool
					inj := fault.New(nil, fault.Config{Script: func(c fault.Call) fault.Kind {
						w := writeOf(c)
						if tc.raceAt != nil && tc.raceAt(w) && raced.CompareAndSwap(false, true) {
							var out any
							out, raceErr = f.h.Handle(context.Background(), event(tc.raceID, "lost-a"))
							raceDecision, _ = out.(Decision)
						}
						if tc.lose(w) && lost.CompareAndSwap(false, true) {
							return fault.TimeoutAfter
						}
						return fault.None
					}})
					db := dynamodb.New(f.st.DB.Options(), func(o *dynamodb.Options) {
						o.HTTPClient = &http.Client{Transport: inj}
						if !mode.sdkRetries {
							o.RetryMaxAttempts = 1
						}
					})
					faulty := store.New(db, f.st.Table)
					faulty.Now = f.st.Now
					h := &Handler{Store: faulty, Catalog: cat, DecisionTTL: f.h.DecisionTTL, InvitationTTL: f.h.InvitationTTL, Now: f.h.Now}

					d, failed := deliverUntilDecided(t, f, h, event("lost-a", "lost-a"))
					events = append(events, "lost-a")
					if n := inj.ByKind()[fault.TimeoutAfter]; n != 1 {
						t.Fatalf("%d answers lost, want 1 (the script never matched its write?)", n)
					}
					wantFailed := tc.failedWithout
					if mode.sdkRetries {
						wantFailed = tc.failedWithRetries
					}
					if len(failed) != wantFailed {
						t.Errorf("%d failed deliveries (%v), want %d", len(failed), failed, wantFailed)
					}
					for _, err := range failed {
						if !errors.Is(err, fault.ErrTimeout) {
							t.Errorf("a delivery failed with %v, want only the lost answer", err)
						}
					}
					if tc.raceAt != nil {
						if !raced.Load() || raceErr != nil || raceDecision.Outcome != tc.raceWant {
							t.Fatalf("the racing delivery of %s: %+v %v, want %q", tc.raceID, raceDecision, raceErr, tc.raceWant)
						}
						if tc.raceID != "lost-a" {
							events = append(events, tc.raceID)
						}
					}
					if d.Outcome != tc.want {
						t.Errorf("the event's decision %+v, want %q", d, tc.want)
					}

					// Two more events on other contacts try to fill the day past its cap.
					for i := range 2 {
						id := fmt.Sprintf("lost-next-%d", i)
						f.deliver(t, event(id, id))
						events = append(events, id)
					}
					checkDecisionTable(t, f, events, "lost-a", tc.want, tc.leftCounted)
				})
			}
		})
	}
}

// deliverUntilDecided delivers ev to h as EventBridge does: again after each failure, a minute
// later, until the handler answers. It returns the decision and the failed deliveries' errors.
func deliverUntilDecided(t *testing.T, f *fixture, h *Handler, ev json.RawMessage) (Decision, []error) {
	t.Helper()
	var failed []error
	for range 4 {
		out, err := h.Handle(context.Background(), ev)
		if err == nil {
			d, ok := out.(Decision)
			if !ok {
				t.Fatalf("EventBridge delivery answered %T, want Decision", out)
			}
			return d, failed
		}
		failed = append(failed, err)
		f.advance(time.Minute)
	}
	t.Fatalf("the event was not decided after %d deliveries: %v", len(failed), failed)
	return Decision{}, nil
}

// tableRow is the part of any item of the table the lost-write checks read.
type tableRow struct {
	PK         string `dynamodbav:"PK"`
	Kind       string `dynamodbav:"kind"`
	ID         string `dynamodbav:"id"`
	EventID    string `dynamodbav:"eventId"`
	ContactID  string `dynamodbav:"contactId"`
	Outcome    string `dynamodbav:"outcome"`
	ClaimEvent string `dynamodbav:"claimEvent"`
	N          int    `dynamodbav:"n"`
}

// checkDecisionTable reads the whole table, strongly consistent, and checks the touchpoint's
// guarantees for events (lostID is the event whose write answer was lost, decided want):
// one decision each, every invitation backed by its contact's claim and every claim by a stored
// invitation, and a cap counter that counts every invitation, at most leftCounted slots more,
// with no more invitations than the cap.
func checkDecisionTable(t *testing.T, f *fixture, events []string, lostID, want string, leftCounted int) {
	t.Helper()
	decisions := map[string][]tableRow{} // by eventId
	byKey := map[string]tableRow{}       // decisions by event key
	claims := map[string]string{}        // contact PK -> claimEvent
	counted := 0
	p := dynamodb.NewScanPaginator(f.st.DB, &dynamodb.ScanInput{TableName: aws.String(f.st.Table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var rows []tableRow
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &rows); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			switch r.Kind {
			case store.KindDecision, store.KindInvitation:
				decisions[r.EventID] = append(decisions[r.EventID], r)
				byKey[r.ID] = r
			case store.KindContact:
				claims[r.PK] = r.ClaimEvent
			case store.KindCap:
				counted += r.N
			}
		}
	}

	if len(decisions) != len(events) {
		t.Errorf("decisions for %d events, want %d (%v)", len(decisions), len(events), events)
	}
	invitations := 0
	for _, id := range events {
		ds := decisions[id]
		if len(ds) != 1 {
			t.Errorf("event %s has %d decisions, want 1: %+v", id, len(ds), ds)
			continue
		}
		d := ds[0]
		if d.PK != "EVENT#"+store.EventKey(id) {
			t.Errorf("event %s decided under %s", id, d.PK)
		}
		if id == lostID && d.Outcome != want {
			t.Errorf("event %s stored as %q, want %q", id, d.Outcome, want)
		}
		if d.Kind != store.KindInvitation {
			continue
		}
		invitations++
		if got := claims["CONTACT#"+d.ContactID]; got != d.ID {
			t.Errorf("invitation %s of contact %s stands on no claim: the contact's claim is %q", id, d.ContactID, got)
		}
	}
	for contactPK, claim := range claims {
		if claim == "" {
			continue
		}
		if inv, ok := byKey[claim]; !ok || inv.Kind != store.KindInvitation || "CONTACT#"+inv.ContactID != contactPK {
			t.Errorf("%s is claimed by %s, which is no stored invitation of the contact (%+v)", contactPK, claim, inv)
		}
	}
	if invitations > lostWriteCap {
		t.Errorf("%d invitations on a day capped at %d", invitations, lostWriteCap)
	}
	if counted < invitations || counted > invitations+leftCounted {
		t.Errorf("cap counter %d for %d invitations, want %d to %d", counted, invitations, invitations, invitations+leftCounted)
	}
}
