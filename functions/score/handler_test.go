package main

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/metric"
)

const nps = "nps-relationship"

func seg(plan, region string) map[string]string {
	return map[string]string{"plan": plan, "region": region}
}

// want is one expected score of a snapshot.
type want struct {
	window    string
	dim       metric.Dim
	n         int64
	value     float64
	delivered int64
}

func (f *fixture) expect(survey string, wants []want) {
	f.t.Helper()
	for _, w := range wants {
		got := f.score(survey, w.window, w.dim)
		if got.N != w.n || got.Value != w.value || got.Delivered != w.delivered {
			f.t.Errorf("%s %s: n=%d value=%v delivered=%d, want n=%d value=%v delivered=%d",
				w.window, w.dim, got.N, got.Value, got.Delivered, w.n, w.value, w.delivered)
		}
	}
}

// seedNPS writes answers over four months: three today, two 3 days ago, two 22 days ago, one
// 83 days ago, one 114 days ago (outside every window), and one invitation sent today and not
// answered yet. It returns the ids of today's answered invitations and of the unanswered one.
func seedNPS(f *fixture) (today []string, open string) {
	sentAgo := func(t time.Time) time.Time { return t.Add(-time.Hour) }
	for _, a := range []struct {
		score int
		at    time.Time
		segs  map[string]string
	}{
		{10, at(0, 10, 0), seg("pro", "eu")}, {9, at(0, 10, 5), seg("pro", "us")}, {3, at(0, 10, 10), seg("basic", "eu")},
		{8, at(3, 15, 0), seg("basic", "us")}, {0, at(3, 16, 0), seg("pro", "eu")},
		{10, at(22, 9, 0), seg("basic", "eu")}, {10, at(22, 9, 30), seg("basic", "eu")},
		{5, at(83, 12, 0), seg("pro", "us")},
		{10, at(114, 12, 0), seg("pro", "us")},
	} {
		id := f.invite(nps, a.segs, sentAgo(a.at), answer{a.score, a.at})
		if a.at.After(at(1, 0, 0)) {
			today = append(today, id)
		}
	}
	open = f.invite(nps, seg("pro", "eu"), at(0, 11, 0))
	return today, open
}

func TestAnswersProduceTheExpectedScoresPerWindowTouchpointAndSegment(t *testing.T) {
	f := newFixture(t, nps)
	seedNPS(f)
	res := f.run()
	if r := res.Surveys[0]; r.Changed != 10 || !r.Snapshot || r.Lost {
		t.Fatalf("first run = %+v, want 10 changed invitations and a snapshot", r)
	}
	f.expect(nps, []want{
		{"1d", metric.Overall, 3, 33.3, 4},  // 10, 9, 3; four sent today
		{"7d", metric.Overall, 5, 0, 6},     // + 8, 0
		{"30d", metric.Overall, 7, 28.6, 8}, // + 10, 10
		{"90d", metric.Overall, 8, 12.5, 9}, // + 5; the answer 114 days ago is outside
		{"90d", metric.TouchpointDim("order.delivered"), 8, 12.5, 9},
		{"7d", metric.SegmentDim("plan", "pro"), 3, 33.3, 4},  // 10, 9, 0
		{"1d", metric.SegmentDim("region", "eu"), 2, 0, 3},    // 10, 3
		{"30d", metric.SegmentDim("plan", "basic"), 4, 25, 4}, // 3, 8, 10, 10
	})
	if s := f.score(nps, "1d", metric.Overall); s.ResponseRate != 0.75 || s.MarginOfError == 0 {
		t.Errorf("1d response rate %v and margin %v, want 0.75 and a margin", s.ResponseRate, s.MarginOfError)
	}
	snap := f.latest(nps)
	if snap.MetricVersion != metric.Version || snap.CatalogVersion == "" || snap.Day != "2026-11-23" {
		t.Errorf("snapshot versions %d %q day %s", snap.MetricVersion, snap.CatalogVersion, snap.Day)
	}
	if !strings.Contains(f.emf.String(), `"Score":33.3`) || !strings.Contains(f.emf.String(), `"Window":"7d"`) {
		t.Errorf("no EMF Score line for the 1d window: %s", f.emf.String())
	}
}

func TestEditsAndDuplicatesMoveTheCountsOnce(t *testing.T) {
	f := newFixture(t, nps)
	today, open := seedNPS(f)
	f.run()

	f.now = start.Add(10 * time.Minute)                                        // new watermark 12:09
	f.reanswer(today[2], answer{9, start.Add(5 * time.Minute)})                // the 3 becomes a 9
	f.reanswer(today[1], answer{9, start.Add(5 * time.Minute)})                // the 9 submitted again
	f.reanswer(open, answer{7, start.Add(6 * time.Minute)})                    // a first answer
	f.reanswer(today[0], answer{6, start.Add(9*time.Minute + 30*time.Second)}) // after the settle line
	f.run()
	f.expect(nps, []want{
		{"1d", metric.Overall, 4, 75, 4}, // 10, 9, 9, 7: the edit at 12:09:30 waits
		{"1d", metric.SegmentDim("region", "eu"), 3, 66.7, 3},
	})

	f.now = start.Add(20 * time.Minute)
	res := f.run()
	if r := res.Surveys[0]; r.Changed != 1 || r.Days != 1 {
		t.Errorf("third run = %+v, want the one late edit on one day", r)
	}
	f.expect(nps, []want{
		{"1d", metric.Overall, 4, 25, 4},    // 6, 9, 9, 7
		{"90d", metric.Overall, 9, 11.1, 9}, // 6, 9, 9, 7 + 8, 0, 10, 10, 5
	})

	// Nothing new: no watermark move, no snapshot.
	before, _ := f.st.ScoreHistory(f.ctx, nps, time.Time{})
	wm, _ := f.st.Watermark(f.ctx, nps)
	f.now = start.Add(30 * time.Minute)
	res = f.run()
	after, _ := f.st.ScoreHistory(f.ctx, nps, time.Time{})
	wm2, _ := f.st.Watermark(f.ctx, nps)
	if r := res.Surveys[0]; r.Changed != 0 || r.Snapshot || len(after) != len(before) || !wm2.Equal(wm) {
		t.Errorf("a run with nothing new wrote: %+v, snapshots %d -> %d, watermark %s -> %s", r, len(before), len(after), wm, wm2)
	}
	if len(after) != 3 {
		t.Errorf("%d snapshots, want one per run that changed something (3)", len(after))
	}
}

const csat = "csat-support" // alert csat-1d-below-70: 20 responses, cooldown 12h

func seedLowCSAT(f *fixture, n int) {
	for i := range n {
		a := at(0, 9, i%60)
		f.invite(csat, map[string]string{"channel": "chat"}, a.Add(-time.Hour), answer{2, a})
	}
}

func TestABreachIsRecordedOnceAcrossRepeatedRuns(t *testing.T) {
	f := newFixture(t, csat)
	seedLowCSAT(f, 25)
	var fired []string
	for i := range 3 { // from 20:00: the cooldown lasts until 08:00 the next day
		f.now = start.Add(8*time.Hour + time.Duration(i)*15*time.Minute)
		fired = append(fired, f.run().Surveys[0].Breaches...)
	}
	bs, err := f.st.Breaches(f.ctx, csat, "csat-1d-below-70")
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 1 || len(fired) != 1 {
		t.Fatalf("%d breaches recorded, %d reported fired; want 1", len(bs), len(fired))
	}
	b := bs[0]
	if b.Value != 0 || b.N != 25 || b.Below == nil || *b.Below != 70 || b.Window != "1d" || b.WindowEnd != "2026-11-23" ||
		b.MarginOfError != 0 || b.Survey != csat || b.Metric != "csat" || b.MetricVersion != metric.Version {
		t.Errorf("breach = %+v", b)
	}

	// The next day's window is a new window, but the 12h cooldown still holds at 07:30 ...
	f.now = time.Date(2026, 11, 24, 7, 30, 0, 0, time.UTC)
	seedLowCSATOn(f, 25, time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC))
	f.run()
	if bs, _ := f.st.Breaches(f.ctx, csat, "csat-1d-below-70"); len(bs) != 1 {
		t.Errorf("%d breaches during the cooldown, want 1", len(bs))
	}
	// ... and has run out at 13:00: the new window breaches once.
	f.now = time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	f.run()
	f.run()
	if bs, _ := f.st.Breaches(f.ctx, csat, "csat-1d-below-70"); len(bs) != 2 || bs[1].WindowEnd != "2026-11-24" {
		t.Errorf("breaches after the cooldown = %+v, want a second one for 2026-11-24", bs)
	}
}

func seedLowCSATOn(f *fixture, n int, t0 time.Time) {
	for i := range n {
		a := t0.Add(time.Duration(i) * time.Second)
		f.invite(csat, nil, a.Add(-time.Minute), answer{1, a})
	}
}

func TestTwoScorersAtOnceCountOnceAndBreachOnce(t *testing.T) {
	f := newFixture(t, csat)
	seedLowCSAT(f, 25)
	second := f.handler(f.st, csat)
	var wg sync.WaitGroup
	results := make([]Result, 2)
	errs := make([]error, 2)
	for i, h := range []*Handler{f.h, second} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = h.Handle(f.ctx, nil)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("scorer %d failed instead of exiting cleanly: %v", i, err)
		}
	}
	t.Logf("concurrent results: %+v / %+v", results[0].Surveys, results[1].Surveys)
	if s := f.score(csat, "1d", metric.Overall); s.N != 25 {
		t.Errorf("1d n = %d after two concurrent scorers, want 25 (counted once)", s.N)
	}
	if bs, _ := f.st.Breaches(f.ctx, csat, "csat-1d-below-70"); len(bs) != 1 {
		t.Errorf("%d breaches from two concurrent scorers, want 1", len(bs))
	}
	f.now = start.Add(15 * time.Minute) // and a later run changes nothing
	f.run()
	if s := f.score(csat, "1d", metric.Overall); s.N != 25 {
		t.Errorf("1d n = %d after a later run, want 25", s.N)
	}
}

func TestNoBreachBelowTheMinimumSample(t *testing.T) {
	f := newFixture(t, csat)
	seedLowCSAT(f, 19)
	if r := f.run().Surveys[0]; len(r.Breaches) != 0 {
		t.Errorf("breaches %v on 19 responses", r.Breaches)
	}
	if bs, _ := f.st.Breaches(f.ctx, csat, "csat-1d-below-70"); len(bs) != 0 {
		t.Errorf("%d breaches recorded on 19 responses (minimum 20)", len(bs))
	}
	if s := f.score(csat, "1d", metric.Overall); s.N != 19 || s.Value != 0 {
		t.Errorf("1d = %+v, want 19 responses at 0%%", s)
	}
}

func TestASurveyWithNothingNewGetsNoNewSnapshotOnANewDay(t *testing.T) {
	f := newFixture(t, "ces-onboarding")
	f.run()
	f.now = start.Add(36 * time.Hour)
	f.run()
	snaps, err := f.st.ScoreHistory(f.ctx, "ces-onboarding", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 1 || snaps[0].Scores[0].N != 0 {
		t.Errorf("%d snapshots for a survey without answers over two days, want 1 empty one", len(snaps))
	}
}
