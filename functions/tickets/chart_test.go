package main

import (
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
)

func TestTrendSVG(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		metric catalog.Metric
		pts    []Point
		want   []string
	}{
		{"an NPS trend spans -100 to 100 with a band of two edges", catalog.NPS,
			[]Point{{At: t0, Value: 10, MOE: 20, N: 30}, {At: t0.Add(48 * time.Hour), Value: -5, MOE: 15, N: 50}},
			[]string{`>-100</text>`, `>100</text>`, "<polygon", "<polyline", "latest -5.0 ± 15.0"}},
		{"a CSAT trend spans 0 to 100", catalog.CSAT,
			[]Point{{At: t0, Value: 80, MOE: 5, N: 100}},
			[]string{`>0</text>`, `>100</text>`, "latest 80.0 ± 5.0"}},
		{"a survey id is escaped in the title", catalog.CES,
			[]Point{{At: t0, Value: 50, MOE: 60, N: 3}},
			[]string{"&lt;b&gt;"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := "s"
			if strings.Contains(c.name, "escaped") {
				id = "<b>"
			}
			svg := string(TrendSVG(id, c.metric, c.pts))
			for _, w := range c.want {
				if !strings.Contains(svg, w) {
					t.Errorf("svg lacks %q:\n%s", w, svg)
				}
			}
			if strings.Contains(svg, "<b>") || strings.Contains(svg, "NaN") {
				t.Errorf("svg has unescaped text or NaN:\n%s", svg)
			}
			// The band never leaves the plot: values are clamped to the metric's range.
			if strings.Contains(svg, ",-") {
				t.Errorf("a point above the plot area:\n%s", svg)
			}
		})
	}
}
