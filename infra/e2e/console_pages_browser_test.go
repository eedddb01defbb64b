package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/storetest"
)

// consolePage is one page of the console as a signed-in person reaches it.
type consolePage struct {
	name   string // names the screenshot (console-<name>-phone.jpg)
	path   string // under the API's base URL
	status int64
}

// consolePages lists every page of the console; a new page gets a row here, so that it is checked
// at both widths and photographed by `make screenshots`. ticket pages take the seeded ticket's id.
func consolePages(ticketID string) []consolePage {
	return []consolePage{
		{"queue", "/ops/", http.StatusOK},
		{"queue-filtered", "/ops/?status=open&team=customer-success-eu", http.StatusOK},
		{"search", "/ops/?email=console-eu%40example.com", http.StatusOK},
		{"ticket", "/ops/ticket/" + ticketID, http.StatusOK},
		{"scores", "/ops/trends?window=7d", http.StatusOK},
		{"costs", "/ops/costs/page", http.StatusOK},
		{"themes", "/ops/themes/page?survey=nps-relationship&window=7d", http.StatusOK},
		{"not-found", "/ops/ticket/no-such-ticket", http.StatusNotFound},
	}
}

// TestEveryConsolePageFitsAPhoneAndADesktop opens every console page, signed out (the login form)
// and signed in, at 390 and 1280 px: no page scrolls sideways and axe-core finds no serious or
// critical violation at either width. With CXLOOP_SCREENSHOTS set (`make screenshots`) it also
// photographs each page for docs/OPERATIONS.md.
func TestEveryConsolePageFitsAPhoneAndADesktop(t *testing.T) {
	r := consoleRig(t)
	eu, _ := seedTickets(t, r.Store)
	tok, err := r.Store.CreateAPIToken(context.Background(), access.Admin, storetest.UniqueName("screens"))
	if err != nil {
		t.Fatal(err)
	}
	b := newSurveyBrowser(t)
	base := r.BaseURL

	if st := b.open(base + "/ops/login"); st != http.StatusOK {
		t.Fatalf("the login form answered %d", st)
	}
	b.fits("console login page")
	b.shoot("console-login")
	signIn(t, b, tok)

	for _, p := range consolePages(eu) {
		if st := b.open(base + p.path); st != p.status {
			t.Errorf("%s answered %d, want %d", p.path, st, p.status)
			continue
		}
		b.fits("console " + p.name + " page")
		b.shoot("console-" + p.name)
	}
	for _, u := range b.requested() {
		if !strings.HasPrefix(u, base) && !strings.HasPrefix(u, "data:") {
			t.Errorf("the console loaded %s from elsewhere", u)
		}
	}
}

// signIn pastes an API token into the login form the browser shows.
func signIn(t *testing.T, b *surveyBrowser, token string) {
	t.Helper()
	b.do("paste the token", chromedp.SendKeys(chromedp.CSS("#token"), token))
	if st := b.submit("main form button"); st != http.StatusOK {
		t.Fatalf("sign in ended on %d", st)
	}
	if path := eval[string](b, "location.pathname"); path != "/ops/" {
		t.Fatalf("after sign-in the browser is on %s", path)
	}
}
