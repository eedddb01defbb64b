// Package cxloop is the root of the module. It ships the survey catalog inside every binary, so
// a function never reads surveys.yaml from disk and the deployed catalog is the tested one.
package cxloop

import _ "embed"

// SurveysYAML is surveys.yaml as built into the binary; shared/catalog.Shipped parses it.
//
//go:embed surveys.yaml
var SurveysYAML []byte
