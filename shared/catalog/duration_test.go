package catalog

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestDurations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90d", 90 * Day, true},
		{"0d", 0, true},
		{"36h", 36 * time.Hour, true},
		{"1h30m", 90 * time.Minute, true},
		{"10m", 10 * time.Minute, true},
		{"0", 0, true},
		{"-1h", -time.Hour, true},
		{"d", 0, false},
		{"1.5d", 0, false},
		{"-3d", 0, false},
		{"+3d", 0, false},
		{"999999999d", 0, false},
		{"3w", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	for d, want := range map[time.Duration]string{90 * Day: "90d", 36 * time.Hour: "36h0m0s", 0: "0s"} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestDurationsRoundTripThroughJSON(t *testing.T) {
	t.Parallel()
	in := Rule{Event: "e", Delay: Duration{2 * time.Hour}, LinkExpiry: Duration{14 * Day}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"LinkExpiry":"14d"`) {
		t.Errorf("JSON = %s", b)
	}
	var out Rule
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Fatalf("round trip gave %+v, %v", out, err)
	}
}
