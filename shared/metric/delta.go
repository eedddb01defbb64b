package metric

import "time"

// Answer is one submit of an invitation: the score and when, in Unix milliseconds.
type Answer struct {
	Score int
	At    int64
}

// Item is what the scorer knows about one invitation from the change feed: every submit, when
// its first email was sent (Unix ms, 0 if never), and the dimensions it counts in (Dims).
type Item struct {
	Answers []Answer
	SentAt  int64
	Dims    []Dim
}

// Change is what one invitation moves in one day's histogram (a day is UTC yyyy-mm-dd).
type Change struct {
	Day  string
	Hist Hist
}

// dayOf returns the UTC day of a Unix millisecond time.
func dayOf(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.DateOnly) }

// Current returns the submit that counts at watermark t: the last one at or before t (at gives a
// submit's time, Unix ms). The histograms and the theme counts both count by it.
func Current[A any](answers []A, t int64, at func(A) int64) (A, bool) {
	var best A
	found := false
	for _, a := range answers {
		if at(a) <= t && (!found || at(a) >= at(best)) {
			best, found = a, true
		}
	}
	return best, found
}

func current(answers []Answer, t int64) (Answer, bool) {
	return Current(answers, t, func(a Answer) int64 { return a.At })
}

// ItemDelta returns what one invitation moves in the histograms when the watermark moves from w
// to u (Unix ms, w < u): the answer counted at w (the last submit at or before w) is taken out and
// the answer counted at u is put in, both on the day of the FIRST submit, so an edit moves the
// count within that day; and the invitation counts as delivered on the day it was sent if
// w < sentAt <= u. A score outside 0..MaxScore is ignored. The result has at most two changes and
// none with a zero histogram; active reports whether anything happened in (w, u] at all (a submit
// or the send), even when it cancels out (an edit to the same score).
func ItemDelta(answers []Answer, sentAt, w, u int64) (changes []Change, active bool) {
	for _, a := range answers {
		if a.At > w && a.At <= u {
			active = true
		}
	}
	var ans Hist
	if len(answers) > 0 {
		if before, ok := current(answers, w); ok && valid(before.Score) {
			ans.Counts[before.Score]--
		}
		if now, ok := current(answers, u); ok && valid(now.Score) {
			ans.Counts[now.Score]++
		}
	}
	if !ans.IsZero() {
		first := answers[0].At
		for _, a := range answers {
			first = min(first, a.At)
		}
		changes = append(changes, Change{Day: dayOf(first), Hist: ans})
	}
	if sentAt > w && sentAt <= u {
		active = true
		day := dayOf(sentAt)
		if len(changes) == 1 && changes[0].Day == day {
			changes[0].Hist.Delivered++
		} else {
			changes = append(changes, Change{Day: day, Hist: Hist{Delivered: 1}})
		}
	}
	return changes, active
}

func valid(score int) bool { return score >= 0 && score <= MaxScore }

// Delta is a run's changes to a survey's histograms: day -> dimension -> change.
type Delta map[string]Breakdown

// AddItem adds one invitation's changes between watermarks w and u to d, in each of the item's
// dimensions, and reports whether the item had any activity in (w, u].
func (d Delta) AddItem(it Item, w, u int64) bool {
	changes, active := ItemDelta(it.Answers, it.SentAt, w, u)
	for _, c := range changes {
		day := d[c.Day]
		if day == nil {
			day = Breakdown{}
			d[c.Day] = day
		}
		for _, dim := range it.Dims {
			h := day[dim]
			h.Add(c.Hist)
			day[dim] = h
		}
	}
	return active
}

// Add merges o into d.
func (d Delta) Add(o Delta) {
	for day, b := range o {
		if d[day] == nil {
			d[day] = Breakdown{}
		}
		d[day].Add(b)
	}
}

// Prune drops the zero histograms (changes that cancelled out) and empty days.
func (d Delta) Prune() {
	for day, b := range d {
		for dim, h := range b {
			if h.IsZero() {
				delete(b, dim)
			}
		}
		if len(b) == 0 {
			delete(d, day)
		}
	}
}

// Count returns the histograms of items as they stand at watermark u, counted directly: what
// applying every run's Delta up to u must add up to.
func Count(items []Item, u int64) Delta {
	d := Delta{}
	for _, it := range items {
		d.AddItem(it, 0, u)
	}
	d.Prune()
	return d
}

// Window returns the merged histograms of the days from first to last (UTC yyyy-mm-dd,
// inclusive) of days.
func Window(days map[string]Breakdown, first, last string) Breakdown {
	out := Breakdown{}
	for day, b := range days {
		if day >= first && day <= last {
			out.Add(b)
		}
	}
	return out
}
