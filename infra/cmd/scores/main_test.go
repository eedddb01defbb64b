package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/score"
)

func TestPrintShowsOneLinePerScoreAndDashesWithoutAnswers(t *testing.T) {
	snap := &score.Snapshot{Survey: "nps-relationship", Metric: "nps", CatalogVersion: "v1", MetricVersion: 1,
		RunAt: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC), Scores: []score.Row{
			{Window: "7d", Dim: metric.Overall, Score: metric.Score{N: 100, Value: 30, MarginOfError: 15.3, Mean: 7.6, Delivered: 200, ResponseRate: 0.5}},
			{Window: "7d", Dim: metric.SegmentDim("plan", "pro"), Score: metric.Score{Delivered: 3}},
			{Window: "30d", Dim: metric.Overall, Score: metric.Score{N: 1, Value: 100}},
		}}
	var out bytes.Buffer
	if err := printScores(&out, []*score.Snapshot{snap}, filter{window: "7d"}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"nps-relationship (NPS)", "30.0", "15.3", "7.60", "50%", "seg:plan=pro"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "30d") {
		t.Errorf("the window filter let 30d through:\n%s", text)
	}
	if line := lineWith(text, "seg:plan=pro"); !strings.Contains(line, " - ") {
		t.Errorf("a score without answers shows a number: %q", line)
	}
}

func lineWith(text, s string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}
