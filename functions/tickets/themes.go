package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/theme"
	"github.com/cxloop/cxloop/shared/web"
)

// Found themes are listed only when the window has enough comments on both sides and a term is
// both frequent and clearly typical of its band: rare words (a name, a one-off) never show.
const (
	// MinTermMentions is the fewest comments of its band a found term needs.
	MinTermMentions = 3
	// MinZ is the least |z| of a found term: 1.96 is the 95% two-sided level.
	MinZ = 1.96
	// MaxFound is the most found terms listed per side.
	MaxFound = 10
	// ExamplesPerTerm is how many example comments a found term shows.
	ExamplesPerTerm = 2
	// trendPeriods is how many windows of the chosen length the declared themes' trend covers.
	trendPeriods = 4
)

// ThemesReport is GET /ops/themes and the Themes page: a survey's declared and found themes over
// one window ending on the scorer's latest day.
type ThemesReport struct {
	Survey    string `json:"survey"`
	Metric    string `json:"metric"`
	Window    string `json:"window"`
	Dim       string `json:"dim"`
	From      string `json:"from"` // first day of the window (UTC yyyy-mm-dd)
	To        string `json:"to"`   // last day
	LowMax    int    `json:"lowMax"`
	HighMin   int    `json:"highMin"`
	MinSample int    `json:"minSample"`
	// Comments, Low and High count the window's comments in the dimension: all, low band, high band.
	Comments int64          `json:"comments"`
	Low      int64          `json:"low"`
	High     int64          `json:"high"`
	Declared []DeclaredLine `json:"declared"`
	// Found are the terms most typical of low-band comments, Praised of high-band ones (overall:
	// found themes are kept per survey and day, not per dimension).
	Found   []FoundLine `json:"found"`
	Praised []FoundLine `json:"praised"`
	// FoundNote says why no found theme is listed, when none is.
	FoundNote string `json:"foundNote,omitempty"`
}

// DeclaredLine is one declared theme over the window.
type DeclaredLine struct {
	Theme    string `json:"theme"`
	Comments int64  `json:"comments"`
	Low      int64  `json:"low"`
	High     int64  `json:"high"`
	// LowShare is the percent of the window's low-band comments that mention the theme, with its
	// 95% margin of error; HighShare the same in the high band.
	LowShare  float64 `json:"lowShare"`
	LowMOE    float64 `json:"lowMarginOfError"`
	HighShare float64 `json:"highShare"`
	// Trend is LowShare over the trendPeriods windows of the same length, oldest first, ending
	// with this one.
	Trend []TrendPoint `json:"trend"`
}

// TrendPoint is a declared theme's low-band share over one window.
type TrendPoint struct {
	To    string  `json:"to"`
	Low   int64   `json:"low"` // low-band comments in that window
	Share float64 `json:"share"`
}

// FoundLine is one found theme: a stemmed word or two-word phrase with its Fightin' Words score.
type FoundLine struct {
	Term     string    `json:"term"`
	Label    string    `json:"label"` // the term as customers wrote it, from an example when there is one
	Low      int64     `json:"low"`
	High     int64     `json:"high"`
	Z        float64   `json:"z"`
	Delta    float64   `json:"delta"`
	Examples []Example `json:"examples"`
}

// Example is one comment that uses a found term, read from the answers on demand.
type Example struct {
	Score   int    `json:"score"`
	Day     string `json:"day"`
	Comment string `json:"comment"`
}

// themes: GET /ops/themes?survey=&window=&touchpoint=&segment=, JSON or CSV (Accept: text/csv,
// or format=csv). Without survey, the catalog's first; without window, 30d.
func (h *Handler) themes(r *http.Request, who *access.Token) (web.Reply, error) {
	rep, err := h.themesReport(r, who)
	if err != nil {
		return web.Reply{}, err
	}
	if strings.Contains(web.Header(r, "Accept"), "text/csv") || web.Query(r, "format") == "csv" {
		return themesCSV(rep)
	}
	return web.JSON(http.StatusOK, rep), nil
}

func (h *Handler) themesReport(r *http.Request, who *access.Token) (*ThemesReport, error) {
	ctx := r.Context()
	sv := &h.Catalog.Surveys[0]
	if id := web.Query(r, "survey"); id != "" {
		var ok bool
		if sv, ok = h.Catalog.Survey(id); !ok {
			return nil, fmt.Errorf("%w: unknown survey %q", errBadRequest, id)
		}
	}
	window := "30d"
	if w := web.Query(r, "window"); w != "" {
		window = w
	}
	n, ok := windowLength(window)
	if !ok {
		return nil, fmt.Errorf("%w: window must be one of %s", errBadRequest, strings.Join(metric.WindowNames(), ", "))
	}
	dim, err := dimOf(r)
	if err != nil {
		return nil, err
	}
	if d := web.Query(r, "dim"); strings.HasPrefix(d, "tp:") || strings.HasPrefix(d, "seg:") {
		dim = metric.Dim(d) // the console's dimension picker
	}
	last := h.Store.Now().UTC().Format(time.DateOnly)
	if snap, err := h.Store.LatestScores(ctx, sv.ID); err == nil {
		last = snap.Day // the scorer's day: the counts go no further
	}
	lo, hi := sv.Bands()
	rep := &ThemesReport{Survey: sv.ID, Metric: string(sv.Metric), Window: window, Dim: string(dim),
		From: shiftDay(last, -(n - 1)), To: last, LowMax: lo, HighMin: hi, MinSample: h.Catalog.MinimumSample(),
		Declared: []DeclaredLine{}, Found: []FoundLine{}, Praised: []FoundLine{}}

	_, tallies, err := h.Store.ReadDayCounts(ctx, sv.ID, shiftDay(last, -(trendPeriods*n-1)), last)
	if err != nil {
		return nil, err
	}
	cur := theme.Window(tallies, dim, rep.From, last)
	rep.Comments, rep.Low, rep.High = cur.Comments, cur.Low, cur.High
	for _, t := range sv.Themes {
		m := cur.Themes[t.ID]
		line := DeclaredLine{Theme: t.ID, Comments: m.Comments, Low: m.Low, High: m.High}
		line.LowShare, line.LowMOE = cur.Share(t.ID)
		if cur.High > 0 {
			line.HighShare = float64(int64(1000*float64(m.High)/float64(cur.High)+0.5)) / 10
		}
		for p := trendPeriods - 1; p >= 0; p-- {
			end := shiftDay(last, -p*n)
			w := theme.Window(tallies, dim, shiftDay(end, -(n-1)), end)
			share, _ := w.Share(t.ID)
			line.Trend = append(line.Trend, TrendPoint{To: end, Low: w.Low, Share: share})
		}
		rep.Declared = append(rep.Declared, line)
	}
	if err := h.found(r, who, sv, rep); err != nil {
		return nil, err
	}
	// Example comments are customers' words: the read is recorded per person, like a ticket's.
	examples := 0
	for _, l := range append(slices.Clone(rep.Found), rep.Praised...) {
		examples += len(l.Examples)
	}
	if examples > 0 {
		subject := "survey=" + rep.Survey + " window=" + rep.Window + " dim=" + rep.Dim
		if err := h.audit(r.Context(), who, "theme examples", subject, examples); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// found fills the found themes: the window's vocabulary items summed, scored by Fightin' Words,
// and up to two examples each read from the answers (masked for viewers, see exampleText).
func (h *Handler) found(r *http.Request, who *access.Token, sv *catalog.Survey, rep *ThemesReport) error {
	ctx := r.Context()
	days, err := h.Store.ReadTermDays(ctx, sv.ID, rep.From, rep.To)
	if err != nil {
		return err
	}
	low, high := theme.Counts{}, theme.Counts{}
	var nLow, nHigh int64
	for _, d := range days {
		low.Add(d.Low)
		high.Add(d.High)
		nLow += d.LowComments
		nHigh += d.HighComments
	}
	if nLow < int64(rep.MinSample) || nHigh < int64(rep.MinSample) {
		rep.FoundNote = fmt.Sprintf("Found themes need at least %d low-band and %d high-band comments in the window; it has %d and %d.",
			rep.MinSample, rep.MinSample, nLow, nHigh)
		return nil
	}
	for _, s := range theme.FightinWords(low, high, nil, theme.DefaultPriorSize) {
		line := FoundLine{Term: s.Term, Label: s.Term, Low: s.Low, High: s.High, Z: round2(s.Z), Delta: round2(s.Delta)}
		switch {
		case s.Z >= MinZ && s.Low >= MinTermMentions && len(rep.Found) < MaxFound:
			rep.Found = append(rep.Found, line)
		case s.Z <= -MinZ && s.High >= MinTermMentions:
			rep.Praised = append(rep.Praised, line)
		}
	}
	slices.Reverse(rep.Praised) // most typical of the high band first
	rep.Praised = rep.Praised[:min(len(rep.Praised), MaxFound)]
	if len(rep.Found)+len(rep.Praised) == 0 {
		rep.FoundNote = "No word or phrase is clearly more typical of one band than of the other in this window."
		return nil
	}
	from, _ := time.Parse(time.DateOnly, rep.From)
	to, _ := time.Parse(time.DateOnly, rep.To)
	comments, err := h.Store.FeedComments(ctx, sv.ID, from, to.Add(24*time.Hour-time.Millisecond), store.ExampleBudget)
	if err != nil {
		return err
	}
	// The latest comments first, whichever feed shard they came from.
	slices.SortStableFunc(comments, func(a, b store.FeedComment) int { return b.At.Compare(a.At) })
	attach := func(lines []FoundLine, inBand func(int) bool) {
		for i := range lines {
			for _, c := range comments {
				if len(lines[i].Examples) == ExamplesPerTerm {
					break
				}
				if !inBand(c.Score) {
					continue
				}
				label, ok := uses(c.Comment, c.Lang, lines[i].Term)
				if !ok {
					continue
				}
				if len(lines[i].Examples) == 0 {
					lines[i].Label = label
				}
				lines[i].Examples = append(lines[i].Examples, Example{Score: c.Score, Day: c.At.Format(time.DateOnly),
					Comment: exampleText(who.Role, c.Comment)})
			}
		}
	}
	attach(rep.Found, func(s int) bool { return s <= rep.LowMax })
	attach(rep.Praised, func(s int) bool { return s >= rep.HighMin })
	return nil
}

// uses reports whether a comment has the found term, and the term as the comment wrote it.
func uses(comment, lang, term string) (string, bool) {
	if !slices.Contains(theme.Terms(comment, lang), term) {
		return "", false
	}
	stems := strings.Fields(term)
	toks := theme.Tokens(comment, lang)
	var content []theme.Token
	for _, t := range toks {
		if !t.Stop && !t.Proper {
			content = append(content, t)
		}
	}
	for i := 0; i+len(stems) <= len(content); i++ {
		words := make([]string, 0, len(stems))
		for j, s := range stems {
			if content[i+j].Stem != s {
				break
			}
			words = append(words, content[i+j].Word)
		}
		if len(words) == len(stems) {
			return strings.Join(words, " "), true
		}
	}
	return term, true
}

// exampleText applies the console's role rule (visible) to an example comment: agents and admins
// read it as written; a viewer sees what looks like contact data in it (addresses, phone numbers,
// anything with a digit, likely names) masked.
func exampleText(role, comment string) string {
	if access.Allows(role, access.Agent) {
		return comment
	}
	return theme.Redact(comment, Masked)
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// windowLength is a window name's length in days.
func windowLength(w string) (int, bool) {
	for _, n := range metric.Windows {
		if metric.WindowName(n) == w {
			return n, true
		}
	}
	return 0, false
}

// shiftDay moves a UTC day (yyyy-mm-dd) by n days.
func shiftDay(day string, n int) string {
	t, _ := time.Parse(time.DateOnly, day)
	return t.AddDate(0, 0, n).Format(time.DateOnly)
}

func themesCSV(rep *ThemesReport) (web.Reply, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"survey", "window", "dim", "from", "to", "kind", "theme", "comments", "low", "high",
		"low_share", "low_margin_of_error", "high_share", "z", "delta"})
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	i := func(x int64) string { return strconv.FormatInt(x, 10) }
	head := []string{rep.Survey, rep.Window, rep.Dim, rep.From, rep.To}
	for _, d := range rep.Declared {
		_ = w.Write(append(slices.Clone(head), "declared", d.Theme, i(d.Comments), i(d.Low), i(d.High), f(d.LowShare), f(d.LowMOE), f(d.HighShare), "", ""))
	}
	for _, group := range []struct {
		kind  string
		lines []FoundLine
	}{{"found-low", rep.Found}, {"found-high", rep.Praised}} {
		for _, l := range group.lines {
			_ = w.Write(append(slices.Clone(head), group.kind, l.Term, i(l.Low+l.High), i(l.Low), i(l.High), "", "", "", f(l.Z), f(l.Delta)))
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return web.Reply{}, err
	}
	return web.Reply{StatusCode: http.StatusOK, Body: b.String(), Headers: map[string]string{
		"Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
		"Content-Disposition": `attachment; filename="themes.csv"`}}, nil
}

// themesView is the Themes page.
type themesView struct {
	R       *ThemesReport
	Surveys []string
	Windows []string
	Dims    []string
	CSV     string
}

// themesTemplate is the Themes page with the console's layout.
var themesTemplate = consolePage("themes", nil)

// themesPage: GET /ops/themes/page, the same report as a console page.
func (h *Handler) themesPage(r *http.Request, who *access.Token) (web.Reply, error) {
	rep, err := h.themesReport(r, who)
	if err != nil {
		return web.Reply{}, err
	}
	v := themesView{R: rep, Windows: metric.WindowNames()}
	for _, sv := range h.Catalog.Surveys {
		v.Surveys = append(v.Surveys, sv.ID)
	}
	if snap, err := h.Store.LatestScores(r.Context(), rep.Survey); err == nil {
		for _, row := range snap.Scores {
			if row.Window == rep.Window && row.Dim != metric.Overall && !slices.Contains(v.Dims, string(row.Dim)) {
				v.Dims = append(v.Dims, string(row.Dim))
			}
		}
	}
	slices.Sort(v.Dims)
	q := url.Values{"survey": {rep.Survey}, "window": {rep.Window}, "format": {"csv"}}
	if rep.Dim != string(metric.Overall) {
		q.Set("dim", rep.Dim)
	}
	v.CSV = "/ops/themes?" + q.Encode()
	var b bytes.Buffer
	if err := themesTemplate().ExecuteTemplate(&b, "themes.html", pageData{Title: "Themes", Who: whoLabel(who), View: v}); err != nil {
		slog.ErrorContext(r.Context(), "render themes page", "error", err)
		return web.Reply{}, err
	}
	return web.HTML(http.StatusOK, b.String()), nil
}

// themeIDs lists every declared theme id of the catalog, once each (the queue's theme filter).
func (h *Handler) themeIDs() []string {
	var out []string
	for _, sv := range h.Catalog.Surveys {
		for _, t := range sv.Themes {
			if !slices.Contains(out, t.ID) {
				out = append(out, t.ID)
			}
		}
	}
	return out
}
