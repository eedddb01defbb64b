package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/theme"
)

// themeFigures is what feedback themes cost (docs/THEMES.md): the scorer's CPU per commented
// answer, and which functions link and which run the stemmer.
type themeFigures struct {
	TagMicros float64  // one commented answer counted: declared matching and found terms
	Linked    []string // function packages whose binary links the Snowball stemmer
}

// measureThemes times the scorer's per-answer theme work on the shipped NPS survey (its declared
// themes, a typical detractor comment, three dimensions) and lists the functions linking the
// stemmer (go list -deps).
func measureThemes(ctx context.Context, rep *report, root string) error {
	sv, ok := catalog.MustShipped().Survey("nps-relationship")
	if !ok {
		return fmt.Errorf("no nps-relationship survey in the shipped catalog")
	}
	lo, hi := sv.Bands()
	c := theme.Counter{Matcher: theme.NewMatcher(sv.Declared()), Bands: theme.Bands{LowMax: lo, HighMin: hi}}
	it := theme.Item{Dims: metric.Dims("order.delivered", map[string]string{"plan": "pro", "region": "eu"}),
		Answers: []theme.Answer{{Score: 3, At: 1795435200000, Lang: "en",
			Comment: "The courier was two days late and nobody answered the phone; the tracking page never updated."}}}
	res := testing.Benchmark(func(b *testing.B) {
		for b.Loop() {
			c.AddItem(theme.Delta{}, it, 0, 1795435200001)
		}
	})
	rep.Themes.TagMicros = float64(res.NsPerOp()) / 1000
	fns, err := filepath.Glob(filepath.Join(root, "functions", "*"))
	if err != nil {
		return err
	}
	for _, fn := range fns {
		cmd := exec.CommandContext(ctx, "go", "list", "-deps", "./functions/"+filepath.Base(fn))
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("go list %s: %w", fn, err)
		}
		if strings.Contains(string(out), "github.com/kljensen/snowball/") {
			rep.Themes.Linked = append(rep.Themes.Linked, filepath.Base(fn))
		}
	}
	return nil
}

func (r *report) writeThemes(b *strings.Builder) {
	p := func(format string, a ...any) { fmt.Fprintf(b, format+"\n", a...) }
	p("## Feedback themes")
	p("")
	p("- Tagging one commented answer in the scorer (declared themes matched and found-theme terms extracted, one")
	p("  tokenisation, Snowball stemming, three dimensions): %.1f µs of CPU.", r.Themes.TagMicros)
	p("- The scorer's cost with themes on is the \"%s\" column of the table above against the \"low answer", caseNames(r.Cases)[len(r.Cases)-1])
	p("  (ticket)\" column: the comment adds the day's vocabulary item (one GetItem and its Put in the run's transaction)")
	p("  to the scoring share; the declared-theme counters ride on the day histogram item the run writes anyway.")
	p("- The stemmer is linked into %s (the count types live in `shared/theme`, which `shared/store`", strings.Join(r.Themes.Linked, ", "))
	p("  and `shared/catalog` import) but runs only in ScoreFunction (counting) and TicketsFunction (the Themes page);")
	p("  the Snowball packages do no work at init, so their share of every cold start is the binary size, not time.")
	p("")
}
