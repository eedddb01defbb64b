// Package metric defines the scores cxloop reports (docs/CONTRACTS.md 5, definition version 1) and the
// histograms they are computed from. It is pure: no AWS, no clock. Histograms merge by adding
// counts, so days, touchpoints and segments combine in any order, and the scorer's incremental
// deltas (delta.go) keep them equal to the answers they summarize.
package metric

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// Version is the metric definition version stored with every snapshot. Bump it when a definition
// below changes, so old snapshots stay interpretable.
const Version = 1

// Kind names a metric; the values are the catalog's metric names (surveys.yaml `metric`).
type Kind string

// The three metrics of docs/CONTRACTS.md 5.
const (
	NPS  Kind = "nps"
	CSAT Kind = "csat"
	CES  Kind = "ces"
)

// MaxScore is the highest score of any scale (NPS 0-10): histograms have MaxScore+1 slots.
const MaxScore = 10

// Scale returns the lowest and highest valid score of k, and the lowest "good" score: promoters
// for NPS (9), satisfied for CSAT (4), agree for CES (5). ok is false for an unknown kind.
func Scale(k Kind) (lo, hi, good int, ok bool) {
	switch k {
	case NPS:
		return 0, 10, 9, true
	case CSAT:
		return 1, 5, 4, true
	case CES:
		return 1, 7, 5, true
	}
	return 0, 0, 0, false
}

// ScoreRange is the range of k's aggregate score, the one alerts compare against: NPS -100..100
// (promoters minus detractors), CSAT and CES 0..100 (percent satisfied or agreeing). ok is false
// for an unknown kind.
func ScoreRange(k Kind) (lo, hi float64, ok bool) {
	switch k {
	case NPS:
		return -100, 100, true
	case CSAT, CES:
		return 0, 100, true
	}
	return 0, 0, false
}

// npsDetractorMax is the highest detractor score (0-6); passives are 7-8.
const npsDetractorMax = 6

// Hist is a histogram: the number of current answers per score value and the number of
// delivered invitations. Counts are signed so that a delta (an answer moving from 3 to 9) is a
// Hist too; a histogram of real answers never has a negative count.
type Hist struct {
	Counts    [MaxScore + 1]int64
	Delivered int64
}

// Add adds o's counts to h.
func (h *Hist) Add(o Hist) {
	for i := range h.Counts {
		h.Counts[i] += o.Counts[i]
	}
	h.Delivered += o.Delivered
}

// Merge returns the sum of h and o. Merging is associative and commutative.
func (h Hist) Merge(o Hist) Hist {
	h.Add(o)
	return h
}

// IsZero reports whether every count is zero (an empty histogram or a delta that cancels out).
func (h Hist) IsZero() bool { return h == Hist{} }

// Responses is the number of answers of any score.
func (h Hist) Responses() int64 {
	var n int64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// Score is one metric over one histogram. With N = 0 every field but Delivered is zero: there is
// no score, and readers check N before showing Value.
type Score struct {
	// N is the number of responses on the metric's scale.
	N int64 `json:"n" dynamodbav:"n"`
	// Value is the score: NPS in [-100, 100], CSAT and CES in percent [0, 100], one decimal.
	Value float64 `json:"value" dynamodbav:"v"`
	// Mean is the mean answer on the metric's scale, two decimals.
	Mean float64 `json:"mean" dynamodbav:"mean"`
	// MarginOfError is the half-width of the 95% confidence interval of Value, in points, one decimal.
	MarginOfError float64 `json:"marginOfError" dynamodbav:"moe"`
	// Delivered is the number of invitations delivered (first email sent) in the window.
	Delivered int64 `json:"delivered" dynamodbav:"dlv"`
	// ResponseRate is responses / delivered in the window (three decimals), 0 when nothing was
	// delivered. Answers are counted on the day of the first answer and deliveries on the day of
	// sending, so at a window's edge it can exceed 1.
	ResponseRate float64 `json:"responseRate" dynamodbav:"rr"`
}

// Compute returns kind's score over h. Counts outside kind's scale are ignored.
func Compute(kind Kind, h Hist) Score {
	lo, hi, good, ok := Scale(kind)
	s := Score{Delivered: h.Delivered}
	if !ok {
		return s
	}
	var n, sum, pos, neg int64
	for v := lo; v <= hi; v++ {
		c := h.Counts[v]
		n += c
		sum += c * int64(v)
		if v >= good {
			pos += c
		}
		if kind == NPS && v <= npsDetractorMax {
			neg += c
		}
	}
	if h.Delivered > 0 {
		s.ResponseRate = round(float64(n)/float64(h.Delivered), 3)
	}
	if n <= 0 {
		return s
	}
	s.N = n
	s.Mean = round(float64(sum)/float64(n), 2)
	N, P, D := float64(n), float64(pos), float64(neg)
	if kind == NPS {
		s.Value = round(100*(P-D)/N, 1)
		// 196 x sqrt((P + D)/N - ((P - D)/N)^2) / sqrt(N): the variance of a variable that is +1
		// for promoters, -1 for detractors and 0 for passives.
		v := (P+D)/N - ((P-D)/N)*((P-D)/N)
		s.MarginOfError = round(196*math.Sqrt(math.Max(v, 0))/math.Sqrt(N), 1)
		return s
	}
	// CSAT and CES are proportions: the Wald interval of p = good / N.
	p := P / N
	s.Value = round(100*p, 1)
	s.MarginOfError = round(196*math.Sqrt(p*(1-p)/N), 1)
	return s
}

func round(x float64, decimals int) float64 {
	f := math.Pow(10, float64(decimals))
	return math.Round(x*f) / f
}

// Dim names a breakdown of a survey's answers: everything, one touchpoint, or one segment value.
type Dim string

// Overall is the dimension of every answer of a survey.
const Overall Dim = "all"

// TouchpointDim is the dimension of the answers to invitations made for touchpoint.
func TouchpointDim(touchpoint string) Dim { return Dim("tp:" + touchpoint) }

// SegmentDim is the dimension of the answers whose segment key had value (e.g. plan=pro).
func SegmentDim(key, value string) Dim { return Dim("seg:" + key + "=" + value) }

// Touchpoint returns the touchpoint of a TouchpointDim.
func (d Dim) Touchpoint() (string, bool) { return strings.CutPrefix(string(d), "tp:") }

// Segment returns the key and value of a SegmentDim.
func (d Dim) Segment() (key, value string, ok bool) {
	rest, ok := strings.CutPrefix(string(d), "seg:")
	if !ok {
		return "", "", false
	}
	key, value, ok = strings.Cut(rest, "=")
	return key, value, ok
}

// Dims returns the dimensions an invitation counts in: Overall, its touchpoint, and one per
// segment value, in a stable order.
func Dims(touchpoint string, segments map[string]string) []Dim {
	dims := []Dim{Overall}
	if touchpoint != "" {
		dims = append(dims, TouchpointDim(touchpoint))
	}
	keys := make([]string, 0, len(segments))
	for k := range segments {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if segments[k] != "" {
			dims = append(dims, SegmentDim(k, segments[k]))
		}
	}
	return dims
}

// Breakdown is one histogram per dimension (one day's answers of a survey, or a window's).
type Breakdown map[Dim]Hist

// Add adds o into b.
func (b Breakdown) Add(o Breakdown) {
	for d, h := range o {
		x := b[d]
		x.Add(h)
		b[d] = x
	}
}

// Windows are the scoring windows in days, ending with (and including) the run's day.
var Windows = []int{1, 7, 30, 90}

// WindowNames names every scoring window, shortest first ("1d", "7d", "30d", "90d").
func WindowNames() []string {
	names := make([]string, len(Windows))
	for i, d := range Windows {
		names[i] = WindowName(d)
	}
	return names
}

// WindowName is how a window of days is named in snapshots, metrics and the ops API ("7d").
func WindowName(days int) string { return strconv.Itoa(days) + "d" }
