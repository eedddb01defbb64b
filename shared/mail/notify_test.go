package mail

import (
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
)

func TestRenderTicketNotice(t *testing.T) {
	t.Parallel()
	three := 3
	due := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name        string
		in          TicketNotice
		subject     string
		contains    []string
		notContains []string
	}{
		{"a new answer ticket shows score, comment and link", TicketNotice{To: "cs@example.com", ID: "a-x", Survey: "nps-relationship",
			Cause: "answer", Priority: "high", Team: "customer-success", SLADue: due, Score: &three, Comment: "<b>late</b>", URL: "https://h/ops/tickets/a-x"},
			"[high] New nps-relationship ticket: answer", []string{"Score:     3", "2026-11-25 10:00 UTC", "https://h/ops/tickets/a-x"}, []string{"<b>late</b>"}},
		{"an escalation says so", TicketNotice{To: "cs@example.com", Escalation: true, ID: "b-y", Survey: "nps", Cause: "breach",
			Priority: "urgent", SLADue: due, Summary: "7d NPS 12.5"},
			"[urgent] Overdue nps ticket: breach", []string{"Overdue ticket escalated", "7d NPS 12.5"}, []string{"Score:"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := RenderTicketNotice(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != c.subject {
				t.Errorf("subject = %q, want %q", m.Subject, c.subject)
			}
			for _, s := range c.contains {
				if !strings.Contains(m.Text, s) {
					t.Errorf("text lacks %q:\n%s", s, m.Text)
				}
			}
			for _, s := range c.notContains {
				if strings.Contains(m.HTML, s) {
					t.Errorf("html contains %q unescaped", s)
				}
			}
			if m.Tags[TagTicket] != c.in.ID {
				t.Errorf("tags = %v", m.Tags)
			}
		})
	}
	if _, err := RenderTicketNotice(TicketNotice{ID: "x"}); err == nil {
		t.Error("a notice without a recipient rendered")
	}
}

func TestRenderCloseLoop(t *testing.T) {
	t.Parallel()
	body := catalog.Text{"en": "We fixed it.", "es": "Lo arreglamos."}
	title := catalog.Text{"en": "Your experience", "es": "Tu experiencia"}
	cases := []struct {
		name, locale, want, greeting, subject string
	}{
		{"a Spanish contact gets Spanish", "es-MX", "Lo arreglamos.", "Hola Ana,", "Tu experiencia"},
		{"an unknown locale gets English", "fr", "We fixed it.", "Hello Ana,", "Your experience"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := RenderCloseLoop(CloseLoop{To: "ana@example.com", Name: "Ana", Locale: c.locale, Title: title, Body: body, TicketID: "a-x",
				UnsubscribeURL: "https://surveys.example.com/u/TOKEN"})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(m.Text, c.want) || !strings.HasPrefix(m.Text, c.greeting) || m.Subject != c.subject {
				t.Errorf("got %q / %q", m.Subject, m.Text)
			}
		})
	}
}
