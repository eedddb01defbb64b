package main

import (
	"fmt"
	"html/template"
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
	"github.com/cxloop/cxloop/shared/web"
)

// Point is one score on a trend.
type Point struct {
	At         time.Time
	Value, MOE float64
	N          int64
}

// Small reports whether the point has fewer answers than min: then it is no figure to show.
func (p Point) Small(min int) bool { return p.N < int64(min) }

// Chart is one survey's trend in one dimension.
type Chart struct {
	Survey, Metric string
	Points         []Point // every run, small samples included (the data table says which)
	Last           Point
	SVG            template.HTML // only the runs with enough answers
	CSV            string        // the same scores from GET /ops/scores, as CSV
}

type trendsView struct {
	Window    string
	Windows   []string
	Days      int
	Dim       string   // "" (overall), "tp:<touchpoint>" or "seg:<key>=<value>"
	Dims      []string // the dimensions the latest snapshots have for the window
	MinSample int
	Charts    []Chart
}

// trendsPage: GET /ops/trends?window=7d&days=90&dim=: each survey's score over time in one
// dimension (overall, a touchpoint or a segment); runs with fewer answers than the catalog's
// minSample are listed as too small, not drawn.
func (h *Handler) trendsPage(r *http.Request, who *access.Token) (web.Reply, error) {
	ctx := r.Context()
	v := trendsView{Window: "7d", Windows: metric.WindowNames(), Days: 90, Dim: web.Query(r, "dim"), MinSample: h.Catalog.MinimumSample()}
	if w := web.Query(r, "window"); w != "" {
		v.Window = w
	}
	if d, err := strconv.Atoi(web.Query(r, "days")); err == nil && d > 0 && d <= 400 {
		v.Days = d
	}
	dim := metric.Overall
	if v.Dim != "" {
		dim = metric.Dim(v.Dim)
	}
	since := h.Store.Now().Add(-time.Duration(v.Days) * 24 * time.Hour)
	dims := map[string]bool{}
	for _, sv := range h.Catalog.Surveys {
		snaps, err := h.Store.ScoreHistory(ctx, sv.ID, since)
		if err != nil {
			return web.Reply{}, err
		}
		c := Chart{Survey: sv.ID, Metric: string(sv.Metric), CSV: scoresCSVLink(sv.ID, v.Window, dim)}
		var drawn []Point
		for _, s := range snaps {
			if r, ok := s.Find(v.Window, dim); ok && r.N > 0 {
				p := Point{At: s.RunAt, Value: r.Value, MOE: r.MarginOfError, N: r.N}
				c.Points = append(c.Points, p)
				if !p.Small(v.MinSample) {
					drawn = append(drawn, p)
				}
			}
		}
		if len(snaps) > 0 {
			for _, r := range snaps[len(snaps)-1].Scores {
				if r.Window == v.Window && r.Dim != metric.Overall {
					dims[string(r.Dim)] = true
				}
			}
		}
		if len(c.Points) > 0 {
			c.Last = c.Points[len(c.Points)-1]
		}
		if len(drawn) > 0 {
			c.SVG = TrendSVG(sv.ID, sv.Metric, drawn)
		}
		v.Charts = append(v.Charts, c)
	}
	for d := range dims {
		v.Dims = append(v.Dims, d)
	}
	slices.Sort(v.Dims)
	return pageAs(ctx, http.StatusOK, "Scores", whoLabel(who), v), nil
}

// scoresCSVLink is GET /ops/scores for one survey, window and dimension as CSV (format=csv, since
// a link cannot set the Accept header).
func scoresCSVLink(survey, window string, dim metric.Dim) string {
	q := url.Values{"survey": {survey}, "window": {window}, "format": {"csv"}}
	switch d := string(dim); {
	case strings.HasPrefix(d, "tp:"):
		q.Set("touchpoint", strings.TrimPrefix(d, "tp:"))
	case strings.HasPrefix(d, "seg:"):
		q.Set("segment", strings.TrimPrefix(d, "seg:"))
	}
	return "/ops/scores?" + q.Encode()
}

// Chart geometry (viewBox units).
const (
	chartW, chartH         = 640.0, 220.0
	padL, padR, padT, padB = 44.0, 12.0, 10.0, 28.0
)

// TrendSVG draws a score over time with its margin of error as a band: inline SVG, no script,
// labelled for screen readers (the page also has the data as a table).
func TrendSVG(survey string, m catalog.Metric, pts []Point) template.HTML {
	lo, hi := 0.0, 100.0
	if m == catalog.NPS {
		lo = -100
	}
	t0, t1 := pts[0].At, pts[len(pts)-1].At
	span := t1.Sub(t0).Seconds()
	x := func(t time.Time) float64 {
		if span == 0 {
			return padL + (chartW-padL-padR)/2
		}
		return padL + (chartW-padL-padR)*t.Sub(t0).Seconds()/span
	}
	y := func(v float64) float64 {
		v = math.Max(lo, math.Min(hi, v))
		return padT + (chartH-padT-padB)*(hi-v)/(hi-lo)
	}
	var b strings.Builder
	last := pts[len(pts)-1]
	fmt.Fprintf(&b, `<svg viewBox="0 0 %g %g" width="100%%" role="img" aria-labelledby="t-%s" xmlns="http://www.w3.org/2000/svg">`,
		chartW, chartH, template.HTMLEscapeString(survey))
	fmt.Fprintf(&b, `<title id="t-%s">%s score from %s to %s, latest %.1f ± %.1f</title>`, template.HTMLEscapeString(survey),
		template.HTMLEscapeString(survey), t0.Format("2006-01-02"), t1.Format("2006-01-02"), last.Value, last.MOE)
	for _, g := range []float64{lo, (lo + hi) / 2, hi} { // grid and y labels
		fmt.Fprintf(&b, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%g" y="%.1f" text-anchor="end">%g</text>`,
			padL, chartW-padR, y(g), y(g), padL-6, y(g)+4, g)
	}
	var band, line []string // the band: upper edge left to right, lower edge right to left
	for _, p := range pts {
		band = append(band, fmt.Sprintf("%.1f,%.1f", x(p.At), y(p.Value+p.MOE)))
		line = append(line, fmt.Sprintf("%.1f,%.1f", x(p.At), y(p.Value)))
	}
	for i := len(pts) - 1; i >= 0; i-- {
		band = append(band, fmt.Sprintf("%.1f,%.1f", x(pts[i].At), y(pts[i].Value-pts[i].MOE)))
	}
	fmt.Fprintf(&b, `<polygon points="%s" fill="#0b5cad" fill-opacity="0.18" stroke="none"/>`, strings.Join(band, " "))
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#0b5cad" stroke-width="2"/>`, strings.Join(line, " "))
	for _, p := range pts {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="#0b5cad"/>`, x(p.At), y(p.Value))
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g">%s</text><text x="%g" y="%g" text-anchor="end">%s</text>`,
		padL, chartH-8, t0.Format("Jan 2"), chartW-padR, chartH-8, t1.Format("Jan 2 15:04"))
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every interpolated string is escaped or a number
}
