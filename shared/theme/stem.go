package theme

import (
	"strings"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/french"
	"github.com/kljensen/snowball/spanish"
)

// Languages are the languages themes are stemmed in (Snowball's English, Spanish and French).
var Languages = []string{"en", "es", "fr"}

// Language returns the stemming language of a locale: its language part when it is one of
// Languages ("es-MX" is "es"), else "en".
func Language(locale string) string {
	l := strings.ToLower(locale)
	if i := strings.IndexAny(l, "-_"); i >= 0 {
		l = l[:i]
	}
	switch l {
	case "en", "es", "fr":
		return l
	}
	return "en"
}

// stem returns the Snowball stem of a lower-case word. Stop words are returned as they are.
func stem(w, lang string) string {
	switch lang {
	case "es":
		return spanish.Stem(w, false)
	case "fr":
		return french.Stem(w, false)
	}
	return english.Stem(w, false)
}

// extraStop are words that carry no theme in survey comments on top of Snowball's stop lists:
// contraction leftovers and filler.
var extraStop = map[string]map[string]bool{
	"en": {"don": true, "didn": true, "doesn": true, "isn": true, "wasn": true, "won": true, "ve": true, "ll": true, "re": true, "also": true, "just": true, "get": true, "got": true, "would": true, "could": true},
	"es": {"muy": true, "mas": true, "más": true, "ser": true, "todo": true},
	"fr": {"très": true, "tres": true, "plus": true, "tout": true, "cest": true, "ça": true, "ca": true},
}

// isStop reports whether w (lower case) is a stop word of lang: Snowball's list plus extraStop.
func isStop(w, lang string) bool {
	if extraStop[lang][w] {
		return true
	}
	switch lang {
	case "es":
		return spanish.IsStopWord(w)
	case "fr":
		return french.IsStopWord(w)
	}
	return english.IsStopWord(w)
}
