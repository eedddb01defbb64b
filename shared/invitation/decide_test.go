package invitation

import (
	"errors"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/touchpoint"
)

var now = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// event is a valid order.delivered touchpoint an hour ago; nps-relationship samples 0.5, and
// contact c-3 is inside that sample, c-1 outside (catalog.Sampled is deterministic).
func event(contact string) touchpoint.Event {
	return touchpoint.Event{
		EventID: "ev-1", Touchpoint: "order.delivered", OccurredAt: now.Add(-time.Hour).Format(time.RFC3339),
		Contact:    touchpoint.Contact{ID: contact, Email: contact + "@example.com", Locale: "es-MX"},
		Attributes: map[string]any{"plan": "pro", "orderId": "A-1"},
	}
}

func at(d time.Duration) time.Time { return now.Add(d) }

func TestDecideAppliesTheRulesInOrder(t *testing.T) {
	t.Parallel()
	cat := catalog.MustShipped()
	fp := "order.delivered@" + now.Add(-time.Hour).Format(time.RFC3339)
	unsub := at(-time.Hour)
	cases := []struct {
		name    string
		ev      touchpoint.Event
		decode  error
		state   State
		outcome string
		detail  string
	}{
		{name: "a sampled contact with no history is invited", ev: event("c-3"), outcome: OutcomeInvited},
		{name: "a contact outside the sample is sampled out", ev: event("c-1"), outcome: OutcomeSampledOut, detail: "outside the 0.5 sample"},
		{name: "an event that failed to decode is invalid with the decoder's reason", ev: event("c-3"), decode: errors.New("attributes: not an object"),
			outcome: OutcomeInvalid, detail: "attributes: not an object"},
		{name: "an event without a contact is invalid and names the field", ev: func() touchpoint.Event { e := event("c-3"); e.Contact.ID = ""; return e }(),
			outcome: OutcomeInvalid, detail: "contact.id: required"},
		{name: "a touchpoint no survey has a rule for is no-rule", ev: func() touchpoint.Event { e := event("c-3"); e.Touchpoint = "cart.abandoned"; return e }(),
			outcome: OutcomeNoRule, detail: "no survey has a rule for cart.abandoned"},
		{name: "the same touchpoint already invited is a duplicate", ev: event("c-3"),
			state:   State{Contact: Contact{Fingerprints: map[string]string{"nps-relationship": fp}}},
			outcome: OutcomeDuplicate, detail: "already invited for " + fp},
		{name: "a suppressed address is skipped before an unsubscribe", ev: event("c-3"), state: State{Suppressed: true, OptedOut: true, Contact: Contact{UnsubscribedAt: &unsub}},
			outcome: OutcomeSuppressed, detail: "address is on the suppression list"},
		{name: "an unsubscribed contact is skipped", ev: event("c-3"), state: State{Contact: Contact{UnsubscribedAt: &unsub}},
			outcome: OutcomeUnsubscribed, detail: "contact unsubscribed"},
		{name: "an address opted out under another contact id is skipped as unsubscribed", ev: event("c-3"), state: State{OptedOut: true},
			outcome: OutcomeUnsubscribed, detail: "address opted out (under another contact id)"},
		{name: "an invitation to anything within the global quiet period (48h) quiets the contact", ev: event("c-3"),
			state:   State{Contact: Contact{LastInviteAt: at(-47 * time.Hour)}},
			outcome: OutcomeQuietPeriod, detail: "quiet until " + at(time.Hour).Format(time.RFC3339)},
		{name: "the global quiet period ends on time", ev: event("c-3"), state: State{Contact: Contact{LastInviteAt: at(-48 * time.Hour)}}, outcome: OutcomeInvited},
		{name: "the survey's own quiet period (90d) outlasts the global one", ev: event("c-3"),
			state:   State{Contact: Contact{LastInviteAt: at(-80 * 24 * time.Hour), LastBySurvey: map[string]time.Time{"nps-relationship": at(-80 * 24 * time.Hour)}}},
			outcome: OutcomeQuietPeriod, detail: "quiet until " + at(10*24*time.Hour).Format(time.RFC3339)},
		{name: "another survey's invitation only counts for the global period", ev: event("c-3"),
			state:   State{Contact: Contact{LastInviteAt: at(-3 * 24 * time.Hour), LastBySurvey: map[string]time.Time{"csat-support": at(-3 * 24 * time.Hour)}}},
			outcome: OutcomeInvited},
		{name: "a full cap counter (20000 over 16 counters: 1250 each) is a daily cap", ev: event("c-3"), state: State{CapUsed: 1250},
			outcome: OutcomeDailyCap, detail: "daily cap of 20000 reached"},
		{name: "a counter with room left invites", ev: event("c-3"), state: State{CapUsed: 1249}, outcome: OutcomeInvited},
		{name: "the daily cap is checked before sampling", ev: event("c-1"), state: State{CapUsed: 1250}, outcome: OutcomeDailyCap, detail: "daily cap of 20000 reached"},
		{name: "a retry whose earlier delivery took the last slot and claimed the contact invites", ev: event("c-3"),
			state: State{CapUsed: 1250, Claimed: true}, outcome: OutcomeInvited},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := Decide(cat, Touchpoint{Event: c.ev, DecodeErr: c.decode, Key: "k", Shard: 3}, c.state, now)
			if d.Outcome != c.outcome || d.Detail != c.detail {
				t.Fatalf("decision %q (%q), want %q (%q)", d.Outcome, d.Detail, c.outcome, c.detail)
			}
			if (d.Invite != nil) != (c.outcome == OutcomeInvited) {
				t.Fatalf("invite %v for outcome %s", d.Invite, d.Outcome)
			}
			if d.Invite != nil && d.Invite.CapTaken != c.state.Claimed {
				t.Fatalf("cap taken %v, want %v (a retry of a claimed event takes no second slot)", d.Invite.CapTaken, c.state.Claimed)
			}
			if c.outcome == OutcomeInvalid && (!d.Invalid || d.Survey != "" || !d.OccurredAt.Equal(now)) {
				t.Fatalf("an invalid decision must be filed at now under no survey: %+v", d)
			}
			if c.outcome != OutcomeInvalid && c.outcome != OutcomeNoRule && d.Survey != "nps-relationship" {
				t.Fatalf("survey %q", d.Survey)
			}
		})
	}
}

func TestAnInvitationCarriesItsClaimsAndSchedule(t *testing.T) {
	t.Parallel()
	cat := catalog.MustShipped()
	d := Decide(cat, Touchpoint{Event: event("c-3"), Key: "k", Shard: 21}, State{}, now)
	i := d.Invite
	if i == nil {
		t.Fatalf("not invited: %+v", d)
	}
	occurred := now.Add(-time.Hour)
	want := Invite{
		Fingerprint: "order.delivered@" + occurred.Format(time.RFC3339), GlobalQuiet: 48 * time.Hour, SurveyQuiet: 90 * 24 * time.Hour,
		DailyCap: 20000, Cap: CapSlot{Survey: "nps-relationship", Day: "2026-12-04", Shard: 5, Limit: 1250},
		Locale: "es", DueAt: occurred.Add(2 * time.Hour), LinkExpiresAt: occurred.Add(2*time.Hour + 14*24*time.Hour),
	}
	if i.Fingerprint != want.Fingerprint || i.GlobalQuiet != want.GlobalQuiet || i.SurveyQuiet != want.SurveyQuiet ||
		i.DailyCap != want.DailyCap || i.Cap != want.Cap || i.Locale != want.Locale || !i.DueAt.Equal(want.DueAt) || !i.LinkExpiresAt.Equal(want.LinkExpiresAt) {
		t.Fatalf("invite\n%+v\nwant\n%+v", *i, want)
	}
	if i.ReminderDueAt == nil || !i.ReminderDueAt.Equal(want.DueAt.Add(3*24*time.Hour)) {
		t.Fatalf("reminder %v", i.ReminderDueAt)
	}
	if i.Segments["plan"] != "pro" || i.Context["orderId"] != "A-1" || !d.OccurredAt.Equal(occurred) {
		t.Fatalf("segments %v context %v occurred %v", i.Segments, i.Context, d.OccurredAt)
	}

	old := event("c-3")
	old.OccurredAt = now.Add(-30 * time.Hour).Format(time.RFC3339)
	if d := Decide(cat, Touchpoint{Event: old}, State{}, now); !d.Invite.DueAt.Equal(now) {
		t.Fatalf("a touchpoint older than its delay is due now, not %v", d.Invite.DueAt)
	}
}

func TestSlotSpreadsOnlyLargeCaps(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		cap   int
		shard int
		want  CapSlot
	}{
		{"a small cap is one counter", 159, 7, CapSlot{Survey: "s", Day: "2026-12-04", Shard: 0, Limit: 159}},
		{"a cap of ten per counter is spread over 16", 160, 7, CapSlot{Survey: "s", Day: "2026-12-04", Shard: 7, Limit: 10}},
		{"the shard wraps", 5000, 21, CapSlot{Survey: "s", Day: "2026-12-04", Shard: 5, Limit: 312}},
	}
	for _, c := range cases {
		if got := Slot("s", c.cap, now.Add(11*time.Hour), c.shard); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestALostClaimIsRecordedAsTheSkipItLostTo(t *testing.T) {
	t.Parallel()
	d := Decide(catalog.MustShipped(), Touchpoint{Event: event("c-3")}, State{}, now)
	cases := []struct {
		err     error
		outcome string
		detail  string
		ok      bool
	}{
		{ErrQuietPeriod, OutcomeQuietPeriod, "another invitation claimed the quiet period", true},
		{ErrDailyCap, OutcomeDailyCap, "daily cap of 20000 reached", true},
		{errors.New("throttled"), OutcomeInvited, "", false},
		{nil, OutcomeInvited, "", false},
	}
	for _, c := range cases {
		got, ok := d.Lost(c.err)
		if ok != c.ok || got.Outcome != c.outcome || got.Detail != c.detail || (ok && (got.Invite != nil || got.Survey != "nps-relationship")) {
			t.Errorf("Lost(%v) = %+v %v", c.err, got, ok)
		}
	}
}

func TestReadsOfAnInvalidEventReadNothing(t *testing.T) {
	t.Parallel()
	cat := catalog.MustShipped()
	bad := event("c-3")
	bad.OccurredAt = "yesterday"
	if _, ok := ReadsOf(cat, Touchpoint{Event: bad}, now); ok {
		t.Fatal("an invalid event's fields must not be read as keys")
	}
	r, ok := ReadsOf(cat, Touchpoint{Event: event("c-3"), Shard: 2}, now)
	if !ok || r.ContactID != "c-3" || r.Email != "c-3@example.com" || r.Cap == nil || r.Cap.Shard != 2 {
		t.Fatalf("reads %+v %v", r, ok)
	}
	nr := event("c-3")
	nr.Touchpoint = "cart.abandoned"
	if r, ok := ReadsOf(cat, Touchpoint{Event: nr}, now); !ok || r.Cap != nil {
		t.Fatalf("no rule reads no cap: %+v", r)
	}
}
