package main

import (
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/store"
)

// submit records a submit through store.RecordAnswer, the write SurveyFunction's POST makes, at
// the fixture's clock.
func (f *fixture) submit(id string, score int) invitation.AnswerOutcome {
	f.t.Helper()
	inv, err := f.st.GetInvitation(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	_, outcome, err := f.st.RecordAnswer(f.ctx, inv, store.NewAnswer{Score: score, EditWindow: 24 * time.Hour})
	if err != nil {
		f.t.Fatalf("record answer %d on %s: %v", score, id, err)
	}
	return outcome
}

func TestAnswersRecordedByTheSurveyPageAreCountedOnceAndEditsMove(t *testing.T) {
	f := newFixture(t, nps)
	f.st.Now = func() time.Time { return f.now }
	var ids []string
	for i, s := range []map[string]string{seg("pro", "eu"), seg("basic", "eu"), seg("pro", "us")} {
		ids = append(ids, f.invite(nps, s, at(0, 8, i))) // sent this morning, the feed at the send
	}
	f.now = at(0, 10, 0)
	f.submit(ids[0], 10)
	f.submit(ids[1], 4)
	f.now = at(0, 10, 1)
	if o := f.submit(ids[0], 10); o != invitation.AnswerUnchanged { // a double click
		t.Fatalf("repeat = %s, want unchanged", o)
	}
	f.now = at(0, 10, 5)
	f.run()
	f.expect(nps, []want{
		{"1d", metric.Overall, 2, 0, 3}, // 10, 4
		{"1d", metric.SegmentDim("region", "eu"), 2, 0, 2},
		{"1d", metric.SegmentDim("region", "us"), 0, 0, 1},
	})

	f.now = at(0, 11, 0)
	if o := f.submit(ids[1], 9); o != invitation.AnswerEdited { // 4 becomes 9
		t.Fatalf("edit = %s, want edited", o)
	}
	f.submit(ids[2], 7)
	f.now = at(0, 11, 5)
	f.run()
	f.expect(nps, []want{
		{"1d", metric.Overall, 3, 66.7, 3}, // 10, 9, 7
		{"7d", metric.SegmentDim("plan", "basic"), 1, 100, 1},
		{"7d", metric.SegmentDim("plan", "pro"), 2, 50, 2},
	})
}
