package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// layoutWidths are the widths the page and the email must fit: a small phone (and a 1280 px
// window at 400 % zoom), a common phone, a desktop.
var layoutWidths = []viewport{
	{"320", 320, 640, true},
	{"390", 390, 844, true},
	{"1280", 1280, 800, false},
}

// scheme emulates the system's light or dark preference.
func (b *surveyBrowser) scheme(name string) {
	b.t.Helper()
	b.do("prefers-color-scheme "+name, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: name}}})
		return err
	}))
}

// pageGeometry is what the layout test measures on the survey page, in CSS pixels.
type pageGeometry struct {
	Tops       []float64 `json:"tops"`       // top of each score option
	Clipped    []string  `json:"clipped"`    // options whose number does not fit
	Overflow   float64   `json:"overflow"`   // how far the page scrolls sideways
	FirstLeft  float64   `json:"firstLeft"`  // left of the first option
	LastRight  float64   `json:"lastRight"`  // right of the last option
	LowLeft    float64   `json:"lowLeft"`    // left of the low end's label
	HighRight  float64   `json:"highRight"`  // right of the high end's label
	Big        string    `json:"big"`        // the chosen score as shown large
	BigBottom  float64   `json:"bigBottom"`  // its bottom
	Buttons    []string  `json:"buttons"`    // visible Send buttons
	ButtonTop  float64   `json:"buttonTop"`  // top of the visible Send button
	ButtonBot  float64   `json:"buttonBot"`  // its bottom
	ViewHeight float64   `json:"viewHeight"` // the viewport's height
}

const measurePage = `(() => {
	const r = e => e.getBoundingClientRect();
	const opts = [...document.querySelectorAll(".scale label")];
	const ends = document.querySelectorAll(".ends span");
	const big = [...document.querySelectorAll(".big")].find(e => e.offsetParent);
	const btn = [...document.querySelectorAll(".confirm button")].filter(e => e.offsetParent);
	return {
		tops: opts.map(o => Math.round(r(o).top)),
		clipped: opts.filter(o => o.querySelector("span").scrollWidth > o.clientWidth || r(o.querySelector("span")).right > r(o).right).map(o => o.textContent + " (" + o.querySelector("span").getBoundingClientRect().width.toFixed(1) + " in " + o.clientWidth + ")"),
		overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
		firstLeft: r(opts[0]).left, lastRight: r(opts[opts.length-1]).right,
		lowLeft: r(ends[0]).left, highRight: r(ends[ends.length-1]).right,
		big: big ? big.lastChild.textContent.trim() : "", bigBottom: big ? r(big).bottom : 0,
		buttons: btn.map(b => b.textContent),
		buttonTop: btn.length ? r(btn[0]).top : 0, buttonBot: btn.length ? r(btn[0]).bottom : 0,
		viewHeight: innerHeight,
	};
})()`

// TestTheScaleSitsOnOneRowWithSendUnderTheChosenScoreAtEveryWidth: on a phone, a small phone
// and a desktop, in light and dark, with JavaScript off, the eleven NPS options sit on one row
// without clipping "10" or scrolling sideways, the end labels sit under the ends of the scale,
// and the chosen score is shown large with "Send 9" directly beneath it, on screen without
// scrolling. axe-core finds nothing in either scheme. The email's score row fits 320 px too.
func TestTheScaleSitsOnOneRowWithSendUnderTheChosenScoreAtEveryWidth(t *testing.T) {
	t.Parallel()
	s := newSurveyStack(t)
	m := s.emailedSurvey(t, "order.delivered", "en") // nps-relationship, 0..10
	if len(m.scoreLinks) != 11 {
		t.Fatalf("the email has score links %v, want 0..10", m.scoreLinks)
	}
	about := "About your order A-" + strings.TrimPrefix(m.eventID, "e2e-survey-") + "."
	if !strings.Contains(m.email.Body.HTML, about) || !strings.Contains(m.email.Body.HTML, "Acme Inc.") {
		t.Errorf("the email does not say who is asking and about what (%q):\n%s", about, m.email.Body.HTML)
	}
	b := newSurveyBrowser(t)
	b.javaScript(false)
	if status := b.open(m.scoreLinks[9]); status != 200 {
		t.Fatalf("survey page: status %d", status)
	}
	// One request, at most 20 KB: the page is all there is. The logo is inline (a data: URL,
	// which Chromium lists as a request of its own but never sends anywhere).
	bytes := eval[float64](b, `performance.getEntriesByType("navigation")[0].decodedBodySize`)
	var network, inline []string
	for _, u := range b.requested() {
		if strings.HasPrefix(u, "data:") {
			inline = append(inline, u)
		} else {
			network = append(network, u)
		}
	}
	if len(network) != 1 || bytes > 20*1024 || bytes == 0 {
		t.Errorf("the survey page took %d requests %v and %.0f bytes, want 1 and at most 20 KB", len(network), network, bytes)
	}
	if len(inline) != 1 || !strings.HasPrefix(inline[0], "data:image/png;base64,") {
		t.Errorf("the page's inline resources are %d, want the logo only", len(inline))
	}
	if logo := eval[float64](b, `document.querySelector("header img").naturalWidth`); logo != 80 {
		t.Errorf("the page's logo is %.0f px wide, want the 80 px file", logo)
	}
	t.Logf("survey page (NPS, 11 scores, branded, logo inline): %.0f bytes, %d network request", bytes, len(network))
	if body := eval[string](b, `document.body.innerText`); !strings.Contains(body, about) {
		t.Errorf("the page does not say %q", about)
	}
	for _, scheme := range []string{"light", "dark"} {
		b.scheme(scheme)
		for _, v := range layoutWidths {
			b.size(v)
			g := eval[pageGeometry](b, measurePage)
			where := scheme + " " + v.name + " px"
			if len(g.Tops) != 11 {
				t.Fatalf("%s: %d options, want 11", where, len(g.Tops))
			}
			for i, top := range g.Tops {
				if top != g.Tops[0] {
					t.Errorf("%s: option %d is at top %.0f, option 0 at %.0f: the scale wraps", where, i, top, g.Tops[0])
				}
			}
			if len(g.Clipped) > 0 || g.Overflow > 0 {
				t.Errorf("%s: clipped options %v, page scrolls sideways by %.0f px", where, g.Clipped, g.Overflow)
			}
			if d1, d2 := g.LowLeft-g.FirstLeft, g.LastRight-g.HighRight; d1 < -1 || d1 > 2 || d2 < -1 || d2 > 2 {
				t.Errorf("%s: end labels at %.0f..%.0f, scale at %.0f..%.0f: the labels are not at the ends", where, g.LowLeft, g.HighRight, g.FirstLeft, g.LastRight)
			}
			if g.Big != "9" || len(g.Buttons) != 1 || g.Buttons[0] != "Send 9" {
				t.Errorf("%s: shown large %q, visible buttons %q, want 9 and [Send 9]", where, g.Big, g.Buttons)
			}
			if gap := g.ButtonTop - g.BigBottom; gap < 0 || gap > 32 {
				t.Errorf("%s: Send is %.0f px below the chosen score, want directly beneath (0..32)", where, gap)
			}
			if g.ButtonBot > g.ViewHeight {
				t.Errorf("%s: Send ends at %.0f px, below the %.0f px screen", where, g.ButtonBot, g.ViewHeight)
			}
		}
		b.size(phone)
		b.axe("survey page (" + scheme + ")")
		b.shoot("survey-layout-" + scheme)
	}

	// The email: its eleven score cells on one row at 320 px, "10" not clipped, in both schemes.
	// Its one image, the logo, comes from the survey API's own origin and nowhere else. The email
	// is opened from a local server, as a webmail would show it (from a data: URL, Chromium
	// would refuse the loopback image to an insecure context: Private Network Access).
	mailbox := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, m.email.Body.HTML)
	}))
	defer mailbox.Close()
	doc := mailbox.URL + "/email.html"
	for _, scheme := range []string{"light", "dark"} {
		b.scheme(scheme)
		b.size(layoutWidths[0])
		before := len(b.requested())
		b.open(doc)
		type logo struct {
			Src     string  `json:"src"`
			Natural float64 `json:"natural"`
			Width   float64 `json:"width"`
			Height  float64 `json:"height"`
		}
		for i := 0; i < 100 && !eval[bool](b, `[...document.images].every(i => i.complete)`); i++ {
			time.Sleep(100 * time.Millisecond) // the image loads after the document
		}
		imgs := eval[[]logo](b, `[...document.images].map(i => ({src: i.currentSrc, natural: i.naturalWidth, width: i.getBoundingClientRect().width, height: i.getBoundingClientRect().height}))`)
		if len(imgs) != 1 || !strings.HasPrefix(imgs[0].Src, s.api+"/brand/acme.png?v=") || imgs[0].Natural != 80 || imgs[0].Width != 40 || imgs[0].Height != 40 {
			t.Errorf("email (%s): images %+v, want the 80 px logo from %s/brand/ shown at 40x40; browser: %v", scheme, imgs, s.api, b.messages())
		}
		for _, u := range b.requested()[before:] {
			if !strings.HasPrefix(u, mailbox.URL+"/") && !strings.HasPrefix(u, s.api+"/brand/") { // the mailbox: the email and its favicon
				t.Errorf("email (%s) requested %s, not the survey API's logo", scheme, u)
			}
		}
		type cell struct {
			Text    string  `json:"text"`
			Top     float64 `json:"top"`
			Scroll  float64 `json:"scroll"`
			Client  float64 `json:"client"`
			Right   float64 `json:"right"`
			Clipped bool    `json:"clipped"`
		}
		cells := eval[[]cell](b, `[...document.querySelectorAll('a[href*="score="]')].map(a => {
			const range = document.createRange(); range.selectNodeContents(a);
			const t = range.getBoundingClientRect(), c = a.getBoundingClientRect();
			return {text: a.textContent, top: Math.round(c.top), scroll: a.scrollWidth, client: a.clientWidth, right: c.right,
				clipped: t.left < c.left || t.right > c.right};
		})`)
		if len(cells) != 11 {
			t.Fatalf("email (%s): %d score links, want 11", scheme, len(cells))
		}
		for _, c := range cells {
			if c.Top != cells[0].Top || c.Clipped || c.Scroll > c.Client || c.Right > 320 {
				t.Errorf("email at 320 px (%s): score %q at top %.0f (first %.0f), text clipped %v, width %.0f of %.0f, right %.0f",
					scheme, c.Text, c.Top, cells[0].Top, c.Clipped, c.Scroll, c.Client, c.Right)
			}
		}
		if over := eval[float64](b, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); over > 0 {
			t.Errorf("email at 320 px (%s) scrolls sideways by %.0f px", scheme, over)
		}
	}
}

// TestAHeadlessBrowserThatLoadsScrollsPointsAndTabsRecordsNothing: a link scanner that renders
// pages with JavaScript on, scrolls, moves the pointer over every score and the Send button and
// tabs through the page, on every link of the email, leaves no answer and no unsubscribe.
func TestAHeadlessBrowserThatLoadsScrollsPointsAndTabsRecordsNothing(t *testing.T) {
	t.Parallel()
	s := newSurveyStack(t)
	m := s.emailedSurvey(t, "support.case.closed", "en") // csat-support, 1..5
	b := newSurveyBrowser(t)
	b.javaScript(true)
	links := []string{m.unsubscribe}
	for _, l := range m.scoreLinks {
		links = append(links, l)
	}
	for _, link := range links {
		if status := b.open(link); status != 200 {
			t.Fatalf("open %s: status %d", link, status)
		}
		b.do("scroll", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, document.body.scrollHeight); window.scrollTo(0, 0)`))
		type point struct{ X, Y float64 }
		points := eval[[]point](b, `[...document.querySelectorAll("label, button, a, textarea")].filter(e => e.offsetParent).map(e => {
			const r = e.getBoundingClientRect(); return {X: r.left + r.width/2, Y: r.top + r.height/2}; })`)
		for _, p := range points {
			b.do(fmt.Sprintf("point at %.0f,%.0f", p.X, p.Y), chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, p.X, p.Y))
		}
		for range 12 {
			b.do("press Tab", chromedp.KeyEvent("\t"))
		}
	}
	time.Sleep(time.Second) // anything the page might have sent late
	inv := s.invitation(t, m.invitationID)
	if len(inv.Answers) != 0 || inv.AnsweredAt != nil || inv.Score != nil {
		t.Errorf("a browser that only looked recorded an answer: %+v", inv.Answers)
	}
	if s.unsubscribed(t, m) {
		t.Error("a browser that only looked unsubscribed the contact")
	}
	for _, u := range b.requested() {
		if outsideAPI(s.api, u) {
			t.Errorf("the pages requested %.120s, outside the API", u)
		}
	}
}
