package cost

import (
	"math"
	"strings"
	"testing"

	"github.com/cxloop/cxloop"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestTheShippedPricesLoad(t *testing.T) {
	m, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	if m.Region != "us-east-1" || m.Prices.Email != 0.0001 || m.MemoryMB != 256 {
		t.Fatalf("shipped model %+v", m)
	}
}

func TestABillPricesEachLineLessTheDiscount(t *testing.T) {
	m, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		discount float64
		usage    Usage
		total    float64
		ses      float64 // SES's share
	}{
		{"a million emails cost 100 at list price", 0, Usage{Emails: 1e6}, 100, 1},
		{"a 10% discount takes 10% off", 0.1, Usage{Emails: 1e6}, 90, 1},
		{"the scheduler's free tier is taken off first", 0, Usage{SchedulerInvocations: 14e6 + 1e6}, 1, 0},
		{"request units at on-demand prices", 0, Usage{WriteUnits: 1e6, ReadUnits: 2e6}, 0.625 + 0.25, 0},
		{"nothing used costs nothing", 0, Usage{}, 0, 0},
	}
	for _, c := range cases {
		mm := *m
		mm.Discount = c.discount
		b := mm.Bill(c.usage)
		if !near(b.Total, c.total) || !near(b.Share[ServiceSES], c.ses) {
			t.Errorf("%s: total %g share %v, want %g and SES %g", c.name, b.Total, b.Share, c.total, c.ses)
		}
	}
}

func TestEstimateAddsTheStepsAndTheFixedSchedule(t *testing.T) {
	m, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	u := m.Estimate(Counts{Touchpoints: 10, Emails: 4, Answers: 2, Tickets: 1}, 0)
	tp, em, an, tk := m.PerStep[StepTouchpoint], m.PerStep[StepEmail], m.PerStep[StepAnswer], m.PerStep[StepTicket]
	if want := 10*tp.WriteUnits + 4*em.WriteUnits + 2*an.WriteUnits + tk.WriteUnits; !near(u.WriteUnits, want) {
		t.Fatalf("write units %g, want %g", u.WriteUnits, want)
	}
	if u.Emails != 4 || !near(u.HTTPRequests, 4) {
		t.Fatalf("usage %+v", u)
	}
	month := m.Estimate(Counts{}, 1)
	if month.SchedulerInvocations != m.Fixed.SchedulerInvocations || month.ReadUnits != m.Fixed.ReadUnits {
		t.Fatalf("a month of schedule %+v", month)
	}
}

func TestBadPriceFilesAreRefusedByName(t *testing.T) {
	cases := []struct{ name, edit, want string }{
		{"an unknown key", "region: us-east-1", "field colour"},
		{"a negative price", "email: 0.0001 ", "prices.email must be a positive number"},
		{"a discount of 100%", "discount: 0", "discount must be a fraction"},
	}
	for _, c := range cases {
		src := string(mustShippedYAML(t))
		switch c.name {
		case "an unknown key":
			src = strings.Replace(src, c.edit, c.edit+"\ncolour: blue", 1)
		case "a negative price":
			src = strings.Replace(src, c.edit, "email: -1 ", 1)
		default:
			src = strings.Replace(src, c.edit, "discount: 1", 1)
		}
		if _, err := Load([]byte(src)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

func mustShippedYAML(t *testing.T) []byte {
	t.Helper()
	return cxloop.CostsYAML
}
