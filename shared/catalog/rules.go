package catalog

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/ticket"
)

// Valid reports whether m is one of the three metrics.
func (m Metric) Valid() bool { return m == NPS || m == CSAT || m == CES }

// Scale is the range of one answer (metric.Scale owns it): nps 0..10, csat 1..5, ces 1..7. It is
// 0, 0 for an unknown metric.
func (m Metric) Scale() (min, max int) {
	lo, hi, _, _ := metric.Scale(metric.Kind(m))
	return lo, hi
}

// ScoreRange is the range of the aggregate score alerts compare against (metric.ScoreRange owns
// it): NPS -100..100, CSAT and CES 0..100.
func (m Metric) ScoreRange() (min, max float64) {
	lo, hi, _ := metric.ScoreRange(metric.Kind(m))
	return lo, hi
}

// Survey finds a survey by id.
func (c *Catalog) Survey(id string) (*Survey, bool) {
	for i := range c.Surveys {
		if c.Surveys[i].ID == id {
			return &c.Surveys[i], true
		}
	}
	return nil, false
}

// Match finds the rule for a touchpoint: the first survey in catalog order with a rule for it.
func (c *Catalog) Match(touchpoint string) (*Survey, *Rule, bool) {
	for i := range c.Surveys {
		s := &c.Surveys[i]
		for j := range s.Touchpoints {
			if s.Touchpoints[j].Event == touchpoint {
				return s, &s.Touchpoints[j], true
			}
		}
	}
	return nil, nil, false
}

// In picks the text for a locale: the exact locale, then its language ("es-MX" -> "es"), then "en".
// Locales compare case-insensitively and accept "_" for "-" ("pt_br" finds "pt-BR").
func (t Text) In(locale string) string {
	locale = strings.ReplaceAll(strings.TrimSpace(locale), "_", "-")
	if s, ok := t.lookup(locale); ok {
		return s
	}
	if lang, _, cut := strings.Cut(locale, "-"); cut {
		if s, ok := t.lookup(lang); ok {
			return s
		}
	}
	return t["en"]
}

func (t Text) lookup(locale string) (string, bool) {
	if locale == "" {
		return "", false
	}
	if s, ok := t[locale]; ok && s != "" {
		return s, true
	}
	for k, s := range t {
		if strings.EqualFold(k, locale) && s != "" {
			return s, true
		}
	}
	return "", false
}

// Locales lists the languages the survey is written in (its title's locales), sorted.
func (s *Survey) Locales() []string { return sortedKeys(s.Title) }

// Locale picks which of the survey's languages to use for a contact's locale: exact, then language
// part, then "en". Store it on the invitation so that email and page agree.
func (s *Survey) Locale(contactLocale string) string {
	contactLocale = strings.ReplaceAll(strings.TrimSpace(contactLocale), "_", "-")
	locales := s.Locales()
	for _, l := range locales {
		if strings.EqualFold(l, contactLocale) {
			return l
		}
	}
	if lang, _, cut := strings.Cut(contactLocale, "-"); cut {
		for _, l := range locales {
			if strings.EqualFold(l, lang) {
				return l
			}
		}
	}
	return "en"
}

// Rule is the survey's rule for a touchpoint, nil if it has none.
func (s *Survey) Rule(touchpoint string) *Rule {
	for i := range s.Touchpoints {
		if s.Touchpoints[i].Event == touchpoint {
			return &s.Touchpoints[i]
		}
	}
	return nil
}

// Sampled decides deterministically whether a contact is in a survey's sample: a hash of the survey
// and contact ids, mapped to [0,1), is compared with rate. The same contact is always in or always
// out for a survey, and different surveys sample independently.
func Sampled(rate float64, contactID, surveyID string) bool {
	if rate >= 1 {
		return true
	}
	if !(rate > 0) { // also NaN
		return false
	}
	h := sha256.New()
	h.Write([]byte("cxloop/sample/v1\x00"))
	h.Write([]byte(strconv.Itoa(len(surveyID))))
	h.Write([]byte{0})
	h.Write([]byte(surveyID))
	h.Write([]byte(contactID))
	x := binary.BigEndian.Uint64(h.Sum(nil)) >> 11 // 53 bits: exact in a float64
	return float64(x)/(1<<53) < rate
}

// Segment picks the survey's segment attributes out of an event's attributes, as strings: numbers
// are formatted canonically (3, 2.5, 1e+21), booleans as true/false. Missing, null, empty and
// non-scalar attributes are left out.
func (s *Survey) Segment(attrs map[string]any) map[string]string {
	var out map[string]string
	for _, name := range s.Segments {
		if v, ok := scalar(attrs[name]); ok && v != "" {
			if out == nil {
				out = make(map[string]string, len(s.Segments))
			}
			out[name] = v
		}
	}
	return out // nil, not empty, when no segment is set: the store keeps no empty maps
}

func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return formatFloat(x)
	case float32:
		return formatFloat(float64(x))
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return strconv.FormatInt(i, 10), true
		}
		if f, err := x.Float64(); err == nil {
			return formatFloat(f)
		}
	}
	return "", false
}

func formatFloat(f float64) (string, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", false
	}
	if f == 0 {
		f = 0 // -0 -> 0
	}
	return strconv.FormatFloat(f, 'g', -1, 64), true
}

// Opens reports whether an answer opens a ticket: a score at or below the threshold. A survey
// without a follow-up (nil) opens none.
func (f *Followup) Opens(score int) bool { return f != nil && score <= f.AtOrBelow }

// Routing is what the ticket package routes this rule's tickets by (ticket.Team, ticket.SLADue);
// nil for a survey without a follow-up rule.
func (f *Followup) Routing() *ticket.Rule {
	if f == nil {
		return nil
	}
	return &ticket.Rule{Team: f.Team, Routes: f.Routes, SLAHours: f.SLAHours}
}

// Alert finds an alert of the survey by id.
func (s *Survey) Alert(id string) (*Alert, bool) {
	i := slices.IndexFunc(s.Alerts, func(a Alert) bool { return a.ID == id })
	if i < 0 {
		return nil, false
	}
	return &s.Alerts[i], true
}
