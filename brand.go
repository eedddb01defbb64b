package cxloop

import "embed"

// BrandFiles is brand/ as built into every binary: the files the catalog's brand may name (its
// logo). The survey API serves the logo from its own origin, so no email or page loads anything
// from a third party (docs/CATALOG.md, brand).
//
//go:embed brand
var BrandFiles embed.FS
