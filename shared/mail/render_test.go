package mail

import (
	"strconv"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/catalog"
)

func npsInvite() Invite {
	return Invite{
		Locale:         "es",
		Name:           "Ana",
		Metric:         catalog.NPS,
		Title:          catalog.Text{"en": "Your experience with Acme", "es": "Tu experiencia con Acme"},
		Question:       catalog.Text{"en": "How likely are you to recommend Acme?", "es": "¿Recomendarías Acme?"},
		Min:            0,
		Max:            10,
		SurveyURL:      "https://surveys.example.com/s/TOKEN1",
		UnsubscribeURL: "https://surveys.example.com/u/TOKEN2",
	}
}

func TestRenderLinksEveryScoreInBothParts(t *testing.T) {
	m, err := Render(npsInvite())
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n <= 10; n++ {
		link := "https://surveys.example.com/s/TOKEN1?score=" + itoa(n)
		if !strings.Contains(m.HTML, `href="`+link+`"`) {
			t.Errorf("html has no link for score %d", n)
		}
		if !strings.Contains(m.Text, link+"\n") {
			t.Errorf("text has no link for score %d", n)
		}
	}
	if strings.Contains(m.HTML, "score=11") || strings.Contains(m.HTML, "score=-1") {
		t.Error("html links a score outside the scale")
	}
	for _, part := range []string{m.HTML, m.Text} {
		if !strings.Contains(part, "https://surveys.example.com/u/TOKEN2") {
			t.Error("a part has no visible unsubscribe link")
		}
	}
	if strings.Contains(m.HTML, "<img") || strings.Contains(m.HTML, "<link") || strings.Contains(m.HTML, "<script") {
		t.Error("html loads remote assets or scripts")
	}
}

func TestRenderSetsBothUnsubscribeHeaders(t *testing.T) {
	m, err := Render(npsInvite())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"List-Unsubscribe":      "<https://surveys.example.com/u/TOKEN2>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
	}
	got := map[string]string{}
	for _, h := range m.Headers {
		got[h.Name] = h.Value
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("header %s = %q, want %q", k, got[k], v)
		}
	}
}

func TestRenderPicksTheLanguage(t *testing.T) {
	tests := []struct {
		name, locale, wantLang, wantSubject, wantQuestion string
		reminder                                          bool
	}{
		{"a Spanish contact gets Spanish", "es", "es", "Tu experiencia con Acme: una pregunta rápida", "¿Recomendarías Acme?", false},
		{"a regional locale falls back to its language", "es-MX", "es", "Tu experiencia con Acme: una pregunta rápida", "¿Recomendarías Acme?", false},
		{"an unknown language falls back to English", "de", "en", "Your experience with Acme: one quick question", "How likely are you to recommend Acme?", false},
		{"French UI without a French question stays English rather than mixing", "fr", "en", "Your experience with Acme: one quick question", "How likely are you to recommend Acme?", false},
		{"an empty locale is English", "", "en", "Your experience with Acme: one quick question", "How likely are you to recommend Acme?", false},
		{"a reminder says so in the subject", "es", "es", "Recordatorio: Tu experiencia con Acme", "¿Recomendarías Acme?", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := npsInvite()
			in.Locale, in.Reminder = tt.locale, tt.reminder
			m, err := Render(in)
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != tt.wantSubject {
				t.Errorf("subject = %q, want %q", m.Subject, tt.wantSubject)
			}
			if !strings.Contains(m.HTML, `<html lang="`+tt.wantLang+`">`) {
				t.Errorf("html is not marked lang=%s", tt.wantLang)
			}
			for _, part := range []string{m.HTML, m.Text} {
				if !strings.Contains(part, tt.wantQuestion) {
					t.Errorf("a part lacks the question %q", tt.wantQuestion)
				}
			}
		})
	}
}

func TestRenderFrenchWhenTheCatalogHasIt(t *testing.T) {
	in := npsInvite()
	in.Locale = "fr-CA"
	in.Question["fr"] = "Recommanderiez-vous Acme ?"
	in.Title["fr"] = "Votre expérience"
	m, err := Render(in)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Votre expérience : une petite question" || !strings.Contains(m.Text, "Se désabonner") {
		t.Errorf("not French: %q\n%s", m.Subject, m.Text)
	}
}

func TestRenderEscapesNames(t *testing.T) {
	in := npsInvite()
	in.Name = `<script>alert("x")</script> & "Bob"`
	m, err := Render(in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, "<script>") {
		t.Error("html contains the raw script tag from the name")
	}
	if !strings.Contains(m.HTML, "&lt;script&gt;") || !strings.Contains(m.HTML, "&amp;") {
		t.Errorf("html does not show the escaped name")
	}
	if !strings.Contains(m.Text, `<script>alert("x")</script> & "Bob"`) {
		t.Error("the text part should show the name as written")
	}
}

func TestRenderKeepsHeadersOnOneLine(t *testing.T) {
	in := npsInvite()
	in.Title = catalog.Text{"en": "Acme\r\nBcc: victim@example.com"}
	in.Locale = "en"
	m, err := Render(in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		t.Errorf("subject has a line break: %q", m.Subject)
	}
}

func TestRenderScalesFollowTheMetric(t *testing.T) {
	tests := []struct {
		name     string
		metric   catalog.Metric
		min, max int
		low      string
	}{
		{"csat runs 1 to 5", catalog.CSAT, 1, 5, "Very dissatisfied"},
		{"ces runs 1 to 7", catalog.CES, 1, 7, "Strongly disagree"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := npsInvite()
			in.Locale, in.Metric, in.Min, in.Max = "en", tt.metric, tt.min, tt.max
			m, err := Render(in)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Count(m.HTML, "?score="); got != tt.max-tt.min+1 {
				t.Errorf("%d score links, want %d", got, tt.max-tt.min+1)
			}
			if strings.Contains(m.HTML, "score=0") || !strings.Contains(m.Text, itoa(tt.min)+" ("+tt.low+")") {
				t.Errorf("scale labels wrong:\n%s", m.Text)
			}
		})
	}
}

func TestRenderRefusesMissingLinks(t *testing.T) {
	in := npsInvite()
	in.UnsubscribeURL = ""
	if _, err := Render(in); err == nil {
		t.Fatal("rendered an email without an unsubscribe link")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
