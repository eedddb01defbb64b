package main

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
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

func parsePage(content string) *template.Template {
	return template.Must(template.New("page").ParseFS(pageFiles, "pages/layout.html", content))
}

// view is what every page template reads. Fields a page does not use stay empty.
type view struct {
	T     *ui
	CSS   template.CSS
	Title string

	// Message pages (thanks, final, errors, unsubscribed).
	Body     string
	Answer   *answerView
	Note     string
	Link     string
	LinkText string

	// The survey form.
	Question     string
	ScaleHint    string
	Options      []option
	CommentLabel string
	CommentHint  string
	Comment      string
	MaxComment   int
	Error        string
	Notice       string
	UnsubURL     string
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

// scaleHint explains the ends of the scale ("0 = Not at all likely, 10 = Extremely likely").
func scaleHint(t *ui, m catalog.Metric) string {
	lo, hi := m.Scale()
	low, high := m.ScaleLabels(t.Lang)
	return fmt.Sprintf(t.ScaleHint, lo, low, hi, high)
}

// formatUntil renders a deadline the same way in every language: unambiguous, in UTC.
func formatUntil(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") + " UTC" }

// render executes a page template into an HTML response with the page security headers.
func render(status int, page *template.Template, v *view) (web.Response, error) {
	v.CSS = pageCSS
	var b bytes.Buffer
	if err := page.ExecuteTemplate(&b, "layout", v); err != nil {
		return web.Response{}, fmt.Errorf("render page %q: %w", v.Title, err)
	}
	return web.HTML(status, b.String()), nil
}

// messageView is a page with a title and one paragraph.
func messageView(t *ui, title, body string) *view {
	return &view{T: t, Title: title, Body: body}
}
