package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/telemetry"
)

// The tick's OldestDueSeconds metric is what the template's backlog alarm watches: how long the
// oldest item due at the tick's start had been waiting. While SES refuses, it keeps growing.
func TestOldestDueSecondsReportsTheBacklog(t *testing.T) {
	f := newFixture(t)
	var out bytes.Buffer
	f.h.Metrics = &telemetry.Metrics{Namespace: telemetry.Namespace, Out: &out, Now: f.clock.Now}
	metric := func() float64 {
		t.Helper()
		var line map[string]any
		if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &line); err != nil {
			t.Fatalf("metrics line %q: %v", out.String(), err)
		}
		out.Reset()
		v, ok := line["OldestDueSeconds"].(float64)
		if !ok {
			t.Fatalf("no OldestDueSeconds in %v", line)
		}
		return v
	}

	f.tick()
	if got := metric(); got != 0 {
		t.Errorf("nothing due: OldestDueSeconds %v, want 0", got)
	}

	refusing, _ := refusingSES(t, http.StatusInternalServerError)
	f.h.Mail = refusing
	f.put(invite{dueIn: -10 * time.Minute})
	f.put(invite{dueIn: -3 * time.Minute})
	f.tick()
	if got := metric(); got != 600 {
		t.Errorf("oldest due 10 minutes ago: OldestDueSeconds %v, want 600", got)
	}
	f.clock.Add(5 * time.Minute)
	f.tick()
	if got := metric(); got != 900 {
		t.Errorf("still refused 5 minutes later: OldestDueSeconds %v, want 900", got)
	}
}
