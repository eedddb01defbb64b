package sources_test

import (
	"context"
	"testing"
	"time"

	"github.com/cxloop/cxloop/infra/local/sources"
)

func TestTickFiresAScheduledFunctionWithTheSchedulerEvent(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, "ScoreFunction")
	s := &sources.Scheduler{Invoke: rec, Schedules: sources.SchedulesFromTemplate(loadTemplate(t), nil)}
	results, err := s.Tick(context.Background(), "ScoreFunction")
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Failed() {
		t.Fatalf("results %+v", results)
	}
	var out struct {
		Event struct {
			Source     string   `json:"source"`
			DetailType string   `json:"detail-type"`
			Detail     string   `json:"detail"`
			Resources  []string `json:"resources"`
		} `json:"event"`
	}
	decode(t, results[0].Payload, &out)
	ev := out.Event
	if ev.Source != "aws.scheduler" || ev.DetailType != "Scheduled Event" || ev.Detail != "{}" ||
		len(ev.Resources) != 1 || ev.Resources[0] != "arn:aws:scheduler:us-east-1:000000000000:schedule/default/ScoreFunction-Tick" {
		t.Errorf("scheduled event %+v", ev)
	}
	if _, err := s.Tick(context.Background(), "SurveyFunction"); err == nil {
		t.Error("tick of a function without a schedule succeeded")
	}
}

func TestRunFiresEachScheduleAtItsRate(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, "DispatchFunction", "ScoreFunction")
	s := &sources.Scheduler{Invoke: rec, Schedules: []sources.Schedule{
		{Function: "DispatchFunction", Name: "Tick", Every: 100 * time.Millisecond},
		{Function: "ScoreFunction", Name: "Tick", Every: time.Hour},
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 1050*time.Millisecond)
	defer cancel()
	_ = s.Run(ctx)
	// Ten 100 ms ticks fit in 1.05 s; allow for a slow machine.
	if n := len(rec.payloads("DispatchFunction")); n < 6 || n > 10 {
		t.Errorf("the 100 ms schedule fired %d times in 1.05 s", n)
	}
	if n := len(rec.payloads("ScoreFunction")); n != 0 {
		t.Errorf("the hourly schedule fired %d times in 1.05 s", n)
	}
}
