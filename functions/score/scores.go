package main

import (
	"context"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/score"
	"github.com/cxloop/cxloop/shared/theme"
)

// scored is a run's snapshot together with the day histograms it was computed from, which the
// alert rules read again for their windows (and the windows before them).
type scored struct {
	score.Snapshot
	days    map[string]metric.Breakdown
	tallies map[string]map[metric.Dim]theme.Tally // declared-theme counts, same day items
}

// snapshot reads the survey's day histograms (one Query) and computes every window's scores,
// windows ending on the watermark's day.
func (h *Handler) snapshot(ctx context.Context, sv *catalog.Survey, watermark, now time.Time) (scored, error) {
	last := now.Add(-h.Settle).UTC().Format(time.DateOnly)
	if !watermark.IsZero() {
		last = watermark.UTC().Format(time.DateOnly)
	}
	days, tallies, err := h.Store.ReadDayCounts(ctx, sv.ID, score.DayBefore(last, score.Span(sv)-1), last)
	if err != nil {
		return scored{}, err
	}
	snap := score.Snapshot{
		Survey: sv.ID, Metric: string(sv.Metric), CatalogVersion: h.Catalog.Version,
		MetricVersion: metric.Version, RunAt: now, Day: last, Watermark: watermark,
	}
	snap.Scores = score.Rows(metric.Kind(sv.Metric), days, last)
	return scored{Snapshot: snap, days: days, tallies: tallies}, nil
}

// alerts evaluates the survey's alert rules and records each breach at most once per rule and
// window, respecting the rule's cooldown. It returns the rules that fired in this run.
func (h *Handler) alerts(ctx context.Context, sv *catalog.Survey, snap scored, now time.Time) ([]string, error) {
	var fired []string
	for _, a := range sv.Alerts {
		b := score.Fire(metric.Kind(sv.Metric), a, snap.days, snap.tallies, snap.Day)
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
