package whatif

import (
	"cmp"
	"slices"
	"time"

	"github.com/cxloop/cxloop/shared/cost"
	"github.com/cxloop/cxloop/shared/invitation"
)

// NoSurvey is the row of decisions no survey took (invalid events, touchpoints without a rule).
const NoSurvey = "-"

// Counts is one side (recorded or replayed) of one survey and day.
type Counts struct {
	Touchpoints int
	Invitations int
	Skips       map[string]int // outcome -> count, skips only
	// Emails, answers and tickets: what happened for the recorded side; for the replayed side,
	// what happened where the replay invites the same touchpoint to the same survey, and the
	// survey's observed rates per invitation elsewhere.
	Emails  float64
	Answers float64
	Tickets float64
	Cost    float64 // by the cost model's per-step usage
}

// Row is one survey and UTC day.
type Row struct {
	Survey   string
	Day      string
	Recorded Counts
	Replayed Counts
}

// Rates are a survey's observed outcomes per recorded invitation.
type Rates struct {
	Invitations int
	Emails      float64 // per invitation (the first email and the reminders actually sent)
	Answers     float64
	Tickets     float64
}

// Coverage says how much of the window the recorded data covers.
type Coverage struct {
	Since, Until time.Time
	Decisions    int // records decided in the window
	Changed      int // of those, decided differently by the replay
	Erased       int // decisions left out: their contact was erased
	Items        int // items read
	// SkipsFrom is the first day whose skip decisions are all still kept (retention removes a
	// skip after SkipRetention); before it, only invitations are left, so a replay there sees
	// fewer touchpoints than happened. Zero if the whole window is covered.
	SkipsFrom time.Time
}

// Report is a replay summed per survey and day over a window.
type Report struct {
	Rows     []Row
	Rates    map[string]Rates
	Coverage Coverage
	Currency string
	// Bills price each side's totals over the window: per line and service, for the cost per
	// 1,000 surveys sent and each service's share.
	Recorded, Replayed cost.Bill
}

// Summarize sums the replay out of d (as returned by Replay, which sorted d.Records) per survey
// and decision day for the decisions made at or after since, pricing each side with m.
func Summarize(d *Dataset, out []Replayed, since time.Time, m *cost.Model) *Report {
	rep := &Report{Rates: ratesOf(d.Records), Currency: m.Currency}
	rep.Coverage = Coverage{Since: since, Until: d.ReadAt, Erased: d.Erased, Items: d.Items}
	if d.SkipRetention > 0 {
		if kept := d.ReadAt.Add(-d.SkipRetention).UTC().Truncate(24 * time.Hour).Add(24 * time.Hour); kept.After(since) {
			rep.Coverage.SkipsFrom = kept
		}
	}
	overall := rep.Rates[""]
	type key struct{ survey, day string }
	rows := map[key]*Row{}
	row := func(survey, day string) *Row {
		if survey == "" {
			survey = NoSurvey
		}
		r := rows[key{survey, day}]
		if r == nil {
			r = &Row{Survey: survey, Day: day, Recorded: Counts{Skips: map[string]int{}}, Replayed: Counts{Skips: map[string]int{}}}
			rows[key{survey, day}] = r
		}
		return r
	}
	for i := range d.Records {
		rec, rp := &d.Records[i], out[i]
		if rec.Erased || rec.DecidedAt.Before(since) {
			continue
		}
		rep.Coverage.Decisions++
		if rp.Outcome != rec.Outcome || rp.Survey != rec.Survey || rp.Detail != rec.Detail {
			rep.Coverage.Changed++
		}
		day := rec.DecidedAt.UTC().Format(time.DateOnly)
		a := &row(rec.Survey, day).Recorded
		a.Touchpoints++
		if rec.Outcome == invitation.OutcomeInvited {
			a.Invitations++
			a.Emails += float64(rec.Emails)
			a.Tickets += float64(rec.Tickets)
			if rec.Answered {
				a.Answers++
			}
		} else {
			a.Skips[rec.Outcome]++
		}
		b := &row(rp.Survey, day).Replayed
		b.Touchpoints++
		switch {
		case rp.Outcome != invitation.OutcomeInvited:
			b.Skips[rp.Outcome]++
		case rec.Outcome == invitation.OutcomeInvited && rec.Survey == rp.Survey:
			b.Invitations++
			b.Emails += float64(rec.Emails)
			b.Tickets += float64(rec.Tickets)
			if rec.Answered {
				b.Answers++
			}
		default:
			b.Invitations++
			r, ok := rep.Rates[rp.Survey]
			if !ok || r.Invitations == 0 {
				r = overall
			}
			b.Emails += r.Emails
			b.Answers += r.Answers
			b.Tickets += r.Tickets
		}
	}
	for _, r := range rows {
		r.Recorded.Cost = priced(m, r.Recorded)
		r.Replayed.Cost = priced(m, r.Replayed)
		rep.Rows = append(rep.Rows, *r)
	}
	slices.SortFunc(rep.Rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.Survey, b.Survey), cmp.Compare(a.Day, b.Day))
	})
	a, b := Total(rep.Rows)
	rep.Recorded, rep.Replayed = bill(m, a), bill(m, b)
	return rep
}

// bill prices one side's counts by the model's per-step usage.
func bill(m *cost.Model, c Counts) cost.Bill {
	return m.Bill(m.Estimate(cost.Counts{Touchpoints: float64(c.Touchpoints), Invitations: float64(c.Invitations),
		Emails: c.Emails, Answers: c.Answers, Tickets: c.Tickets}, 0))
}

// priced is the variable cost of one side: its touchpoints, emails, answers and tickets by the
// model's per-step usage (the fixed schedule is the same either way and left out).
func priced(m *cost.Model, c Counts) float64 {
	return bill(m, c).Total
}

// ratesOf observes each survey's emails, answers and tickets per recorded invitation; the key ""
// holds every survey's together, for a survey with no invitation of its own yet.
func ratesOf(recs []Record) map[string]Rates {
	type sum struct {
		n                int
		emails, answered float64
		tickets          float64
	}
	sums := map[string]*sum{"": {}}
	for i := range recs {
		r := &recs[i]
		if r.Erased || r.Outcome != invitation.OutcomeInvited {
			continue
		}
		s := sums[r.Survey]
		if s == nil {
			s = &sum{}
			sums[r.Survey] = s
		}
		for _, s := range []*sum{s, sums[""]} {
			s.n++
			s.emails += float64(r.Emails)
			s.tickets += float64(r.Tickets)
			if r.Answered {
				s.answered++
			}
		}
	}
	out := make(map[string]Rates, len(sums))
	for k, s := range sums {
		if s.n == 0 {
			out[k] = Rates{}
			continue
		}
		n := float64(s.n)
		out[k] = Rates{Invitations: s.n, Emails: s.emails / n, Answers: s.answered / n, Tickets: s.tickets / n}
	}
	return out
}

// Total sums rows into one per side.
func Total(rows []Row) (rec, rep Counts) {
	rec.Skips, rep.Skips = map[string]int{}, map[string]int{}
	for _, r := range rows {
		add(&rec, r.Recorded)
		add(&rep, r.Replayed)
	}
	return rec, rep
}

func add(to *Counts, c Counts) {
	to.Touchpoints += c.Touchpoints
	to.Invitations += c.Invitations
	to.Emails += c.Emails
	to.Answers += c.Answers
	to.Tickets += c.Tickets
	to.Cost += c.Cost
	for k, v := range c.Skips {
		to.Skips[k] += v
	}
}
