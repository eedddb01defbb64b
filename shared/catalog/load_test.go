package catalog

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// base is a small valid catalog; the cases below edit single lines of it, so the line numbers in
// the expected messages are the ones printed here.
var base = strings.Split(strings.TrimPrefix(`
version: "t1"
globalQuietPeriod: 48h
editWindow: 24h
surveys:
  - id: first
    metric: nps
    title: {en: First, es: Primero}
    question: {en: "Recommend us?", es: "¿Nos recomendarías?"}
    comment: {en: "Why?", es: "¿Por qué?"}
    segments: [plan, region]
    touchpoints:
      - event: order.delivered
        delay: 2h
        sampleRate: 0.5
        quietPeriod: 90d
        dailyCap: 100
        linkExpiry: 14d
        reminderAfter: 3d
    followup:
      atOrBelow: 6
      priority: high
      team: success
      slaHours: 48
      routes:
        - segment: {region: eu}
          team: success-eu
    alerts:
      - id: first-7d
        window: 7d
        below: 20
        minResponses: 30
        cooldown: 24h
  - id: second
    metric: csat
    title: {en: Second, fr: Deuxième}
    question: {en: "Satisfied?", fr: "Satisfait ?"}
    segments: [channel]
    touchpoints:
      - event: case.closed
        sampleRate: 1
        dailyCap: 10
        linkExpiry: 7d
    followup:
      atOrBelow: 2
      priority: normal
      team: support
      slaHours: 24
    alerts:
      - id: second-1d
        window: 1d
        dropBy: 10
        minResponses: 5
        cooldown: 12h
`, "\n"), "\n")

// edit replaces whole lines of base (1-based); a replacement may span several lines.
func edit(lines map[int]string) []byte {
	out := make([]string, len(base))
	copy(out, base)
	for n, s := range lines {
		out[n-1] = s
	}
	return []byte(strings.Join(out, "\n"))
}

func TestTheShippedCatalogIsValid(t *testing.T) {
	t.Parallel()
	c, err := Shipped()
	if err != nil {
		t.Fatalf("surveys.yaml does not validate:\n%v", err)
	}
	for _, id := range []string{"nps-relationship", "csat-support", "ces-onboarding"} {
		s, ok := c.Survey(id)
		if !ok {
			t.Fatalf("survey %s is missing", id)
		}
		if l := s.Locales(); len(l) < 2 {
			t.Errorf("survey %s has locales %v, want en and one more", id, l)
		}
	}
	if c.Version == "" {
		t.Error("the shipped catalog has no version")
	}
}

func TestTheTestCatalogIsValid(t *testing.T) {
	t.Parallel()
	c, err := Load(edit(nil))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Surveys[0].Touchpoints[0]
	if r.Delay.Duration != 2*time.Hour || r.QuietPeriod.Duration != 90*Day || r.LinkExpiry.Duration != 14*Day || r.SampleRate != 0.5 {
		t.Fatalf("rule decoded as %+v", r)
	}
	if b := c.Surveys[0].Alerts[0].Below; b == nil || *b != 20 {
		t.Fatalf("below decoded as %v", b)
	}
}

func TestInvalidCatalogsSayWhatAndWhere(t *testing.T) {
	t.Parallel()
	type want struct {
		line int
		path string
		msg  string
	}
	tests := []struct {
		name  string
		lines map[int]string
		want  []want
	}{
		{"an unknown key is named with its line", map[int]string{14: "        sampleRat: 0.5"},
			[]want{{14, "surveys[0].touchpoints[0].sampleRat", `unknown key "sampleRat"`}, {12, "surveys[0].touchpoints[0].sampleRate", "is required"}}},
		{"a context line naming an undeclared attribute fails with its line and key", map[int]string{18: "        reminderAfter: 3d\n        context:\n          attributes: [orderId]\n          line: {en: \"About your order {{orderNo}}.\", es: \"Sobre tu pedido {{orderId}}.\"}\n          fallback: {en: \"About your order.\", es: \"Sobre tu pedido.\"}"},
			[]want{{21, "surveys[0].touchpoints[0].context.line.en", "unknown placeholder {{orderNo}}"}}},
		{"a context fallback with a placeholder is an error", map[int]string{18: "        reminderAfter: 3d\n        context:\n          attributes: [orderId]\n          line: {en: \"About your order {{orderId}}.\", es: \"Sobre tu pedido {{orderId}}.\"}\n          fallback: {en: \"About {{orderId}}.\", es: \"Sobre tu pedido.\"}"},
			[]want{{22, "surveys[0].touchpoints[0].context.fallback.en", "must not name placeholders"}}},
		{"a pale brand accent fails its contrast check", map[int]string{3: "editWindow: 24h\nbrand: {senderName: Acme, company: Acme Inc., address: 1 Main St, privacyUrl: \"https://acme.example/privacy\", homeUrl: \"https://acme.example/\", accent: \"#77aaff\"}"},
			[]want{{4, "brand.accent", "contrast of 2.34:1"}}},
		{"a logo that is not a file of brand/ is an error", map[int]string{3: "editWindow: 24h\nbrand: {senderName: Acme, company: Acme Inc., address: 1 Main St, privacyUrl: \"https://acme.example/privacy\", homeUrl: \"https://acme.example/\", accent: \"#0a4f96\", logo: missing.png}"},
			[]want{{4, "brand.logo", `"missing.png" is not a file of the repository's brand/ folder`}}},
		{"a logo that is not a .png name is an error", map[int]string{3: "editWindow: 24h\nbrand: {senderName: Acme, company: Acme Inc., address: 1 Main St, privacyUrl: \"https://acme.example/privacy\", homeUrl: \"https://acme.example/\", accent: \"#0a4f96\", logo: ../surveys.yaml}"},
			[]want{{4, "brand.logo", "must be the name of a .png file"}}},
		{"a brand review link must be https", map[int]string{3: "editWindow: 24h\nbrand: {senderName: Acme, company: Acme Inc., address: 1 Main St, privacyUrl: \"https://acme.example/privacy\", homeUrl: \"https://acme.example/\", accent: \"#0a4f96\", reviewUrl: \"http://reviews.example/acme\"}"},
			[]want{{4, "brand.reviewUrl", "must be an https:// address"}}},
		{"a survey review link must be https", map[int]string{9: "    comment: {en: \"Why?\", es: \"¿Por qué?\"}\n    reviewUrl: \"javascript:alert(1)\""},
			[]want{{10, "surveys[0].reviewUrl", "must be an https:// address"}}},
		{"an unknown brand key is an error", map[int]string{3: "editWindow: 24h\nbrand: {senderName: Acme, company: Acme Inc., address: 1 Main St, privacyUrl: \"https://acme.example/privacy\", homeUrl: \"https://acme.example/\", accent: \"#0a4f96\", colour: red}"},
			[]want{{4, "brand.colour", "unknown key"}}},
		{"an unknown top-level key is an error", map[int]string{3: "editwindow: 24h"},
			[]want{{3, "editwindow", "unknown key"}}},
		{"a repeated key is an error", map[int]string{14: "        sampleRate: 0.5\n        sampleRate: 0.6"},
			[]want{{15, "surveys[0].touchpoints[0].sampleRate", "repeated key (first at line 14)"}}},
		{"a sample rate above 1 is outside 0..1", map[int]string{40: "        sampleRate: 1.5"},
			[]want{{40, "surveys[1].touchpoints[0].sampleRate", "1.5 is outside 0..1"}}},
		{"a negative sample rate is outside 0..1", map[int]string{40: "        sampleRate: -0.1"},
			[]want{{40, "surveys[1].touchpoints[0].sampleRate", "-0.1 is outside 0..1"}}},
		{"a sample rate of 0 never fires", map[int]string{14: "        sampleRate: 0"},
			[]want{{14, "surveys[0].touchpoints[0].sampleRate", "never fires"}}},
		{"a daily cap of 0 never fires", map[int]string{16: "        dailyCap: 0"},
			[]want{{16, "surveys[0].touchpoints[0].dailyCap", "never fires"}}},
		{"a negative daily cap is an error", map[int]string{16: "        dailyCap: -5"},
			[]want{{16, "surveys[0].touchpoints[0].dailyCap", "must be above 0"}}},
		{"a missing daily cap is required", map[int]string{41: "        # no cap"},
			[]want{{39, "surveys[1].touchpoints[0].dailyCap", "is required"}}},
		{"a negative delay is an error", map[int]string{13: "        delay: -1h"},
			[]want{{13, "surveys[0].touchpoints[0].delay", "must not be negative"}}},
		{"a link that lives shorter than the delay is an error", map[int]string{13: "        delay: 20d"},
			[]want{{17, "surveys[0].touchpoints[0].linkExpiry", "14d is not longer than the delay 20d"}}},
		{"a link that lives under an hour is an error", map[int]string{13: "        delay: 0s", 17: "        linkExpiry: 30m", 18: ""},
			[]want{{17, "surveys[0].touchpoints[0].linkExpiry", "30m0s is under an hour"}}},
		{"a reminder after the link expired never helps", map[int]string{18: "        reminderAfter: 14d"},
			[]want{{18, "surveys[0].touchpoints[0].reminderAfter", "the reminder would go out after the link expired"}}},
		{"a touchpoint already claimed by an earlier survey never fires", map[int]string{39: "      - event: order.delivered"},
			[]want{{39, "surveys[1].touchpoints[0].event", `"order.delivered" is already claimed by surveys[0].touchpoints[0] at line 12`}}},
		{"a touchpoint repeated in one survey never fires", map[int]string{18: "        reminderAfter: 3d\n      - event: order.delivered\n        sampleRate: 1\n        dailyCap: 5\n        linkExpiry: 1d"},
			[]want{{19, "surveys[0].touchpoints[1].event", "already claimed by surveys[0].touchpoints[0]"}}},
		{"a survey without touchpoints is never sent", map[int]string{38: "    touchpoints: []", 39: "", 40: "", 41: "", 42: ""},
			[]want{{38, "surveys[1].touchpoints", "at least one touchpoint rule"}}},
		{"a repeated survey id is an error", map[int]string{33: "  - id: first"},
			[]want{{33, "surveys[1].id", `"first" repeats surveys[0].id at line 5`}}},
		{"an id with capitals and underscores is an error", map[int]string{5: "  - id: First_Survey"},
			[]want{{5, "surveys[0].id", "is not an id"}}},
		{"a missing id is required", map[int]string{33: "  - metric: csat", 34: ""},
			[]want{{33, "surveys[1].id", "is required"}}},
		{"an unknown metric is an error", map[int]string{34: "    metric: ces2"},
			[]want{{34, "surveys[1].metric", `"ces2" is not a metric`}}},
		{"a survey in a language cxloop has no texts for is an error", map[int]string{7: "    title: {en: First, de: Erste}", 8: `    question: {en: "Recommend us?", de: "Empfehlen?"}`, 9: `    comment: {en: "Why?", de: "Warum?"}`},
			[]want{{7, "surveys[0].title.de", `no page or email texts in "de"`}}},
		{"a title without English is an error", map[int]string{7: "    title: {fr: Premier, es: Primero}"},
			[]want{{7, "surveys[0].title", "needs an en text"}}},
		{"a title in English only is an error", map[int]string{7: "    title: {en: First}"},
			[]want{{7, "surveys[0].title", "at least one language besides en"}}},
		{"a question in other languages than the title is an error", map[int]string{8: `    question: {en: "Recommend us?", de: "Empfehlen?"}`},
			[]want{{8, "surveys[0].question", "has languages de, en but the title has en, es"}}},
		{"a comment missing a language is an error", map[int]string{9: `    comment: {en: "Why?"}`},
			[]want{{9, "surveys[0].comment", "has languages en but the title has en, es"}}},
		{"an empty text is an error", map[int]string{9: `    comment: {en: "Why?", es: ""}`},
			[]want{{9, "surveys[0].comment.es", "is empty"}}},
		{"a bad locale is an error", map[int]string{35: "    title: {en: Second, French: Deuxième}", 36: `    question: {en: "Satisfied?", French: "Satisfait ?"}`},
			[]want{{35, "surveys[1].title.French", "is not a locale"}}},
		{"a text that is not a mapping is an error", map[int]string{7: "    title: First"},
			[]want{{7, "surveys[0].title", "must be a mapping"}}},
		{"a follow-up at the top of the NPS scale opens a ticket for every answer", map[int]string{20: "      atOrBelow: 10"},
			[]want{{20, "surveys[0].followup.atOrBelow", "every answer would open a ticket"}}},
		{"a follow-up at the top of the CSAT scale opens a ticket for every answer", map[int]string{44: "      atOrBelow: 5"},
			[]want{{44, "surveys[1].followup.atOrBelow", "every answer would open a ticket"}}},
		{"a follow-up below the CSAT scale never opens a ticket", map[int]string{44: "      atOrBelow: 0"},
			[]want{{44, "surveys[1].followup.atOrBelow", "0 is below the csat scale 1..5"}}},
		{"a follow-up without a threshold is an error", map[int]string{20: "      # none"},
			[]want{{19, "surveys[0].followup", "atOrBelow is required"}}},
		{"an unknown priority is an error", map[int]string{21: "      priority: p1"},
			[]want{{21, "surveys[0].followup.priority", `"p1" is not a priority`}}},
		{"an SLA of 0 hours is an error", map[int]string{23: "      slaHours: 0"},
			[]want{{23, "surveys[0].followup.slaHours", "above 0"}}},
		{"a route on a segment the survey does not have never matches", map[int]string{25: "        - segment: {country: eu}"},
			[]want{{25, "surveys[0].followup.routes[0].segment.country", "not one of this survey's segments"}}},
		{"a route on a touchpoint the survey does not have never matches", map[int]string{25: "        - touchpoint: case.closed"},
			[]want{{25, "surveys[0].followup.routes[0].touchpoint", "not one of this survey's touchpoints"}}},
		{"a route without conditions takes every ticket", map[int]string{25: "        - team: success-eu", 26: ""},
			[]want{{25, "surveys[0].followup.routes[0]", "needs a touchpoint, a segment or both"}}},
		{"an alert window the scorer does not compute is an error", map[int]string{29: "        window: 14d"},
			[]want{{29, "surveys[0].alerts[0].window", "14d is not a scored window"}}},
		{"an alert with both below and dropBy is an error", map[int]string{30: "        below: 20\n        dropBy: 5"},
			[]want{{28, "surveys[0].alerts[0]", "exactly one of below"}}},
		{"an alert with neither below nor dropBy is an error", map[int]string{51: "        # none"},
			[]want{{49, "surveys[1].alerts[0]", "exactly one of below"}}},
		{"an NPS threshold above 100 is outside the range", map[int]string{30: "        below: 150"},
			[]want{{30, "surveys[0].alerts[0].below", "150 is outside the nps score range -100..100"}}},
		{"an NPS threshold of -100 never fires", map[int]string{30: "        below: -100"},
			[]want{{30, "surveys[0].alerts[0].below", "never fires"}}},
		{"a negative CSAT threshold is outside the range", map[int]string{51: "        below: -5"},
			[]want{{51, "surveys[1].alerts[0].below", "outside the csat score range 0..100"}}},
		{"a CSAT drop larger than the range is an error", map[int]string{51: "        dropBy: 250"},
			[]want{{51, "surveys[1].alerts[0].dropBy", "at most 100 points"}}},
		{"an alert needing no responses is an error", map[int]string{31: "        minResponses: 0"},
			[]want{{31, "surveys[0].alerts[0].minResponses", "at least 1"}}},
		{"an alert without cooldown is an error", map[int]string{32: "        cooldown: 0s"},
			[]want{{32, "surveys[0].alerts[0].cooldown", "must be above 0"}}},
		{"a repeated alert id is an error", map[int]string{49: "      - id: first-7d"},
			[]want{{49, "surveys[1].alerts[0].id", `"first-7d" repeats surveys[0].alerts[0].id at line 28`}}},
		{"a duration in weeks is not understood", map[int]string{15: "        quietPeriod: 3w"},
			[]want{{15, "surveys[0].touchpoints[0].quietPeriod", `"3w" is not a duration`}}},
		{"a word where a number belongs is an error", map[int]string{16: "        dailyCap: lots"},
			[]want{{16, "surveys[0].touchpoints[0].dailyCap", `"lots" is not a whole number`}}},
		{"a word where a rate belongs is an error", map[int]string{14: "        sampleRate: half"},
			[]want{{14, "surveys[0].touchpoints[0].sampleRate", `"half" is not a number`}}},
		{"an unknown key in merged defaults is an error", map[int]string{12: "      - <<: {event: order.delivered, sampleRat: 1}"},
			[]want{{12, "surveys[0].touchpoints[0].sampleRat", "unknown key"}}},
		{"a list where a mapping belongs is an error", map[int]string{19: "    followup: [a, b]", 20: "", 21: "", 22: "", 23: "", 24: "", 25: "", 26: ""},
			[]want{{19, "surveys[0].followup", "must be a mapping"}}},
		{"a missing version is required", map[int]string{1: "# no version"},
			[]want{{0, "version", "is required"}}},
		{"broken YAML gives its line", map[int]string{10: "    segments: [plan, region"},
			[]want{{10, "", "invalid YAML"}}},
		{"an unclosed mapping gives the line it opens on", map[int]string{22: "      team: {a: b"},
			[]want{{22, "", "invalid YAML"}}},
		{"several problems are all reported", map[int]string{14: "        sampleRate: 2", 20: "      atOrBelow: 10", 29: "        window: 2d"},
			[]want{
				{14, "surveys[0].touchpoints[0].sampleRate", "outside 0..1"},
				{20, "surveys[0].followup.atOrBelow", "every answer"},
				{29, "surveys[0].alerts[0].window", "not a scored window"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(edit(tt.lines))
			if err == nil {
				t.Fatalf("loaded %+v, want errors", c)
			}
			got := fieldErrors(err)
			for _, w := range tt.want {
				found := false
				for _, fe := range got {
					if fe.Line == w.line && fe.Path == w.path && strings.Contains(fe.Msg, w.msg) {
						found = true
					}
				}
				if !found {
					t.Errorf("want %s:%d: %s: ...%s...\ngot:\n%v", FileName, w.line, w.path, w.msg, err)
				}
			}
		})
	}
}

func TestMergeKeysShareRuleDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(edit(map[int]string{
		12: "      - &rule\n        event: order.delivered",
		39: "      - <<: *rule\n        event: case.closed",
		40: "", 41: "", 42: "",
	}))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Surveys[1].Touchpoints[0]
	if r.Event != "case.closed" || r.SampleRate != 0.5 || r.DailyCap != 100 || r.LinkExpiry.Duration != 14*Day || r.Delay.Duration != 2*time.Hour {
		t.Fatalf("merged rule = %+v", r)
	}
}

func TestOneBadValueIsReportedOnce(t *testing.T) {
	t.Parallel()
	_, err := Load(edit(map[int]string{14: "        sampleRate: lots"}))
	if got := fieldErrors(err); len(got) != 1 {
		t.Fatalf("want only the type error, got:\n%v", err)
	}
}

func TestErrorsReadAsFileLineKeyMessage(t *testing.T) {
	t.Parallel()
	_, err := Load(edit(map[int]string{40: "        sampleRate: 1.5"}))
	want := "surveys.yaml:40: surveys[1].touchpoints[0].sampleRate: 1.5 is outside 0..1"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
}

func TestLoadRefusesWhatIsNotOneCatalog(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
		msg  string
	}{
		{"an empty file", "", "empty"},
		{"a comment only", "# nothing\n", "empty"},
		{"a list at the top", "- a\n- b\n", "must be a mapping"},
		{"two documents", string(edit(nil)) + "\n---\nversion: x\n", "more than one YAML document"},
		{"a file over the size limit", strings.Repeat("#", MaxSize+1), "more than"},
		{"a billion laughs", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n", "unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want ...%s...", err, tt.msg)
			}
		})
	}
}

func TestValidateWorksOnACatalogBuiltInCode(t *testing.T) {
	t.Parallel()
	c := &Catalog{Version: "x", Surveys: []Survey{{
		ID: "s", Metric: NPS,
		Title:       Text{"en": "T", "es": "T"},
		Question:    Text{"en": "Q", "es": "Q"},
		Touchpoints: []Rule{{Event: "e", SampleRate: 1, DailyCap: 0, LinkExpiry: Duration{Day}}},
	}}}
	err := c.Validate()
	got := fieldErrors(err)
	if len(got) != 1 || got[0].Path != "surveys[0].touchpoints[0].dailyCap" || got[0].Line != 0 {
		t.Fatalf("err = %v, want only the missing daily cap", err)
	}
	c.Surveys[0].Touchpoints[0].DailyCap = 1
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func fieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		var fe *FieldError
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		} else if errors.As(err, &fe) {
			out = append(out, fe)
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}
