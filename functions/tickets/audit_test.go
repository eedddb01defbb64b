package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/web"
)

// Every read of customers' personal data and every export or erasure is kept under the person
// who made it (their token's name): what, which ticket or contact, how many, when; never the
// address or the name it showed. Writes are in the ticket's own history; scores are not personal.
func TestReadsAndExportsOfPersonalDataAreRecordedPerPerson(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	f.h.AuditRetention = 365 * 24 * time.Hour
	ctx := context.Background()
	id := f.openTicket(t, "inv-audit", "cust-audit", "audited@example.com")
	agent, admin, viewer := f.tokens[access.Agent], f.tokens[access.Admin], f.tokens[access.Viewer]
	calls := []struct {
		method, path, token string
	}{
		{"GET", "/ops/ticket/" + id, agent},
		{"GET", "/ops/tickets/" + id, agent},
		{"GET", "/ops/tickets?team=customer-success-eu", agent},
		{"GET", "/ops/?team=customer-success-eu", viewer},
		{"GET", "/ops/scores", viewer},
		{"GET", "/ops/tickets?team=nobody-at-all", viewer},
		{"PATCH", "/ops/tickets/" + id, agent},
		{"GET", "/ops/contacts/" + web.PathID("cust-audit") + "/export", admin},
		{"DELETE", "/ops/contacts/" + web.PathID("cust-audit"), admin},
	}
	for _, c := range calls {
		body := ""
		if c.method == "PATCH" {
			body = `{"note":"called the customer"}`
		}
		if resp := f.call(t, c.method, c.path, c.token, body, nil); resp.StatusCode != 200 {
			t.Fatalf("%s %s = %d %s", c.method, c.path, resp.StatusCode, resp.Body)
		}
	}
	trail := func(person string) []string {
		list, err := f.h.Store.AuditTrail(ctx, person, 50)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range list {
			if e.Role == "" || len(e.Token) != 12 || time.Since(e.At) > time.Minute || e.Expires == 0 {
				t.Errorf("entry without who or when: %+v", e)
			}
			if s := fmt.Sprintf("%+v", e); strings.Contains(s, "audited@example.com") || strings.Contains(s, "Ana Lopez") {
				t.Errorf("an audit entry holds personal data: %s", s)
			}
			out = append(out, fmt.Sprintf("%s %s %d", e.Action, e.Subject, e.Count))
		}
		slices.Reverse(out) // oldest first, as the calls were made
		return out
	}
	want := map[string][]string{
		"agent-test": {
			"ticket.read " + id + " 1",
			"ticket.read " + id + " 1",
			"tickets.list team=customer-success-eu 1",
		},
		"viewer-test": {"tickets.list team=customer-success-eu 1"},
		"admin-test":  {"contact.export cust-audit 1", "contact.erase cust-audit 1"},
	}
	for person, w := range want {
		if got := trail(person); !slices.Equal(got, w) {
			t.Errorf("%s's audit trail:\n%s\nwant\n%s", person, strings.Join(got, "\n"), strings.Join(w, "\n"))
		}
	}
}
