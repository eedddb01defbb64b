package main

import (
	"context"
	"html"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/score"
)

// The scores page shows one dimension at a time, says "too few answers" below the catalog's
// minSample instead of a figure like 0.0 ± 138.6, and links the same numbers as CSV.
func TestTheScoresPageShowsADimensionAndHidesTinySamples(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	run := time.Now().UTC().Add(-48 * time.Hour)
	for i, n := range []int64{3, 45} {
		snap := score.Snapshot{Survey: "nps-relationship", Metric: "nps", CatalogVersion: "v", MetricVersion: 1,
			RunAt: run.Add(time.Duration(i) * time.Hour), Day: run.Format("2006-01-02"),
			Scores: []score.Row{
				{Window: "7d", Dim: metric.Overall, Score: metric.Score{N: n, Value: 12.5, MarginOfError: 20}},
				{Window: "7d", Dim: metric.SegmentDim("plan", "pro"), Score: metric.Score{N: 4, Value: 0, MarginOfError: 138.6}},
			}}
		if err := f.h.Store.PutSnapshot(context.Background(), snap); err != nil {
			t.Fatal(err)
		}
	}
	viewer := f.tokens[access.Viewer]
	page := f.call(t, "GET", "/ops/trends?window=7d", viewer, "", nil)
	if page.StatusCode != 200 || !strings.Contains(page.Body, "12.5 ± 20.0 (n=45)") || strings.Count(page.Body, "<circle") != 1 ||
		!strings.Contains(page.Body, "too few answers") || !strings.Contains(page.Body, `<option value="seg:plan=pro"`) {
		t.Fatalf("overall: the n=45 run is the figure, the n=3 run only listed, the segment offered:\n%s", page.Body)
	}
	seg := f.call(t, "GET", "/ops/trends?window=7d&dim=seg:plan%3Dpro", viewer, "", nil)
	if strings.Contains(seg.Body, "138.6") || !strings.Contains(seg.Body, "too few answers (n=4, needs 30)") || strings.Contains(seg.Body, "<svg") {
		t.Fatalf("a 4-answer segment shows a figure or a chart:\n%s", seg.Body)
	}
	link := "/ops/scores?format=csv&amp;segment=plan%3Dpro&amp;survey=nps-relationship&amp;window=7d"
	if !strings.Contains(seg.Body, link) {
		t.Fatalf("the page lacks the CSV link %s", link)
	}
	csv := f.call(t, "GET", html.UnescapeString(link), viewer, "", nil)
	if csv.Headers["Content-Type"] != "text/csv; charset=utf-8" || !strings.Contains(csv.Body, "nps-relationship,nps,7d,seg:plan=pro,4,") {
		t.Fatalf("the CSV link gives %v %s", csv.Headers, csv.Body)
	}
}
