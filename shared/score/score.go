// Package score holds what the scorer decides from the day histograms: a run's snapshot of every
// window's scores, and the alert rules' evaluation into breaches. It is pure: no AWS package; the
// store keeps these records and the score function runs them.
package score

import (
	"slices"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/metric"
)

// Row is one score of a snapshot: a metric over one window for one dimension.
type Row struct {
	// Window is the window's name: "1d", "7d", "30d" or "90d" (metric.WindowName).
	Window string `dynamodbav:"w" json:"window"`
	// Dim is metric.Overall, a metric.TouchpointDim or a metric.SegmentDim.
	Dim metric.Dim `dynamodbav:"d" json:"dim"`
	metric.Score
}

// Snapshot is one scoring run's scores for one survey: every window x dimension, with the catalog
// and metric definition versions they were made under. Runs that change nothing write none.
type Snapshot struct {
	Survey         string    `dynamodbav:"survey" json:"survey"`
	Metric         string    `dynamodbav:"metric" json:"metric"`
	CatalogVersion string    `dynamodbav:"catalogVersion" json:"catalogVersion"`
	MetricVersion  int       `dynamodbav:"metricVersion" json:"metricVersion"`
	RunAt          time.Time `dynamodbav:"runAt" json:"runAt"`
	// Day is the UTC day the windows end on (inclusive), yyyy-mm-dd.
	Day string `dynamodbav:"day" json:"day"`
	// Watermark is the scorer's watermark: the scores include every answer up to it.
	Watermark time.Time `dynamodbav:"watermark" json:"watermark"`
	Scores    []Row     `dynamodbav:"scores" json:"scores"`
}

// Find returns the score for window (e.g. "7d") and dim, if the snapshot has one.
func (s *Snapshot) Find(window string, dim metric.Dim) (Row, bool) {
	for _, r := range s.Scores {
		if r.Window == window && r.Dim == dim {
			return r, true
		}
	}
	return Row{}, false
}

// SameScores reports whether s and o hold the same scores under the same definitions, whatever
// their run times and days: the scorer writes a snapshot only when this is false, so a survey
// without new answers gets no new snapshot even when its windows move to a new day.
func (s *Snapshot) SameScores(o *Snapshot) bool {
	if o == nil || s.Metric != o.Metric || s.CatalogVersion != o.CatalogVersion ||
		s.MetricVersion != o.MetricVersion || len(s.Scores) != len(o.Scores) {
		return false
	}
	for i := range s.Scores {
		if s.Scores[i] != o.Scores[i] {
			return false
		}
	}
	return true
}

const day = 24 * time.Hour

// windowDays returns a catalog window as whole days (at least one).
func windowDays(d time.Duration) int { return max(1, int(d/day)) }

// DayBefore returns the UTC day n days before last (yyyy-mm-dd).
func DayBefore(last string, n int) string {
	t, _ := time.Parse(time.DateOnly, last)
	return t.AddDate(0, 0, -n).Format(time.DateOnly)
}

// Span is the number of days a run reads: the longest window, or twice the longest alert window
// (a drop rule compares against the window before).
func Span(sv *catalog.Survey) int {
	n := slices.Max(metric.Windows)
	for _, a := range sv.Alerts {
		n = max(n, 2*windowDays(a.Window.Duration))
	}
	return n
}

// Rows computes the scores of every window ending on last, overall first and then every
// dimension with answers or deliveries in the window, in a stable order.
func Rows(kind metric.Kind, days map[string]metric.Breakdown, last string) []Row {
	var rows []Row
	for _, n := range metric.Windows {
		b := metric.Window(days, DayBefore(last, n-1), last)
		dims := []metric.Dim{metric.Overall}
		for d, hist := range b {
			if d != metric.Overall && !hist.IsZero() {
				dims = append(dims, d)
			}
		}
		slices.Sort(dims[1:])
		for _, d := range dims {
			rows = append(rows, Row{Window: metric.WindowName(n), Dim: d, Score: metric.Compute(kind, b[d])})
		}
	}
	return rows
}
