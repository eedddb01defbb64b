package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/telemetry"
	"github.com/cxloop/cxloop/shared/theme"
)

// Handler runs one scoring pass over every survey of the catalog.
type Handler struct {
	Store   *store.Store
	Catalog *catalog.Catalog
	Metrics *telemetry.Metrics
	// Settle is how far the new watermark trails the clock (SCORE_SETTLE_SECONDS): longer than an
	// answer's write can take, plus the feed index's replication lag, so no change is skipped.
	Settle time.Duration
	Now    func() time.Time
}

// Result is what one invocation did, per survey (the output of `make invoke`).
type Result struct {
	Surveys []SurveyResult `json:"surveys"`
}

// SurveyResult is one survey's run.
type SurveyResult struct {
	Survey string `json:"survey"`
	// Watermark is the survey's watermark after the run.
	Watermark time.Time `json:"watermark"`
	// Changed is the number of invitations with a send or an answer between the watermarks.
	Changed int `json:"changed"`
	// Days is the number of day histograms the run's transaction updated.
	Days int `json:"days"`
	// Lost is true when another scorer moved the watermark first: this run wrote nothing.
	Lost     bool     `json:"lost,omitempty"`
	Snapshot bool     `json:"snapshot"`
	Breaches []string `json:"breaches,omitempty"`
}

// Handle is the ScheduleV2 target; the event's content is not used.
func (h *Handler) Handle(ctx context.Context, _ json.RawMessage) (Result, error) {
	var res Result
	var errs []error
	// The surveys' watermarks are read together, not one per survey in turn: each is a round trip
	// the next survey's scoring does not depend on, and in sequence they were most of a cold run.
	ws := make([]time.Time, len(h.Catalog.Surveys))
	wErrs := make([]error, len(h.Catalog.Surveys))
	var wg sync.WaitGroup
	for i := range h.Catalog.Surveys {
		wg.Go(func() { ws[i], wErrs[i] = h.Store.Watermark(ctx, h.Catalog.Surveys[i].ID) })
	}
	wg.Wait()
	for i := range h.Catalog.Surveys {
		sv := &h.Catalog.Surveys[i]
		r, err := h.scoreFrom(ctx, sv, ws[i], wErrs[i])
		if err != nil {
			slog.ErrorContext(ctx, "score survey", "survey", sv.ID, "error", err)
			errs = append(errs, err)
			continue
		}
		res.Surveys = append(res.Surveys, r)
	}
	// An error fails the invocation, which the ScoreErrorsAlarm counts; the next run catches up.
	return res, errors.Join(errs...)
}

// ScoreSurvey runs the scorer for one survey: fold the feed into the histograms, snapshot,
// alerts, metrics.
func (h *Handler) ScoreSurvey(ctx context.Context, sv *catalog.Survey) (SurveyResult, error) {
	w, err := h.Store.Watermark(ctx, sv.ID)
	return h.scoreFrom(ctx, sv, w, err)
}

// scoreFrom is ScoreSurvey from the watermark w already read (or the error of reading it).
func (h *Handler) scoreFrom(ctx context.Context, sv *catalog.Survey, w time.Time, err error) (SurveyResult, error) {
	res := SurveyResult{Survey: sv.ID}
	if err != nil {
		return res, err
	}
	now := h.Now().UTC()
	u := now.Add(-h.Settle).Truncate(time.Millisecond)
	res.Watermark = w
	if u.After(w) {
		applied, err := h.fold(ctx, sv, w, u, &res)
		if errors.Is(err, store.ErrConflict) {
			slog.InfoContext(ctx, "another scorer moved the watermark first", "survey", sv.ID)
			res.Lost = true
			return res, nil
		}
		if err != nil {
			return res, err
		}
		res.Watermark = applied
	}

	snap, err := h.snapshot(ctx, sv, res.Watermark, now)
	if err != nil {
		return res, err
	}
	latest, err := h.Store.LatestScores(ctx, sv.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return res, err
	}
	if !snap.SameScores(latest) {
		err := h.Store.PutSnapshot(ctx, snap.Snapshot)
		switch {
		case errors.Is(err, store.ErrConflict):
			// A concurrent scorer stored a snapshot for the same instant: the same scores.
		case err != nil:
			return res, err
		default:
			res.Snapshot = true
		}
	}
	res.Breaches, err = h.alerts(ctx, sv, snap, now)
	if err != nil {
		return res, err
	}
	h.emit(ctx, sv.ID, snap)
	slog.InfoContext(ctx, "scored", "survey", sv.ID, "changed", res.Changed, "days", res.Days,
		"snapshot", res.Snapshot, "breaches", len(res.Breaches), "watermark", store.FormatTime(res.Watermark))
	return res, nil
}

// fold reads the change feed after w and applies the changes up to u (or less, see bound) in one
// transaction with the watermark move: the histograms, the declared-theme tallies on the same day
// items and the days' found-theme vocabularies (read, merged and put back). It returns the new
// watermark; w when nothing happened.
func (h *Handler) fold(ctx context.Context, sv *catalog.Survey, w, u time.Time, res *SurveyResult) (time.Time, error) {
	entries, err := h.Store.ReadFeedEntries(ctx, sv.ID, w)
	if err != nil {
		return w, err
	}
	if len(entries) == 0 {
		return w, nil
	}
	u, run := bound(entries, counter(sv), w, u)
	if run.changed == 0 {
		return w, nil // nothing new: write nothing
	}
	var terms map[string]theme.TermDay
	if len(run.termDays) > 0 {
		stored, err := h.Store.TermDays(ctx, sv.ID, run.termDays)
		if err != nil {
			return w, err
		}
		terms = make(map[string]theme.TermDay, len(stored))
		for day, t := range stored {
			terms[day] = t.Merge(run.themes[day].Terms)
		}
	}
	if err := h.Store.ApplyRunThemes(ctx, sv.ID, run.delta, run.themes, terms, w, u); err != nil {
		return w, err
	}
	res.Changed, res.Days = run.changed, len(run.delta)
	return u, nil
}

// counter is the survey's theme counter: its declared themes and bands.
func counter(sv *catalog.Survey) theme.Counter {
	lo, hi := sv.Bands()
	return theme.Counter{Matcher: theme.NewMatcher(sv.Declared()), Bands: theme.Bands{LowMax: lo, HighMin: hi}}
}

// runDelta is what one run writes.
type runDelta struct {
	delta    metric.Delta
	themes   theme.Delta
	termDays []string // days whose vocabulary changes, sorted
	changed  int
}

// items is the number of transaction items the run needs besides the watermark.
func (r runDelta) items() int {
	days := map[string]bool{}
	for d := range r.delta {
		days[d] = true
	}
	for d, dd := range r.themes {
		if len(dd.Dims) > 0 {
			days[d] = true
		}
	}
	return len(days) + len(r.termDays)
}

// bound computes the run's delta between w and u, moving u back (halving the span) until the
// delta fits in one transaction: after an outage the scorer catches up over several runs.
func bound(entries []store.FeedEntry, c theme.Counter, w, u time.Time) (time.Time, runDelta) {
	lo := w.UnixMilli()
	if w.IsZero() { // first run: start just before the earliest event
		lo = u.UnixMilli()
		for _, e := range entries {
			if e.Metric.SentAt > 0 {
				lo = min(lo, e.Metric.SentAt-1)
			}
			for _, a := range e.Metric.Answers {
				lo = min(lo, a.At-1)
			}
		}
	}
	hi := u.UnixMilli()
	for {
		r := runDelta{delta: metric.Delta{}, themes: theme.Delta{}}
		for _, e := range entries {
			if r.delta.AddItem(e.Metric, w.UnixMilli(), hi) {
				r.changed++
			}
			c.AddItem(r.themes, e.Theme, w.UnixMilli(), hi)
		}
		r.delta.Prune()
		r.themes.Prune()
		for day, dd := range r.themes {
			if !dd.Terms.IsZero() {
				r.termDays = append(r.termDays, day)
			}
		}
		slices.Sort(r.termDays)
		if r.items() <= store.MaxRunDays || hi-lo <= 1 {
			return time.UnixMilli(hi).UTC(), r
		}
		hi = lo + (hi-lo)/2
	}
}

// emit writes the overall scores of each window as EMF metrics (namespace cxloop, metric Score,
// dimensions Survey and Window, as the dashboard in template.yaml reads them).
func (h *Handler) emit(ctx context.Context, survey string, snap scored) {
	if h.Metrics == nil {
		return
	}
	for _, row := range snap.Scores {
		if row.Dim != metric.Overall {
			continue
		}
		ms := []telemetry.Metric{{Name: "Responses", Value: float64(row.N), Unit: telemetry.Count}}
		if row.N > 0 {
			ms = append(ms, telemetry.Metric{Name: "Score", Value: row.Value, Unit: telemetry.None},
				telemetry.Metric{Name: "MarginOfError", Value: row.MarginOfError, Unit: telemetry.None})
		}
		if err := h.Metrics.Emit(map[string]string{"Survey": survey, "Window": row.Window}, ms...); err != nil {
			slog.WarnContext(ctx, "emit metrics", "survey", survey, "error", fmt.Sprint(err))
		}
	}
}
