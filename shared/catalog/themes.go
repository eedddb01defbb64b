package catalog

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/cxloop/cxloop/shared/theme"
)

// Theme is a feedback theme a survey declares: the words and phrases, per language, by which a
// comment mentions it ("delivery": late, courier, tracking; es: retraso, mensajero). Words are
// matched after normalisation and stemming (docs/THEMES.md), so "couriers" matches "courier".
type Theme struct {
	ID    string              `yaml:"id"`
	Words map[string][]string `yaml:"words"`
}

// Limits that keep the scorer's day items small: each declared theme adds three counters per
// dimension (comments, low-band, high-band mentions), see docs/THEMES.md.
const (
	MaxThemes     = 20
	MaxThemeWords = 50
)

// Declared returns the survey's themes in the theme package's form.
func (s *Survey) Declared() []theme.Declared {
	out := make([]theme.Declared, len(s.Themes))
	for i, t := range s.Themes {
		out[i] = theme.Declared{ID: t.ID, Words: t.Words}
	}
	return out
}

// Theme returns the declared theme with the id.
func (s *Survey) Theme(id string) (Theme, bool) {
	for _, t := range s.Themes {
		if t.ID == id {
			return t, true
		}
	}
	return Theme{}, false
}

// Bands returns the survey's low band (scores at or below lowMax) and high band (scores at or
// above highMin) for themes. NPS: detractors 0-6 and promoters 9-10. CSAT and CES: low is the
// follow-up threshold (atOrBelow; without a follow-up, CSAT 1-2 and CES 1-3) and high is the
// metric's good band (CSAT 4-5, CES 5-7). The bands never overlap.
func (s *Survey) Bands() (lowMax, highMin int) {
	switch s.Metric {
	case NPS:
		return 6, 9
	case CSAT:
		lowMax, highMin = 2, 4
	case CES:
		lowMax, highMin = 3, 5
	default:
		return -1, math.MaxInt
	}
	if s.Followup != nil {
		lowMax = min(s.Followup.AtOrBelow, highMin-1)
	}
	return lowMax, highMin
}

func (v *validator) themes(p string, s *Survey) {
	if len(s.Themes) > MaxThemes {
		v.fail(p+".themes", "%d themes are more than %d: each adds counters to every day item of the survey", len(s.Themes), MaxThemes)
	}
	ids := map[string]bool{}
	for i, t := range s.Themes {
		tp := fmt.Sprintf("%s.themes[%d]", p, i)
		v.id(tp+".id", t.ID, t.ID != "")
		if ids[t.ID] && t.ID != "" {
			v.fail(tp+".id", "%q is declared twice in this survey", t.ID)
		}
		ids[t.ID] = true
		if len(t.Words) == 0 {
			v.fail(tp+".words", "is required: words or phrases per language, such as {en: [late, courier], es: [retraso]}")
		}
		for _, lang := range sortedKeys(t.Words) {
			wp := tp + ".words." + lang
			words := t.Words[lang]
			if !slices.Contains(theme.Languages, lang) {
				v.fail(wp, "%q is not a language themes are stemmed in: use %s", lang, strings.Join(theme.Languages, ", "))
				continue
			}
			if len(words) == 0 {
				v.fail(wp, "lists no word")
			}
			if len(words) > MaxThemeWords {
				v.fail(wp, "%d words are more than %d", len(words), MaxThemeWords)
			}
			for j, w := range words {
				if len(theme.Phrase(w, lang)) == 0 {
					v.fail(fmt.Sprintf("%s[%d]", wp, j), "%q keeps no word after normalisation (numbers, addresses and single letters are dropped), so it never matches", w)
				}
			}
		}
	}
}

// themeAlert checks an alert on a declared theme (theme + shareAbove).
func (v *validator) themeAlert(p string, s *Survey, a *Alert) {
	if a.Theme == "" {
		v.fail(p+".theme", "is required with shareAbove: the id of one of this survey's themes")
	} else if _, ok := s.Theme(a.Theme); !ok {
		v.fail(p+".theme", "%q is not one of this survey's themes, so the alert never fires", a.Theme)
	}
	if r := *a.ShareAbove; math.IsNaN(r) || r <= 0 || r >= 100 {
		v.fail(p+".shareAbove", "%v must be above 0 and below 100 (percent of the low-band comments)", r)
	}
}
