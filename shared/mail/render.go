package mail

import (
	"bytes"
	"embed"
	"fmt"
	"github.com/cxloop/cxloop/shared/locale"
	htmltemplate "html/template"
	"strconv"
	"strings"
	"sync"
	texttemplate "text/template"

	"github.com/cxloop/cxloop/shared/catalog"
)

//go:embed templates/invite.html templates/invite.txt
var templateFS embed.FS

// Parsed once, on the first render: the functions that import mail but send nothing on a given
// cold start do not pay for them. A broken template panics in every render test.
var (
	inviteHTML = sync.OnceValue(func() *htmltemplate.Template {
		return htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/invite.html"))
	})
	inviteText = sync.OnceValue(func() *texttemplate.Template {
		return texttemplate.Must(texttemplate.ParseFS(templateFS, "templates/invite.txt"))
	})
)

// Invite is what a survey email says: the survey's texts from the catalog, the contact, and the
// signed links the dispatcher made. Render turns it into a Message.
type Invite struct {
	Reminder bool
	Locale   string // the contact's locale ("es", "es-MX", ""); falls back to the base language, then en
	Name     string // the contact's name, may be empty
	Metric   catalog.Metric
	Title    catalog.Text
	Question catalog.Text
	Min, Max int // the metric's scale
	// SurveyURL is <BASE_URL>/s/<token>; each score links to SurveyURL?score=N.
	SurveyURL string
	// UnsubscribeURL is <BASE_URL>/u/<token>: the visible link and the List-Unsubscribe header.
	UnsubscribeURL string
	// Brand is who is asking (the catalog's brand): the sender's display name, the company at
	// the top, the accent colour of the score buttons, the address and privacy notice at the foot.
	// Nil renders a plain email.
	Brand *catalog.Brand
	// BaseURL is the survey API's origin (and base path), <BASE_URL>: the brand's logo is shown
	// from <BASE_URL>/brand/<file>?v=<version>, served by SurveyFunction, never a third party.
	// Empty leaves the logo out.
	BaseURL string
	// About is the line naming what the survey is about ("About your order A-1042."), already
	// filled in from the touchpoint (catalog.Context.Line); empty leaves it out.
	About string
}

// score is one tap target of the inline question.
type score struct {
	N     int
	Label string
	URL   string
}

// view is the data both templates render.
type view struct {
	Lang, Subject, Greeting, Intro, Question, Choose string
	Low, High                                        string
	Scores                                           []score
	UnsubscribeText, UnsubscribeLink, UnsubscribeURL string
	About                                            string
	Company, Address, PrivacyURL, PrivacyText        string
	Accent                                           htmltemplate.CSS // #rrggbb, checked by the catalog
	LogoURL                                          string           // absolute, on the survey API's origin
	LogoWidth, LogoHeight                            int
}

// defaultAccent colours the score buttons of an email without a brand (8.6:1 against white).
const defaultAccent = "#1d4ed8"

// Render builds the subject, HTML and text parts and the unsubscribe headers of an invitation or
// reminder email. The caller sets To and Tags.
func Render(in Invite) (Message, error) {
	if in.SurveyURL == "" || in.UnsubscribeURL == "" {
		return Message{}, fmt.Errorf("render: survey and unsubscribe links are required")
	}
	if in.Max < in.Min || in.Max-in.Min > 20 {
		return Message{}, fmt.Errorf("render: bad scale %d..%d", in.Min, in.Max)
	}
	lang := Language(in.Locale, in.Question)
	ui := locale.For(lang).Mail
	title := text(in.Title, lang)
	v := view{
		Lang:            lang,
		Question:        text(in.Question, lang),
		Choose:          ui.Choose,
		UnsubscribeText: ui.UnsubText,
		UnsubscribeLink: ui.UnsubLink,
		UnsubscribeURL:  in.UnsubscribeURL,
	}
	v.Accent = defaultAccent
	v.About = oneLine(in.About)
	if b := in.Brand; b != nil {
		v.Company, v.Address, v.PrivacyURL, v.PrivacyText = oneLine(b.Company), oneLine(b.Address), b.PrivacyURL, ui.Privacy
		if b.Accent != "" {
			v.Accent = htmltemplate.CSS(b.Accent)
		}
		if l := b.LogoImage(); l != nil && in.BaseURL != "" {
			v.LogoURL = strings.TrimRight(in.BaseURL, "/") + l.Path()
			v.LogoWidth, v.LogoHeight = l.DisplayWidth(), catalog.LogoHeight
		}
	}
	v.Subject = oneLine(fmt.Sprintf(ui.Subject, title))
	v.Intro = ui.Intro
	if in.Reminder {
		v.Subject = oneLine(fmt.Sprintf(ui.ReminderSubject, title))
		v.Intro = ui.ReminderIntro
	}
	v.Greeting = ui.Hello
	if name := oneLine(in.Name); name != "" {
		v.Greeting = fmt.Sprintf(ui.HelloName, name)
	}
	v.Low, v.High = in.Metric.ScaleLabels(lang)
	sep := "?"
	if strings.Contains(in.SurveyURL, "?") {
		sep = "&"
	}
	for n := in.Min; n <= in.Max; n++ {
		s := score{N: n, Label: strconv.Itoa(n), URL: in.SurveyURL + sep + "score=" + strconv.Itoa(n)}
		switch {
		case n == in.Min && v.Low != "":
			s.Label += " (" + v.Low + ")"
		case n == in.Max && v.High != "":
			s.Label += " (" + v.High + ")"
		}
		v.Scores = append(v.Scores, s)
	}
	var html, txt bytes.Buffer
	if err := inviteHTML().Execute(&html, v); err != nil {
		return Message{}, fmt.Errorf("render html: %w", err)
	}
	if err := inviteText().Execute(&txt, v); err != nil {
		return Message{}, fmt.Errorf("render text: %w", err)
	}
	var fromName string
	if in.Brand != nil {
		fromName = oneLine(in.Brand.SenderName)
	}
	return Message{
		FromName: fromName,
		Subject:  v.Subject,
		HTML:     html.String(),
		Text:     txt.String(),
		Headers:  UnsubscribeHeaders(in.UnsubscribeURL),
	}, nil
}

// UnsubscribeHeaders are the RFC 2369 / RFC 8058 one-click unsubscribe headers: mail clients show
// an unsubscribe button and POST "List-Unsubscribe=One-Click" to the URL.
func UnsubscribeHeaders(url string) []Header {
	return []Header{
		{Name: "List-Unsubscribe", Value: "<" + url + ">"},
		{Name: "List-Unsubscribe-Post", Value: "List-Unsubscribe=One-Click"},
	}
}

// Language picks the email's language: the contact's locale, else its base language ("es" for
// "es-MX"), else English; a language is only chosen when both the fixed texts and the survey's
// question exist in it, so an email never mixes two languages.
func Language(contactLocale string, question catalog.Text) string {
	l := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(contactLocale), "_", "-"))
	candidates := []string{l}
	if base, _, ok := strings.Cut(l, "-"); ok {
		candidates = append(candidates, base)
	}
	for _, c := range candidates {
		if locale.For(c).Lang == c && question[c] != "" {
			return c
		}
	}
	return "en"
}

// text returns t in lang, or English.
func text(t catalog.Text, lang string) string {
	if s := t[lang]; s != "" {
		return s
	}
	return t["en"]
}

// oneLine keeps user-supplied text (names, titles) from breaking headers or the layout.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
