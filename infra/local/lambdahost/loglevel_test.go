package lambdahost

import (
	"bytes"
	"strings"
	"testing"
)

func TestTheLogLevelFiltersAsLambdaDoes(t *testing.T) {
	lines := []string{
		`{"level":"DEBUG","message":"d"}`,
		`{"level":"INFO","message":"i"}`,
		`{"level":"WARN","message":"w"}`,
		`{"level":"ERROR","message":"e"}`,
		`{"_aws":{"CloudWatchMetrics":[]},"Sent":1}`, // an EMF line: no level, so INFO
		`plain text`,
	}
	in := strings.Join(lines, "\n") + "\n"
	tests := []struct {
		format, level string
		want          []string
	}{
		{"JSON", "INFO", []string{"i", "w", "e", "Sent", "plain"}},
		{"JSON", "WARN", []string{"w", "e"}},
		{"JSON", "DEBUG", []string{"d", "i", "w", "e", "Sent", "plain"}},
		{"Text", "WARN", []string{"d", "i", "w", "e", "Sent", "plain"}}, // no filtering without JSON
		{"", "", []string{"d", "i", "w", "e", "Sent", "plain"}},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		w := filterLevel(&out, tt.format, tt.level)
		// Written in odd pieces, as a pipe hands them over.
		for i := 0; i < len(in); i += 7 {
			w.Write([]byte(in[i:min(i+7, len(in))]))
		}
		got := out.String()
		for _, want := range tt.want {
			if !strings.Contains(got, want) {
				t.Errorf("%s/%s: %q dropped:\n%s", tt.format, tt.level, want, got)
			}
		}
		if n := strings.Count(got, "\n"); n != len(tt.want) {
			t.Errorf("%s/%s: %d lines kept, want %d:\n%s", tt.format, tt.level, n, len(tt.want), got)
		}
	}
}
