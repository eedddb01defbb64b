package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/cost"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
)

// The Costs API and page count the month in the table (a touchpoint skipped, one invited, sent,
// reminded and answered, one ticket), estimate the usage from those counts with costs.yaml and
// price it: the JSON, the CSV and the page say the same total.
func TestCostsCountTheMonthAndPriceItWithCostsYAML(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	ctx := context.Background()
	at := time.Now().UTC().Add(-time.Minute)
	inv := &store.Invitation{ID: store.EventKey("ev-costs-1"), EventID: "ev-costs-1", Touchpoint: "order.delivered", OccurredAt: at,
		ContactID: "cust-costs", Email: "costs@example.com", Outcome: invitation.OutcomeInvited, DecidedAt: at,
		Survey: "nps-relationship", DueAt: at, SentAt: &at, ReminderSentAt: &at}
	if _, err := f.h.Store.Invite(ctx, inv, store.InviteClaim{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.h.Store.RecordAnswer(ctx, inv, store.NewAnswer{Score: 2, EditWindow: time.Hour}); err != nil {
		t.Fatal(err)
	}
	skip := &store.Invitation{ID: store.EventKey("ev-costs-2"), EventID: "ev-costs-2", Touchpoint: "order.delivered", OccurredAt: at,
		ContactID: "cust-costs", Outcome: invitation.OutcomeQuietPeriod, DecidedAt: at}
	if _, err := f.h.Store.RecordDecision(ctx, skip); err != nil {
		t.Fatal(err)
	}
	f.openTicket(t, "ev-costs-1", "cust-costs", "costs@example.com")

	resp := f.call(t, "GET", "/ops/costs", f.tokens[access.Viewer], "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /ops/costs: %d %s", resp.StatusCode, resp.Body)
	}
	var got Costs
	if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
		t.Fatal(err)
	}
	want := cost.Counts{Touchpoints: 2, Invitations: 1, Emails: 2, Answers: 1, Tickets: 1}
	if got.Counts != want || got.Source != "estimated" || got.ReadUnits <= 0 {
		t.Fatalf("counts %+v (%s, %g read units), want %+v estimated", got.Counts, got.Source, got.ReadUnits, want)
	}
	m, _ := cost.Shipped()
	now := time.Now().UTC()
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	ses := m.Bill(cost.Usage{Emails: 2}).Total
	if got.Bill.Share["SES"]*got.Bill.Total-ses > 1e-12 || !got.From.Equal(from) || got.Bill.Total <= ses {
		t.Fatalf("bill %+v from %s", got.Bill, got.From)
	}
	if math.Abs(got.PerSurvey-got.Bill.Total*1000) > 1e-9 {
		t.Fatalf("per 1,000 surveys %g for total %g and one survey", got.PerSurvey, got.Bill.Total)
	}

	resp = f.call(t, "GET", "/ops/costs", f.tokens[access.Viewer], "", map[string]string{"Accept": "text/csv"})
	lines, err := csv.NewReader(strings.NewReader(resp.Body)).ReadAll()
	if err != nil || resp.Headers["Content-Type"] != "text/csv; charset=utf-8" || len(lines) != len(got.Bill.Lines)+1 || lines[0][3] != "service" {
		t.Fatalf("csv %v %v", lines, err)
	}

	resp = f.call(t, "GET", "/ops/costs/page", f.tokens[access.Viewer], "", nil)
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, "<h1>Costs</h1>") || !strings.Contains(resp.Body, "Share per service") {
		t.Fatalf("costs page: %d %s", resp.StatusCode, resp.Body)
	}
	if resp := f.call(t, "GET", "/ops/costs", f.tokens[access.Producer], "", nil); resp.StatusCode != 403 {
		t.Fatalf("a producer token read the costs: %d", resp.StatusCode)
	}
}
