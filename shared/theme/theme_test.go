package theme

import (
	"math"
	"slices"
	"testing"
)

func TestStemsPerLanguage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, lang, text string
		want             []string
	}{
		{"English plurals and verb forms share a stem", "en", "couriers courier tracking tracked", []string{"courier", "courier", "track", "track"}},
		{"Spanish verb forms share a stem", "es", "retraso retrasos llegó", []string{"retras", "retras", "lleg"}},
		{"French plurals share a stem", "fr", "livraisons livraison retard", []string{"livraison", "livraison", "retard"}},
		{"a regional locale uses its language", "es-MX", "mensajeros", []string{"mensajer"}},
		{"an unknown locale falls back to English", "de", "deliveries", []string{"deliveri"}},
		{"full-width letters are normalised (NFKC)", "en", "ｃｏｕｒｉｅｒ", []string{"courier"}},
		{"a decomposed accent is composed before stemming", "es", "env\u0069\u0301o", []string{"envi"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, tk := range Tokens(c.text, c.lang) {
				got = append(got, tk.Stem)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("stems of %q (%s) = %q, want %q", c.text, c.lang, got, c.want)
			}
		})
	}
}

func TestPersonalDataNeverBecomesATerm(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, lang, text string
		exclude          []string
		want             []string
	}{
		{"an email address is dropped", "en", "write ana.perez@example.com", nil, []string{"write"}},
		{"a URL and a bare domain are dropped", "en", "see https://shop.example.com/x or shop.example.es", nil, []string{"see"}},
		{"numbers, order ids and phone numbers are dropped", "en", "order A1234 cost 25 call +34 600 123 456", nil, []string{"order", "cost", "call"}},
		{"a capitalised word inside a sentence is taken for a name", "en", "the driver Peter shouted", nil, []string{"driver", "shout"}},
		{"an all-capitals word is kept", "en", "delivery LATE", nil, []string{"deliveri", "late", "deliveri late"}},
		{"the contact's own name is dropped even at a sentence start", "en", "Maria here. Rude courier", []string{"Ana Maria"}, []string{"rude", "courier", "rude courier"}},
		{"stop words are dropped in Spanish", "es", "el mensajero es muy lento", nil, []string{"mensajer", "lent", "mensajer lent"}},
		{"stop words are dropped in French", "fr", "le livreur est en retard", nil, []string{"livreur", "retard", "livreur retard"}},
		{"punctuation ends a phrase", "en", "slow, courier", nil, []string{"slow", "courier"}},
		{"a dropped number ends a phrase", "en", "waited 3 days", nil, []string{"wait", "day"}},
		{"a term counts once per comment", "en", "late late late", nil, []string{"late", "late late"}},
		{"a long code is dropped", "en", "abcdefghijklmnopqrstuvwxyzabcdefgh ok", nil, []string{"ok"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := Terms(c.text, c.lang, c.exclude...); !slices.Equal(got, c.want) {
				t.Errorf("Terms(%q) = %q, want %q", c.text, got, c.want)
			}
		})
	}
}

func TestDeclaredThemesMatchAfterNormalisation(t *testing.T) {
	t.Parallel()
	m := NewMatcher([]Declared{
		{ID: "delivery", Words: map[string][]string{"en": {"late", "courier", "tracking"}, "es": {"retraso", "mensajero", "envio"}, "fr": {"livreur", "en retard"}}},
		{ID: "punctuality", Words: map[string][]string{"en": {"on time"}}},
		{ID: "price", Words: map[string][]string{"en": {"expensive", "price"}}},
	})
	cases := []struct {
		name, lang, text string
		want             []string
	}{
		{"a plural of a declared word matches", "en", "Couriers never ring", []string{"delivery"}},
		{"a verb form matches its stem", "en", "package was tracked badly", []string{"delivery"}},
		{"an unaccented declared word matches the accented one", "es", "el envío llegó tarde", []string{"delivery"}},
		{"a Spanish plural matches", "es-ES", "los mensajeros", []string{"delivery"}},
		{"a French phrase with a stop word matches in a row", "fr", "livré en retard", []string{"delivery"}},
		{"a phrase does not match its words in another order", "en", "time on the road", nil},
		{"a phrase matches in a row", "en", "arrived on time", []string{"punctuality"}},
		{"a phrase does not match across punctuation", "en", "on. time", nil},
		{"several themes match in declaration order", "en", "too expensive and late", []string{"delivery", "price"}},
		{"words of another language do not match", "en", "retraso", nil},
		{"an empty comment matches nothing", "en", "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := m.Match(c.text, c.lang); !slices.Equal(got, c.want) {
				t.Errorf("Match(%q, %s) = %q, want %q", c.text, c.lang, got, c.want)
			}
		})
	}
}

// The corpus below is small enough to compute by hand (a0 = 8, background = low + high):
//
//	low:  late 3, rude 1  (n = 4)     high: late 1, fast 3  (n = 4)     alpha: late 4, rude 1, fast 3
//	late: delta = ln(7/5) - ln(5/7) = ln(49/25) = 0.67294;  var = 1/7 + 1/5;  z = 1.14927
//	rude: delta = ln(2/10) - ln(1/11) = ln(2.2)  = 0.78846;  var = 1/2 + 1/1;  z = 0.64377
//	fast: delta = ln(3/9)  - ln(6/6)  = ln(1/3)  = -1.09861; var = 1/3 + 1/6;  z = -1.55367
func TestFightinWordsOnAHandComputedCorpus(t *testing.T) {
	t.Parallel()
	got := FightinWords(Counts{"late": 3, "rude": 1}, Counts{"late": 1, "fast": 3}, nil, 8)
	want := []Scored{
		{Term: "late", Low: 3, High: 1, Delta: 0.67294, Z: 1.14927},
		{Term: "rude", Low: 1, High: 0, Delta: 0.78846, Z: 0.64377},
		{Term: "fast", Low: 0, High: 3, Delta: -1.09861, Z: -1.55367},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d terms, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Term != w.Term || g.Low != w.Low || g.High != w.High || math.Abs(g.Delta-w.Delta) > 1e-4 || math.Abs(g.Z-w.Z) > 1e-4 {
			t.Errorf("row %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestFightinWordsEdges(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name            string
		low, high, back Counts
		wantTerms       []string
	}{
		{"no comments score nothing", Counts{}, Counts{}, nil, nil},
		{"a term missing from an explicit background is not scored", Counts{"late": 2}, Counts{"fast": 2}, Counts{"late": 2, "slow": 2}, []string{"late"}},
		{"a term that is the whole background is not scored", Counts{"late": 2}, Counts{}, nil, nil},
		{"a term only in the high band scores below zero", Counts{"late": 5}, Counts{"fast": 5}, nil, []string{"late", "fast"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, s := range FightinWords(c.low, c.high, c.back, DefaultPriorSize) {
				if math.IsNaN(s.Z) || math.IsInf(s.Z, 0) {
					t.Errorf("%s: z = %v", s.Term, s.Z)
				}
				got = append(got, s.Term)
			}
			if !slices.Equal(got, c.wantTerms) {
				t.Errorf("terms = %q, want %q", got, c.wantTerms)
			}
		})
	}
}

func TestRedactMasksWhatLooksPersonal(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, in, want string }{
		{"an address and a phone number are masked", "write ana@example.com or call +34 600", "write ••• or call ••• •••"},
		{"a URL is masked, words are kept as written", "See https://x.example/a. Thanks!", "See ••• Thanks!"},
		{"a plain comment is unchanged", "The courier was late.", "The courier was late."},
		{"a name inside a sentence is masked, the first word of a sentence is not", "Great. The driver, Peter, was rude. Thanks", "Great. The driver, •••, was rude. Thanks"},
		{"an acronym is kept", "the DHL courier", "the DHL courier"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := Redact(c.in, "•••"); got != c.want {
				t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}
