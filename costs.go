package cxloop

import _ "embed"

// CostsYAML is costs.yaml as built into the binary: the prices shared/cost reads.
//
//go:embed costs.yaml
var CostsYAML []byte
