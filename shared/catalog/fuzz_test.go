package catalog

import (
	"testing"

	"github.com/cxloop/cxloop"
)

// FuzzLoad: Load never panics; it returns a catalog that validates, or errors that are all
// *FieldError (file, line, key, message).
func FuzzLoad(f *testing.F) {
	f.Add(cxloop.SurveysYAML)
	f.Add(edit(nil))
	f.Add(edit(map[int]string{14: "        sampleRate: 2", 20: "      atOrBelow: 10"}))
	f.Add(edit(map[int]string{10: "    segments: [plan, region"}))
	f.Add(edit(map[int]string{19: "    followup: [a, b]"}))
	f.Add([]byte("a: &a [x, x]\nb: [*a, *a, *a]\nsurveys: *a\n"))
	f.Add([]byte("surveys:\n  - id: x\n    touchpoints: {}\n    alerts: [{below: .nan, dropBy: 1e400}]\n"))
	f.Add([]byte("version: 1\nsurveys: [{id: a, metric: nps, followup: {atOrBelow: 99999999999999999999}}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Load(data)
		if err == nil {
			if c == nil {
				t.Fatal("no catalog and no error")
			}
			if err := c.Validate(); err != nil {
				t.Fatalf("Load accepted a catalog that Validate refuses: %v", err)
			}
			return
		}
		for _, e := range leaves(err) {
			if _, ok := e.(*FieldError); !ok {
				t.Fatalf("error is not a FieldError: %T %v", e, e)
			}
		}
	})
}

// leaves flattens errors.Join trees.
func leaves(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}
