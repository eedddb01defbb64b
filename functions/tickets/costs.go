package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/cost"
	"github.com/cxloop/cxloop/shared/store/tablescan"
	"github.com/cxloop/cxloop/shared/web"
)

// CostMeter reads what the services metered over a period: CloudWatch in AWS, the local host's
// counters locally. Without one, the usage is estimated from the table's counts by costs.yaml's
// per-step figures, and so is any part a meter does not measure.
type CostMeter interface {
	Metered(ctx context.Context, from, to time.Time) (cost.Usage, error)
	// Source names the meter for the page ("cloudwatch", "local host").
	Source() string
	// RequestUnits reports whether Metered includes DynamoDB's request units.
	RequestUnits() bool
}

// Costs is GET /ops/costs: month to date, what the loop did (from the table), what it used (metered
// or estimated), priced by costs.yaml.
type Costs struct {
	From      time.Time      `json:"from"`
	To        time.Time      `json:"to"`
	Counts    cost.Counts    `json:"counts"`
	Usage     cost.Usage     `json:"usage"`
	Source    string         `json:"usageSource"` // "cloudwatch", "local host" or "estimated"
	Bill      cost.Bill      `json:"bill"`
	PerSurvey float64        `json:"perThousandSurveysSent"`
	ReadUnits float64        `json:"countReadUnits"` // what counting the table read
	AsOf      string         `json:"pricesAsOf"`
	Share     []serviceShare `json:"-"`
}

type serviceShare struct {
	Service string
	Cost    float64
	Percent float64
}

// costs serves GET /ops/costs as JSON, or CSV with Accept: text/csv or format=csv.
func (h *Handler) costs(r *http.Request, _ *access.Token) (web.Reply, error) {
	c, err := h.monthToDate(r.Context())
	if err != nil {
		return web.Reply{}, err
	}
	if strings.Contains(web.Header(r, "Accept"), "text/csv") || web.Query(r, "format") == "csv" {
		return costsCSV(c)
	}
	return web.JSON(http.StatusOK, c), nil
}

// monthToDate counts the table since the first of the month (UTC), meters or estimates the usage
// and prices it.
func (h *Handler) monthToDate(ctx context.Context) (*Costs, error) {
	m, err := cost.Shipped()
	if err != nil {
		return nil, err
	}
	now := h.Store.Now().UTC()
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	counts, scan, err := tablescan.Counts(ctx, h.Store, from, 4)
	if err != nil {
		return nil, err
	}
	c := &Costs{From: from, To: now, Counts: counts, ReadUnits: scan.ReadUnits, AsOf: m.AsOf}
	// The fixed schedule's share of a month: the days elapsed over the month's days.
	days := float64(time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC).Sub(from)) / float64(24*time.Hour)
	months := now.Sub(from).Hours() / 24 / days
	c.Usage, c.Source = m.Estimate(counts, months), "estimated"
	if h.Meter != nil {
		u, err := h.Meter.Metered(ctx, from, now)
		if err != nil {
			// The table's counts still price the month: say so rather than fail the page.
			slog.WarnContext(ctx, "read metered usage", "error", err)
		} else {
			// SES sends are the table's count; the schedule's invocations are the fixed ones.
			u.Emails, u.SchedulerInvocations = counts.Emails, c.Usage.SchedulerInvocations
			if !h.Meter.RequestUnits() {
				u.ReadUnits, u.WriteUnits = c.Usage.ReadUnits, c.Usage.WriteUnits
			}
			c.Usage, c.Source = u, h.Meter.Source()
		}
	}
	c.Bill = m.Bill(c.Usage)
	c.PerSurvey = cost.PerThousand(c.Bill.Total, counts.Invitations)
	for s, share := range c.Bill.Share {
		c.Share = append(c.Share, serviceShare{Service: s, Cost: share * c.Bill.Total, Percent: 100 * share})
	}
	slices.SortFunc(c.Share, func(a, b serviceShare) int { return strings.Compare(a.Service, b.Service) })
	return c, nil
}

func costsCSV(c *Costs) (web.Reply, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	rows := [][]string{{"from", "to", "usage_source", "service", "item", "quantity", "unit_price", "cost", "currency"}}
	for _, l := range c.Bill.Lines {
		rows = append(rows, []string{c.From.Format(time.DateOnly), c.To.Format(time.RFC3339), c.Source, l.Service, l.Item,
			f(l.Quantity), f(l.Price), f(l.Cost), c.Bill.Currency})
	}
	if err := w.WriteAll(rows); err != nil {
		return web.Reply{}, err
	}
	return web.Reply{StatusCode: http.StatusOK, Body: b.String(), Headers: map[string]string{
		"Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
		"Content-Disposition": `attachment; filename="costs.csv"`}}, nil
}

// costsTemplate is the Costs page with the console's layout.
var costsTemplate = consolePage("costs", template.FuncMap{"pct": func(f float64) float64 { return 100 * f }})

// costsPage is GET /ops/costs/page: the month to date as a table, with each service's share.
func (h *Handler) costsPage(r *http.Request, who *access.Token) (web.Reply, error) {
	c, err := h.monthToDate(r.Context())
	if err != nil {
		return web.Reply{}, err
	}
	var b bytes.Buffer
	if err := costsTemplate().ExecuteTemplate(&b, "costs.html", pageData{Title: "Costs", Who: whoLabel(who), View: c}); err != nil {
		return web.Reply{}, fmt.Errorf("render costs page: %w", err)
	}
	return web.HTML(http.StatusOK, b.String()), nil
}
