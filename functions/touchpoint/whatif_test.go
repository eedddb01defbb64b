package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/cxloop/cxloop"
	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/cost"
	"github.com/cxloop/cxloop/shared/store/tablescan"
	"github.com/cxloop/cxloop/shared/whatif"
)

// replayCatalog is the shipped catalog with small daily caps, so the recorded history has
// daily-cap skips on one counter (csat-support, 25 a day) and on 16 counters (ces-onboarding,
// 160 a day: 10 per counter).
func replayCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Load(cxloop.SurveysYAML)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cat.Surveys {
		for j := range cat.Surveys[i].Touchpoints {
			switch r := &cat.Surveys[i].Touchpoints[j]; r.Event {
			case "support.case.closed":
				r.DailyCap = 25
			case "onboarding.completed":
				r.DailyCap = 160
			}
		}
	}
	return cat
}

// TestReplayingTheUnchangedCatalogReproducesEveryRecordedDecision drives 3,000 generated
// touchpoints through the real handler on DynamoDB Local over six days (every outcome: invited,
// sampled out, quiet periods, both kinds of daily cap, duplicates, no rule, invalid, opt-outs,
// suppressions, unsubscribes, redeliveries), erases a few contacts, loads the table with the
// what-if's scan and replays it: every decision comes out the same, and the erased contacts'
// decisions are left out.
func TestReplayingTheUnchangedCatalogReproducesEveryRecordedDecision(t *testing.T) {
	cat := replayCatalog(t)
	f := newFixture(t, cat)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(18, 13))
	const touchpoints, contacts = 3000, 260
	email := func(c int) string { return fmt.Sprintf("c-%d@example.com", c%250) } // 250..259 share an address with 0..9
	kinds := []string{"order.delivered", "order.delivered", "order.delivered", "support.case.closed", "support.case.closed",
		"onboarding.completed", "onboarding.completed", "cart.abandoned"}
	type sent struct {
		contact    int
		touchpoint string
		occurred   string
	}
	var history []sent
	decided := 0
	for i := range touchpoints {
		f.advance(time.Duration(100+rng.IntN(100)) * time.Second)
		now := f.h.now()
		c := rng.IntN(contacts)
		ev := sent{contact: c, touchpoint: kinds[rng.IntN(len(kinds))], occurred: now.Add(-time.Duration(rng.IntN(3600)) * time.Second).Format(time.RFC3339)}
		switch p := rng.IntN(100); {
		case p < 3 && len(history) > 0: // the same real-world touchpoint under a new eventId
			ev = history[rng.IntN(len(history))]
		case p < 5:
			ev.occurred = "yesterday" // invalid
		}
		history = append(history, ev)
		raw, _ := json.Marshal(map[string]any{"detail-type": "Touchpoint", "detail": map[string]any{
			"eventId": fmt.Sprintf("ev-%05d", i), "touchpoint": ev.touchpoint, "occurredAt": ev.occurred,
			"contact": map[string]any{"id": fmt.Sprintf("c-%d", ev.contact), "email": email(ev.contact), "locale": "en"},
		}})
		f.deliver(t, raw)
		decided++
		if rng.IntN(50) == 0 { // a redelivery: no second decision
			f.deliver(t, raw)
		}
		switch rng.IntN(300) {
		case 0:
			if err := f.st.OptOut(ctx, email(rng.IntN(contacts)), now); err != nil {
				t.Fatal(err)
			}
		case 1:
			if err := f.st.Suppress(ctx, email(rng.IntN(contacts)), "bounce", now); err != nil {
				t.Fatal(err)
			}
		case 2:
			c := rng.IntN(contacts)
			if _, err := f.st.Unsubscribe(ctx, fmt.Sprintf("c-%d", c), email(c)); err != nil {
				t.Fatal(err)
			}
		}
	}
	erased := []string{"c-1", "c-2", "c-3"}
	for _, id := range erased {
		if _, err := f.st.EraseContact(ctx, id); err != nil {
			t.Fatal(err)
		}
	}

	d, scan, err := tablescan.LoadReplay(ctx, f.st, 4, 90*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if scan.Pages == 0 || scan.ReadUnits <= 0 {
		t.Fatalf("scan cost not reported: %+v", scan)
	}
	if d.Erased == 0 || len(d.Records) != decided {
		t.Fatalf("%d records (%d erased), want %d decisions", len(d.Records), d.Erased, decided)
	}
	outcomes, kept := map[string]int{}, 0
	for _, r := range d.Records {
		switch {
		case r.Erased && (r.ContactID != "" || r.Address != "" || r.EventID != "" || r.Locale != ""):
			t.Fatalf("an erased contact's decision keeps personal data: %+v", r)
		case r.Erased:
			continue
		case slices.Contains(erased, r.ContactID):
			t.Fatalf("an erased contact's decision was loaded: %+v", r)
		}
		kept++
		outcomes[r.Outcome]++
	}
	for _, o := range []string{"invited", "sampled-out", "quiet-period", "daily-cap", "duplicate", "no-rule", "invalid", "suppressed", "unsubscribed"} {
		if outcomes[o] == 0 {
			t.Fatalf("the generated history has no %s decision: %v", o, outcomes)
		}
	}
	t.Logf("recorded: %v; %d erased; scan %d pages, %.1f RRU", outcomes, d.Erased, scan.Pages, scan.ReadUnits)

	out := whatif.Replay(cat, d)
	for i, r := range d.Records {
		if got := out[i]; got.Outcome != r.Outcome || got.Survey != r.Survey || got.Detail != r.Detail {
			t.Fatalf("decision %s (%s, %s at %s) replayed as %+v, recorded %s %s %q",
				r.Key, r.Touchpoint, r.ContactID, r.DecidedAt, got, r.Outcome, r.Survey, r.Detail)
		}
	}
	m, err := cost.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	rep := whatif.Summarize(d, out, time.Time{}, m)
	if rep.Coverage.Changed != 0 || rep.Coverage.Decisions != kept || rep.Coverage.Erased != d.Erased {
		t.Fatalf("coverage %+v", rep.Coverage)
	}
	a, b := whatif.Total(rep.Rows)
	if a.Invitations != b.Invitations || a.Emails != b.Emails || a.Cost != b.Cost || a.Invitations != outcomes["invited"] {
		t.Fatalf("totals differ on an unchanged catalog: recorded %+v replayed %+v", a, b)
	}
}
