package score

import (
	"fmt"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/theme"
)

// Breach is an alert rule's threshold crossed over one window: the record whose arrival the
// follow-up turns into a ticket. It holds the numbers that caused it and nothing about any contact.
type Breach struct {
	Survey string `dynamodbav:"survey" json:"survey"`
	Rule   string `dynamodbav:"rule" json:"rule"` // the catalog alert's id
	Metric string `dynamodbav:"metric" json:"metric"`
	// Window is the window's name ("7d"); WindowEnd its last day (UTC yyyy-mm-dd, inclusive).
	Window    string `dynamodbav:"window" json:"window"`
	WindowEnd string `dynamodbav:"windowEnd" json:"windowEnd"`

	Value         float64 `dynamodbav:"value" json:"value"`
	N             int64   `dynamodbav:"n" json:"n"`
	MarginOfError float64 `dynamodbav:"marginOfError" json:"marginOfError"`
	// Below is the rule's threshold for a below rule; DropBy, Previous and PreviousN are set for
	// a drop rule: the value and sample of the previous window of the same length.
	Below     *float64 `dynamodbav:"below,omitempty" json:"below,omitempty"`
	DropBy    *float64 `dynamodbav:"dropBy,omitempty" json:"dropBy,omitempty"`
	Previous  *float64 `dynamodbav:"previous,omitempty" json:"previous,omitempty"`
	PreviousN int64    `dynamodbav:"previousN,omitempty" json:"previousN,omitempty"`
	// Theme and ShareAbove are set for a theme rule: Value is then the percent of the window's
	// low-band comments that mention the theme and N the number of low-band comments.
	Theme      string   `dynamodbav:"theme,omitempty" json:"theme,omitempty"`
	ShareAbove *float64 `dynamodbav:"shareAbove,omitempty" json:"shareAbove,omitempty"`

	CatalogVersion string    `dynamodbav:"catalogVersion" json:"catalogVersion"`
	MetricVersion  int       `dynamodbav:"metricVersion" json:"metricVersion"`
	DetectedAt     time.Time `dynamodbav:"detectedAt" json:"detectedAt"`
}

// Evaluate checks one alert rule against the day histograms, over the window ending on last (and
// for a drop rule the window of the same length before it). It returns the breach to record, or
// nil: a rule never fires on fewer than MinResponses answers in any window it reads.
func Evaluate(kind metric.Kind, a catalog.Alert, days map[string]metric.Breakdown, last string) *Breach {
	n := windowDays(a.Window.Duration)
	cur := metric.Compute(kind, metric.Window(days, DayBefore(last, n-1), last)[metric.Overall])
	if cur.N < int64(a.MinResponses) || cur.N == 0 {
		return nil
	}
	b := &Breach{Rule: a.ID, Metric: string(kind), Window: metric.WindowName(n), WindowEnd: last,
		Value: cur.Value, N: cur.N, MarginOfError: cur.MarginOfError}
	switch {
	case a.Below != nil:
		if cur.Value >= *a.Below {
			return nil
		}
		below := *a.Below
		b.Below = &below
	case a.DropBy != nil:
		prev := metric.Compute(kind, metric.Window(days, DayBefore(last, 2*n-1), DayBefore(last, n))[metric.Overall])
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
func EvaluateTheme(kind metric.Kind, a catalog.Alert, tallies map[string]map[metric.Dim]theme.Tally, last string) *Breach {
	if a.ShareAbove == nil || a.Theme == "" {
		return nil
	}
	n := windowDays(a.Window.Duration)
	t := theme.Window(tallies, metric.Overall, DayBefore(last, n-1), last)
	if t.Low < int64(a.MinResponses) || t.Low == 0 {
		return nil
	}
	share, moe := t.Share(a.Theme)
	if share <= *a.ShareAbove {
		return nil
	}
	above := *a.ShareAbove
	return &Breach{Rule: a.ID, Metric: string(kind), Window: metric.WindowName(n), WindowEnd: last,
		Value: share, N: t.Low, MarginOfError: moe, Theme: a.Theme, ShareAbove: &above}
}

// Fire is what a survey's alert rule finds in a run: Evaluate for a score rule, EvaluateTheme for
// a theme rule.
func Fire(kind metric.Kind, a catalog.Alert, days map[string]metric.Breakdown, tallies map[string]map[metric.Dim]theme.Tally, last string) *Breach {
	if a.ShareAbove != nil {
		return EvaluateTheme(kind, a, tallies, last)
	}
	return Evaluate(kind, a, days, last)
}

// Summary says what a breach measured, e.g. "nps 7d to 2026-11-22: 12.5 ± 22.1 (n=40), below 20",
// or for a theme rule "theme delivery 7d to 2026-11-22: 42.0% ± 13.7 of 50 low-band comments
// mention it, above 30%".
func (b Breach) Summary() string {
	if b.Theme != "" && b.ShareAbove != nil {
		return fmt.Sprintf("theme %s %s to %s: %.1f%% ± %.1f of %d low-band comments mention it, above %g%%",
			b.Theme, b.Window, b.WindowEnd, b.Value, b.MarginOfError, b.N, *b.ShareAbove)
	}
	s := fmt.Sprintf("%s %s to %s: %.1f ± %.1f (n=%d)", b.Metric, b.Window, b.WindowEnd, b.Value, b.MarginOfError, b.N)
	switch {
	case b.Below != nil:
		s += fmt.Sprintf(", below %g", *b.Below)
	case b.DropBy != nil && b.Previous != nil:
		s += fmt.Sprintf(", down %.1f from %.1f (n=%d), rule: a drop of %g", *b.Previous-b.Value, *b.Previous, b.PreviousN, *b.DropBy)
	}
	return s
}
