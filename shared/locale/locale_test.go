package locale

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// verbs are a text's printf verbs in order: a translation must take the same arguments.
var verbs = regexp.MustCompile(`%[a-z]`)

// Every language fills every text, with the same printf verbs as English, and names both ends of
// every metric's scale: a missing text would show an empty button, a missing verb a "%!d(MISSING)".
func TestEveryLanguageHasEveryTextWithEnglishsVerbs(t *testing.T) {
	t.Parallel()
	en := For("en")
	for _, lang := range Languages() {
		tx := For(lang)
		if tx.Lang != lang || tx.Page.Lang != lang {
			t.Errorf("%s: registered as %q (page %q)", lang, tx.Lang, tx.Page.Lang)
		}
		for _, part := range []struct {
			name     string
			got, ref any
		}{{"Page", tx.Page, en.Page}, {"Mail", tx.Mail, en.Mail}} {
			v, r := reflect.ValueOf(part.got), reflect.ValueOf(part.ref)
			for i := range v.NumField() {
				field := part.name + "." + v.Type().Field(i).Name
				s := v.Field(i).String()
				if strings.TrimSpace(s) == "" {
					t.Errorf("%s: %s is empty", lang, field)
				}
				if got, want := verbs.FindAllString(s, -1), verbs.FindAllString(r.Field(i).String(), -1); !slices.Equal(got, want) {
					t.Errorf("%s: %s has verbs %v, English has %v", lang, field, got, want)
				}
			}
		}
		for _, m := range []string{"nps", "csat", "ces"} {
			if l := tx.Scale[m]; strings.TrimSpace(l[0]) == "" || strings.TrimSpace(l[1]) == "" {
				t.Errorf("%s: the %s scale's ends are not named: %q", lang, m, l)
			}
		}
	}
	if len(Languages()) < 3 {
		t.Errorf("languages %v, want at least en, es and fr", Languages())
	}
}

func TestForPicksTheLanguageThenItsBaseThenEnglish(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		locale, want string
		has          bool
	}{
		{"es", "es", true}, {"es-MX", "es", true}, {"ES_mx", "es", true}, {" fr ", "fr", true},
		{"en-GB", "en", true}, {"de", "en", false}, {"", "en", false}, {"pt-BR", "en", false},
	} {
		if got := For(tc.locale).Lang; got != tc.want {
			t.Errorf("For(%q) = %s, want %s", tc.locale, got, tc.want)
		}
		if got := Has(tc.locale); got != tc.has {
			t.Errorf("Has(%q) = %v, want %v", tc.locale, got, tc.has)
		}
	}
}
