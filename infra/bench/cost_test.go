package main

import (
	"strings"
	"testing"
)

// TestTheCostSectionPricesTheMeasuredFiguresWithCostsYAML feeds writeCost measured figures and
// checks it prices them with costs.yaml: the SES line is 1.76 M emails at 0.0001, and the request
// units add up per step as the section says. Writes: 17 per survey sent (touchpoint 10, dispatch
// 7), 3 per reminder of the 700,000 unanswered, 4 per answer without a ticket (240,000), 28 with
// one (60,000), the scorer's 6 once per run (2,880 runs): 21,757,280. Reads: 5.5 per survey, 1.5
// per reminder, 3 and 5.5 per answer, 8 per idle tick (43,200) and 30.5 per run: 8,033,440.
func TestTheCostSectionPricesTheMeasuredFiguresWithCostsYAML(t *testing.T) {
	r := &report{
		Cases: []surveyCase{
			{Name: "low", Units: map[string]units{"TouchpointFunction": {Read: 0.5, Write: 10}, "DispatchFunction": {Read: 5, Write: 7},
				"SurveyFunction": {Read: 3, Write: 4}, "FollowupFunction": {Read: 2.5, Write: 24}, "ScoreFunction": {Read: 0.5, Write: 6}}},
			{Name: "high", Units: map[string]units{"TouchpointFunction": {Read: 0.5, Write: 10}, "DispatchFunction": {Read: 5, Write: 7},
				"SurveyFunction": {Read: 3, Write: 4}, "ScoreFunction": {Read: 0.5, Write: 6}}},
		},
		Idle:     map[string]units{"DispatchFunction": {Read: 8}, "ScoreFunction": {Read: 30}},
		Reminder: units{Read: 1.5, Write: 3},
		Durations: map[string][]float64{"TouchpointFunction": {50.9}, "SurveyFunction": {8.2}, "FollowupFunction": {36.1},
			"DispatchFunction": {76.5}, "ScoreFunction": {242.6}},
	}
	var b strings.Builder
	r.writeCost(&b)
	out := b.String()
	for _, want := range []string{"| SES emails | 1.76 M | 0.0001 | 176.00 |", "costs.yaml (us-east-1",
		"| DynamoDB write request units | 21.76 M |", "| DynamoDB read request units | 8.03 M |"} {
		if !strings.Contains(out, want) {
			t.Errorf("cost section lacks %q:\n%s", want, out)
		}
	}
}
