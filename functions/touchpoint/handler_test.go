package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/storetest"
	"github.com/cxloop/cxloop/shared/touchpoint"
	"github.com/cxloop/cxloop/shared/web"
)

var testNow = time.Date(2026, 11, 23, 10, 5, 0, 0, time.UTC)

type fixture struct {
	h     *Handler
	st    *store.Store
	clock time.Time
	mu    sync.Mutex
}

func newFixture(t *testing.T, cat *catalog.Catalog) *fixture {
	t.Helper()
	st := storetest.New(t)
	f := &fixture{st: st, clock: testNow}
	now := func() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.clock }
	st.Now = now
	if cat == nil {
		cat = catalog.MustShipped()
	}
	f.h = &Handler{Store: st, Catalog: cat, DecisionTTL: 90 * 24 * time.Hour, InvitationTTL: 400 * 24 * time.Hour, Now: now}
	return f
}

func (f *fixture) advance(d time.Duration) { f.mu.Lock(); f.clock = f.clock.Add(d); f.mu.Unlock() }

// sampleEvent is events/touchpoint-eventbridge.json, the event `make invoke` uses, with edits.
func sampleEvent(t *testing.T, edit func(d map[string]any)) json.RawMessage {
	t.Helper()
	raw, err := os.ReadFile("../../events/touchpoint-eventbridge.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(ev["detail"].(map[string]any))
	}
	out, _ := json.Marshal(ev)
	return out
}

func contact(d map[string]any) map[string]any { return d["contact"].(map[string]any) }

func (f *fixture) deliver(t *testing.T, raw json.RawMessage) Decision {
	t.Helper()
	out, err := f.h.Handle(context.Background(), raw)
	if err != nil {
		t.Fatalf("handle: %v", err)
	}
	d, ok := out.(Decision)
	if !ok {
		t.Fatalf("EventBridge delivery answered %T, want Decision", out)
	}
	return d
}

// invitations counts the invitation items of a contact, whatever the decisions say.
func (f *fixture) invitations(t *testing.T, contactID string) int {
	t.Helper()
	ds, err := f.st.DecisionsForContact(context.Background(), contactID, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range ds {
		if d.Invited() {
			n++
		}
	}
	return n
}

func TestTheSameEventDeliveredThreeTimesGivesOneDecisionAndOneInvitation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ev := sampleEvent(t, func(d map[string]any) { contact(d)["id"] = "cust-sampled-in-3x" })
	ds := make([]Decision, 3)
	var wg sync.WaitGroup
	for i := range ds {
		wg.Add(1)
		go func() { defer wg.Done(); ds[i] = f.deliver(t, ev) }()
	}
	wg.Wait()
	again := f.deliver(t, ev)
	for _, d := range append(ds, again) {
		if d != ds[0] && !(d.Outcome == ds[0].Outcome && d.InvitationID == ds[0].InvitationID) {
			t.Fatalf("deliveries disagree: %+v vs %+v", d, ds[0])
		}
	}
	if ds[0].Outcome != invitation.OutcomeInvited && ds[0].Outcome != invitation.OutcomeSampledOut {
		t.Fatalf("outcome %q", ds[0].Outcome)
	}
	want := 0
	if ds[0].Outcome == invitation.OutcomeInvited {
		want = 1
	}
	if n := f.invitations(t, "cust-sampled-in-3x"); n != want {
		t.Fatalf("%d invitations, want %d", n, want)
	}
}

// sampledIn finds a contact id inside the survey's sample, so tests of other rules are not
// decided by sampling.
func sampledIn(t *testing.T, prefix string, in bool) string {
	t.Helper()
	cat := catalog.MustShipped()
	s, r, _ := cat.Match("order.delivered")
	for i := 0; i < 1000; i++ {
		id := fmt.Sprintf("%s-%d", prefix, i)
		if catalog.Sampled(r.SampleRate, id, s.ID) == in {
			return id
		}
	}
	t.Fatal("no contact id found")
	return ""
}

func TestTwoEventsRacingForOneContactInviteOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	who := sampledIn(t, "racer", true)
	ds := make([]Decision, 2)
	var wg sync.WaitGroup
	for i := range ds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ds[i] = f.deliver(t, sampleEvent(t, func(d map[string]any) {
				d["eventId"] = fmt.Sprintf("race-%d", i)
				d["occurredAt"] = fmt.Sprintf("2026-11-23T10:00:0%dZ", i)
				contact(d)["id"] = who
			}))
		}()
	}
	wg.Wait()
	outcomes := map[string]int{}
	for _, d := range ds {
		outcomes[d.Outcome]++
	}
	if outcomes[invitation.OutcomeInvited] != 1 || outcomes[invitation.OutcomeQuietPeriod] != 1 {
		t.Fatalf("outcomes %v, want one invited and one quiet-period", outcomes)
	}
	if n := f.invitations(t, who); n != 1 {
		t.Fatalf("%d invitations, want 1", n)
	}
}

const tinyCapCatalog = `
version: "test-cap"
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
        quietPeriod: 0s
        dailyCap: 2
        linkExpiry: 1d
`

func TestEachSkipReasonIsRecordedAsTheEventsDecision(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	put := func(pk, sk string, extra map[string]types.AttributeValue) {
		item := map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: sk}}
		for k, v := range extra {
			item[k] = v
		}
		if _, err := f.st.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.st.Table), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	put("SUPPRESS#"+store.AddressHash("blocked@example.com"), "SUPPRESS", nil)
	put("OPTOUT#"+store.AddressHash("optedout@example.com"), "OPTOUT", nil) // unsubscribed under another contact id
	put("CONTACT#gone", "STATE", map[string]types.AttributeValue{"unsubscribedAt": &types.AttributeValueMemberS{Value: testNow.Add(-time.Hour).Format(time.RFC3339)}})

	quietContact := sampledIn(t, "quiet", true)
	first := f.deliver(t, sampleEvent(t, func(d map[string]any) { d["eventId"] = "quiet-first"; contact(d)["id"] = quietContact }))
	if first.Outcome != invitation.OutcomeInvited {
		t.Fatalf("first event for %s: %+v", quietContact, first)
	}

	tests := []struct {
		name string
		edit func(d map[string]any)
		want string
	}{
		{"a touchpoint no survey listens to is no-rule", func(d map[string]any) { d["touchpoint"] = "invoice.paid" }, invitation.OutcomeNoRule},
		{"a contact outside the sample is sampled-out", func(d map[string]any) { contact(d)["id"] = sampledIn(t, "out", false) }, invitation.OutcomeSampledOut},
		{"a second touchpoint inside the quiet period is quiet-period", func(d map[string]any) {
			contact(d)["id"] = quietContact
			d["occurredAt"] = "2026-11-23T10:01:00Z"
		}, invitation.OutcomeQuietPeriod},
		{"the same touchpoint under a new eventId is duplicate", func(d map[string]any) { contact(d)["id"] = quietContact }, invitation.OutcomeDuplicate},
		{"a suppressed address is suppressed", func(d map[string]any) {
			contact(d)["id"] = sampledIn(t, "supp", true)
			contact(d)["email"] = "Blocked@example.com"
		}, invitation.OutcomeSuppressed},
		{"an unsubscribed contact is unsubscribed", func(d map[string]any) { contact(d)["id"] = "gone" }, invitation.OutcomeUnsubscribed},
		{"an address that opted out under another contact id is unsubscribed", func(d map[string]any) {
			contact(d)["id"] = sampledIn(t, "optout", true)
			contact(d)["email"] = "OptedOut@Example.com"
		}, invitation.OutcomeUnsubscribed},
		{"an event without a contact email is invalid", func(d map[string]any) { delete(contact(d), "email") }, invitation.OutcomeInvalid},
		{"an event with a bad address is invalid", func(d map[string]any) { contact(d)["email"] = "Ana Pérez <ana@example.com>" }, invitation.OutcomeInvalid},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eventID := fmt.Sprintf("skip-%d", i)
			d := f.deliver(t, sampleEvent(t, func(d map[string]any) { d["eventId"] = eventID; tc.edit(d) }))
			if d.Outcome != tc.want || !d.Recorded || d.Detail == "" {
				t.Fatalf("decision %+v, want recorded %q with a detail", d, tc.want)
			}
			stored, err := f.st.GetInvitation(ctx, store.EventKey(eventID))
			if err != nil {
				t.Fatalf("decision not queryable by event: %v", err)
			}
			if stored.Outcome != tc.want || stored.Invited() {
				t.Fatalf("stored %q invited=%v, want %q", stored.Outcome, stored.Invited(), tc.want)
			}
			// An invalid decision is filed under no contact, so export and erase cannot reach it:
			// it must hold no personal data, not even in its reason.
			if tc.want == invitation.OutcomeInvalid {
				if stored.ContactID != "" || stored.Email != "" || stored.Name != "" || strings.Contains(stored.Detail, "ana@") || strings.Contains(stored.Detail, "Pérez") {
					t.Fatalf("an invalid decision keeps personal data: contact %q email %q name %q detail %q", stored.ContactID, stored.Email, stored.Name, stored.Detail)
				}
			}
		})
	}

	t.Run("a survey past its daily cap is daily-cap", func(t *testing.T) {
		cat, err := catalog.Load([]byte(tinyCapCatalog))
		if err != nil {
			t.Fatal(err)
		}
		capped := newFixture(t, cat)
		var got []string
		for i := range 3 {
			d := capped.deliver(t, sampleEvent(t, func(d map[string]any) {
				d["eventId"] = fmt.Sprintf("cap-%d", i)
				contact(d)["id"] = fmt.Sprintf("cap-contact-%d", i)
			}))
			got = append(got, d.Outcome)
		}
		if strings.Join(got, ",") != "invited,invited,daily-cap" {
			t.Fatalf("outcomes %v, want invited, invited, daily-cap", got)
		}
	})
}

func TestDecisionsAreQueryablePerContactAndPerEvent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	who := sampledIn(t, "history", true)
	for i, occurred := range []string{"2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z"} {
		f.deliver(t, sampleEvent(t, func(d map[string]any) {
			d["eventId"] = fmt.Sprintf("hist-%d", i)
			d["occurredAt"] = occurred
			contact(d)["id"] = who
		}))
	}
	ds, err := f.st.DecisionsForContact(context.Background(), who, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].EventID != "hist-1" || ds[1].EventID != "hist-0" {
		t.Fatalf("contact history %+v, want hist-1 then hist-0", ds)
	}
	inv, err := f.st.GetInvitation(context.Background(), store.EventKey("hist-0"))
	if err != nil || inv.Outcome != invitation.OutcomeInvited || inv.Locale != "es" || inv.Segments["region"] != "eu" {
		t.Fatalf("event hist-0: %+v %v", inv, err)
	}
	if want := time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC); !inv.DueAt.Equal(want) {
		t.Fatalf("due %v, want %v (occurredAt 09:00 + the rule's 2h delay)", inv.DueAt, want)
	}
	if want := inv.DueAt.Add(14 * 24 * time.Hour); !inv.LinkExpiresAt.Equal(want) {
		t.Fatalf("link expires %v, want %v (due + 14d)", inv.LinkExpiresAt, want)
	}
}

func renamed(body, eventID string) string {
	return strings.Replace(body, `"p-1"`, `"`+eventID+`"`, 1)
}

func TestPostTouchpoints(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	producer, err := f.st.CreateAPIToken(ctx, access.Producer, "test producer")
	if err != nil {
		t.Fatal(err)
	}
	viewer, _ := f.st.CreateAPIToken(ctx, access.Viewer, "test viewer")
	raw, err := os.ReadFile("../../events/touchpoint-api-batch.json")
	if err != nil {
		t.Fatal(err)
	}
	var sample web.Request
	if err := json.Unmarshal(raw, &sample); err != nil {
		t.Fatal(err)
	}
	valid := `{"eventId":"p-1","touchpoint":"support.case.closed","occurredAt":"2026-11-23T10:00:00Z","contact":{"id":"p1","email":"p1@example.com"}}`
	var many []string
	for i := range 101 {
		many = append(many, strings.Replace(valid, `"p-1"`, fmt.Sprintf(`"p-many-%d"`, i), 1))
	}
	tests := []struct {
		name       string
		token      string
		body       string
		wantStatus int
		wantInBody string
	}{
		{"the sample batch is accepted with one decision per event", producer, sample.Body, http.StatusAccepted, `"outcome":"invited"`},
		{"a single object is accepted", producer, valid, http.StatusAccepted, `"eventId":"p-1"`},
		{"no token is 401", "", valid, http.StatusUnauthorized, "producer token"},
		{"a viewer token is 403", viewer, valid, http.StatusForbidden, "may not"},
		{"a made-up token is 401", "cx_" + strings.Repeat("0", 64), valid, http.StatusUnauthorized, "producer token"},
		{"a missing contact email names the field", producer, renamed(strings.Replace(valid, `"email":"p1@example.com"`, `"name":"x"`, 1), "p-2"), http.StatusAccepted, "contact.email: required"},
		{"a bad time names the field", producer, renamed(strings.Replace(valid, "2026-11-23T10:00:00Z", "tomorrow", 1), "p-3"), http.StatusAccepted, `occurredAt: \"tomorrow\" is not an RFC 3339 time`},
		{"an unknown field names itself", producer, renamed(strings.Replace(valid, `"eventId"`, `"colour":"red","eventId"`, 1), "p-4"), http.StatusAccepted, "colour"},
		{"an event without an eventId is invalid and not recorded", producer, strings.Replace(valid, `"eventId":"p-1",`, "", 1), http.StatusAccepted, `"recorded":false`},
		{"a batch of 101 is refused", producer, "[" + strings.Join(many, ",") + "]", http.StatusBadRequest, "at most 100"},
		{"an empty array is refused", producer, "[]", http.StatusBadRequest, "empty batch"},
		{"not JSON is refused", producer, "eventId=1", http.StatusBadRequest, "JSON"},
		{"a malformed JSON object is refused like other bodies that are not JSON", producer, `{"eventId":"p-5","touchpoint":`, http.StatusBadRequest, "JSON"},
		{"a malformed element in a batch refuses the batch", producer, "[" + valid + `,{"eventId":]`, http.StatusBadRequest, "JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := sample
			req.Headers = map[string]string{"content-type": "application/json"}
			if tc.token != "" {
				req.Headers["authorization"] = "Bearer " + tc.token
			}
			req.Body = tc.body
			resp := f.h.HTTP(ctx, req)
			if resp.StatusCode != tc.wantStatus || !strings.Contains(resp.Body, tc.wantInBody) {
				t.Fatalf("status %d body %s, want %d containing %q", resp.StatusCode, resp.Body, tc.wantStatus, tc.wantInBody)
			}
		})
	}
	for _, id := range []string{"p1"} {
		ds, _ := f.st.DecisionsForContact(ctx, id, 10)
		for _, d := range ds {
			if d.Invited() && d.EventID != "p-1" {
				t.Fatalf("an invalid or refused event created invitation %s", d.EventID)
			}
		}
	}
	for i := range 101 {
		if _, err := f.st.GetInvitation(ctx, store.EventKey(fmt.Sprintf("p-many-%d", i))); err == nil {
			t.Fatalf("a refused batch recorded event p-many-%d", i)
		}
	}
}

// A delivery that claimed the contact and stopped before storing its invitation (a crash, a
// timeout) leaves the claim marked with its event: the retry finds its own claim and invites,
// while any other event for the contact still meets the quiet period.
func TestARetryFinishesTheInvitationItsFirstDeliveryClaimed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	who := sampledIn(t, "crashed", true)
	ev := sampleEvent(t, func(d map[string]any) { d["eventId"] = "crash-1"; contact(d)["id"] = who })
	if d := f.deliver(t, ev); d.Outcome != invitation.OutcomeInvited {
		t.Fatalf("first delivery: %+v", d)
	}
	// What a crash between the contact claim and the invitation leaves: the claim only.
	if _, err := f.st.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(f.st.Table),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "EVENT#" + store.EventKey("crash-1")}, "SK": &types.AttributeValueMemberS{Value: "EVENT"}}}); err != nil {
		t.Fatal(err)
	}
	f.advance(time.Minute)
	if d := f.deliver(t, ev); d.Outcome != invitation.OutcomeInvited {
		t.Fatalf("the retry of the claiming event: %+v, want invited", d)
	}
	other := f.deliver(t, sampleEvent(t, func(d map[string]any) {
		d["eventId"] = "crash-2"
		d["occurredAt"] = "2026-11-23T10:02:00Z"
		contact(d)["id"] = who
	}))
	if other.Outcome != invitation.OutcomeQuietPeriod {
		t.Fatalf("another event for the contact: %+v, want quiet-period", other)
	}
	if n := f.invitations(t, who); n != 1 {
		t.Fatalf("%d invitations, want 1", n)
	}
}

// When the cap fills between the rules' read and the writes, the invitation stops at its first
// write, the cap slot: the contact keeps its quiet-period state untouched.
func TestAFullCapLeavesTheContactUntouched(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	earlier := store.FormatTime(testNow.Add(-40 * 24 * time.Hour))
	contactItem := map[string]types.AttributeValue{"PK": s("CONTACT#cap-undo"), "SK": s("STATE"),
		"lastInviteAt": s(earlier), "last_capped": s(earlier), "fp_capped": s("older"), "claimEvent": s("EVENT-OLDER")}
	slot := store.NewCapShard("capped", 4, testNow, "cap-undo-event")
	full := map[string]types.AttributeValue{"PK": s(fmt.Sprintf("CAP#capped#%s#%02d", slot.Day, slot.Shard)), "SK": s("CAP"),
		"n": &types.AttributeValueMemberN{Value: fmt.Sprint(slot.Limit)}}
	for _, it := range []map[string]types.AttributeValue{contactItem, full} {
		if _, err := f.st.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.st.Table), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	inv := &store.Invitation{ID: "cap-undo-event", EventID: "cap-undo-event", ContactID: "cap-undo", Email: "cap@example.com",
		Survey: "capped", OccurredAt: testNow, DecidedAt: testNow, DueAt: testNow, Outcome: invitation.OutcomeInvited}
	_, err := f.st.Invite(ctx, inv, store.InviteClaim{Fingerprint: "newer", Cap: &slot})
	if !errors.Is(err, invitation.ErrDailyCap) {
		t.Fatalf("Invite with a full cap: %v, want ErrDailyCap", err)
	}
	out, err := f.st.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(f.st.Table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": s("CONTACT#cap-undo"), "SK": s("STATE")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"lastInviteAt", "last_capped", "fp_capped", "claimEvent"} {
		got, _ := out.Item[a].(*types.AttributeValueMemberS)
		want := contactItem[a].(*types.AttributeValueMemberS)
		if got == nil || got.Value != want.Value {
			t.Errorf("contact %s = %v after a full cap, want %q", a, got, want.Value)
		}
	}
	if _, err := f.st.GetInvitation(ctx, "cap-undo-event"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an invitation was stored: %v", err)
	}
}

// capCount reads the counter of the daily-cap shard eventKey's invitation counts against.
func capCount(t *testing.T, f *fixture, survey string, dailyCap int, eventKey string) int {
	t.Helper()
	slot := store.NewCapShard(survey, dailyCap, testNow, eventKey)
	out, err := f.st.DB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(f.st.Table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: fmt.Sprintf("CAP#%s#%s#%02d", survey, slot.Day, slot.Shard)},
			"SK": &types.AttributeValueMemberS{Value: "CAP"}}})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := out.Item["n"].(*types.AttributeValueMemberN)
	if n == nil {
		return 0
	}
	v, _ := strconv.Atoi(n.Value)
	return v
}

// A delivery that took the cap's last slot and claimed the contact, then died before storing its
// invitation, is retried: the retry finds its own claim standing on its own slot, takes no second
// slot, and invites. The next event finds the cap full.
func TestARetryAtAFullCapFinishesItsInvitation(t *testing.T) {
	t.Parallel()
	f, _, event := crashedAtAFullCap(t, "edge")
	if d := f.deliver(t, event(1)); d.Outcome != invitation.OutcomeInvited {
		t.Fatalf("the retry of the event that took the last slot: %+v, want invited", d)
	}
	if n := capCount(t, f, "capped", 2, store.EventKey("edge-1")); n != 2 {
		t.Fatalf("cap counter %d after the retry, want 2 (no second slot)", n)
	}
	if d := f.deliver(t, event(2)); d.Outcome != invitation.OutcomeDailyCap {
		t.Fatalf("the next event: %+v, want daily-cap", d)
	}
	if n := f.invitations(t, "edge-contact-1"); n != 1 {
		t.Fatalf("%d invitations, want 1", n)
	}
}

// crashedAtAFullCap fills the tiny catalog's cap of 2 with events <prefix>-0 and <prefix>-1, then
// deletes the second's invitation: what a crash after its slot and claim, before its put, leaves.
// It returns the fixture, the catalog and the events by number.
func crashedAtAFullCap(t *testing.T, prefix string) (*fixture, *catalog.Catalog, func(int) json.RawMessage) {
	t.Helper()
	cat, err := catalog.Load([]byte(tinyCapCatalog))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, cat)
	event := func(i int) json.RawMessage {
		return sampleEvent(t, func(d map[string]any) {
			d["eventId"] = fmt.Sprintf("%s-%d", prefix, i)
			contact(d)["id"] = fmt.Sprintf("%s-contact-%d", prefix, i)
		})
	}
	for i := range 2 {
		if d := f.deliver(t, event(i)); d.Outcome != invitation.OutcomeInvited {
			t.Fatalf("event %d: %+v", i, d)
		}
	}
	if _, err := f.st.DB.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(f.st.Table),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "EVENT#" + store.EventKey(prefix+"-1")},
			"SK": &types.AttributeValueMemberS{Value: "EVENT"}}}); err != nil {
		t.Fatal(err)
	}
	return f, cat, event
}

// A slot taken by a delivery that then loses the contact's quiet period (another invitation
// claimed it in between) is given back; concurrent duplicates of one event make one invitation,
// and the counter never falls behind the invitations.
func TestALostClaimGivesItsSlotBackAndDuplicatesNeverUndercount(t *testing.T) {
	t.Parallel()
	cat, err := catalog.Load([]byte(tinyCapCatalog))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, cat)
	ctx := context.Background()
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	recent := store.FormatTime(testNow.Add(-time.Minute))
	if _, err := f.st.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.st.Table), Item: map[string]types.AttributeValue{
		"PK": s("CONTACT#quiet-lost"), "SK": s("STATE"), "lastInviteAt": s(recent), "claimEvent": s("EVENT-OTHER")}}); err != nil {
		t.Fatal(err)
	}
	slot := store.NewCapShard("capped", 2, testNow, "quiet-lost-event")
	inv := &store.Invitation{ID: "quiet-lost-event", EventID: "quiet-lost-event", ContactID: "quiet-lost", Email: "q@example.com",
		Survey: "capped", OccurredAt: testNow, DecidedAt: testNow, DueAt: testNow, Outcome: invitation.OutcomeInvited}
	_, err = f.st.Invite(ctx, inv, store.InviteClaim{GlobalQuiet: 24 * time.Hour, Fingerprint: "fp", Cap: &slot})
	if !errors.Is(err, invitation.ErrQuietPeriod) {
		t.Fatalf("Invite against a recent claim: %v, want ErrQuietPeriod", err)
	}
	if n := capCount(t, f, "capped", 2, "quiet-lost-event"); n != 0 {
		t.Fatalf("cap counter %d after a lost claim, want 0", n)
	}

	// Duplicates below the cap (at its very edge they can take each other's slots for a moment;
	// docs/CONTRACTS.md 7).
	f = newFixture(t, nil)
	who := sampledIn(t, "dup-contact", true)
	ev := sampleEvent(t, func(d map[string]any) { d["eventId"] = "dup-burst"; contact(d)["id"] = who })
	ds := make([]Decision, 4)
	var wg sync.WaitGroup
	for i := range ds {
		wg.Add(1)
		go func() { defer wg.Done(); ds[i] = f.deliver(t, ev) }()
	}
	wg.Wait()
	if n := f.invitations(t, who); n != 1 {
		t.Fatalf("%d invitations, want 1 (%+v)", n, ds)
	}
	// A duplicate that loses the put keeps its slot: which slot backs the invitation cannot be
	// told, so the counter may run ahead of the invitations (cap reached early), never behind.
	if n := capCount(t, f, "nps-relationship", 20000, store.EventKey("dup-burst")); n < 1 || n > len(ds) {
		t.Fatalf("cap counter %d after %d concurrent deliveries of one event, want 1 to %d", n, len(ds), len(ds))
	}
}

// A retry whose rules read was stale (it did not see its own earlier claim, so it tries to take a
// slot) finds the cap full of its own slot: the store checks the contact's claim strongly
// consistent and finishes the invitation instead of recording daily-cap.
func TestAStaleRetryAtAFullCapChecksItsOwnClaim(t *testing.T) {
	t.Parallel()
	f, cat, raw := crashedAtAFullCap(t, "stale")
	ctx := context.Background()
	key := store.EventKey("stale-1")
	// The decision a stale read gives: invite, taking a slot.
	var ev touchpoint.Event
	var env struct{ Detail json.RawMessage }
	if err := json.Unmarshal(raw(1), &env); err != nil || json.Unmarshal(env.Detail, &ev) != nil {
		t.Fatalf("event: %v", err)
	}
	d := invitation.Decide(cat, invitation.Touchpoint{Event: ev, Key: key, Shard: store.Shard(key)}, invitation.State{}, testNow)
	if d.Invite == nil || d.Invite.CapTaken {
		t.Fatalf("decision %+v, want an invitation that takes a slot", d)
	}
	rec := &store.Invitation{ID: key, EventID: "stale-1", Touchpoint: ev.Touchpoint, ContactID: ev.Contact.ID, Email: ev.Contact.Email,
		DecidedAt: testNow, CatalogVersion: cat.Version}
	got, err := f.st.SaveDecision(ctx, rec, d, store.Retention{Decision: 24 * time.Hour, Invitation: 24 * time.Hour})
	if err != nil || got.Outcome != invitation.OutcomeInvited {
		t.Fatalf("save after a stale read: %+v %v, want invited", got, err)
	}
	if n := capCount(t, f, "capped", 2, key); n != 2 {
		t.Fatalf("cap counter %d, want 2", n)
	}
	if got.ContactID != "stale-contact-1" {
		t.Fatalf("stored %+v", got)
	}
}
