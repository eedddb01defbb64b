package whatif

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cxloop/cxloop/shared/cost"
	"github.com/cxloop/cxloop/shared/invitation"
)

// skipOutcomes are the outcomes reported as skips, in the order the rules apply them.
var skipOutcomes = invitation.Outcomes[1:]

// WriteText writes the report as a text table: the coverage, then per survey and day what
// happened, what the edited catalog would have done, and the difference.
func (r *Report) WriteText(w io.Writer) error {
	c := r.Coverage
	fmt.Fprintf(w, "What-if replay of %d decisions from %s to %s.\n", c.Decisions,
		c.Since.UTC().Format(time.DateOnly), c.Until.UTC().Format(time.DateOnly))
	fmt.Fprintf(w, "Decided differently by the edited catalog: %d of %d.\n", c.Changed, c.Decisions)
	fmt.Fprintf(w, "Left out: %d decisions of erased contacts.\n", c.Erased)
	if !c.SkipsFrom.IsZero() {
		fmt.Fprintf(w, "Coverage: skip decisions are kept for a limited time; before %s only invitations are left, so those days count fewer touchpoints than happened.\n",
			c.SkipsFrom.Format(time.DateOnly))
	} else {
		fmt.Fprintln(w, "Coverage: every decision of the window is still kept.")
	}
	fmt.Fprintln(w, "Expected emails, answers and tickets of a new invitation: the survey's observed rates per invitation;")
	fmt.Fprintln(w, "an invitation both sides make keeps what actually followed it. Costs: variable cost by costs.yaml.")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "survey\tday\ttouchpoints\tinvited\tΔ\temails\tΔ\tanswers\tΔ\ttickets\tΔ\tcost "+r.Currency+"\tΔ\t")
	line := func(survey, day string, a, b Counts) {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%+d\t%.1f\t%+.1f\t%.1f\t%+.1f\t%.1f\t%+.1f\t%.4f\t%+.4f\t\n", survey, day, b.Touchpoints,
			b.Invitations, b.Invitations-a.Invitations, b.Emails, b.Emails-a.Emails, b.Answers, b.Answers-a.Answers,
			b.Tickets, b.Tickets-a.Tickets, b.Cost, b.Cost-a.Cost)
	}
	for _, row := range r.Rows {
		line(row.Survey, row.Day, row.Recorded, row.Replayed)
	}
	a, b := Total(r.Rows)
	line("total", "", a, b)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Variable cost over the window by costs.yaml (%s): what happened %s; edited catalog %s.\n",
		r.Recorded.Region, r.costLine(r.Recorded, a.Invitations), r.costLine(r.Replayed, b.Invitations))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Skips by reason over the window, replayed (difference from what happened):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "survey\t"+strings.Join(skipOutcomes, "\t")+"\t")
	bySurvey := map[string][2]Counts{}
	var surveys []string
	for _, row := range r.Rows {
		s, ok := bySurvey[row.Survey]
		if !ok {
			s = [2]Counts{{Skips: map[string]int{}}, {Skips: map[string]int{}}}
			surveys = append(surveys, row.Survey)
		}
		add(&s[0], row.Recorded)
		add(&s[1], row.Replayed)
		bySurvey[row.Survey] = s
	}
	slices.Sort(surveys)
	for _, s := range surveys {
		fmt.Fprint(tw, s)
		for _, o := range skipOutcomes {
			fmt.Fprintf(tw, "\t%d (%+d)", bySurvey[s][1].Skips[o], bySurvey[s][1].Skips[o]-bySurvey[s][0].Skips[o])
		}
		fmt.Fprintln(tw, "\t")
	}
	return tw.Flush()
}

// costLine is a bill's total, its cost per 1,000 surveys sent and each service's share.
func (r *Report) costLine(b cost.Bill, sent int) string {
	services := make([]string, 0, len(b.Share))
	for s := range b.Share {
		services = append(services, s)
	}
	slices.SortFunc(services, func(x, y string) int { return cmp.Compare(b.Share[y], b.Share[x]) })
	var shares []string
	for _, s := range services {
		shares = append(shares, fmt.Sprintf("%s %.0f%%", s, 100*b.Share[s]))
	}
	return fmt.Sprintf("%.4f %s (%.4f per 1,000 surveys sent; %s)", b.Total, b.Currency,
		cost.PerThousand(b.Total, float64(sent)), strings.Join(shares, ", "))
}

// WriteCSV writes one line per survey and day with both sides and every skip reason.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := []string{"survey", "day", "touchpoints_recorded", "touchpoints_replayed", "invited_recorded", "invited_replayed"}
	for _, o := range skipOutcomes {
		head = append(head, o+"_recorded", o+"_replayed")
	}
	head = append(head, "emails_recorded", "emails_replayed", "answers_recorded", "answers_replayed",
		"tickets_recorded", "tickets_replayed", "cost_recorded", "cost_replayed", "currency")
	if err := cw.Write(head); err != nil {
		return err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for _, row := range r.Rows {
		a, b := row.Recorded, row.Replayed
		rec := []string{row.Survey, row.Day, strconv.Itoa(a.Touchpoints), strconv.Itoa(b.Touchpoints),
			strconv.Itoa(a.Invitations), strconv.Itoa(b.Invitations)}
		for _, o := range skipOutcomes {
			rec = append(rec, strconv.Itoa(a.Skips[o]), strconv.Itoa(b.Skips[o]))
		}
		rec = append(rec, f(a.Emails), f(b.Emails), f(a.Answers), f(b.Answers), f(a.Tickets), f(b.Tickets),
			f(math.Round(a.Cost*1e6)/1e6), f(math.Round(b.Cost*1e6)/1e6), r.Currency)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteSVG draws invitations per day, every survey together: what happened and the replay.
func (r *Report) WriteSVG(w io.Writer) error {
	days := map[string][2]float64{}
	for _, row := range r.Rows {
		v := days[row.Day]
		v[0] += float64(row.Recorded.Invitations)
		v[1] += float64(row.Replayed.Invitations)
		days[row.Day] = v
	}
	var keys []string
	for k := range days {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	const width, height, left, right, top, bottom = 720.0, 320.0, 60.0, 20.0, 40.0, 50.0
	top1 := 1.0
	for _, v := range days {
		top1 = math.Max(top1, math.Max(v[0], v[1]))
	}
	x := func(i int) float64 {
		if len(keys) < 2 {
			return left + (width-left-right)/2
		}
		return left + float64(i)*(width-left-right)/float64(len(keys)-1)
	}
	y := func(v float64) float64 { return height - bottom - v/top1*(height-top-bottom) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	b.WriteString(`<title>Invitations per day: recorded and replayed against the edited catalog</title>` + "\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="20" font-size="14">Invitations per day (all surveys): what happened vs. the edited catalog</text>`+"\n", left)
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#555"/>`+"\n", left, height-bottom, width-right, height-bottom)
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#555"/>`+"\n", left, top, left, height-bottom)
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="end">%.0f</text>`+"\n", left-6, top+4, top1)
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="end">0</text>`+"\n", left-6, height-bottom+4)
	for i, k := range keys {
		if i == 0 || i == len(keys)-1 || len(keys) <= 10 || i%(len(keys)/8) == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle">%s</text>`+"\n", x(i), height-bottom+18, html.EscapeString(k[5:]))
		}
	}
	for side, style := range []string{`stroke="#888" stroke-dasharray="6 4"`, `stroke="#0a4f96"`} {
		var pts []string
		for i, k := range keys {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(days[k][side])))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke-width="2" %s points="%s"/>`+"\n", style, strings.Join(pts, " "))
	}
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#888" stroke-width="2" stroke-dasharray="6 4"/><text x="%.0f" y="%.0f">recorded</text>`+"\n",
		left, height-14, left+30, height-14, left+36, height-10)
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#0a4f96" stroke-width="2"/><text x="%.0f" y="%.0f">edited catalog</text>`+"\n",
		left+120, height-14, left+150, height-14, left+156, height-10)
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
