package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/ticket"
)

// snippetLen is how much of a comment a queue row shows, in characters.
const snippetLen = 90

// queueRow is one ticket as the queue shows it: enough to pick the next one to work on without
// opening each. The contact's name is already masked for viewers (visible).
type queueRow struct {
	ID, Name, Score, Comment, Survey, Touchpoint, Cause, Priority, Team, Status, Assignee string
	Themes                                                                                []string
	Escalated                                                                             bool
	Age, SLADue                                                                           string
	Overdue                                                                               bool
}

// rowsOf turns shown tickets into queue rows at now.
func rowsOf(cat *catalog.Catalog, list []ticket.Ticket, now time.Time) []queueRow {
	out := make([]queueRow, len(list))
	for i, t := range list {
		r := queueRow{ID: t.ID, Name: t.Name, Comment: snippet(t.Comment, snippetLen), Survey: t.Survey, Touchpoint: t.Touchpoint,
			Cause: t.Cause, Priority: t.Priority, Team: t.Team, Status: t.Status, Assignee: t.Assignee, Themes: t.Themes,
			Escalated: t.Escalated != nil, Age: age(now.Sub(t.CreatedAt)), SLADue: t.SLADue.UTC().Format("2006-01-02 15:04 UTC"),
			Overdue: ticket.Holds(t.Status) && now.After(t.SLADue)}
		if t.Score != nil {
			r.Score = scoreOnScale(cat, t.Survey, *t.Score)
		}
		out[i] = r
	}
	return out
}

// scoreOnScale writes a score with the top of its survey's scale ("2/10", "1/5"), or alone when
// the survey is no longer in the catalog.
func scoreOnScale(cat *catalog.Catalog, survey string, score int) string {
	if sv, ok := cat.Survey(survey); ok {
		if _, top := sv.Metric.Scale(); top > 0 {
			return fmt.Sprintf("%d/%d", score, top)
		}
	}
	return fmt.Sprint(score)
}

// snippet is the start of s on one line, at most n characters, with "…" when cut.
func snippet(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// age says how long ago a ticket was opened, coarsely: minutes, hours, then days.
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d/time.Hour))
	}
	return fmt.Sprintf("%d d", int(d/(24*time.Hour)))
}
