package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/ticket"
)

func TestQueueRowsSayWhoWhatScoreAndWhatTheyWrote(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	two, one := 2, 1
	list := []ticket.Ticket{
		{ID: "a-1", Name: "Ana López", Survey: "nps-relationship", Touchpoint: "order.delivered", Score: &two, Status: ticket.StatusOpen,
			Comment: "The parcel\narrived " + strings.Repeat("very ", 40) + "late", CreatedAt: now.Add(-3 * time.Hour), SLADue: now.Add(time.Hour)},
		{ID: "a-2", Name: "Bo", Survey: "csat-support", Score: &one, Status: ticket.StatusAssigned, Assignee: "maria",
			CreatedAt: now.Add(-50 * time.Hour), SLADue: now.Add(-time.Hour)},
		{ID: "b-3", Survey: "retired-survey", Score: &one, Status: ticket.StatusResolved, CreatedAt: now.Add(-10 * time.Second), SLADue: now.Add(-time.Hour)},
	}
	rows := rowsOf(catalog.MustShipped(), list, now)
	a, b, c := rows[0], rows[1], rows[2]
	if a.Name != "Ana López" || a.Score != "2/10" || a.Age != "3 h" || a.Overdue || !strings.HasPrefix(a.Comment, "The parcel arrived very") ||
		!strings.HasSuffix(a.Comment, "…") || len([]rune(a.Comment)) > snippetLen {
		t.Errorf("row a = %+v", a)
	}
	if b.Score != "1/5" || b.Age != "2 d" || !b.Overdue || b.Assignee != "maria" {
		t.Errorf("row b = %+v (csat is on 1..5; an assigned ticket past its SLA is overdue)", b)
	}
	if c.Score != "1" || c.Age != "just now" || c.Overdue {
		t.Errorf("row c = %+v (a survey gone from the catalog shows the bare score; a resolved ticket is never overdue)", c)
	}
	masked := rowsOf(catalog.MustShipped(), visibleAll(access.Viewer, list[:1]), now)[0]
	if masked.Name != Masked {
		t.Errorf("a viewer's queue shows the name %q", masked.Name)
	}
}

func TestButtonLabelsMatchTheState(t *testing.T) {
	t.Parallel()
	tests := []struct{ from, next, want string }{
		{ticket.StatusAssigned, ticket.StatusOpen, "Unassign (back to open)"},
		{ticket.StatusResolved, ticket.StatusOpen, "Reopen"},
		{ticket.StatusClosed, ticket.StatusOpen, "Reopen"},
		{ticket.StatusOpen, ticket.StatusResolved, "Resolve"},
		{ticket.StatusResolved, ticket.StatusClosed, "Close"},
	}
	for _, tc := range tests {
		if got := label(tc.from, tc.next); got != tc.want {
			t.Errorf("label(%s -> %s) = %q, want %q", tc.from, tc.next, got, tc.want)
		}
	}
}

// The queue pages past any count with a cursor, filters by assignee ("me" is the caller's token
// name), survey and priority, and refuses a cursor it did not hand out.
func TestTheQueuePagesWithACursorAndFilters(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	var ids []string
	for i := range 7 {
		ids = append(ids, f.openTicket(t, fmt.Sprintf("inv-page-%d", i), fmt.Sprintf("cust-page-%d", i), fmt.Sprintf("page-%d@example.com", i)))
	}
	agent := f.tokens[access.Agent]
	for _, id := range ids[:2] {
		if r := f.call(t, "PATCH", "/ops/tickets/"+id, agent, `{"assignee":"agent-test"}`, nil); r.StatusCode != 200 {
			t.Fatalf("assign: %d %s", r.StatusCode, r.Body)
		}
	}
	var seen []string
	cursor := ""
	for pages := 0; ; pages++ {
		target := "/ops/tickets?limit=3"
		if cursor != "" {
			target += "&cursor=" + url.QueryEscape(cursor)
		}
		r := f.call(t, "GET", target, agent, "", nil)
		var body struct {
			Tickets []ticket.Ticket
			Next    string
		}
		if r.StatusCode != 200 || json.Unmarshal([]byte(r.Body), &body) != nil || len(body.Tickets) > 3 || pages > 5 {
			t.Fatalf("page %d: %d %s", pages, r.StatusCode, r.Body)
		}
		for _, tk := range body.Tickets {
			seen = append(seen, tk.ID)
		}
		if cursor = body.Next; cursor == "" {
			break
		}
	}
	slices.Sort(seen)
	want := slices.Clone(ids)
	slices.Sort(want)
	if !slices.Equal(seen, want) {
		t.Fatalf("paging saw %v, want each of %v once", seen, want)
	}

	mine := f.call(t, "GET", "/ops/tickets?assignee=me", agent, "", nil)
	if mine.StatusCode != 200 || strings.Count(mine.Body, `"id"`) != 2 || !strings.Contains(mine.Body, ids[0]) || !strings.Contains(mine.Body, ids[1]) {
		t.Fatalf("mine = %d %s", mine.StatusCode, mine.Body)
	}
	if r := f.call(t, "GET", "/ops/tickets?survey=csat-support", agent, "", nil); r.StatusCode != 200 || !strings.Contains(r.Body, `"tickets":[]`) {
		t.Fatalf("another survey's queue = %s", r.Body)
	}
	if r := f.call(t, "GET", "/ops/tickets?priority=high&status=assigned", agent, "", nil); strings.Count(r.Body, `"id"`) != 2 {
		t.Fatalf("high and assigned = %s", r.Body)
	}
	for _, bad := range []string{"cursor=nonsense", "cursor=eyJzIjo5fQ", "limit=0", "limit=501"} {
		if r := f.call(t, "GET", "/ops/tickets?"+bad, agent, "", nil); r.StatusCode != 400 {
			t.Errorf("%s = %d, want 400", bad, r.StatusCode)
		}
	}

	// The console: "Assigned to me", a next-page link, and "Assign to me" on the ticket page.
	session := map[string]string{"Authorization": "Bearer " + agent}
	page := f.call(t, "GET", "/ops/?assignee=me", "", "", session)
	if page.StatusCode != 200 || strings.Count(page.Body, `<tr>`) != 2+1 {
		t.Fatalf("the console's mine = %d, want 2 rows:\n%s", page.StatusCode, page.Body)
	}
	tp := f.call(t, "GET", "/ops/ticket/"+ids[2], "", "", session)
	if !strings.Contains(tp.Body, `value="assign-me"`) || strings.Contains(tp.Body, `name="closeloop" value="1" checked`) {
		t.Fatalf("the ticket page lacks Assign to me or pre-ticks close-the-loop:\n%s", tp.Body)
	}
	post := map[string]string{"Authorization": "Bearer " + agent, "Content-Type": "application/x-www-form-urlencoded"}
	if r := f.call(t, "POST", "/ops/ticket/"+ids[2], "", "action=assign-me", post); r.StatusCode != 303 {
		t.Fatalf("assign to me = %d %s", r.StatusCode, r.Body)
	}
	if tk, _ := f.h.Store.GetTicket(context.Background(), ids[2]); tk.Assignee != "agent-test" {
		t.Fatalf("assign to me gave %q", tk.Assignee)
	}
}
