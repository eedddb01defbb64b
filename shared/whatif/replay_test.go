package whatif

import (
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/cxloop/cxloop"
	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/cost"
	"github.com/cxloop/cxloop/shared/invitation"
)

var day0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// shipped is a fresh copy of the shipped catalog, edited by edit.
func shipped(t *testing.T, edit func(r *catalog.Rule, s *catalog.Survey)) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Load(cxloop.SurveysYAML)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		for i := range cat.Surveys {
			for j := range cat.Surveys[i].Touchpoints {
				edit(&cat.Surveys[i].Touchpoints[j], &cat.Surveys[i])
			}
		}
	}
	return cat
}

func rec(contact, touchpoint string, at time.Time) Record {
	key := fmt.Sprintf("%s-%s-%d", contact, touchpoint, at.Unix())
	h := fnv.New32a()
	h.Write([]byte(key))
	return Record{Key: key, Shard: int(h.Sum32() % 16), EventID: key, Touchpoint: touchpoint, ContactID: contact,
		Address: contact + "-hash", OccurredAt: at.Add(-time.Hour).Truncate(time.Second), DecidedAt: at}
}

// recorded fills in the records' outcomes as the base catalog decides them (the touchpoint
// function's own decisions: the replay reproduces them, as the handler test on DynamoDB Local
// shows), then returns the dataset and a replay of it under edited.
func recorded(t *testing.T, recs []Record, edited *catalog.Catalog) (*Dataset, *Report) {
	t.Helper()
	d := &Dataset{Records: recs, ReadAt: day0.Add(40 * 24 * time.Hour)}
	for i, r := range Replay(shipped(t, nil), d) {
		d.Records[i].Outcome, d.Records[i].Survey, d.Records[i].Detail = r.Outcome, r.Survey, r.Detail
		if r.Outcome == invitation.OutcomeInvited {
			d.Records[i].Emails = 1
		}
	}
	m, err := cost.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	return d, Summarize(d, Replay(edited, d), time.Time{}, m)
}

func rowOf(t *testing.T, rep *Report, survey, day string) Row {
	t.Helper()
	for _, r := range rep.Rows {
		if r.Survey == survey && r.Day == day {
			return r
		}
	}
	t.Fatalf("no row %s %s in %+v", survey, day, rep.Rows)
	return Row{}
}

func TestSampleRateOneInvitesEveryContactTheHalfSampleLeftOut(t *testing.T) {
	t.Parallel()
	var recs []Record
	for i := range 300 {
		recs = append(recs, rec(fmt.Sprintf("c-%d", i), "order.delivered", day0.Add(time.Duration(i)*time.Minute)))
	}
	edited := shipped(t, func(r *catalog.Rule, _ *catalog.Survey) {
		if r.Event == "order.delivered" {
			r.SampleRate = 1
		}
	})
	_, rep := recorded(t, recs, edited)
	row := rowOf(t, rep, "nps-relationship", "2026-11-02")
	out := row.Recorded.Skips[invitation.OutcomeSampledOut]
	if out < 100 || row.Recorded.Invitations+out != 300 {
		t.Fatalf("a half sample of 300 should leave about 150 out: %+v", row.Recorded)
	}
	if row.Replayed.Invitations != 300 || row.Replayed.Skips[invitation.OutcomeSampledOut] != 0 || rep.Coverage.Changed != out {
		t.Fatalf("sample rate 1 should invite all 300 (+%d): %+v, changed %d", out, row.Replayed, rep.Coverage.Changed)
	}
	if row.Replayed.Cost <= row.Recorded.Cost {
		t.Fatalf("more invitations should cost more: %g vs %g", row.Replayed.Cost, row.Recorded.Cost)
	}
}

func TestALongerQuietPeriodTurnsTheSecondCaseOfAContactIntoAQuietPeriodSkip(t *testing.T) {
	t.Parallel()
	var recs []Record
	for i := range 40 {
		c := fmt.Sprintf("c-%d", i)
		for _, d := range []int{0, 10, 20} {
			recs = append(recs, rec(c, "support.case.closed", day0.Add(time.Duration(d*24)*time.Hour+time.Duration(i)*time.Minute)))
		}
	}
	edited := shipped(t, func(r *catalog.Rule, _ *catalog.Survey) {
		if r.Event == "support.case.closed" {
			r.QuietPeriod.Duration = 14 * 24 * time.Hour // was 7d
		}
	})
	_, rep := recorded(t, recs, edited)
	for _, c := range []struct {
		day               string
		invited, quietDel int
	}{{"2026-11-02", 40, 0}, {"2026-11-12", 0, 40}, {"2026-11-22", 40, 0}} {
		row := rowOf(t, rep, "csat-support", c.day)
		if row.Recorded.Invitations != 40 || row.Replayed.Invitations != c.invited ||
			row.Replayed.Skips[invitation.OutcomeQuietPeriod]-row.Recorded.Skips[invitation.OutcomeQuietPeriod] != c.quietDel {
			t.Fatalf("%s: recorded %+v replayed %+v", c.day, row.Recorded, row.Replayed)
		}
	}
}

func TestANewRuleInvitesTouchpointsThatHadNoneAtTheSurveysObservedRates(t *testing.T) {
	t.Parallel()
	var recs []Record
	for i := range 10 { // csat-support's own history: 10 invitations, 5 answered, 1 ticket
		recs = append(recs, rec(fmt.Sprintf("s-%d", i), "support.case.closed", day0.Add(time.Duration(i)*time.Minute)))
	}
	for i := range 30 {
		recs = append(recs, rec(fmt.Sprintf("a-%d", i), "cart.abandoned", day0.Add(24*time.Hour+time.Duration(i)*time.Minute)))
	}
	edited := shipped(t, func(r *catalog.Rule, s *catalog.Survey) {
		if r.Event == "support.case.closed" {
			nr := *r
			nr.Event = "cart.abandoned"
			s.Touchpoints = append(s.Touchpoints, nr)
		}
	})
	d := &Dataset{Records: recs, ReadAt: day0.Add(40 * 24 * time.Hour)}
	for i, r := range Replay(shipped(t, nil), d) {
		d.Records[i].Outcome, d.Records[i].Survey, d.Records[i].Detail = r.Outcome, r.Survey, r.Detail
	}
	answered := 0
	for i := range d.Records {
		if d.Records[i].Outcome == invitation.OutcomeInvited {
			d.Records[i].Emails, d.Records[i].Answered = 2, answered < 5
			if answered == 0 {
				d.Records[i].Tickets = 1
			}
			answered++
		}
	}
	m, _ := cost.Shipped()
	rep := Summarize(d, Replay(edited, d), time.Time{}, m)
	none := rowOf(t, rep, NoSurvey, "2026-11-03")
	csat := rowOf(t, rep, "csat-support", "2026-11-03")
	if none.Recorded.Skips[invitation.OutcomeNoRule] != 30 || none.Replayed.Touchpoints != 0 {
		t.Fatalf("no-rule row %+v / %+v", none.Recorded, none.Replayed)
	}
	if csat.Recorded.Touchpoints != 0 || csat.Replayed.Invitations != 30 || csat.Replayed.Emails != 60 || csat.Replayed.Answers != 15 || math.Abs(csat.Replayed.Tickets-3) > 1e-9 {
		t.Fatalf("the new rule should invite 30 at 2 emails, 0.5 answers and 0.1 tickets each: %+v", csat.Replayed)
	}
}

func TestALowerDailyCapStopsEachDayAtTheCap(t *testing.T) {
	t.Parallel()
	var recs []Record
	for i := range 12 {
		recs = append(recs, rec(fmt.Sprintf("d1-%d", i), "support.case.closed", day0.Add(time.Duration(i)*time.Minute)))
	}
	for i := range 8 {
		recs = append(recs, rec(fmt.Sprintf("d2-%d", i), "support.case.closed", day0.Add(24*time.Hour+time.Duration(i)*time.Minute)))
	}
	edited := shipped(t, func(r *catalog.Rule, _ *catalog.Survey) {
		if r.Event == "support.case.closed" {
			r.DailyCap = 5 // was 50000
		}
	})
	d, rep := recorded(t, recs, edited)
	for _, c := range []struct {
		day           string
		total, capped int
	}{{"2026-11-02", 12, 7}, {"2026-11-03", 8, 3}} {
		row := rowOf(t, rep, "csat-support", c.day)
		if row.Recorded.Invitations != c.total || row.Replayed.Invitations != 5 || row.Replayed.Skips[invitation.OutcomeDailyCap] != c.capped {
			t.Fatalf("%s: recorded %+v replayed %+v", c.day, row.Recorded, row.Replayed)
		}
	}
	// The first five of each day keep their invitation: decision order, not chance.
	out := Replay(edited, d)
	for i, r := range d.Records {
		first := slices.Index([]string{"d1-0", "d1-1", "d1-2", "d1-3", "d1-4", "d2-0", "d2-1", "d2-2", "d2-3", "d2-4"}, r.ContactID) >= 0
		if first != (out[i].Outcome == invitation.OutcomeInvited) {
			t.Fatalf("%s replayed %s", r.ContactID, out[i].Outcome)
		}
	}
}

func TestOptOutsSuppressionsAndUnsubscribesCountFromTheirRecordedTime(t *testing.T) {
	t.Parallel()
	a, b := rec("c-a", "support.case.closed", day0), rec("c-a", "support.case.closed", day0.Add(10*24*time.Hour))
	c := rec("c-b", "support.case.closed", day0.Add(10*24*time.Hour))
	e := rec("c-c", "support.case.closed", day0.Add(10*24*time.Hour))
	d := &Dataset{Records: []Record{a, b, c, e},
		OptedOut:     map[string]time.Time{"c-a-hash": day0.Add(24 * time.Hour)},
		Suppressed:   map[string]time.Time{"c-b-hash": day0.Add(11 * 24 * time.Hour)}, // after c-b's touchpoint
		Unsubscribed: map[string]time.Time{"c-c": day0.Add(5 * 24 * time.Hour)},
	}
	got := Replay(shipped(t, nil), d)
	want := []string{invitation.OutcomeInvited, invitation.OutcomeUnsubscribed, invitation.OutcomeInvited, invitation.OutcomeUnsubscribed}
	for i := range got {
		if got[i].Outcome != want[i] {
			t.Fatalf("%s at %s: %s, want %s", d.Records[i].ContactID, d.Records[i].DecidedAt, got[i].Outcome, want[i])
		}
	}
}
