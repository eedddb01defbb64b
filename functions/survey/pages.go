package main

import (
	"bytes"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"sync"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/web"
)

// The pages are server-rendered from embedded templates, with the stylesheet inlined: one request,
// nothing from third parties, no script at all (they work with JavaScript off by construction).
var (
	//go:embed pages
	pageFiles embed.FS

	pageCSS = template.CSS(mustRead("pages/page.css"))

	surveyPage      = parsePage("pages/survey.html")
	messagePage     = parsePage("pages/message.html")
	unsubscribePage = parsePage("pages/unsubscribe.html")
)

func mustRead(name string) string {
	b, err := pageFiles.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// parsePage parses a page with the layout once, on its first render: a cold start renders one
// page, and parsing all three at init took 0.3 ms of it. A broken page panics in the page tests.
func parsePage(content string) func() *template.Template {
	return sync.OnceValue(func() *template.Template {
		return template.Must(template.New("page").ParseFS(pageFiles, "pages/layout.html", content))
	})
}

// view is what every page template reads. Fields a page does not use stay empty.
type view struct {
	T     *ui
	CSS   template.CSS
	Title string
	Brand *brandView // nil: the catalog declares no brand

	// Message pages (thanks, final, errors, unsubscribed).
	Body     string
	Answer   *answerView
	Note     string
	Link     string
	LinkText string
	Review   string // the review page offered on the thank-you page of a high score, or ""

	// The unsubscribe page's forms, both POSTs to the page's own link.
	UnsubForm bool // the unsubscribe button
	ResubForm bool // the offer to resubscribe

	// The survey form.
	About        string // what the survey is about ("About your order A-1042."), escaped by the template
	Question     string
	LowHint      string
	HighHint     string
	Options      []option
	CommentLabel string
	CommentHint  string
	Comment      string
	MaxComment   int
	Error        string
	Notice       string
	UnsubURL     string
}

// brandView is the catalog's brand as the pages show it: the logo and the company at the top,
// its address and privacy notice in the footer, its website as the way out of an error page.
type brandView struct {
	Company, Address, PrivacyURL, HomeURL string
	Accent                                string // #rrggbb, checked by the catalog
	// Logo is the <img> of the logo, inline (a data: URL of the PNG) so the page stays one
	// request; empty without one (logoTag).
	Logo template.HTML
}

// logoTag is the logo's <img>, at its display size, with the PNG inline. Built here rather than in
// the template: the template would write each "+" of the base64 as "&#43;", 5 bytes instead of 1.
// The catalog checked the file (a PNG of the repository); base64 and the numbers need no escaping.
func logoTag(l *catalog.Logo) template.HTML {
	return template.HTML(fmt.Sprintf(`<img src="data:image/png;base64,%s" alt="" width="%d" height="%d">`,
		base64.StdEncoding.EncodeToString(l.PNG), l.DisplayWidth(), catalog.LogoHeight))
}

type option struct {
	Value   int
	Checked bool
}

type answerView struct {
	Score        int
	Comment      string
	CommentLabel string
}

// scaleOptions lists a metric's scores, checking selected (if it is one of them).
func scaleOptions(m catalog.Metric, selected int, ok bool) []option {
	lo, hi := m.Scale()
	opts := make([]option, 0, hi-lo+1)
	for v := lo; v <= hi; v++ {
		opts = append(opts, option{Value: v, Checked: ok && v == selected})
	}
	return opts
}

// scaleEnds explains the ends of the scale ("0 = Not at all likely", "10 = Extremely likely"),
// shown under its first and last score.
func scaleEnds(t *ui, m catalog.Metric) (low, high string) {
	lo, hi := m.Scale()
	l, h := m.ScaleLabels(t.Lang)
	return fmt.Sprintf(t.ScaleHint, lo, l), fmt.Sprintf(t.ScaleHint, hi, h)
}

// thanksBody is the thank-you text for a score: one for each band of the scale, and "our team
// will be in touch" only when the survey's follow-up rule opens a ticket for that score.
func thanksBody(t *ui, sv *catalog.Survey, score int) string {
	switch band(sv, score) {
	case bandLow:
		if sv.Followup.Opens(score) {
			return t.ThanksLow + " " + t.InTouch
		}
		return t.ThanksLow
	case bandHigh:
		return t.ThanksHigh
	}
	return t.ThanksMid
}

// Score bands of the thank-you page.
const (
	bandLow = iota
	bandMid
	bandHigh
)

// band places a score on its survey's scale: low is what the follow-up rule treats as a problem
// (or, without one, NPS detractors 0-6, CSAT 1-2, CES 1-3), high is NPS 9-10, CSAT 4-5, CES 5-7.
func band(sv *catalog.Survey, score int) int {
	lowMax, highMin := 6, 9
	switch sv.Metric {
	case catalog.CSAT:
		lowMax, highMin = 2, 4
	case catalog.CES:
		lowMax, highMin = 3, 5
	}
	if sv.Followup != nil {
		lowMax = min(sv.Followup.AtOrBelow, highMin-1)
	}
	switch {
	case score <= lowMax:
		return bandLow
	case score >= highMin:
		return bandHigh
	}
	return bandMid
}

// formatUntil renders a deadline the same way in every language: unambiguous, in UTC.
func formatUntil(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") + " UTC" }

// render is render with the catalog's brand on every page.
func (h *Handler) render(status int, page func() *template.Template, v *view) (web.Reply, error) {
	if v.Brand == nil {
		v.Brand = h.brand()
	}
	return render(status, page, v)
}

// render executes a page template into an HTML response with the page security headers.
func render(status int, page func() *template.Template, v *view) (web.Reply, error) {
	v.CSS = pageCSS
	if v.Brand != nil && v.Brand.Accent != "" {
		// The catalog admits only #rrggbb here, so this cannot break out of the rule.
		v.CSS += template.CSS(":root{--a:" + v.Brand.Accent + ";--ad:" + v.Brand.Accent + "}")
	}
	var b bytes.Buffer
	if err := page().ExecuteTemplate(&b, "layout", v); err != nil {
		return web.Reply{}, fmt.Errorf("render page %q: %w", v.Title, err)
	}
	return web.HTML(status, b.String()), nil
}

// messageView is a page with a title and one paragraph.
func messageView(t *ui, title, body string) *view {
	return &view{T: t, Title: title, Body: body}
}

// seeOther answers a POST with 303 See Other to a page of the same link (post/redirect/get).
// The location is relative to /s/{token}, so it works behind any base path.
func seeOther(location string) web.Reply {
	return web.WithHeader(web.HTML(http.StatusSeeOther, ""), "Location", location)
}
