package catalog

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// Day is the unit of the "d" suffix. The catalog's days are 24 hours; windows and quiet
// periods are measured in elapsed time, not calendar days.
const Day = 24 * time.Hour

// maxDays bounds "Nd" so that N*Day cannot overflow a time.Duration (about 292 years).
const maxDays = 100000

// ParseDuration reads a Go duration ("36h", "10m", "1h30m") or whole days ("90d").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok && n != "" {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 || days > maxDays || n[0] == '+' {
			return 0, fmt.Errorf("%q is not a duration: days must be a whole number from 0 to %d, as in 90d", s, maxDays)
		}
		return time.Duration(days) * Day, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (write 90d, 36h, 10m or 1h30m)", s)
	}
	return d, nil
}

// FormatDuration writes d as whole days when it is one ("90d"), else as a Go duration ("36h0m0s").
func FormatDuration(d time.Duration) string {
	if d > 0 && d%Day == 0 {
		return strconv.FormatInt(int64(d/Day), 10) + "d"
	}
	return d.String()
}

// UnmarshalYAML accepts a scalar in ParseDuration's syntax. A bad value is a *valueError at its
// token, so that Load reports it with its line and goes on to the next problem.
func (d *Duration) UnmarshalYAML(n ast.Node) error {
	if n.Type() == ast.MappingType || n.Type() == ast.SequenceType || n.Type() == ast.MappingValueType {
		return &valueError{tk: n.GetToken(), msg: "a duration must be a single value such as 90d or 36h"}
	}
	v, err := ParseDuration(scalarText(n))
	if err != nil {
		return &valueError{tk: n.GetToken(), msg: err.Error()}
	}
	d.Duration = v
	return nil
}

// scalarText is a scalar node's value as written, without quotes.
func scalarText(n ast.Node) string {
	if s, ok := n.(*ast.StringNode); ok {
		return s.Value
	}
	return n.GetToken().Value
}

// MarshalYAML writes the duration back in the catalog's syntax.
func (d Duration) MarshalYAML() (any, error) { return FormatDuration(d.Duration), nil }

// String renders the duration in the catalog's syntax ("90d", "2h0m0s").
func (d Duration) String() string { return FormatDuration(d.Duration) }

// MarshalJSON writes the duration as a JSON string in the catalog's syntax ("90d").
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(FormatDuration(d.Duration)) }

// UnmarshalJSON reads a JSON string in ParseDuration's syntax.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration must be a string such as \"90d\": %w", err)
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}
