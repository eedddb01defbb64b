package catalog

// scaleLabels name the two ends of each metric's scale, as the email and the survey page show
// them, in the languages cxloop ships (en, es, fr).
var scaleLabels = map[string]map[Metric][2]string{
	"en": {
		NPS:  {"Not at all likely", "Extremely likely"},
		CSAT: {"Very dissatisfied", "Very satisfied"},
		CES:  {"Strongly disagree", "Strongly agree"},
	},
	"es": {
		NPS:  {"Nada probable", "Muy probable"},
		CSAT: {"Muy insatisfecho", "Muy satisfecho"},
		CES:  {"Totalmente en desacuerdo", "Totalmente de acuerdo"},
	},
	"fr": {
		NPS:  {"Pas du tout probable", "Très probable"},
		CSAT: {"Très insatisfait", "Très satisfait"},
		CES:  {"Pas du tout d'accord", "Tout à fait d'accord"},
	},
}

// ScaleLabels names the lowest and highest score of the metric in a language (its language part
// is enough: "es-MX" finds "es"), in English for other languages.
func (m Metric) ScaleLabels(locale string) (low, high string) {
	byMetric, ok := scaleLabels[locale]
	if !ok && len(locale) > 2 {
		byMetric, ok = scaleLabels[locale[:2]]
	}
	if !ok {
		byMetric = scaleLabels["en"]
	}
	l := byMetric[m]
	return l[0], l[1]
}
