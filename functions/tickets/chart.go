package main

import (
	"context"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/web"
)

// Point is one score on a trend.
type Point struct {
	At         time.Time
	Value, MOE float64
	N          int64
}

// Chart is one survey's trend.
type Chart struct {
	Survey, Metric string
	Points         []Point
	Last           Point
	SVG            template.HTML
}

type trendsView struct {
	Window  string
	Windows []string
	Days    int
	Charts  []Chart
}

// trendsPage: GET /ops/trends?window=7d&days=90: each survey's overall score over time.
func (h *Handler) trendsPage(ctx context.Context, req web.Request, who *store.APIToken, _ []string) (web.Response, error) {
	v := trendsView{Window: "7d", Windows: []string{"1d", "7d", "30d", "90d"}, Days: 90}
	if w := web.Query(req, "window"); w != "" {
		v.Window = w
	}
	if d, err := strconv.Atoi(web.Query(req, "days")); err == nil && d > 0 && d <= 400 {
		v.Days = d
	}
	since := h.Store.Now().Add(-time.Duration(v.Days) * 24 * time.Hour)
	for _, sv := range h.Catalog.Surveys {
		snaps, err := h.Store.ScoreHistory(ctx, sv.ID, since)
		if err != nil {
			return web.Response{}, err
		}
		c := Chart{Survey: sv.ID, Metric: string(sv.Metric)}
		for _, s := range snaps {
			if r, ok := s.Find(v.Window, metric.Overall); ok && r.N > 0 {
				c.Points = append(c.Points, Point{At: s.RunAt, Value: r.Value, MOE: r.MarginOfError, N: r.N})
			}
		}
		if len(c.Points) > 0 {
			c.Last = c.Points[len(c.Points)-1]
			c.SVG = TrendSVG(sv.ID, sv.Metric, c.Points)
		}
		v.Charts = append(v.Charts, c)
	}
	return pageAs(http.StatusOK, "Scores", whoLabel(who), v), nil
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
