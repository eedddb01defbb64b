package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/storetest"
	"github.com/cxloop/cxloop/shared/ticket"
)

// The close-the-loop composer: the ticket page starts from the catalog's text in the customer's
// language, unticked; "Preview" shows the email as it would go and changes nothing; resolving with
// the agent's own words sends those words, records them in the history, and erasure erases them.
func TestTheAgentWritesPreviewsAndSendsTheCloseTheLoopEmail(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	ctx := context.Background()
	agent := f.tokens[access.Agent]
	// The SES stand-in keeps every email of the stack's life: a fresh address and contact per run.
	stamp := fmt.Sprint(time.Now().UnixNano())
	addr, contact := "composer-"+stamp+"@example.com", "cust-composer-"+stamp
	id := f.openTicket(t, "inv-composer-"+stamp, contact, addr) // locale es

	page := f.call(t, "GET", "/ops/ticket/"+id, agent, "", nil)
	if !strings.Contains(page.Body, `name="closeloop_text"`) || !strings.Contains(page.Body, "Gracias") ||
		strings.Contains(page.Body, `name="closeloop" value="1" checked`) {
		t.Fatalf("the composer is not prefilled in Spanish or is pre-ticked:\n%s", page.Body)
	}

	own := "Hemos devuelto el importe.\nUn saludo, María \u202Eevil"
	post := map[string]string{"Authorization": "Bearer " + agent, "Content-Type": "application/x-www-form-urlencoded"}
	prev := f.call(t, "POST", "/ops/ticket/"+id, "", "action=status&status=resolved&preview=1&closeloop_text="+url.QueryEscape(own), post)
	if prev.StatusCode != 200 || !strings.Contains(prev.Body, "Hola Ana Lopez,") || !strings.Contains(prev.Body, "Hemos devuelto el importe.") ||
		!strings.Contains(prev.Body, "To:</strong> "+addr) || strings.Contains(prev.Body, "\u202E") {
		t.Fatalf("preview = %d:\n%s", prev.StatusCode, prev.Body)
	}
	if tk, _ := f.h.Store.GetTicket(ctx, id); tk.Status != "open" || len(storetest.EmailsTo(t, addr)) != 0 {
		t.Fatalf("a preview changed the ticket (%s) or sent an email", tk.Status)
	}

	sent := f.call(t, "POST", "/ops/ticket/"+id, "", "action=status&status=resolved&closeloop=1&closeloop_text="+url.QueryEscape(own), post)
	if sent.StatusCode != 303 {
		t.Fatalf("resolve with the agent's message = %d %s", sent.StatusCode, sent.Body)
	}
	mails := storetest.EmailsTo(t, addr)
	if len(mails) != 1 || !strings.Contains(mails[0].Body.Text, "Hemos devuelto el importe.\nUn saludo, María evil") || strings.Contains(mails[0].Body.Text, "Gracias") {
		t.Fatalf("close-the-loop emails = %+v", mails)
	}
	tk, _ := f.h.Store.GetTicket(ctx, id)
	last := tk.History[len(tk.History)-1]
	if last.Action != "closeloop" || !strings.Contains(last.Text, "Hemos devuelto el importe.") {
		t.Fatalf("history does not record the message sent: %+v", tk.History)
	}

	if _, err := f.h.Store.EraseContact(ctx, contact); err != nil {
		t.Fatal(err)
	}
	tk, _ = f.h.Store.GetTicket(ctx, id)
	for _, ev := range tk.History {
		if strings.Contains(ev.Text, "Hemos devuelto") {
			t.Fatalf("erasure left the message in the history: %+v", ev)
		}
	}
}

func TestAnOverlongOrMissingCloseTheLoopMessageIsRefused(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	agent := f.tokens[access.Agent]
	id := f.openTicket(t, "inv-composer-long", "cust-composer-long", "composer-long@example.com")
	body := `{"status":"resolved","closeLoop":true,"closeLoopText":"` + strings.Repeat("é", 2001) + `"}`
	if r := f.call(t, "PATCH", "/ops/tickets/"+id, agent, body, nil); r.StatusCode != 400 {
		t.Fatalf("a 2001-character message = %d %s", r.StatusCode, r.Body)
	}
}

// A customer who answers the close-the-loop email reaches the team that worked the ticket: the
// email's Reply-To is the ticket team's address (TEAM_ADDRESSES, else OPS_NOTIFY_ADDRESS), and the
// preview says so.
func TestTheCloseTheLoopEmailRepliesToTheTicketsTeam(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	f.h.Teams = ticket.TeamAddresses{Teams: map[string]string{"customer-success-eu": "cs-eu@example.com"}, Default: "ops@example.com"}
	agent := f.tokens[access.Agent]
	stamp := fmt.Sprint(time.Now().UnixNano())
	addr := "replyto-" + stamp + "@example.com"
	id := f.openTicket(t, "inv-replyto-"+stamp, "cust-replyto-"+stamp, addr) // team customer-success-eu
	post := map[string]string{"Authorization": "Bearer " + agent, "Content-Type": "application/x-www-form-urlencoded"}
	prev := f.call(t, "POST", "/ops/ticket/"+id, "", "action=status&status=resolved&preview=1&closeloop_text=Hecho", post)
	if !strings.Contains(prev.Body, "Reply-To:</strong> cs-eu@example.com") {
		t.Fatalf("the preview does not name the team's address:\n%s", prev.Body)
	}
	if r := f.call(t, "POST", "/ops/ticket/"+id, "", "action=status&status=resolved&closeloop=1&closeloop_text=Hecho", post); r.StatusCode != 303 {
		t.Fatalf("resolve = %d %s", r.StatusCode, r.Body)
	}
	mails := storetest.EmailsTo(t, addr)
	if len(mails) != 1 || len(mails[0].ReplyTo) != 1 || mails[0].ReplyTo[0] != "cs-eu@example.com" {
		t.Fatalf("close-the-loop email Reply-To = %+v, want the team's address", mails)
	}
	if got := f.h.Teams.For("a-team-without-its-own"); got != "ops@example.com" {
		t.Fatalf("a team without an address replies to %q, want the ops address", got)
	}
}
