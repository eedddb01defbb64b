package catalog

import "github.com/cxloop/cxloop/shared/locale"

// ScaleLabels names the lowest and highest score of the metric in a language (shared/locale; its
// language part is enough: "es-MX" finds "es"), in English for other languages.
func (m Metric) ScaleLabels(lang string) (low, high string) {
	l := locale.For(lang).Scale[string(m)]
	return l[0], l[1]
}
