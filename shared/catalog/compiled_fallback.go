//go:build catalog_nocompiled

package catalog

import "github.com/cxloop/cxloop"

// compiled, when shipped.go is left out (go generate builds the compiler with this tag, so a
// catalog type change never stops shipped.go from being written again), loads surveys.yaml.
func compiled() *Catalog {
	c, err := Load(cxloop.SurveysYAML)
	if err != nil {
		panic(err)
	}
	return c
}
