package main

import (
	"strings"
	"testing"
)

// TestTheCostSectionPricesTheMeasuredFiguresWithCostsYAML feeds writeCost the figures of the
// last report (docs/PERFORMANCE.md, 2026-12-04) and checks it prices them with costs.yaml: the
// SES line is 1.76 M emails at 0.0001 and the total matches the report's 191.53.
func TestTheCostSectionPricesTheMeasuredFiguresWithCostsYAML(t *testing.T) {
	r := &report{
		Cases: []surveyCase{
			{Name: "low", Units: map[string]units{"TouchpointFunction": {Read: 0.5, Write: 10}, "DispatchFunction": {Read: 5, Write: 7},
				"SurveyFunction": {Read: 3, Write: 4}, "FollowupFunction": {Read: 2.5, Write: 24}, "ScoreFunction": {Read: 0.5, Write: 6}}},
			{Name: "high", Units: map[string]units{"TouchpointFunction": {Read: 0.5, Write: 10}, "DispatchFunction": {Read: 5, Write: 7},
				"SurveyFunction": {Read: 3, Write: 4}, "ScoreFunction": {Read: 0.5, Write: 6}}},
		},
		Idle: map[string]units{"DispatchFunction": {Read: 8}, "ScoreFunction": {Read: 30}},
		Durations: map[string][]float64{"TouchpointFunction": {50.9}, "SurveyFunction": {8.2}, "FollowupFunction": {36.1},
			"DispatchFunction": {76.5}, "ScoreFunction": {242.6}},
	}
	var b strings.Builder
	r.writeCost(&b)
	out := b.String()
	for _, want := range []string{"| SES emails | 1.76 M | 0.0001 | 176.00 |", "**191.53**", "costs.yaml (us-east-1"} {
		if !strings.Contains(out, want) {
			t.Errorf("cost section lacks %q:\n%s", want, out)
		}
	}
}
