package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/web"
)

// ScoreLine is one row of GET /ops/scores: a survey's latest score for one window and dimension.
type ScoreLine struct {
	Survey         string    `json:"survey"`
	Metric         string    `json:"metric"`
	Window         string    `json:"window"`
	Dim            string    `json:"dim"`
	N              int64     `json:"n"`
	Value          float64   `json:"value"`
	Mean           float64   `json:"mean"`
	MarginOfError  float64   `json:"marginOfError"`
	Delivered      int64     `json:"delivered"`
	ResponseRate   float64   `json:"responseRate"`
	Day            string    `json:"day"`
	RunAt          time.Time `json:"runAt"`
	CatalogVersion string    `json:"catalogVersion"`
	MetricVersion  int       `json:"metricVersion"`
}

// dimOf turns the query's touchpoint and segment ("plan=pro") into a dimension ("" for all).
func dimOf(r *http.Request) (metric.Dim, error) {
	tp, seg := web.Query(r, "touchpoint"), web.Query(r, "segment")
	switch {
	case tp != "" && seg != "":
		return "", fmt.Errorf("%w: give touchpoint or segment, not both", errBadRequest)
	case tp != "":
		return metric.TouchpointDim(tp), nil
	case seg != "":
		k, v, ok := strings.Cut(seg, "=")
		if !ok || k == "" || v == "" {
			return "", fmt.Errorf("%w: segment must be key=value, e.g. plan=pro", errBadRequest)
		}
		return metric.SegmentDim(k, v), nil
	}
	return metric.Overall, nil
}

// scores: GET /ops/scores?survey=&window=&touchpoint=&segment=, JSON or CSV (Accept: text/csv, or
// format=csv for a link).
// Without survey, every survey of the catalog; without window, every window.
func (h *Handler) scores(r *http.Request, _ *access.Token) (web.Reply, error) {
	ctx := r.Context()
	dim, err := dimOf(r)
	if err != nil {
		return web.Reply{}, err
	}
	surveys := []string{}
	if s := web.Query(r, "survey"); s != "" {
		if _, ok := h.Catalog.Survey(s); !ok {
			return web.Reply{}, fmt.Errorf("%w: unknown survey %q", errBadRequest, s)
		}
		surveys = append(surveys, s)
	} else {
		for _, sv := range h.Catalog.Surveys {
			surveys = append(surveys, sv.ID)
		}
	}
	window := web.Query(r, "window")
	lines := []ScoreLine{}
	for _, id := range surveys {
		snap, err := h.Store.LatestScores(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return web.Reply{}, err
		}
		for _, r := range snap.Scores {
			if r.Dim != dim || window != "" && r.Window != window {
				continue
			}
			lines = append(lines, ScoreLine{Survey: id, Metric: snap.Metric, Window: r.Window, Dim: string(r.Dim), N: r.N,
				Value: r.Value, Mean: r.Mean, MarginOfError: r.MarginOfError, Delivered: r.Delivered, ResponseRate: r.ResponseRate,
				Day: snap.Day, RunAt: snap.RunAt, CatalogVersion: snap.CatalogVersion, MetricVersion: snap.MetricVersion})
		}
	}
	if strings.Contains(web.Header(r, "Accept"), "text/csv") || web.Query(r, "format") == "csv" {
		return scoresCSV(lines)
	}
	return web.JSON(http.StatusOK, map[string]any{"scores": lines}), nil
}

func scoresCSV(lines []ScoreLine) (web.Reply, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"survey", "metric", "window", "dim", "n", "value", "mean", "margin_of_error", "delivered",
		"response_rate", "day", "run_at", "catalog_version", "metric_version"})
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	for _, l := range lines {
		_ = w.Write([]string{l.Survey, l.Metric, l.Window, l.Dim, strconv.FormatInt(l.N, 10), f(l.Value), f(l.Mean),
			f(l.MarginOfError), strconv.FormatInt(l.Delivered, 10), f(l.ResponseRate), l.Day, l.RunAt.Format(time.RFC3339),
			l.CatalogVersion, strconv.Itoa(l.MetricVersion)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return web.Reply{}, err
	}
	return web.Reply{StatusCode: http.StatusOK, Body: b.String(), Headers: map[string]string{
		"Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
		"Content-Disposition": `attachment; filename="scores.csv"`}}, nil
}
