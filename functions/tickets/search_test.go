package main

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/ticket"
)

// One customer's tickets, whatever their status, found by the producer's contact id or, for
// agents and admins, by address through its hash; the queue's filters narrow what was found; the
// search is in the audit trail without the address; an erased customer is no longer found by it.
func TestTheQueueFindsACustomersTicketsByContactIdOrAddress(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	ctx := context.Background()
	a1 := f.openTicket(t, "inv-search-1", "cust/search 1", "Search.Me@Example.com")
	resolved := f.call(t, "PATCH", "/ops/tickets/"+a1, f.tokens[access.Agent], `{"status":"resolved"}`, nil)
	if resolved.StatusCode != 200 {
		t.Fatalf("resolve = %d %s", resolved.StatusCode, resolved.Body)
	}
	f.openTicket(t, "inv-search-2", "cust-other", "other@example.com")
	ids := func(body string) []string {
		var out struct{ Tickets []ticket.Ticket }
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		var got []string
		for _, tk := range out.Tickets {
			got = append(got, tk.ID)
		}
		return got
	}
	agent, viewer := f.tokens[access.Agent], f.tokens[access.Viewer]
	tests := []struct {
		name, query, token string
		want               int
		ids                []string
	}{
		{"by contact id, a resolved ticket too", "contact=" + url.QueryEscape("cust/search 1"), viewer, 200, []string{a1}},
		{"by address, any case and spaces", "email=" + url.QueryEscape("  search.me@example.COM "), agent, 200, []string{a1}},
		{"filters narrow a search", "contact=" + url.QueryEscape("cust/search 1") + "&status=open", agent, 200, nil},
		{"an unknown contact finds nothing", "contact=nobody", agent, 200, nil},
		{"a viewer may not search by address", "email=search.me%40example.com", viewer, 403, nil},
		{"one search at a time", "contact=x&email=y%40example.com", agent, 400, nil},
	}
	for _, tt := range tests {
		resp := f.call(t, "GET", "/ops/tickets?"+tt.query, tt.token, "", nil)
		if resp.StatusCode != tt.want {
			t.Fatalf("%s: %d %s, want %d", tt.name, resp.StatusCode, resp.Body, tt.want)
		}
		if tt.want == 200 && strings.Join(ids(resp.Body), ",") != strings.Join(tt.ids, ",") {
			t.Fatalf("%s: found %v, want %v", tt.name, ids(resp.Body), tt.ids)
		}
	}
	page := f.call(t, "GET", "/ops/?email="+url.QueryEscape("search.me@example.com"), agent, "", nil)
	if page.StatusCode != 200 || !strings.Contains(page.Body, a1) || !strings.Contains(page.Body, "newest first") {
		t.Fatalf("the console's search = %d:\n%s", page.StatusCode, page.Body)
	}
	if vp := f.call(t, "GET", "/ops/", viewer, "", nil); strings.Contains(vp.Body, `name="email"`) {
		t.Fatal("a viewer is offered the search by address")
	}

	trail, err := f.h.Store.AuditTrail(ctx, "agent-test", 20)
	if err != nil {
		t.Fatal(err)
	}
	var searches int
	for _, e := range trail {
		if e.Action == access.AuditContactSearch {
			searches++
			if strings.Contains(strings.ToLower(e.Subject), "search.me") {
				t.Fatalf("the audit trail keeps the address searched for: %+v", e)
			}
		}
	}
	if searches < 4 {
		t.Fatalf("%d searches in the agent's audit trail, want every one", searches)
	}

	if _, err := f.h.Store.EraseContact(ctx, "cust/search 1"); err != nil {
		t.Fatal(err)
	}
	if got := ids(f.call(t, "GET", "/ops/tickets?email=search.me%40example.com", agent, "", nil).Body); len(got) != 0 {
		t.Fatalf("an erased customer is still found by address: %v", got)
	}
}
