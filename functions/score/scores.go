package main

import (
	"context"
	"slices"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/theme"
)

// scored is a run's snapshot together with the day histograms it was computed from, which the
// alert rules read again for their windows (and the windows before them).
type scored struct {
	store.Snapshot
	days    map[string]metric.Breakdown
	tallies map[string]map[metric.Dim]theme.Tally // declared-theme counts, same day items
}

const day = 24 * time.Hour

// windowDays returns a catalog window as whole days (at least one).
func windowDays(d time.Duration) int { return max(1, int(d/day)) }

// dayBefore returns the UTC day n days before last (yyyy-mm-dd).
func dayBefore(last string, n int) string {
	t, _ := time.Parse(time.DateOnly, last)
	return t.AddDate(0, 0, -n).Format(time.DateOnly)
}

// span is the number of days a run reads: the longest window, or twice the longest alert window
// (a drop rule compares against the window before).
func span(sv *catalog.Survey) int {
	n := slices.Max(metric.Windows)
	for _, a := range sv.Alerts {
		n = max(n, 2*windowDays(a.Window.Duration))
	}
	return n
}

// snapshot reads the survey's day histograms (one Query) and computes every window's scores,
// windows ending on the watermark's day.
func (h *Handler) snapshot(ctx context.Context, sv *catalog.Survey, watermark, now time.Time) (scored, error) {
	last := now.Add(-h.Settle).UTC().Format(time.DateOnly)
	if !watermark.IsZero() {
		last = watermark.UTC().Format(time.DateOnly)
	}
	days, tallies, err := h.Store.ReadDayCounts(ctx, sv.ID, dayBefore(last, span(sv)-1), last)
	if err != nil {
		return scored{}, err
	}
	snap := store.Snapshot{
		Survey: sv.ID, Metric: string(sv.Metric), CatalogVersion: h.Catalog.Version,
		MetricVersion: metric.Version, RunAt: now, Day: last, Watermark: watermark,
	}
	snap.Scores = Rows(metric.Kind(sv.Metric), days, last)
	return scored{Snapshot: snap, days: days, tallies: tallies}, nil
}

// Rows computes the scores of every window ending on last, overall first and then every
// dimension with answers or deliveries in the window, in a stable order.
func Rows(kind metric.Kind, days map[string]metric.Breakdown, last string) []store.ScoreRow {
	var rows []store.ScoreRow
	for _, n := range metric.Windows {
		b := metric.Window(days, dayBefore(last, n-1), last)
		dims := []metric.Dim{metric.Overall}
		for d, hist := range b {
			if d != metric.Overall && !hist.IsZero() {
				dims = append(dims, d)
			}
		}
		slices.Sort(dims[1:])
		for _, d := range dims {
			rows = append(rows, store.ScoreRow{Window: metric.WindowName(n), Dim: d, Score: metric.Compute(kind, b[d])})
		}
	}
	return rows
}

// Evaluate checks one alert rule against the day histograms, over the window ending on last (and
// for a drop rule the window of the same length before it). It returns the breach to record, or
// nil: a rule never fires on fewer than MinResponses answers in any window it reads.
func Evaluate(kind metric.Kind, a catalog.Alert, days map[string]metric.Breakdown, last string) *store.Breach {
	n := windowDays(a.Window.Duration)
	cur := metric.Compute(kind, metric.Window(days, dayBefore(last, n-1), last)[metric.Overall])
	if cur.N < int64(a.MinResponses) || cur.N == 0 {
		return nil
	}
	b := &store.Breach{Rule: a.ID, Metric: string(kind), Window: metric.WindowName(n), WindowEnd: last,
		Value: cur.Value, N: cur.N, MarginOfError: cur.MarginOfError}
	switch {
	case a.Below != nil:
		if cur.Value >= *a.Below {
			return nil
		}
		below := *a.Below
		b.Below = &below
	case a.DropBy != nil:
		prev := metric.Compute(kind, metric.Window(days, dayBefore(last, 2*n-1), dayBefore(last, n))[metric.Overall])
		if prev.N < int64(a.MinResponses) || prev.N == 0 || prev.Value-cur.Value < *a.DropBy {
			return nil
		}
		drop, was := *a.DropBy, prev.Value
		b.DropBy, b.Previous, b.PreviousN = &drop, &was, prev.N
	default:
		return nil
	}
	return b
}

// EvaluateTheme checks a theme rule (theme + shareAbove) against the declared-theme counts over
// the window ending on last, overall: it fires when more than shareAbove percent of the
// window's low-band comments mention the theme, with at least MinResponses low-band comments.
func EvaluateTheme(kind metric.Kind, a catalog.Alert, tallies map[string]map[metric.Dim]theme.Tally, last string) *store.Breach {
	if a.ShareAbove == nil || a.Theme == "" {
		return nil
	}
	n := windowDays(a.Window.Duration)
	t := theme.Window(tallies, metric.Overall, dayBefore(last, n-1), last)
	if t.Low < int64(a.MinResponses) || t.Low == 0 {
		return nil
	}
	share, moe := t.Share(a.Theme)
	if share <= *a.ShareAbove {
		return nil
	}
	above := *a.ShareAbove
	return &store.Breach{Rule: a.ID, Metric: string(kind), Window: metric.WindowName(n), WindowEnd: last,
		Value: share, N: t.Low, MarginOfError: moe, Theme: a.Theme, ShareAbove: &above}
}

// alerts evaluates the survey's alert rules and records each breach at most once per rule and
// window, respecting the rule's cooldown. It returns the rules that fired in this run.
func (h *Handler) alerts(ctx context.Context, sv *catalog.Survey, snap scored, now time.Time) ([]string, error) {
	var fired []string
	for _, a := range sv.Alerts {
		b := Evaluate(metric.Kind(sv.Metric), a, snap.days, snap.Day)
		if a.ShareAbove != nil {
			b = EvaluateTheme(metric.Kind(sv.Metric), a, snap.tallies, snap.Day)
		}
		if b == nil {
			continue
		}
		b.Survey, b.CatalogVersion, b.MetricVersion, b.DetectedAt = sv.ID, h.Catalog.Version, metric.Version, now
		ok, err := h.Store.RecordBreach(ctx, *b, a.Cooldown.Duration)
		if err != nil {
			return fired, err
		}
		if ok {
			fired = append(fired, a.ID)
		}
	}
	return fired, nil
}
