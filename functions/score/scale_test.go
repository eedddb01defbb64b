package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/storetest"
)

// preAggregate writes the histograms the scorer would have built from total answers spread evenly
// over the 90 days ending on start's day (every score, both plans, three regions, twice as many
// deliveries), and the watermark past them. Writing a million invitation items into DynamoDB
// Local takes hours; the histograms are what a scoring run reads, so this is the state that
// matters for its read cost (docs/METRICS.md).
func preAggregate(f *fixture, total int, watermark time.Time) {
	f.t.Helper()
	plans, regions := []string{"pro", "basic"}, []string{"eu", "us", "apac"}
	d := metric.Delta{}
	for i := range total {
		day := start.AddDate(0, 0, -(i % 90)).Format(time.DateOnly)
		if d[day] == nil {
			d[day] = metric.Breakdown{}
		}
		var h metric.Hist
		h.Counts[i%(metric.MaxScore+1)] = 1
		h.Delivered = 2
		for _, dim := range []metric.Dim{metric.Overall, metric.TouchpointDim("order.delivered"),
			metric.SegmentDim("plan", plans[i%2]), metric.SegmentDim("region", regions[i%3])} {
			x := d[day][dim]
			x.Add(h)
			d[day][dim] = x
		}
	}
	if err := f.st.ApplyRunThemes(f.ctx, nps, d, nil, nil, time.Time{}, watermark); err != nil {
		f.t.Fatalf("pre-aggregate %d answers: %v", total, err)
	}
}

// scoreRun measures one scoring run over total pre-aggregated answers plus the same 50 new
// answers on the change feed.
func scoreRun(t *testing.T, total int) (storetest.Usage, int64) {
	f := newFixture(t, nps)
	preAggregate(f, total, start.Add(-time.Hour))
	for i := range 50 {
		a := start.Add(-50*time.Minute + time.Duration(i)*time.Second)
		f.invite(nps, seg([]string{"pro", "basic"}[i%2], "eu"), a.Add(-2*time.Minute), answer{i % 11, a})
	}
	meter := &storetest.CapacityMeter{}
	h := f.handler(f.metered(meter), nps)
	if _, err := h.Handle(f.ctx, nil); err != nil {
		t.Fatal(err)
	}
	usage := meter.Usage()
	meter.Reset()
	if _, _, err := h.Store.ReadDayCounts(f.ctx, nps, "2026-08-26", "2026-11-23"); err != nil {
		t.Fatal(err)
	}
	days := meter.Usage()
	meter.Reset()
	if _, err := h.Store.ReadFeedEntries(f.ctx, nps, start.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d answers: the 90 day items alone: %v requests, %.1f read units; the feed of 50 new answers: %v requests, %.1f read units",
		total, days.Calls, days.Read, meter.Usage().Calls, meter.Usage().Read)
	return usage, f.score(nps, "90d", metric.Overall).N
}

func TestReadsDoNotGrowWithTheNumberOfAnswers(t *testing.T) {
	small, nSmall := scoreRun(t, 1_000)
	large, nLarge := scoreRun(t, 1_000_000)
	if nSmall != 1_050 || nLarge != 1_000_050 {
		t.Fatalf("90d n = %d and %d, want 1050 and 1000050", nSmall, nLarge)
	}
	for _, u := range []struct {
		name string
		u    storetest.Usage
	}{{"1,000 answers", small}, {"1,000,000 answers", large}} {
		t.Logf("%s: requests %v, read units %.1f, write units %.1f, units per operation %v",
			u.name, u.u.Calls, u.u.Read, u.u.Write, u.u.Units)
	}
	if fmt.Sprint(small.Calls) != fmt.Sprint(large.Calls) {
		t.Errorf("requests differ: %v vs %v", small.Calls, large.Calls)
	}
	reads := func(u storetest.Usage) int { return u.Calls["GetItem"] + u.Calls["Query"] }
	if reads(small) != 1+store.Shards+1+1 {
		t.Errorf("%d read requests, want 19: the watermark, %d feed shards, the days, the latest snapshot", reads(small), store.Shards)
	}
	// The same items are read; only the counters' numbers are longer (DynamoDB stores about one
	// byte per two digits), so read units may grow with the number of digits, never with N.
	if large.Read > small.Read*1.1 {
		t.Errorf("read units grew from %.1f to %.1f", small.Read, large.Read)
	}
}
