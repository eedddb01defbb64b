package main

import (
	"math"
	"testing"
)

// The meter asks CloudWatch for every function's invocations and duration, the table's and each
// index's request units and the API's requests, and adds them up into usage by what they are.
func TestTheCloudWatchMeterSumsWhatItAsksFor(t *testing.T) {
	t.Parallel()
	m := &cloudWatchMeter{Functions: []string{"tp", "tickets"}, Table: "t", Indexes: []string{"GSI1"}, APIID: "api1", MemoryMB: 512}
	ids := map[string]bool{}
	for _, q := range m.queries() {
		if ids[q.id] {
			t.Fatalf("query id %s twice", q.id)
		}
		ids[q.id] = true
	}
	if len(ids) != 2*2+2+2+1 {
		t.Fatalf("%d queries: %v", len(ids), ids)
	}
	u := m.usageOf(map[string]float64{"inv0": 10, "inv1": 5, "dur0": 2000, "dur1": 0, "rcu": 3, "rcux0": 1, "wcu": 7, "wcux0": 2, "api": 4})
	if u.LambdaRequests != 15 || math.Abs(u.LambdaGBSeconds-1) > 1e-12 || u.ReadUnits != 4 || u.WriteUnits != 9 || u.HTTPRequests != 4 {
		t.Fatalf("usage %+v", u)
	}
}
