package metric

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// ms returns the Unix milliseconds of a UTC time on 2026-11-<day> at hour:min.
func ms(day, hour, minute int) int64 {
	return time.Date(2026, 11, day, hour, minute, 0, 0, time.UTC).UnixMilli()
}

func delta(day string, delivered int64, counts map[int]int64) Change {
	return Change{Day: day, Hist: hist(delivered, counts)}
}

func TestItemDelta(t *testing.T) {
	sent := ms(20, 9, 0)
	tests := []struct {
		name       string
		answers    []Answer
		sentAt     int64
		w, u       int64
		want       []Change
		wantActive bool
	}{
		{"a send in the run counts as delivered on the day it was sent", nil, sent, ms(20, 0, 0), ms(21, 0, 0),
			[]Change{delta("2026-11-20", 1, nil)}, true},
		{"a send before the run is not counted again", nil, sent, ms(20, 10, 0), ms(21, 0, 0), nil, false},
		{"a send after the new watermark waits for the next run", nil, sent, ms(19, 0, 0), ms(20, 8, 59), nil, false},
		{"a first answer in the run adds its score on its day", []Answer{{9, ms(21, 10, 0)}}, sent, ms(21, 0, 0), ms(22, 0, 0),
			[]Change{delta("2026-11-21", 0, map[int]int64{9: 1})}, true},
		{"send and answer in one run on one day make one change", []Answer{{3, ms(20, 9, 30)}}, sent, ms(20, 0, 0), ms(20, 12, 0),
			[]Change{delta("2026-11-20", 1, map[int]int64{3: 1})}, true},
		{"send and answer on different days make two changes", []Answer{{3, ms(21, 1, 0)}}, sent, ms(20, 0, 0), ms(22, 0, 0),
			[]Change{delta("2026-11-21", 0, map[int]int64{3: 1}), delta("2026-11-20", 1, nil)}, true},
		{"an edit moves the count from the old score to the new one", []Answer{{3, ms(21, 10, 0)}, {8, ms(21, 11, 0)}}, sent, ms(21, 10, 30), ms(21, 12, 0),
			[]Change{delta("2026-11-21", 0, map[int]int64{3: -1, 8: 1})}, true},
		{"an edit after midnight stays on the day of the first answer", []Answer{{3, ms(21, 23, 0)}, {8, ms(22, 1, 0)}}, sent, ms(21, 23, 30), ms(22, 2, 0),
			[]Change{delta("2026-11-21", 0, map[int]int64{3: -1, 8: 1})}, true},
		{"answer and edit inside one run count only the last score", []Answer{{3, ms(21, 10, 0)}, {8, ms(21, 11, 0)}}, sent, ms(21, 0, 0), ms(22, 0, 0),
			[]Change{delta("2026-11-21", 0, map[int]int64{8: 1})}, true},
		{"a repeated submit of the same score changes nothing but is activity", []Answer{{8, ms(21, 10, 0)}, {8, ms(21, 11, 0)}}, sent, ms(21, 10, 30), ms(22, 0, 0),
			nil, true},
		{"an answer after the new watermark is left for the next run", []Answer{{8, ms(21, 10, 0)}}, sent, ms(21, 0, 0), ms(21, 9, 0), nil, false},
		{"an edit after the new watermark keeps the counted score", []Answer{{3, ms(21, 10, 0)}, {8, ms(21, 11, 0)}}, sent, ms(21, 0, 0), ms(21, 10, 30),
			[]Change{delta("2026-11-21", 0, map[int]int64{3: 1})}, true},
		{"an answer exactly at the old watermark was already counted", []Answer{{8, ms(21, 10, 0)}}, sent, ms(21, 10, 0), ms(22, 0, 0), nil, false},
		{"an answer exactly at the new watermark is counted", []Answer{{8, ms(21, 10, 0)}}, sent, ms(21, 0, 0), ms(21, 10, 0),
			[]Change{delta("2026-11-21", 0, map[int]int64{8: 1})}, true},
		{"a score off every scale is ignored", []Answer{{11, ms(21, 10, 0)}}, sent, ms(21, 0, 0), ms(22, 0, 0), nil, true},
		{"answers out of order: the latest one counts", []Answer{{8, ms(21, 11, 0)}, {3, ms(21, 10, 0)}}, sent, ms(21, 0, 0), ms(22, 0, 0),
			[]Change{delta("2026-11-21", 0, map[int]int64{8: 1})}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, active := ItemDelta(tt.answers, tt.sentAt, tt.w, tt.u)
			if !reflect.DeepEqual(got, tt.want) || active != tt.wantActive {
				t.Errorf("ItemDelta = %+v, %v; want %+v, %v", got, active, tt.want, tt.wantActive)
			}
		})
	}
}

// randomItems makes invitations sent over ten days, each answered zero to three times within a day.
func randomItems(r *rand.Rand, n int) []Item {
	start := ms(10, 0, 0)
	dims := [][]Dim{{Overall}, {Overall, TouchpointDim("a")}, {Overall, TouchpointDim("b"), SegmentDim("plan", "pro")}}
	items := make([]Item, n)
	for i := range items {
		sent := start + r.Int64N(10*24*3600*1000)
		it := Item{SentAt: sent, Dims: dims[r.IntN(len(dims))]}
		at := sent
		for range r.IntN(4) {
			at += 1 + r.Int64N(12*3600*1000)
			it.Answers = append(it.Answers, Answer{Score: r.IntN(MaxScore + 1), At: at})
		}
		items[i] = it
	}
	return items
}

func TestDeltasRunByRunEqualCountingTheFinalAnswers(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 200; trial++ {
		items := randomItems(r, 1+r.IntN(60))
		// Random watermarks from before the first send to after the last answer.
		marks := []int64{ms(9, 0, 0), ms(25, 0, 0)}
		for range r.IntN(12) {
			marks = append(marks, ms(9, 0, 0)+r.Int64N(16*24*3600*1000))
		}
		if r.IntN(2) == 0 { // a watermark exactly on an answer
			if it := items[r.IntN(len(items))]; len(it.Answers) > 0 {
				marks = append(marks, it.Answers[0].At)
			}
		}
		slices.Sort(marks)
		marks = slices.Compact(marks)
		applied := Delta{}
		for i := 1; i < len(marks); i++ {
			run := Delta{}
			for _, it := range items {
				run.AddItem(it, marks[i-1], marks[i])
			}
			applied.Add(run)
			applied.Prune()
			if want := Count(items, marks[i]); !reflect.DeepEqual(applied, want) {
				t.Fatalf("trial %d, after run %d: applied %v, counted %v", trial, i, applied, want)
			}
		}
		for day, b := range applied {
			for dim, h := range b {
				for v, c := range h.Counts {
					if c < 0 {
						t.Fatalf("negative count %d for score %d on %s %s", c, v, day, dim)
					}
				}
			}
		}
	}
}

func TestWindowMergesTheDaysInRange(t *testing.T) {
	days := map[string]Breakdown{
		"2026-11-01": {Overall: hist(1, map[int]int64{9: 1})},
		"2026-11-07": {Overall: hist(2, map[int]int64{9: 2}), TouchpointDim("a"): hist(0, map[int]int64{3: 1})},
		"2026-11-08": {Overall: hist(4, map[int]int64{0: 4})},
	}
	got := Window(days, "2026-11-01", "2026-11-07")
	want := Breakdown{Overall: hist(3, map[int]int64{9: 3}), TouchpointDim("a"): hist(0, map[int]int64{3: 1})}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Window = %v, want %v", got, want)
	}
}
