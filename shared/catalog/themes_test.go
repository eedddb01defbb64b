package catalog

import (
	"strings"
	"testing"
)

// withThemes adds a themes block after the first survey's alerts (line 32 of base): themes: is
// line 33, the first theme's id 34 and its words 35.
func withThemes(words string) []byte {
	return edit(map[int]string{32: "        cooldown: 24h\n    themes:\n      - id: delivery\n        words: " + words})
}

func TestDeclaredThemesAreValidated(t *testing.T) {
	t.Parallel()
	good := "{en: [late, courier, on time], es: [retraso, mensajero]}"
	tests := []struct {
		name, words string
		alertLines  string
		line        int
		path, msg   string
	}{
		{"a theme in a language the stemmer lacks is an error", "{de: [spät]}", "", 35, "surveys[0].themes[0].words.de", "not a language themes are stemmed in"},
		{"a theme without words is an error", "{}", "", 35, "surveys[0].themes[0].words", "is required"},
		{"a word that keeps nothing after normalisation never matches", "{en: [late, '42']}", "", 35, "surveys[0].themes[0].words.en[1]", "keeps no word"},
		{"a language with an empty list is an error", "{en: []}", "", 35, "surveys[0].themes[0].words.en", "lists no word"},
		{"a theme alert on an undeclared theme never fires", good,
			"      - id: t-7d\n        window: 7d\n        theme: price\n        shareAbove: 30\n        minResponses: 20\n        cooldown: 24h", 0, "surveys[0].alerts[1].theme", "not one of this survey's themes"},
		{"a theme alert share of 100 never fires", good,
			"      - id: t-7d\n        window: 7d\n        theme: delivery\n        shareAbove: 100\n        minResponses: 20\n        cooldown: 24h", 0, "surveys[0].alerts[1].shareAbove", "below 100"},
		{"a theme alert with a score threshold too is an error", good,
			"      - id: t-7d\n        window: 7d\n        theme: delivery\n        shareAbove: 30\n        below: 10\n        minResponses: 20\n        cooldown: 24h", 0, "surveys[0].alerts[1]", "exactly one of below, dropBy or shareAbove"},
		{"a theme without shareAbove is an error", good,
			"      - id: t-7d\n        window: 7d\n        theme: delivery\n        minResponses: 20\n        cooldown: 24h", 0, "surveys[0].alerts[1].theme", "needs shareAbove"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := withThemes(tt.words)
			if tt.alertLines != "" {
				// The theme alert goes into the first survey's alerts, after its existing one.
				src = edit(map[int]string{32: "        cooldown: 24h\n" + tt.alertLines + "\n    themes:\n      - id: delivery\n        words: " + tt.words})
			}
			_, err := Load(src)
			if err == nil {
				t.Fatal("loaded, want an error")
			}
			found := false
			for _, fe := range fieldErrors(err) {
				if fe.Path == tt.path && strings.Contains(fe.Msg, tt.msg) && (tt.line == 0 || fe.Line == tt.line) {
					found = true
				}
			}
			if !found {
				t.Errorf("want %s (line %d): ...%s...\ngot:\n%v", tt.path, tt.line, tt.msg, err)
			}
		})
	}

	t.Run("a valid theme and theme alert load", func(t *testing.T) {
		t.Parallel()
		src := edit(map[int]string{32: "        cooldown: 24h\n      - id: t-7d\n        window: 7d\n        theme: delivery\n        shareAbove: 30\n        minResponses: 20\n        cooldown: 24h\n    themes:\n      - id: delivery\n        words: " + good})
		c, err := Load(src)
		if err != nil {
			t.Fatal(err)
		}
		th, ok := c.Surveys[0].Theme("delivery")
		if !ok || len(th.Words["en"]) != 3 || len(c.Surveys[0].Declared()) != 1 {
			t.Fatalf("theme = %+v", th)
		}
	})
}

func TestBandsPerMetric(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		s             Survey
		lowMax, highI int
	}{
		{"NPS: detractors and promoters", Survey{Metric: NPS, Followup: &Followup{AtOrBelow: 4}}, 6, 9},
		{"CSAT follows the follow-up threshold", Survey{Metric: CSAT, Followup: &Followup{AtOrBelow: 1}}, 1, 4},
		{"CSAT without a follow-up is 1-2 against 4-5", Survey{Metric: CSAT}, 2, 4},
		{"CES follows the follow-up threshold", Survey{Metric: CES, Followup: &Followup{AtOrBelow: 2}}, 2, 5},
		{"CES without a follow-up is 1-3 against 5-7", Survey{Metric: CES}, 3, 5},
		{"a follow-up threshold inside the good band stops below it", Survey{Metric: CSAT, Followup: &Followup{AtOrBelow: 4}}, 3, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lo, hi := tt.s.Bands()
			if lo != tt.lowMax || hi != tt.highI {
				t.Errorf("Bands() = %d, %d, want %d, %d", lo, hi, tt.lowMax, tt.highI)
			}
		})
	}
}
