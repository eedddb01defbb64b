package main

import (
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/ticket"
)

func TestQueueRowsSayWhoWhatScoreAndWhatTheyWrote(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	two, one := 2, 1
	list := []store.Ticket{
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
	masked := rowsOf(catalog.MustShipped(), visibleAll(store.RoleViewer, list[:1]), now)[0]
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
