package theme

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/cxloop/cxloop/shared/metric"
)

var testCounter = Counter{
	Matcher: NewMatcher([]Declared{
		{ID: "delivery", Words: map[string][]string{"en": {"late", "courier"}, "es": {"retraso"}}},
		{ID: "price", Words: map[string][]string{"en": {"expensive"}, "es": {"caro"}}},
	}),
	Bands: Bands{LowMax: 6, HighMin: 9},
}

func TestCountsOfOneAnswer(t *testing.T) {
	t.Parallel()
	day := "2026-11-23"
	at := int64(1795435200000) // 2026-11-23T08:00:00Z
	tests := []struct {
		name     string
		answers  []Answer
		lang     string
		wantAll  Tally
		wantLowN int64
		wantLow  Counts
	}{
		{"a low answer mentioning a theme counts in the low band", []Answer{{Score: 3, At: at, Comment: "The courier was late"}}, "en",
			Tally{Comments: 1, Low: 1, Themes: map[string]Mentions{"delivery": {1, 1, 0}}}, 1, Counts{"courier": 1, "late": 1, "courier late": 1}},
		{"a passive comment counts as a comment but in no band", []Answer{{Score: 7, At: at, Comment: "expensive"}}, "en",
			Tally{Comments: 1, Themes: map[string]Mentions{"price": {1, 0, 0}}}, 0, Counts{}},
		{"an answer without a comment counts nothing", []Answer{{Score: 2, At: at, Comment: "  "}}, "en", Tally{}, 0, Counts{}},
		{"an edit counts only the final comment", []Answer{{Score: 2, At: at, Comment: "late"}, {Score: 10, At: at + 1000, Comment: "great"}}, "en",
			Tally{Comments: 1, High: 1}, 0, Counts{}},
		{"a Spanish comment matches the Spanish words", []Answer{{Score: 0, At: at, Comment: "Mucho retraso y caro"}}, "es",
			Tally{Comments: 1, Low: 1, Themes: map[string]Mentions{"delivery": {1, 1, 0}, "price": {1, 1, 0}}}, 1, Counts{"retras": 1, "car": 1, "retras car": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := Delta{}
			testCounter.AddItem(d, Item{Answers: tt.answers, Lang: tt.lang, Dims: []metric.Dim{metric.Overall}}, 0, at+10_000)
			d.Prune()
			var got Tally
			var gotLow TermDay
			if dd := d[day]; dd != nil {
				got = dd.Dims[metric.Overall]
				gotLow = dd.Terms
			}
			if got.Themes == nil {
				got.Themes = nil
			}
			if !reflect.DeepEqual(normal(got), normal(tt.wantAll)) {
				t.Errorf("tally = %+v, want %+v", got, tt.wantAll)
			}
			if gotLow.LowComments != tt.wantLowN || !reflect.DeepEqual(nonNil(gotLow.Low), tt.wantLow) {
				t.Errorf("low terms = %d %v, want %d %v", gotLow.LowComments, gotLow.Low, tt.wantLowN, tt.wantLow)
			}
		})
	}
}

func normal(t Tally) Tally {
	if len(t.Themes) == 0 {
		t.Themes = nil
	}
	return t
}

func nonNil(c Counts) Counts {
	if c == nil {
		return Counts{}
	}
	return c
}

// TestRunByRunCountsEqualARecount is the themes' version of the histograms' property: applying
// the deltas of random runs (random watermark splits) over random invitations with edits equals
// counting the final answers directly, after every run.
func TestRunByRunCountsEqualARecount(t *testing.T) {
	t.Parallel()
	comments := []string{"", "late courier", "too expensive", "great service", "courier was rude and late", "caro", "ok", "Ana was late"}
	for seed := range uint64(30) {
		r := rand.New(rand.NewPCG(seed, 19))
		base := int64(1795435200000)
		var items []Item
		for range 40 {
			it := Item{Lang: []string{"en", "es"}[r.IntN(2)], Dims: []metric.Dim{metric.Overall, metric.TouchpointDim("t")}, Exclude: []string{"Ana"}}
			at := base + r.Int64N(3*86_400_000)
			for range 1 + r.IntN(3) {
				it.Answers = append(it.Answers, Answer{Score: r.IntN(11), At: at, Comment: comments[r.IntN(len(comments))]})
				at += 1 + r.Int64N(3_600_000)
			}
			items = append(items, it)
		}
		end := base + 4*86_400_000
		sum := Delta{}
		w := int64(0)
		for w < end {
			u := min(end, w+1+r.Int64N(86_400_000))
			if w == 0 {
				u = base + r.Int64N(86_400_000)
			}
			run := Delta{}
			for _, it := range items {
				testCounter.AddItem(run, it, w, u)
			}
			run.Prune()
			addDelta(sum, run)
			want := Delta{}
			for _, it := range items {
				testCounter.AddItem(want, it, 0, u)
			}
			want.Prune()
			sum.Prune()
			if !reflect.DeepEqual(flatten(sum), flatten(want)) {
				t.Fatalf("seed %d at %d: run by run %v, recount %v", seed, u, flatten(sum), flatten(want))
			}
			for k, v := range flatten(sum) {
				if v < 0 {
					t.Fatalf("seed %d: negative count %s = %d", seed, k, v)
				}
			}
			w = u
		}
	}
}

func addDelta(sum, d Delta) {
	for day, dd := range d {
		s := sum[day]
		if s == nil {
			s = &Day{Dims: map[metric.Dim]Tally{}, Terms: TermDay{Low: Counts{}, High: Counts{}}}
			sum[day] = s
		}
		for dim, t := range dd.Dims {
			cur := s.Dims[dim]
			cur.Add(t)
			s.Dims[dim] = cur
		}
		s.Terms.LowComments += dd.Terms.LowComments
		s.Terms.HighComments += dd.Terms.HighComments
		s.Terms.Low.Add(dd.Terms.Low)
		s.Terms.High.Add(dd.Terms.High)
	}
}

// flatten lists every non-zero count under a readable key.
func flatten(d Delta) map[string]int64 {
	out := map[string]int64{}
	put := func(k string, v int64) {
		if v != 0 {
			out[k] = v
		}
	}
	for day, dd := range d {
		for dim, t := range dd.Dims {
			k := day + "|" + string(dim)
			put(k+"|c", t.Comments)
			put(k+"|cl", t.Low)
			put(k+"|ch", t.High)
			for id, m := range t.Themes {
				put(k+"|"+id, m.Comments)
				put(k+"|"+id+":l", m.Low)
				put(k+"|"+id+":h", m.High)
			}
		}
		put(day+"|lc", dd.Terms.LowComments)
		put(day+"|hc", dd.Terms.HighComments)
		for term, n := range dd.Terms.Low {
			put(day+"|l|"+term, n)
		}
		for term, n := range dd.Terms.High {
			put(day+"|h|"+term, n)
		}
	}
	return out
}

func TestMergeKeepsTheMostMentionedTerms(t *testing.T) {
	t.Parallel()
	stored := TermDay{LowComments: 5, Low: Counts{}, High: Counts{}}
	for i := range MaxTermsPerBand {
		stored.Low[string(rune('a'+i%26))+string(rune('a'+i/26))] = 1
	}
	got := stored.Merge(TermDay{LowComments: 2, Low: Counts{"late": 7, "aa": -1}})
	if len(got.Low) != MaxTermsPerBand {
		t.Fatalf("kept %d terms, want %d", len(got.Low), MaxTermsPerBand)
	}
	if got.Low["late"] != 7 || got.LowComments != 7 {
		t.Errorf("late = %d, low comments = %d; want 7 and 7", got.Low["late"], got.LowComments)
	}
	if _, ok := got.Low["aa"]; ok {
		t.Error("a term whose count fell to zero is kept")
	}
}

// BenchmarkCountOneComment is the scorer's CPU cost of one commented answer: matching the
// declared themes and extracting the found-theme terms (docs/THEMES.md quotes it).
func BenchmarkCountOneComment(b *testing.B) {
	it := Item{Lang: "en", Dims: []metric.Dim{metric.Overall, metric.TouchpointDim("t"), metric.SegmentDim("plan", "pro")},
		Answers: []Answer{{Score: 3, At: 1795435200000, Comment: "The courier was two days late and nobody answered the phone; the tracking page never updated."}}}
	for b.Loop() {
		d := Delta{}
		testCounter.AddItem(d, it, 0, 1795435200001)
	}
}
