package mail

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/mail/mailtag"
)

// Values of TagKind for the follow-up side.
const (
	KindTicket    = "ticket"    // a new ticket's team notification
	KindEscalate  = "escalate"  // an overdue ticket's escalation
	KindCloseLoop = "closeloop" // the customer's close-the-loop email
	TagTicket     = mailtag.Ticket
)

// TicketNotice is what the team is told about a new or escalated ticket. It carries the
// customer's comment (the team needs it to act) but never the contact's email address.
type TicketNotice struct {
	To         string
	Escalation bool
	ID         string
	Survey     string
	Cause      string // answer or breach
	Touchpoint string
	Priority   string
	Team       string
	SLADue     time.Time
	Score      *int
	Comment    string
	Summary    string // a breach's numbers, e.g. "7d NPS 12.5 ± 22.1 (n=40), below 20"
	URL        string // the ticket's page in the console
}

const noticeText = `{{if .Escalation}}Overdue ticket escalated{{else}}New follow-up ticket{{end}}: {{.ID}}

Survey:    {{.Survey}}{{if .Touchpoint}} ({{.Touchpoint}}){{end}}
Cause:     {{.Cause}}
Priority:  {{.Priority}}
Team:      {{.Team}}
SLA due:   {{.Due}}
{{- if .Score}}
Score:     {{deref .Score}}{{end}}
{{- if .Comment}}
Comment:   {{.Comment}}{{end}}
{{- if .Summary}}
Breach:    {{.Summary}}{{end}}
{{if .URL}}
Open it:   {{.URL}}
{{end}}`

const noticeHTML = `<!doctype html><html lang="en"><body style="font-family:system-ui,sans-serif;color:#1a1a1a">
<h1 style="font-size:18px">{{if .Escalation}}Overdue ticket escalated{{else}}New follow-up ticket{{end}}: {{.ID}}</h1>
<table style="border-collapse:collapse">
<tr><th align="left">Survey</th><td>{{.Survey}}{{if .Touchpoint}} ({{.Touchpoint}}){{end}}</td></tr>
<tr><th align="left">Cause</th><td>{{.Cause}}</td></tr>
<tr><th align="left">Priority</th><td>{{.Priority}}</td></tr>
<tr><th align="left">Team</th><td>{{.Team}}</td></tr>
<tr><th align="left">SLA due</th><td>{{.Due}}</td></tr>
{{if .Score}}<tr><th align="left">Score</th><td>{{deref .Score}}</td></tr>{{end}}
{{if .Comment}}<tr><th align="left">Comment</th><td>{{.Comment}}</td></tr>{{end}}
{{if .Summary}}<tr><th align="left">Breach</th><td>{{.Summary}}</td></tr>{{end}}
</table>
{{if .URL}}<p><a href="{{.URL}}">Open the ticket</a></p>{{end}}
</body></html>`

// The notice and close-the-loop templates are parsed on first use, like the invitation's.
var (
	deref         = map[string]any{"deref": func(p *int) int { return *p }}
	noticeTextTpl = sync.OnceValue(func() *texttemplate.Template {
		return texttemplate.Must(texttemplate.New("t").Funcs(deref).Parse(noticeText))
	})
	noticeHTMLTpl = sync.OnceValue(func() *htmltemplate.Template {
		return htmltemplate.Must(htmltemplate.New("h").Funcs(deref).Parse(noticeHTML))
	})
)

// RenderTicketNotice builds the team's email about a new or escalated ticket.
func RenderTicketNotice(n TicketNotice) (Message, error) {
	if n.To == "" {
		return Message{}, fmt.Errorf("ticket notice %s: no recipient", n.ID)
	}
	n.Comment = strings.TrimSpace(n.Comment)
	v := struct {
		TicketNotice
		Due string
	}{n, n.SLADue.UTC().Format("2006-01-02 15:04 UTC")}
	var txt, html bytes.Buffer
	if err := noticeTextTpl().Execute(&txt, v); err != nil {
		return Message{}, fmt.Errorf("render ticket notice: %w", err)
	}
	if err := noticeHTMLTpl().Execute(&html, v); err != nil {
		return Message{}, fmt.Errorf("render ticket notice: %w", err)
	}
	kind, verb := KindTicket, "New"
	if n.Escalation {
		kind, verb = KindEscalate, "Overdue"
	}
	subject := fmt.Sprintf("[%s] %s %s ticket: %s", n.Priority, verb, oneLine(n.Survey), oneLine(n.Cause))
	return Message{To: n.To, Subject: subject, Text: txt.String(), HTML: html.String(),
		Tags: map[string]string{TagKind: kind, TagTicket: n.ID}}, nil
}

// CloseLoop is the short email a customer gets when their ticket is resolved, in their language.
type CloseLoop struct {
	To     string
	Name   string
	Locale string
	Title  catalog.Text // the survey's title
	Body   catalog.Text // the follow-up rule's closeLoop text
	// Text is the agent's own words; when set it is sent instead of Body (whose languages still
	// pick the greeting's language).
	Text     string
	TicketID string
	// ReplyTo is the team's address: a customer who answers the email reaches the people who
	// worked the ticket, not the sending address ("" replies to the sender).
	ReplyTo string
	// UnsubscribeURL is <BASE_URL>/u/<token> for the ticket's invitation: the List-Unsubscribe
	// header (RFC 8058 one-click) and a visible link. Required: every customer email carries it.
	UnsubscribeURL string
}

var (
	closeLoopGreeting    = map[string]string{"en": "Hello", "es": "Hola"}
	closeLoopUnsubscribe = map[string]string{"en": "Unsubscribe from these emails", "es": "Darse de baja de estos correos"}
)

const closeLoopHTML = `<!doctype html><html lang="{{.Lang}}"><body style="font-family:system-ui,sans-serif;color:#1a1a1a">
<p>{{.Greeting}}</p><p style="white-space:pre-line">{{.Body}}</p>
<p style="font-size:12px;color:#555"><a href="{{.Unsubscribe}}">{{.UnsubscribeLabel}}</a></p></body></html>`

var closeLoopTpl = sync.OnceValue(func() *htmltemplate.Template {
	return htmltemplate.Must(htmltemplate.New("c").Parse(closeLoopHTML))
})

// CloseLoopDraft is the catalog's close-the-loop text in the customer's language, the composer's
// starting point ("" when the catalog has none).
func CloseLoopDraft(locale string, body catalog.Text) string { return Localized(locale, body) }

// Localized is a catalog text in the language a customer with locale reads it in ("" if empty).
func Localized(locale string, t catalog.Text) string {
	if len(t) == 0 {
		return ""
	}
	return text(t, Language(locale, t))
}

// RenderCloseLoop builds the close-the-loop email.
func RenderCloseLoop(c CloseLoop) (Message, error) {
	if c.To == "" || (len(c.Body) == 0 && strings.TrimSpace(c.Text) == "") || c.UnsubscribeURL == "" {
		return Message{}, fmt.Errorf("close-the-loop %s: recipient, text and unsubscribe link are required", c.TicketID)
	}
	lang := Language(c.Locale, c.Body)
	greeting := closeLoopGreeting[lang]
	if greeting == "" {
		greeting = closeLoopGreeting["en"]
	}
	if name := oneLine(c.Name); name != "" {
		greeting += " " + name
	}
	greeting += ","
	body := text(c.Body, lang)
	if t := strings.TrimSpace(c.Text); t != "" {
		body = t
	}
	unsub := closeLoopUnsubscribe[lang]
	if unsub == "" {
		unsub = closeLoopUnsubscribe["en"]
	}
	var html bytes.Buffer
	if err := closeLoopTpl().Execute(&html, map[string]string{"Lang": lang, "Greeting": greeting, "Body": body, "Unsubscribe": c.UnsubscribeURL, "UnsubscribeLabel": unsub}); err != nil {
		return Message{}, fmt.Errorf("render close-the-loop: %w", err)
	}
	return Message{To: c.To, ReplyTo: c.ReplyTo, Subject: oneLine(text(c.Title, lang)), Text: greeting + "\n\n" + body + "\n\n" + unsub + ": " + c.UnsubscribeURL + "\n", HTML: html.String(),
		Headers: UnsubscribeHeaders(c.UnsubscribeURL),
		Tags:    map[string]string{TagKind: KindCloseLoop, TagTicket: c.TicketID}}, nil
}
