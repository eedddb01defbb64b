package catalog

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/cxloop/cxloop/shared/ticket"
)

func TestMatchTakesTheFirstSurveyInCatalogOrder(t *testing.T) {
	t.Parallel()
	// Built in code: Load would refuse the second claim on order.delivered, but Match must still
	// honour catalog order if a catalog reaches it.
	c := &Catalog{Surveys: []Survey{
		{ID: "a", Touchpoints: []Rule{{Event: "signup"}, {Event: "order.delivered", DailyCap: 1}}},
		{ID: "b", Touchpoints: []Rule{{Event: "order.delivered", DailyCap: 2}, {Event: "case.closed"}}},
	}}
	tests := []struct {
		name, touchpoint, survey string
		cap                      int
		ok                       bool
	}{
		{"an event claimed by two surveys goes to the first", "order.delivered", "a", 1, true},
		{"an event only the second survey has goes to it", "case.closed", "b", 0, true},
		{"an event on a later rule of the first survey matches", "signup", "a", 0, true},
		{"an unknown event matches nothing", "order.cancelled", "", 0, false},
		{"matching is exact", "Order.Delivered", "", 0, false},
	}
	for _, tt := range tests {
		s, r, ok := c.Match(tt.touchpoint)
		if ok != tt.ok || (ok && (s.ID != tt.survey || r.DailyCap != tt.cap || r.Event != tt.touchpoint)) {
			t.Errorf("%s: Match(%q) = %v, %v, %v", tt.name, tt.touchpoint, s, r, ok)
		}
	}
}

func TestTheShippedCatalogMatchesItsTouchpoints(t *testing.T) {
	t.Parallel()
	c := MustShipped()
	for touchpoint, survey := range map[string]string{
		"order.delivered":      "nps-relationship",
		"support.case.closed":  "csat-support",
		"onboarding.completed": "ces-onboarding",
	} {
		if s, _, ok := c.Match(touchpoint); !ok || s.ID != survey {
			t.Errorf("Match(%q) = %v, want %s", touchpoint, s, survey)
		}
	}
}

func TestSampledIsDeterministicPerContactAndSurvey(t *testing.T) {
	t.Parallel()
	for i := range 1000 {
		id := fmt.Sprintf("cust-%d", i)
		first := Sampled(0.3, id, "nps-relationship")
		for range 3 {
			if Sampled(0.3, id, "nps-relationship") != first {
				t.Fatalf("contact %s changed its sampling", id)
			}
		}
	}
}

func TestSampledHitsItsRate(t *testing.T) {
	t.Parallel()
	const n = 100_000
	for _, rate := range []float64{0.01, 0.1, 0.5, 0.9} {
		in := 0
		for i := range n {
			if Sampled(rate, fmt.Sprintf("cust-%d", i), "csat-support") {
				in++
			}
		}
		// Within 1 percentage point, and within 4 standard deviations of a fair coin of that rate
		// (tighter for small rates: 0.01 must not come out as 0.019).
		sigma := math.Sqrt(rate * (1 - rate) / n)
		if got := float64(in) / n; math.Abs(got-rate) > 0.01 || math.Abs(got-rate) > 4*sigma {
			t.Errorf("rate %v: %v of %d ids sampled, want within 1 point and 4 sigma (%.5f)", rate, got, n, sigma)
		}
	}
}

func TestSurveysSampleIndependently(t *testing.T) {
	t.Parallel()
	const n = 100_000
	both, a, b := 0, 0, 0
	for i := range n {
		id := fmt.Sprintf("cust-%d", i)
		inA, inB := Sampled(0.5, id, "survey-a"), Sampled(0.5, id, "survey-b")
		if inA {
			a++
		}
		if inB {
			b++
		}
		if inA && inB {
			both++
		}
	}
	// Independent: P(a and b) = P(a) P(b) = 0.25. The same hash for both would give 0.5.
	if got := float64(both) / n; math.Abs(got-0.25) > 0.01 {
		t.Errorf("%v of contacts are in both samples, want about 0.25 (a %d, b %d)", got, a, b)
	}
}

func TestSampledEdges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rate float64
		want bool
	}{
		{"rate 1 samples everyone", 1, true},
		{"rate above 1 samples everyone", 2, true},
		{"rate 0 samples nobody", 0, false},
		{"a negative rate samples nobody", -1, false},
		{"NaN samples nobody", math.NaN(), false},
	}
	for _, tt := range tests {
		for i := range 100 {
			if got := Sampled(tt.rate, fmt.Sprint(i), "s"); got != tt.want {
				t.Fatalf("%s: got %v", tt.name, got)
			}
		}
	}
}

func TestTextInFallsBack(t *testing.T) {
	t.Parallel()
	text := Text{"en": "Hello", "es": "Hola", "pt-BR": "Olá"}
	tests := []struct {
		name, locale, want string
	}{
		{"an exact locale is used", "es", "Hola"},
		{"a region falls back to its language", "es-MX", "Hola"},
		{"an exact locale with region is used", "pt-BR", "Olá"},
		{"locales compare without case", "PT-br", "Olá"},
		{"an underscore works like a hyphen", "pt_BR", "Olá"},
		{"a language without its region falls back to English", "pt", "Hello"},
		{"an unknown language falls back to English", "de-DE", "Hello"},
		{"no locale gives English", "", "Hello"},
	}
	for _, tt := range tests {
		if got := text.In(tt.locale); got != tt.want {
			t.Errorf("%s: In(%q) = %q, want %q", tt.name, tt.locale, got, tt.want)
		}
	}
}

func TestSurveyLocale(t *testing.T) {
	t.Parallel()
	s := &Survey{Title: Text{"en": "x", "es": "y", "fr": "z"}}
	if got := s.Locales(); !reflect.DeepEqual(got, []string{"en", "es", "fr"}) {
		t.Errorf("Locales() = %v", got)
	}
	for in, want := range map[string]string{"es": "es", "es-MX": "es", "FR": "fr", "de": "en", "": "en"} {
		if got := s.Locale(in); got != want {
			t.Errorf("Locale(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSegmentPicksTheCatalogsAttributes(t *testing.T) {
	t.Parallel()
	s := &Survey{Segments: []string{"plan", "region", "seats", "beta", "tier"}}
	var attrs map[string]any
	if err := json.Unmarshal([]byte(`{"plan":"pro","region":"eu","seats":25.0,"beta":true,"email":"x@y","tier":null}`), &attrs); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"plan": "pro", "region": "eu", "seats": "25", "beta": "true"}
	if got := s.Segment(attrs); !reflect.DeepEqual(got, want) {
		t.Errorf("Segment = %v, want %v", got, want)
	}
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"a whole float prints without decimals", 3.0, "3"},
		{"a fraction prints shortest", 2.5, "2.5"},
		{"an int prints as is", 42, "42"},
		{"minus zero prints as 0", math.Copysign(0, -1), "0"},
		{"a json.Number is canonical", json.Number("7.50"), "7.5"},
		{"a json.Number integer stays exact", json.Number("12345678901234567"), "12345678901234567"},
	}
	for _, tt := range tests {
		got := (&Survey{Segments: []string{"n"}}).Segment(map[string]any{"n": tt.in})
		if got["n"] != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got["n"], tt.want)
		}
	}
	if got := s.Segment(map[string]any{"plan": []any{"a"}, "region": map[string]any{}, "seats": math.Inf(1)}); len(got) != 0 {
		t.Errorf("lists, mappings and infinities became segments: %v", got)
	}
}

func TestFollowupOpensAtOrBelowItsThreshold(t *testing.T) {
	t.Parallel()
	f := &Followup{AtOrBelow: 6}
	for score, want := range map[int]bool{0: true, 6: true, 7: false, 10: false} {
		if got := f.Opens(score); got != want {
			t.Errorf("Opens(%d) = %v, want %v", score, got, want)
		}
	}
	var none *Followup
	if none.Opens(0) {
		t.Error("a survey without follow-up opened a ticket")
	}
}

func TestRoutingTakesTheFirstMatchingRoute(t *testing.T) {
	t.Parallel()
	f := &Followup{Team: "support", Routes: []Route{
		{Touchpoint: "case.closed", Segment: map[string]string{"plan": "enterprise"}, Team: "enterprise"},
		{Segment: map[string]string{"region": "eu"}, Team: "eu"},
		{Touchpoint: "case.closed", Team: "cases"},
	}}
	tests := []struct {
		name, touchpoint string
		segments         map[string]string
		want             string
	}{
		{"touchpoint and segment both match the first route", "case.closed", map[string]string{"plan": "enterprise", "region": "eu"}, "enterprise"},
		{"a segment route matches any touchpoint", "order.delivered", map[string]string{"region": "eu"}, "eu"},
		{"a touchpoint route matches any segment", "case.closed", map[string]string{"plan": "pro"}, "cases"},
		{"nothing matching gives the default team", "order.delivered", map[string]string{"plan": "enterprise"}, "support"},
		{"no segments gives the default team", "order.delivered", nil, "support"},
	}
	for _, tt := range tests {
		if got := ticket.Team(f.Routing(), tt.touchpoint, tt.segments); got != tt.want {
			t.Errorf("%s: ticket.Team = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestScales(t *testing.T) {
	t.Parallel()
	for m, want := range map[Metric][4]float64{NPS: {0, 10, -100, 100}, CSAT: {1, 5, 0, 100}, CES: {1, 7, 0, 100}} {
		lo, hi := m.Scale()
		slo, shi := m.ScoreRange()
		if got := [4]float64{float64(lo), float64(hi), slo, shi}; got != want || !m.Valid() {
			t.Errorf("%s: scale and range %v, want %v", m, got, want)
		}
	}
	if Metric("x").Valid() {
		t.Error("an unknown metric is valid")
	}
}

func BenchmarkShipped(b *testing.B) {
	for b.Loop() {
		if _, err := Shipped(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestScaleLabelsNameBothEndsInTheContactsLanguage(t *testing.T) {
	tests := []struct {
		metric    Metric
		locale    string
		low, high string
	}{
		{NPS, "en", "Not at all likely", "Extremely likely"},
		{CSAT, "es-MX", "Muy insatisfecho", "Muy satisfecho"},
		{CES, "fr", "Pas du tout d'accord", "Tout à fait d'accord"},
		{NPS, "de", "Not at all likely", "Extremely likely"},
	}
	for _, tc := range tests {
		if low, high := tc.metric.ScaleLabels(tc.locale); low != tc.low || high != tc.high {
			t.Errorf("%s in %s: %q..%q, want %q..%q", tc.metric, tc.locale, low, high, tc.low, tc.high)
		}
	}
}
