package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/metric"
)

// TestACustomerAnswersFromARealEmailInChromium follows one customer: a touchpoint goes in through
// the API, the dispatcher emails the survey, and the customer opens the score link of the email
// in Chromium, sees the score preselected, adds a comment, sends it and gets the thank-you page;
// then unsubscribes from the email's List-Unsubscribe link. Every page is checked with axe-core
// and photographed at phone and desktop widths; the answer, the unsubscribe and the histogram
// are read back from DynamoDB.
func TestACustomerAnswersFromARealEmailInChromium(t *testing.T) {
	t.Parallel()
	s := newSurveyStack(t)
	m := s.emailedSurvey(t, "support.case.closed", "es-ES") // csat-support, in Spanish
	link, ok := m.scoreLinks[4]
	if !ok || len(m.scoreLinks) != 5 {
		t.Fatalf("the email has score links %v, want 1..5", m.scoreLinks)
	}
	t.Logf("survey email %q to %s, %s", m.email.Subject, m.address, describe(m))

	b := newSurveyBrowser(t)
	b.size(phone)
	// The pages must work with JavaScript off: scripts are disabled throughout, except while
	// axe-core runs (the test's own DevTools evaluations work either way).
	b.javaScript(false)

	// The survey page, opened from the email's "4".
	if status := b.open(link); status != 200 {
		t.Fatalf("survey page: status %d", status)
	}
	if got := eval[string](b, `document.querySelector('input[name="score"]:checked')?.value ?? ""`); got != "4" {
		t.Fatalf("preselected score %q, want 4", got)
	}
	if lang := eval[string](b, `document.documentElement.lang`); lang != "es" {
		t.Errorf("page language %q, want es", lang)
	}
	if n := eval[int](b, `document.scripts.length`); n != 0 {
		t.Errorf("the survey page has %d scripts, want none", n)
	}
	checkReflow(t, b)
	checkKeyboardFocus(t, b)
	b.axe("survey page")
	b.shoot("survey-1-page")
	b.weigh("survey page")

	// Answer: keep the preselected 4, add a comment, send.
	const comment = "Me ayudaron rápido, ¡gracias!"
	b.do("type the comment", chromedp.SendKeys(chromedp.ID("comment"), comment))
	if got := eval[string](b, `[...document.querySelectorAll(".confirm button")].filter(e => e.offsetParent).map(e => e.textContent).join("|")`); got != "Enviar 4" {
		t.Fatalf("the visible Send button reads %q, want Enviar 4", got)
	}
	if status := b.submit(`.sel.s4 button`); status != 200 {
		t.Fatalf("submit: status %d", status)
	}
	if h1 := eval[string](b, `document.querySelector("h1").textContent`); h1 != "¡Gracias!" {
		t.Fatalf("after submitting: heading %q, want the thank-you page", h1)
	}
	// Post/redirect/get: the thank-you page has its own address, and reloading it sends nothing.
	thanks := eval[string](b, `location.href`)
	if !strings.HasSuffix(thanks, "?sent=1") {
		t.Errorf("after submitting the address is %s, want the link with ?sent=1", thanks)
	}
	if status := b.open(thanks); status != 200 {
		t.Errorf("reloading the thank-you page: status %d", status)
	}
	if body := eval[string](b, `document.body.innerText`); !strings.Contains(body, comment) {
		t.Errorf("the thank-you page does not repeat the comment:\n%s", body)
	}
	b.axe("thank-you page")
	b.shoot("survey-2-thanks")
	b.weigh("thank-you page")

	inv := s.invitation(t, m.invitationID)
	if len(inv.Answers) != 1 || inv.Answers[0].Score != 4 || inv.Score == nil || *inv.Score != 4 || inv.Comment != comment || inv.Stopped != invitation.StopAnswered {
		t.Fatalf("invitation after answering: answers %+v score %v comment %q stopped %q", inv.Answers, inv.Score, inv.Comment, inv.Stopped)
	}

	// Unsubscribe from the link of the List-Unsubscribe header: a GET asks, the button does it.
	if status := b.open(m.unsubscribe); status != 200 {
		t.Fatalf("unsubscribe page: status %d", status)
	}
	if s.unsubscribed(t, m) {
		t.Fatal("opening the unsubscribe page unsubscribed the contact")
	}
	b.axe("unsubscribe page")
	b.shoot("survey-3-unsubscribe")
	b.weigh("unsubscribe page")
	if status := b.submit(`button[type="submit"]`); status != 200 {
		t.Fatalf("unsubscribe: status %d", status)
	}
	if h1 := eval[string](b, `document.querySelector("h1").textContent`); h1 != "Te has dado de baja" {
		t.Fatalf("after unsubscribing: heading %q", h1)
	}
	b.axe("unsubscribed page")
	b.shoot("survey-4-unsubscribed")
	b.weigh("unsubscribed page")
	if !s.unsubscribed(t, m) {
		t.Fatal("the contact is not unsubscribed")
	}

	// Changed their mind: the page's resubscribe button, a POST the browser sends with the
	// page's Origin (which the function checks).
	if status := b.submit(`form.resub button`); status != 200 {
		t.Fatalf("resubscribe: status %d", status)
	}
	if h1 := eval[string](b, `document.querySelector("h1").textContent`); h1 != "Te has vuelto a suscribir" {
		t.Fatalf("after resubscribing: heading %q", h1)
	}
	b.axe("resubscribed page")
	b.weigh("resubscribed page")
	if s.unsubscribed(t, m) {
		t.Fatal("the contact is still unsubscribed after resubscribing")
	}

	// Nothing but the API itself was requested (the logo is inline, a data: URL that goes
	// nowhere), and the browser reported no errors (a CSP violation would be one) on the way.
	for _, u := range b.requested() {
		if outsideAPI(s.api, u) {
			t.Errorf("the pages requested %.120s, outside the API", u)
		}
	}
	for _, msg := range b.messages() {
		if strings.HasPrefix(msg, "error") || strings.Contains(msg, "Content Security Policy") {
			t.Errorf("browser reported: %s", msg)
		}
	}

	// A mangled link gets a friendly page, not an error dump (the browser logs its 404).
	if status := b.open(s.api + "/s/" + strings.Repeat("A", 58)); status != 404 {
		t.Errorf("mangled link: status %d, want 404", status)
	}
	b.axe("not-found page")
	b.shoot("survey-5-not-found")
	b.weigh("not-found page")

	// The scorer counts the answer once in the day's histogram.
	var want metric.Hist
	want.Counts[4] = 1
	s.waitForHistogram(t, "csat-support", m, want)
}

// checkReflow: at 320 CSS pixels (a 1280-pixel window zoomed to 400%, WCAG 1.4.10) nothing
// scrolls sideways.
func checkReflow(t *testing.T, b *surveyBrowser) {
	t.Helper()
	b.size(viewport{"zoomed", 320, 800, false})
	defer b.size(phone)
	if over := eval[int](b, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); over > 0 {
		t.Errorf("at 320 px the page scrolls sideways by %d px", over)
	}
}

// checkKeyboardFocus: tabbing reaches a score, and the focused score shows an outline.
func checkKeyboardFocus(t *testing.T, b *surveyBrowser) {
	t.Helper()
	for i := 0; i < 5; i++ {
		b.do("press Tab", chromedp.KeyEvent("\t"))
		if eval[string](b, `document.activeElement.name || ""`) == "score" {
			style := eval[string](b, `getComputedStyle(document.activeElement.closest("label")).outlineStyle`)
			if style == "none" || style == "" {
				t.Errorf("the focused score has no visible outline (outline-style %q)", style)
			}
			return
		}
	}
	t.Errorf("five Tabs did not reach a score")
}
