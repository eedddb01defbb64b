package score

import (
	"testing"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/theme"
)

// npsDays builds day histograms of overall NPS answers: day -> promoters, detractors.
func npsDays(days map[string][2]int64) map[string]metric.Breakdown {
	out := map[string]metric.Breakdown{}
	for day, pd := range days {
		var h metric.Hist
		h.Counts[10], h.Counts[0] = pd[0], pd[1]
		out[day] = metric.Breakdown{metric.Overall: h}
	}
	return out
}

func f64(v float64) *float64 { return &v }

func TestEvaluate(t *testing.T) {
	below := catalog.Alert{ID: "below", Window: catalog.Duration{Duration: 7 * day}, Below: f64(20), MinResponses: 30}
	drop := catalog.Alert{ID: "drop", Window: catalog.Duration{Duration: 30 * day}, DropBy: f64(10), MinResponses: 50}
	tests := []struct {
		name      string
		alert     catalog.Alert
		days      map[string][2]int64
		fires     bool
		value     float64
		n         int64
		previous  float64
		previousN int64
	}{
		{"below fires under the threshold with enough answers", below,
			map[string][2]int64{"2026-11-20": {10, 20}, "2026-11-23": {5, 5}}, true, -25, 40, 0, 0},
		{"below counts only the window's days", below,
			map[string][2]int64{"2026-11-16": {0, 40}, "2026-11-17": {35, 5}}, false, 0, 0, 0, 0},
		{"below does not fire at the threshold", below, map[string][2]int64{"2026-11-23": {24, 6}}, false, 0, 0, 0, 0},
		{"below needs the minimum sample", below, map[string][2]int64{"2026-11-23": {0, 29}}, false, 0, 0, 0, 0},
		{"drop fires when the window fell by the points against the one before", drop,
			map[string][2]int64{"2026-10-10": {40, 10}, "2026-11-22": {30, 20}}, true, 20, 50, 60, 50},
		{"drop does not fire on a smaller fall", drop,
			map[string][2]int64{"2026-10-10": {40, 10}, "2026-11-22": {38, 12}}, false, 0, 0, 0, 0},
		{"drop needs the minimum sample in the window before too", drop,
			map[string][2]int64{"2026-10-10": {49, 0}, "2026-11-22": {0, 60}}, false, 0, 0, 0, 0},
		{"drop ignores answers before the previous window", drop,
			map[string][2]int64{"2026-09-20": {100, 0}, "2026-11-22": {0, 60}}, false, 0, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Evaluate(metric.NPS, tt.alert, npsDays(tt.days), "2026-11-23")
			if (b != nil) != tt.fires {
				t.Fatalf("Evaluate = %+v, want fires=%v", b, tt.fires)
			}
			if b == nil {
				return
			}
			if b.Value != tt.value || b.N != tt.n || b.WindowEnd != "2026-11-23" || b.MarginOfError <= 0 {
				t.Errorf("breach = %+v, want value %v n %d", b, tt.value, tt.n)
			}
			if tt.alert.DropBy != nil && (b.Previous == nil || *b.Previous != tt.previous || b.PreviousN != tt.previousN) {
				t.Errorf("previous = %v n %d, want %v n %d", b.Previous, b.PreviousN, tt.previous, tt.previousN)
			}
		})
	}
}

func TestRowsListEveryWindowOverallFirst(t *testing.T) {
	days := npsDays(map[string][2]int64{"2026-11-23": {1, 0}})
	days["2026-11-01"] = metric.Breakdown{metric.Overall: metric.Hist{Delivered: 2}, metric.SegmentDim("plan", "pro"): metric.Hist{Delivered: 2}}
	rows := Rows(metric.NPS, days, "2026-11-23")
	var got []string
	for _, r := range rows {
		got = append(got, r.Window+" "+string(r.Dim))
	}
	want := []string{"1d all", "7d all", "30d all", "30d seg:plan=pro", "90d all", "90d seg:plan=pro"}
	if len(got) != len(want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("rows %v, want %v", got, want)
		}
	}
}

func TestSpanCoversTheWindowBeforeADropRule(t *testing.T) {
	sv, _ := catalog.MustShipped().Survey("nps-relationship")
	if got := Span(sv); got != 90 {
		t.Errorf("span = %d, want 90 (the 90d window covers the 30d drop rule's 60 days)", got)
	}
	long := *sv
	long.Alerts = []catalog.Alert{{ID: "x", Window: catalog.Duration{Duration: 90 * day}, DropBy: f64(5)}}
	if got := Span(&long); got != 180 {
		t.Errorf("span = %d, want 180", got)
	}
}

func TestEvaluateThemeRule(t *testing.T) {
	t.Parallel()
	above := 30.0
	rule := catalog.Alert{ID: "d", Window: catalog.Duration{Duration: 7 * day}, Theme: "delivery", ShareAbove: &above, MinResponses: 10}
	tally := func(low, mention int64) map[string]map[metric.Dim]theme.Tally {
		return map[string]map[metric.Dim]theme.Tally{"2026-11-20": {metric.Overall: {Comments: low + 5, Low: low,
			Themes: map[string]theme.Mentions{"delivery": {Comments: mention, Low: mention}}}}}
	}
	tests := []struct {
		name    string
		tallies map[string]map[metric.Dim]theme.Tally
		last    string
		want    float64 // the share recorded, 0 for no breach
	}{
		{"40% of 20 low-band comments is above 30%", tally(20, 8), "2026-11-23", 40},
		{"exactly 30% does not fire", tally(20, 6), "2026-11-23", 0},
		{"below the minimum sample nothing fires", tally(9, 9), "2026-11-23", 0},
		{"days outside the window do not count", tally(20, 8), "2026-11-27", 0},
		{"no comments, no breach", nil, "2026-11-23", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := EvaluateTheme(metric.NPS, rule, tt.tallies, tt.last)
			switch {
			case tt.want == 0 && b != nil:
				t.Errorf("breach %+v, want none", b)
			case tt.want != 0 && (b == nil || b.Value != tt.want || b.Theme != "delivery" || b.N != 20 || *b.ShareAbove != 30):
				t.Errorf("breach %+v, want share %v of 20", b, tt.want)
			}
		})
	}
}
