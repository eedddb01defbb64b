// Package catalog holds the survey catalog (surveys.yaml): its types, strict loading and
// validation, and the pure rules that decide who is surveyed. It imports no AWS package.
package catalog

import (
	"time"

	"github.com/cxloop/cxloop/shared/ticket"
)

// Catalog is the whole surveys.yaml. Surveys are kept in file order: when several surveys'
// rules match one touchpoint, the first in catalog order is decided (docs/CONTRACTS.md 3). A loaded
// catalog is read-only, so one value built at init serves concurrent invocations.
type Catalog struct {
	Version           string   `yaml:"version"`
	GlobalQuietPeriod Duration `yaml:"globalQuietPeriod"`
	EditWindow        Duration `yaml:"editWindow"`
	// MinSample is the fewest answers a score needs before the console shows it as a figure
	// (0 means DefaultMinSample); below it the page says the sample is too small.
	MinSample int      `yaml:"minSample,omitempty"`
	Brand     *Brand   `yaml:"brand,omitempty"`
	Surveys   []Survey `yaml:"surveys"`

	pos map[string]int // key path -> line, set by Load for Validate's messages
}

// DefaultMinSample is MinSample when the catalog leaves it out: below about 30 answers a score's
// 95% margin of error is wider than most differences worth acting on.
const DefaultMinSample = 30

// MinimumSample is the catalog's MinSample, or DefaultMinSample when unset.
func (c *Catalog) MinimumSample() int {
	if c.MinSample > 0 {
		return c.MinSample
	}
	return DefaultMinSample
}

// Survey is one survey: its metric, localized texts, segments and rules.
type Survey struct {
	ID          string    `yaml:"id"`
	Metric      Metric    `yaml:"metric"`
	Title       Text      `yaml:"title"`
	Question    Text      `yaml:"question"`
	Comment     Text      `yaml:"comment,omitempty"`
	Segments    []string  `yaml:"segments,omitempty"`
	Touchpoints []Rule    `yaml:"touchpoints"`
	Followup    *Followup `yaml:"followup,omitempty"`
	Alerts      []Alert   `yaml:"alerts,omitempty"`
	// Themes are the declared feedback themes (themes.go, docs/THEMES.md).
	Themes []Theme `yaml:"themes,omitempty"`
	// ReviewURL is where a customer who gave this survey a high score may leave a public review
	// (https only); without it the brand's reviewUrl, if any. See Review.
	ReviewURL string `yaml:"reviewUrl,omitempty"`
}

// Review is the review link the thank-you page of a high score offers: the survey's reviewUrl,
// else the brand's, else "".
func (c *Catalog) Review(s *Survey) string {
	if s != nil && s.ReviewURL != "" {
		return s.ReviewURL
	}
	if c.Brand != nil {
		return c.Brand.ReviewURL
	}
	return ""
}

// Metric names the score a survey asks for; it fixes the scale.
type Metric string

// The three metrics of docs/CONTRACTS.md 5.
const (
	NPS  Metric = "nps"
	CSAT Metric = "csat"
	CES  Metric = "ces"
)

// Text is a string per locale ("en" is always present).
type Text map[string]string

// Rule decides when a touchpoint leads to an invitation.
type Rule struct {
	Event         string   `yaml:"event"`
	Delay         Duration `yaml:"delay"`
	SampleRate    float64  `yaml:"sampleRate"`
	QuietPeriod   Duration `yaml:"quietPeriod"`
	DailyCap      int      `yaml:"dailyCap"`
	LinkExpiry    Duration `yaml:"linkExpiry"`
	ReminderAfter Duration `yaml:"reminderAfter,omitempty"`
	Context       *Context `yaml:"context,omitempty"`
}

// Followup decides which single answers open a ticket and for whom.
type Followup struct {
	AtOrBelow int     `yaml:"atOrBelow"`
	Priority  string  `yaml:"priority"`
	Team      string  `yaml:"team"`
	SLAHours  int     `yaml:"slaHours"`
	Routes    []Route `yaml:"routes,omitempty"`
	CloseLoop Text    `yaml:"closeLoop,omitempty"`
}

// Route sends a follow-up's tickets of a touchpoint, a segment or both to a team; the ticket
// package owns routing.
type Route = ticket.Route

// Alert is a threshold on an aggregate score: below a value, or a drop against the previous window.
type Alert struct {
	ID     string   `yaml:"id"`
	Window Duration `yaml:"window"`
	Below  *float64 `yaml:"below,omitempty"`
	DropBy *float64 `yaml:"dropBy,omitempty"`
	// ShareAbove, with Theme, fires when more than this percent of the window's low-band comments
	// mention the declared theme; MinResponses is then the fewest low-band comments.
	ShareAbove   *float64 `yaml:"shareAbove,omitempty"`
	Theme        string   `yaml:"theme,omitempty"`
	MinResponses int      `yaml:"minResponses"`
	Cooldown     Duration `yaml:"cooldown"`
}

// Duration is a time.Duration written as Go durations plus whole days ("90d", "36h", "10m").
type Duration struct{ time.Duration }
