package metric

import (
	"math/rand/v2"
	"testing"
)

// hist builds a histogram from score -> count pairs.
func hist(delivered int64, counts map[int]int64) Hist {
	h := Hist{Delivered: delivered}
	for v, c := range counts {
		h.Counts[v] = c
	}
	return h
}

func TestCompute(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		h    Hist
		want Score
	}{
		{"50 promoters, 30 passives and 20 detractors of 100 is NPS 30.0 +- 15.3", NPS,
			hist(200, map[int]int64{10: 25, 9: 25, 8: 15, 7: 15, 6: 10, 0: 10}),
			Score{N: 100, Value: 30, Mean: 7.6, MarginOfError: 15.3, Delivered: 200, ResponseRate: 0.5}},
		{"only promoters is NPS 100 with no margin", NPS, hist(0, map[int]int64{9: 4, 10: 6}),
			Score{N: 10, Value: 100, Mean: 9.6}},
		{"only detractors is NPS -100", NPS, hist(0, map[int]int64{0: 1, 3: 1, 6: 1}),
			Score{N: 3, Value: -100, Mean: 3}},
		{"only passives is NPS 0 with no margin", NPS, hist(0, map[int]int64{7: 5, 8: 5}),
			Score{N: 10, Value: 0, Mean: 7.5}},
		{"one decimal: 1 promoter of 3 is NPS 33.3", NPS, hist(0, map[int]int64{10: 1, 8: 2}),
			Score{N: 3, Value: 33.3, Mean: 8.67, MarginOfError: 53.3}},
		{"80 satisfied of 100 is CSAT 80.0 +- 7.8", CSAT, hist(0, map[int]int64{5: 50, 4: 30, 3: 10, 1: 10}),
			Score{N: 100, Value: 80, Mean: 4.1, MarginOfError: 7.8}},
		{"CSAT ignores a 0, which is off its scale", CSAT, hist(0, map[int]int64{0: 7, 5: 1}),
			Score{N: 1, Value: 100, Mean: 5}},
		{"CES counts 5 to 7 as agree", CES, hist(10, map[int]int64{7: 2, 5: 1, 4: 1, 1: 1}),
			Score{N: 5, Value: 60, Mean: 4.8, MarginOfError: 42.9, Delivered: 10, ResponseRate: 0.5}},
		{"no answers is no score, but deliveries still show", NPS, hist(12, nil),
			Score{Delivered: 12}},
		{"nothing at all is all zeros", CES, Hist{}, Score{}},
		{"an unknown metric has no score", Kind("stars"), hist(1, map[int]int64{5: 1}), Score{Delivered: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Compute(tt.kind, tt.h); got != tt.want {
				t.Errorf("Compute = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMarginOfErrorShrinksWithTheSquareRootOfN(t *testing.T) {
	small := Compute(NPS, hist(0, map[int]int64{10: 50, 8: 30, 0: 20}))
	large := Compute(NPS, hist(0, map[int]int64{10: 5000, 8: 3000, 0: 2000}))
	if small.Value != large.Value {
		t.Fatalf("same mix, different NPS: %v vs %v", small.Value, large.Value)
	}
	if small.MarginOfError != 15.3 || large.MarginOfError != 1.5 {
		t.Errorf("margins %v and %v, want 15.3 and 1.5", small.MarginOfError, large.MarginOfError)
	}
}

func randomHist(r *rand.Rand) Hist {
	var h Hist
	for i := range h.Counts {
		if r.IntN(3) > 0 {
			h.Counts[i] = r.Int64N(1000)
		}
	}
	h.Delivered = r.Int64N(5000)
	return h
}

func TestMergingIsAssociativeAndCommutative(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1000; i++ {
		a, b, c := randomHist(r), randomHist(r), randomHist(r)
		if a.Merge(b).Merge(c) != a.Merge(b.Merge(c)) {
			t.Fatalf("(a+b)+c != a+(b+c) for %v %v %v", a, b, c)
		}
		if a.Merge(b) != b.Merge(a) {
			t.Fatalf("a+b != b+a for %v %v", a, b)
		}
		if a.Merge(Hist{}) != a {
			t.Fatalf("a+0 != a for %v", a)
		}
	}
}

func TestScoresStayInRange(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 2000; i++ {
		h := randomHist(r)
		if r.IntN(10) == 0 { // a single non-empty slot: the extremes
			v := r.IntN(MaxScore + 1)
			h = Hist{}
			h.Counts[v] = 1 + r.Int64N(3)
		}
		for _, k := range []Kind{NPS, CSAT, CES} {
			s := Compute(k, h)
			lo := 0.0
			if k == NPS {
				lo = -100
			}
			if s.Value < lo || s.Value > 100 || s.MarginOfError < 0 || s.MarginOfError > 196 {
				t.Fatalf("%s of %v = %+v: out of range", k, h, s)
			}
			scaleLo, scaleHi, _, _ := Scale(k)
			if s.N > 0 && (s.Mean < float64(scaleLo) || s.Mean > float64(scaleHi)) {
				t.Fatalf("%s mean %v outside %d..%d", k, s.Mean, scaleLo, scaleHi)
			}
		}
	}
}

func TestDims(t *testing.T) {
	got := Dims("order.delivered", map[string]string{"region": "eu", "plan": "pro", "empty": ""})
	want := []Dim{Overall, "tp:order.delivered", "seg:plan=pro", "seg:region=eu"}
	if len(got) != len(want) {
		t.Fatalf("Dims = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Dims = %v, want %v", got, want)
		}
	}
	if tp, ok := got[1].Touchpoint(); !ok || tp != "order.delivered" {
		t.Errorf("Touchpoint() = %q, %v", tp, ok)
	}
	if k, v, ok := got[2].Segment(); !ok || k != "plan" || v != "pro" {
		t.Errorf("Segment() = %q, %q, %v", k, v, ok)
	}
	if _, _, ok := Overall.Segment(); ok {
		t.Error("Overall is not a segment")
	}
}
