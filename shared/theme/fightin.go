package theme

import (
	"math"
	"sort"
)

// Counts is how many comments of a group mention each term (a comment counts a term once).
type Counts map[string]int64

// Add adds o to c.
func (c Counts) Add(o Counts) {
	for t, n := range o {
		c[t] += n
	}
}

// Total is the sum of the counts.
func (c Counts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// Scored is one term's Fightin' Words statistic: its counts in both groups, the log-odds ratio
// Delta (positive: more typical of the low band) and its z-score.
type Scored struct {
	Term  string  `json:"term"`
	Low   int64   `json:"low"`
	High  int64   `json:"high"`
	Delta float64 `json:"delta"`
	Z     float64 `json:"z"`
}

// DefaultPriorSize is the default total weight a0 of the informative Dirichlet prior, in
// mentions: how strongly rare terms are pulled toward the background rate.
const DefaultPriorSize = 100

// FightinWords scores every term of low or high by the log-odds ratio with an informative
// Dirichlet prior (Monroe, Colaresi and Quinn 2008, "Fightin' Words", section 3.5):
//
//	alpha_w = a0 * background_w / sum(background)
//	delta_w = log((y_w^low + alpha_w) / (n^low + a0 - y_w^low - alpha_w))
//	        - log((y_w^high + alpha_w) / (n^high + a0 - y_w^high - alpha_w))
//	var(delta_w) ~ 1/(y_w^low + alpha_w) + 1/(y_w^high + alpha_w),  z_w = delta_w / sqrt(var)
//
// where n is a group's total of counts. background holds every term of low and high (the
// comments of every band are the natural background); when nil it is low + high. The result is
// sorted by z, highest (most typical of the low band) first, ties by term.
func FightinWords(low, high, background Counts, a0 float64) []Scored {
	if background == nil {
		background = Counts{}
		background.Add(low)
		background.Add(high)
	}
	nb := float64(background.Total())
	nl, nh := float64(low.Total()), float64(high.Total())
	terms := map[string]bool{}
	for t := range low {
		terms[t] = true
	}
	for t := range high {
		terms[t] = true
	}
	out := make([]Scored, 0, len(terms))
	for t := range terms {
		if nb == 0 || background[t] <= 0 {
			continue // not in the background: no prior, no score
		}
		a := a0 * float64(background[t]) / nb
		yl, yh := float64(low[t]), float64(high[t])
		rl, rh := nl+a0-yl-a, nh+a0-yh-a
		if rl <= 0 || rh <= 0 {
			continue // the term is the whole background: there is nothing to compare it with
		}
		d := math.Log((yl+a)/rl) - math.Log((yh+a)/rh)
		v := 1/(yl+a) + 1/(yh+a)
		out = append(out, Scored{Term: t, Low: low[t], High: high[t], Delta: d, Z: d / math.Sqrt(v)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Z != out[j].Z {
			return out[i].Z > out[j].Z
		}
		return out[i].Term < out[j].Term
	})
	return out
}
