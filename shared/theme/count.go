package theme

import (
	"math"
	"sort"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/metric"
)

// Answer is one submit as the scorer reads it: the score, when (Unix ms), the comment given
// with it and the comment's locale (Item.Lang when empty).
type Answer struct {
	Score   int
	At      int64
	Comment string
	Lang    string
}

// Item is one invitation as the theme counts see it: its submits, its language, the words never
// to count as a found theme (the contact's name) and the dimensions it counts in.
type Item struct {
	Answers []Answer
	Lang    string
	Exclude []string
	Dims    []metric.Dim
}

// Bands are a survey's low band (scores at or below LowMax) and high band (at or above HighMin).
type Bands struct{ LowMax, HighMin int }

// Tally counts the comments of one dimension on one day: all comments, those in the low and the
// high band, and the same three per declared theme mentioned.
type Tally struct {
	Comments, Low, High int64
	Themes              map[string]Mentions
}

// Mentions counts the comments that mention one declared theme, in all and per band.
type Mentions struct{ Comments, Low, High int64 }

// IsZero reports whether m counts nothing.
func (m Mentions) IsZero() bool { return m == Mentions{} }

// Add adds o to t.
func (t *Tally) Add(o Tally) {
	t.Comments += o.Comments
	t.Low += o.Low
	t.High += o.High
	for id, m := range o.Themes {
		if t.Themes == nil {
			t.Themes = map[string]Mentions{}
		}
		c := t.Themes[id]
		c.Comments += m.Comments
		c.Low += m.Low
		c.High += m.High
		t.Themes[id] = c
	}
}

// IsZero reports whether t counts nothing (a change that cancelled out).
func (t Tally) IsZero() bool {
	if t.Comments != 0 || t.Low != 0 || t.High != 0 {
		return false
	}
	for _, m := range t.Themes {
		if !m.IsZero() {
			return false
		}
	}
	return true
}

// TermDay is one day's found-theme vocabulary: how many low-band and high-band comments there
// were and how many of each mention each term.
type TermDay struct {
	LowComments, HighComments int64
	Low, High                 Counts
}

// Day is what a run changes on one day: the tallies per dimension and the overall vocabulary.
type Day struct {
	Dims  map[metric.Dim]Tally
	Terms TermDay
}

// Delta is a run's theme changes: day (UTC yyyy-mm-dd) -> changes.
type Delta map[string]*Day

// MaxTermsPerComment bounds the terms one comment adds (the first ones of the comment), so a
// pasted essay costs what a sentence does.
const MaxTermsPerComment = 40

// Counter counts comments for one survey: its declared themes and bands.
type Counter struct {
	Matcher *Matcher
	Bands   Bands
}

// AddItem adds one invitation's theme changes between watermarks w and u (Unix ms), the way the
// histograms move (metric.ItemDelta): the answer counted at w (the last submit at or before w)
// is taken out and the answer counted at u put in, on the UTC day of the invitation's first
// submit. An answer without a comment (or only spaces) counts nothing.
func (c Counter) AddItem(d Delta, it Item, w, u int64) {
	before, okb := current(it.Answers, w)
	after, oka := current(it.Answers, u)
	if okb == oka && before == after {
		return
	}
	first := it.Answers[0].At
	for _, a := range it.Answers {
		first = min(first, a.At)
	}
	day := time.UnixMilli(first).UTC().Format(time.DateOnly)
	if okb {
		c.add(d, day, it, before, -1)
	}
	if oka {
		c.add(d, day, it, after, +1)
	}
}

func (c Counter) add(d Delta, day string, it Item, a Answer, sign int64) {
	if strings.TrimSpace(a.Comment) == "" {
		return
	}
	lang := it.Lang
	if a.Lang != "" {
		lang = a.Lang
	}
	low, high := a.Score <= c.Bands.LowMax, a.Score >= c.Bands.HighMin
	t := Tally{Comments: sign}
	var m Mentions
	m.Comments = sign
	if low {
		t.Low, m.Low = sign, sign
	}
	if high {
		t.High, m.High = sign, sign
	}
	toks := Tokens(a.Comment, lang)
	if ids := c.Matcher.MatchTokens(toks, lang); len(ids) > 0 {
		t.Themes = map[string]Mentions{}
		for _, id := range ids {
			t.Themes[id] = m
		}
	}
	dd := d[day]
	if dd == nil {
		dd = &Day{Dims: map[metric.Dim]Tally{}, Terms: TermDay{Low: Counts{}, High: Counts{}}}
		d[day] = dd
	}
	for _, dim := range it.Dims {
		cur := dd.Dims[dim]
		cur.Add(t)
		dd.Dims[dim] = cur
	}
	if !low && !high {
		return // the middle band (passives) is in neither side of the comparison
	}
	var skip map[string]bool
	for _, e := range it.Exclude {
		for _, t := range Tokens(e, lang) {
			if skip == nil {
				skip = map[string]bool{}
			}
			skip[t.Word] = true
		}
	}
	terms := TermsOf(toks, skip)
	if len(terms) > MaxTermsPerComment {
		terms = terms[:MaxTermsPerComment]
	}
	side := dd.Terms.High
	if low {
		side = dd.Terms.Low
		dd.Terms.LowComments += sign
	} else {
		dd.Terms.HighComments += sign
	}
	for _, term := range terms {
		side[term] += sign
	}
}

// current returns the submit that counts at watermark t, by the histograms' rule (metric.Current).
func current(answers []Answer, t int64) (Answer, bool) {
	return metric.Current(answers, t, func(a Answer) int64 { return a.At })
}

// Prune drops the changes that cancelled out: zero tallies, zero term counts, empty days.
func (d Delta) Prune() {
	for day, dd := range d {
		for dim, t := range dd.Dims {
			for id, m := range t.Themes {
				if m.IsZero() {
					delete(t.Themes, id)
				}
			}
			if t.IsZero() {
				delete(dd.Dims, dim)
			}
		}
		for _, side := range []Counts{dd.Terms.Low, dd.Terms.High} {
			for term, n := range side {
				if n == 0 {
					delete(side, term)
				}
			}
		}
		if len(dd.Dims) == 0 && dd.Terms.IsZero() {
			delete(d, day)
		}
	}
}

// IsZero reports whether the day's vocabulary changes nothing.
func (t TermDay) IsZero() bool {
	return t.LowComments == 0 && t.HighComments == 0 && len(t.Low) == 0 && len(t.High) == 0
}

// MaxTermsPerBand is the vocabulary kept per day and band: the terms mentioned by the most
// comments. It keeps a day's vocabulary item under about 10 KB whatever the number of comments.
const MaxTermsPerBand = 250

// Merge returns the stored day t with the change d applied and each band cut to its
// MaxTermsPerBand most mentioned terms (ties by term). A term cut from a band and mentioned again
// later starts again from its new mentions: counts of rare terms are lower bounds, the terms
// that matter (mentioned by many) are kept exactly as long as they stay in the top of the day.
// A count that would go below zero (an edit taking back a term that was cut) stops at zero.
func (t TermDay) Merge(d TermDay) TermDay {
	out := TermDay{LowComments: max(0, t.LowComments+d.LowComments), HighComments: max(0, t.HighComments+d.HighComments)}
	out.Low = mergeTop(t.Low, d.Low)
	out.High = mergeTop(t.High, d.High)
	return out
}

func mergeTop(a, b Counts) Counts {
	m := Counts{}
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] += v
	}
	type kv struct {
		k string
		v int64
	}
	list := make([]kv, 0, len(m))
	for k, v := range m {
		if v > 0 {
			list = append(list, kv{k, v})
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].v != list[j].v {
			return list[i].v > list[j].v
		}
		return list[i].k < list[j].k
	})
	out := Counts{}
	for i, e := range list {
		if i == MaxTermsPerBand {
			break
		}
		out[e.k] = e.v
	}
	return out
}

// Window sums the tallies of one dimension over the days from first to last (UTC yyyy-mm-dd,
// inclusive) of days.
func Window(days map[string]map[metric.Dim]Tally, dim metric.Dim, first, last string) Tally {
	var out Tally
	for day, dims := range days {
		if day >= first && day <= last {
			out.Add(dims[dim])
		}
	}
	return out
}

// Share is the percent of the low-band comments of t that mention the theme id, with the 95%
// margin of error of a proportion (normal approximation), rounded to one decimal like scores.
func (t Tally) Share(id string) (value, moe float64) {
	if t.Low <= 0 {
		return 0, 0
	}
	// A changed theme definition can take out a little more than was added (docs/THEMES.md,
	// limits): the share stays a share.
	p := min(1, max(0, float64(t.Themes[id].Low)/float64(t.Low)))
	return math.Round(1000*p) / 10, math.Round(1960*math.Sqrt(p*(1-p)/float64(t.Low))) / 10
}
