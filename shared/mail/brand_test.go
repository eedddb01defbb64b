package mail

import (
	"github.com/cxloop/cxloop/shared/locale"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/catalog"
)

// TestABrandedEmailSaysWhoIsAskingAndWhatHappensOnTap: the sender's name, the company, its accent
// on every score, its address and privacy notice, the touchpoint line escaped, and the honest
// instruction: choose a score, then tap Send on the page.
func TestABrandedEmailSaysWhoIsAskingAndWhatHappensOnTap(t *testing.T) {
	t.Parallel()
	brand := catalog.MustShipped().Brand
	if brand == nil {
		t.Fatal("the shipped catalog has no brand")
	}
	m, err := Render(Invite{
		Locale: "en", Name: "Ana", Metric: catalog.NPS, Min: 0, Max: 10,
		Title:     catalog.Text{"en": "Your order"},
		Question:  catalog.Text{"en": "How likely are you to recommend us?"},
		SurveyURL: "https://api.example/s/tok", UnsubscribeURL: "https://api.example/u/tok",
		Brand: brand, About: `About your order <b>A&1</b>.`, BaseURL: "https://api.example/",
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.FromName != brand.SenderName {
		t.Errorf("from name %q, want %q", m.FromName, brand.SenderName)
	}
	for _, want := range []string{
		brand.Company, brand.Address, `href="` + brand.PrivacyURL + `"`, "Privacy notice",
		"About your order &lt;b&gt;A&amp;1&lt;/b&gt;.",
		"choose a score below, then tap Send on the page that opens",
		// The logo from the survey API's own origin, versioned, at its display size.
		`<img src="https://api.example` + brand.LogoImage().Path() + `" width="40" height="40" alt=""`,
	} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("the HTML part lacks %q", want)
		}
	}
	if n := strings.Count(m.HTML, "background-color:"+brand.Accent); n != 11 {
		t.Errorf("%d score buttons in the accent %s, want 11", n, brand.Accent)
	}
	if strings.Count(m.HTML, "<img") != 1 || strings.Contains(m.HTML, "http://") {
		t.Errorf("the HTML part should load exactly one image, the logo, over https:\n%s", m.HTML)
	}
	for _, want := range []string{brand.Company, brand.PrivacyURL, "About your order <b>A&1</b>.", "then tap Send on the page"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the text part lacks %q:\n%s", want, m.Text)
		}
	}
	for _, lang := range []string{"en", "es", "fr"} {
		if strings.Contains(strings.ToLower(locale.For(lang).Mail.Intro+locale.For(lang).Mail.ReminderIntro), "clic") {
			t.Errorf("%s: the email still promises one click", lang)
		}
	}
}

func TestTheFromHeaderCarriesTheSenderName(t *testing.T) {
	t.Parallel()
	c := &Client{From: "surveys@acme.example"}
	for name, want := range map[string]string{
		"":                   "surveys@acme.example",
		"Acme Customer Care": `"Acme Customer Care" <surveys@acme.example>`,
		"Équipe Acme":        "=?utf-8?q?=C3=89quipe_Acme?= <surveys@acme.example>",
	} {
		if got := c.from(name); got != want {
			t.Errorf("from(%q) = %q, want %q", name, got, want)
		}
	}
}
