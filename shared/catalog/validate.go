package catalog

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cxloop/cxloop/shared/locale"

	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/ticket"
)

// windowList names the scored windows: "1d, 7d, 30d, 90d".
func windowList() string { return strings.Join(metric.WindowNames(), ", ") }

// alertWindow reports whether d is one of the windows the scorer computes (metric.Windows).
func alertWindow(d time.Duration) bool {
	return d%Day == 0 && slices.Contains(metric.Windows, int(d/Day))
}

// The name patterns compile on first use, like every pattern of this package: the functions
// take the catalog compiled into them and never validate at run time, and the counted repeats
// below unroll into hundreds of states that cost every function about half a millisecond of its
// cold start if compiled at init.
var (
	idRE      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$`) })
	eventRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$`) })
	segmentRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$`) })
	teamRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`) })
	localeRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`) })
)

// Validate checks the catalog's meaning: required keys, formats, scales, and rules that could never
// fire or would always fire. It returns every problem, joined with errors.Join, each a *FieldError.
// Load calls it; call it yourself on a catalog built in code.
func (c *Catalog) Validate() error { return errors.Join(c.validate(nil)...) }

// validator collects errors, locating each path on the line Load recorded for it.
type validator struct {
	pos  map[string]int
	skip map[string]bool
	errs []error
}

func (c *Catalog) validate(skip map[string]bool) []error {
	v := &validator{pos: c.pos, skip: skip}
	if !v.present("version", c.Version != "") || strings.TrimSpace(c.Version) == "" {
		v.fail("version", "is required: bump it whenever a survey changes")
	}
	v.nonNegative("globalQuietPeriod", c.GlobalQuietPeriod)
	v.nonNegative("editWindow", c.EditWindow)
	if c.MinSample < 0 {
		v.fail("minSample", "must be 0 (the default, %d) or more", DefaultMinSample)
	}
	v.brand("brand", c.Brand)
	if len(c.Surveys) == 0 {
		v.fail("surveys", "at least one survey is required")
	}
	surveys := map[string]string{} // id -> path
	events := map[string]string{}  // touchpoint -> path of the rule that claims it
	alerts := map[string]string{}  // alert id -> path
	for i := range c.Surveys {
		s := &c.Surveys[i]
		p := fmt.Sprintf("surveys[%d]", i)
		v.id(p+".id", s.ID, s.ID != "")
		if first, dup := surveys[s.ID]; dup && s.ID != "" {
			v.fail(p+".id", "%q repeats %s.id at line %d: survey ids must be unique", s.ID, first, v.line(first+".id"))
		} else {
			surveys[s.ID] = p
		}
		v.survey(p, s, events, alerts)
	}
	return v.errs
}

func (v *validator) survey(p string, s *Survey, events, alerts map[string]string) {
	min, max := s.Metric.Scale()
	if !v.present(p+".metric", s.Metric != "") {
		v.fail(p+".metric", "is required: one of nps, csat, ces")
	} else if !s.Metric.Valid() {
		v.fail(p+".metric", "%q is not a metric: use nps (0-10), csat (1-5) or ces (1-7)", s.Metric)
	}
	locales := v.text(p+".title", s.Title, nil, true)
	for _, l := range locales {
		if localeRE().MatchString(l) && !locale.Has(l) {
			v.fail(p+".title."+l, "cxloop has no page or email texts in %q (it has %s): add shared/locale/%s.go, or leave the language out", l, strings.Join(locale.Languages(), ", "), strings.SplitN(l, "-", 2)[0])
		}
	}
	v.text(p+".question", s.Question, locales, true)
	v.text(p+".comment", s.Comment, locales, false)
	v.reviewURL(p+".reviewUrl", s.ReviewURL)

	segs := map[string]bool{}
	for j, name := range s.Segments {
		sp := fmt.Sprintf("%s.segments[%d]", p, j)
		switch {
		case !segmentRE().MatchString(name):
			v.fail(sp, "%q is not a segment name: letters, digits, _ . - (the event attribute's name)", name)
		case segs[name]:
			v.fail(sp, "%q is listed twice", name)
		}
		segs[name] = true
	}

	if !v.present(p+".touchpoints", len(s.Touchpoints) > 0) || len(s.Touchpoints) == 0 {
		v.fail(p+".touchpoints", "at least one touchpoint rule is required, or the survey is never sent")
	}
	rules := map[string]bool{}
	for j := range s.Touchpoints {
		v.rule(fmt.Sprintf("%s.touchpoints[%d]", p, j), s, &s.Touchpoints[j], events)
		v.context(fmt.Sprintf("%s.touchpoints[%d].context", p, j), s.Touchpoints[j].Context, locales)
		rules[s.Touchpoints[j].Event] = true
	}

	if f := s.Followup; f != nil {
		fp := p + ".followup"
		switch {
		case !v.present(fp+".atOrBelow", true):
			v.fail(fp, "atOrBelow is required: answers at or below it open a ticket")
		case !s.Metric.Valid():
		case f.AtOrBelow < min:
			v.fail(fp+".atOrBelow", "%d is below the %s scale %d..%d: no answer would ever open a ticket", f.AtOrBelow, s.Metric, min, max)
		case f.AtOrBelow >= max:
			v.fail(fp+".atOrBelow", "%d is at or above the top of the %s scale %d..%d: every answer would open a ticket", f.AtOrBelow, s.Metric, min, max)
		}
		if !slices.Contains(ticket.Priorities, f.Priority) {
			v.fail(fp+".priority", "%q is not a priority: use one of %s", f.Priority, strings.Join(ticket.Priorities, ", "))
		}
		v.team(fp+".team", f.Team)
		if f.SLAHours <= 0 {
			v.fail(fp+".slaHours", "%d must be a number of hours above 0", f.SLAHours)
		}
		for k, r := range f.Routes {
			rp := fmt.Sprintf("%s.routes[%d]", fp, k)
			v.team(rp+".team", r.Team)
			if r.Touchpoint == "" && len(r.Segment) == 0 {
				v.fail(rp, "a route needs a touchpoint, a segment or both: without them it takes every ticket and the rules after it never apply")
			}
			if r.Touchpoint != "" && !rules[r.Touchpoint] {
				v.fail(rp+".touchpoint", "%q is not one of this survey's touchpoints, so the route never matches", r.Touchpoint)
			}
			for _, name := range sortedKeys(r.Segment) {
				if !segs[name] {
					v.fail(rp+".segment."+name, "%q is not one of this survey's segments (%s), so the route never matches", name, strings.Join(s.Segments, ", "))
				} else if r.Segment[name] == "" {
					v.fail(rp+".segment."+name, "needs a value")
				}
			}
		}
		v.text(fp+".closeLoop", f.CloseLoop, locales, false)
	}

	for j := range s.Alerts {
		a := &s.Alerts[j]
		ap := fmt.Sprintf("%s.alerts[%d]", p, j)
		v.id(ap+".id", a.ID, a.ID != "")
		if first, dup := alerts[a.ID]; dup && a.ID != "" {
			v.fail(ap+".id", "%q repeats %s.id at line %d: alert ids must be unique", a.ID, first, v.line(first+".id"))
		} else {
			alerts[a.ID] = ap
		}
		v.alert(ap, s, a)
	}
	v.themes(p, s)
}

func (v *validator) rule(p string, s *Survey, r *Rule, events map[string]string) {
	switch {
	case !v.present(p+".event", r.Event != "") || r.Event == "":
		v.fail(p+".event", "is required: the touchpoint name producers send, such as order.delivered")
	case !eventRE().MatchString(r.Event):
		v.fail(p+".event", "%q is not a touchpoint name: letters, digits and . _ : / -", r.Event)
	default:
		if first, claimed := events[r.Event]; claimed {
			v.fail(p+".event", "%q is already claimed by %s at line %d: the first rule in catalog order wins, so this rule never fires", r.Event, first, v.line(first+".event"))
		} else {
			events[r.Event] = p
		}
	}
	v.nonNegative(p+".delay", r.Delay)
	switch rate := r.SampleRate; {
	case !v.present(p+".sampleRate", rate != 0):
		v.fail(p+".sampleRate", "is required: the share of touchpoints surveyed, from above 0 to 1")
	case math.IsNaN(rate) || rate < 0 || rate > 1:
		v.fail(p+".sampleRate", "%v is outside 0..1", rate)
	case rate == 0:
		v.fail(p+".sampleRate", "0 samples nobody, so the rule never fires: remove the rule or use a rate above 0")
	}
	v.nonNegative(p+".quietPeriod", r.QuietPeriod)
	switch {
	case !v.present(p+".dailyCap", r.DailyCap != 0):
		v.fail(p+".dailyCap", "is required: the most invitations per day for this survey")
	case r.DailyCap == 0:
		v.fail(p+".dailyCap", "0 allows no invitation, so the rule never fires")
	case r.DailyCap < 0:
		v.fail(p+".dailyCap", "%d must be above 0", r.DailyCap)
	}
	switch {
	case !v.present(p+".linkExpiry", r.LinkExpiry.Duration != 0):
		v.fail(p+".linkExpiry", "is required: how long the survey link works, such as 14d")
	case r.LinkExpiry.Duration < time.Hour:
		v.fail(p+".linkExpiry", "%s is under an hour: the link would expire before most people open the email", r.LinkExpiry)
	case r.LinkExpiry.Duration <= r.Delay.Duration:
		v.fail(p+".linkExpiry", "%s is not longer than the delay %s: a link that lives shorter than the wait before sending is almost certainly the two values swapped", r.LinkExpiry, r.Delay)
	}
	switch {
	case r.ReminderAfter.Duration < 0:
		v.fail(p+".reminderAfter", "%s must not be negative", r.ReminderAfter)
	case r.ReminderAfter.Duration > 0 && r.LinkExpiry.Duration > 0 && r.ReminderAfter.Duration >= r.LinkExpiry.Duration:
		v.fail(p+".reminderAfter", "%s is not before linkExpiry %s: the reminder would go out after the link expired", r.ReminderAfter, r.LinkExpiry)
	}
}

func (v *validator) alert(p string, s *Survey, a *Alert) {
	m := s.Metric
	if !v.present(p+".window", a.Window.Duration != 0) {
		v.fail(p+".window", "is required: one of %s", windowList())
	} else if !alertWindow(a.Window.Duration) {
		v.fail(p+".window", "%s is not a scored window: use one of %s", a.Window, windowList())
	}
	lo, hi := m.ScoreRange()
	switch {
	case a.ShareAbove != nil && (a.Below != nil || a.DropBy != nil):
		v.fail(p, "needs exactly one of below, dropBy or shareAbove (with theme): write two alerts for two conditions")
	case a.ShareAbove != nil:
		v.themeAlert(p, s, a)
	case a.Theme != "":
		v.fail(p+".theme", "needs shareAbove: the percent of low-band comments mentioning the theme")
	case (a.Below == nil) == (a.DropBy == nil):
		v.fail(p, "needs exactly one of below (a score threshold), dropBy (points lost against the previous window) or shareAbove (with theme)")
	case !m.Valid():
	case a.Below != nil && (math.IsNaN(*a.Below) || *a.Below <= lo || *a.Below > hi):
		if *a.Below == lo {
			v.fail(p+".below", "%v is the lowest %s score: no score is below it, so the alert never fires", *a.Below, m)
		} else {
			v.fail(p+".below", "%v is outside the %s score range %v..%v", *a.Below, m, lo, hi)
		}
	case a.DropBy != nil && (math.IsNaN(*a.DropBy) || *a.DropBy <= 0 || *a.DropBy > hi-lo):
		v.fail(p+".dropBy", "%v must be above 0 and at most %v points (the %s score range)", *a.DropBy, hi-lo, m)
	}
	if !v.present(p+".minResponses", a.MinResponses != 0) {
		v.fail(p+".minResponses", "is required: the fewest responses in the window before the alert may fire")
	} else if a.MinResponses < 1 {
		v.fail(p+".minResponses", "%d must be at least 1", a.MinResponses)
	}
	if !v.present(p+".cooldown", a.Cooldown.Duration != 0) {
		v.fail(p+".cooldown", "is required: how long after firing the alert stays quiet, such as 24h")
	} else if a.Cooldown.Duration <= 0 {
		v.fail(p+".cooldown", "%s must be above 0, or the alert fires on every scoring run", a.Cooldown)
	}
}

// text checks a localized text. With want nil it is the reference (title): "en" and at least one
// more locale. Otherwise it must carry exactly the locales of want. It returns its sorted locales.
func (v *validator) text(p string, t Text, want []string, required bool) []string {
	if len(t) == 0 {
		if required {
			v.fail(p, "is required, in en and at least one more language")
		}
		return want
	}
	got := sortedKeys(t)
	for _, l := range got {
		if !localeRE().MatchString(l) {
			v.fail(p+"."+l, "%q is not a locale: use a language code such as en, es or pt-BR", l)
		} else if strings.TrimSpace(t[l]) == "" {
			v.fail(p+"."+l, "is empty")
		}
	}
	switch {
	case want == nil && t["en"] == "":
		v.fail(p, "needs an en text: English is the fallback for every other language")
	case want == nil && len(t) < 2:
		v.fail(p, "needs at least one language besides en")
	case want != nil && !slices.Equal(got, want):
		v.fail(p, "has languages %s but the title has %s: give every text the same languages", strings.Join(got, ", "), strings.Join(want, ", "))
	}
	if want == nil {
		return got
	}
	return want
}

func (v *validator) id(p, id string, nonZero bool) {
	if !v.present(p, nonZero) || id == "" {
		v.fail(p, "is required")
	} else if !idRE().MatchString(id) {
		v.fail(p, "%q is not an id: lower-case letters, digits and inner hyphens (a-z 0-9 -), at most 64", id)
	}
}

func (v *validator) team(p, team string) {
	if team == "" {
		v.fail(p, "is required: the team that receives the tickets")
	} else if !teamRE().MatchString(team) {
		v.fail(p, "%q is not a team name: letters, digits and . _ -", team)
	}
}

func (v *validator) nonNegative(p string, d Duration) {
	if d.Duration < 0 {
		v.fail(p, "%s must not be negative", d)
	}
}

// present says whether a key was given: from the loaded positions, else from the field's value.
func (v *validator) present(p string, nonZero bool) bool {
	if v.pos != nil {
		_, ok := v.pos[p]
		return ok
	}
	return nonZero
}

// line finds the line of a path, or of its nearest located parent.
func (v *validator) line(p string) int {
	for p != "" {
		if n, ok := v.pos[p]; ok {
			return n
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

func (v *validator) fail(p, format string, args ...any) {
	for q := p; q != ""; {
		if v.skip[q] {
			return // Load already reported this key or a parent of it
		}
		i := strings.LastIndexAny(q, ".[")
		if i < 0 {
			break
		}
		q = q[:i]
	}
	v.errs = append(v.errs, &FieldError{Line: v.line(p), Path: p, Msg: fmt.Sprintf(format, args...)})
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
