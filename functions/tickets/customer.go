package main

import (
	"context"
	"time"

	"github.com/cxloop/cxloop/shared/ticket"
)

// historyLimit is how many of a contact's decisions and tickets the ticket page shows, newest first.
const historyLimit = 25

// historyRow is one line of the customer panel: a decision (invited, or why not), what came of
// the invitation (sent, answered with what), or a ticket.
type historyRow struct {
	At, Survey, Touchpoint string
	What                   string // "decision" or "ticket"
	Outcome, Reason        string // the decision and why (the stored detail)
	Sent, Answer, Comment  string // an invitation's send and its current answer
	TicketID               string
	Current                bool // the ticket on this page
}

// customerHistory is the contact's history as the ticket page shows it; a ticket without a
// contact (a breach) has none.
func (h *Handler) customerHistory(ctx context.Context, t *ticket.Ticket) ([]historyRow, error) {
	if t.ContactID == "" {
		return nil, nil
	}
	es, err := h.Store.ContactHistory(ctx, t.ContactID, historyLimit)
	if err != nil {
		return nil, err
	}
	rows := make([]historyRow, 0, len(es))
	for _, e := range es {
		r := historyRow{At: e.At().UTC().Format("2006-01-02 15:04 UTC"), Survey: e.Survey, Touchpoint: e.Touchpoint}
		if id := e.TicketID(); id != "" {
			r.What, r.TicketID, r.Current = "ticket", id, id == t.ID
		} else {
			r.What, r.Outcome, r.Reason = "decision", e.Outcome, e.Detail
		}
		if inv := e.Invitation; inv != nil {
			if inv.SentAt != nil {
				r.Sent = inv.SentAt.UTC().Format(time.DateOnly)
			} else if inv.Stopped != "" {
				r.Sent = "not sent: " + inv.Stopped
			}
			if inv.Score != nil {
				r.Answer = scoreOnScale(h.Catalog, inv.Survey, *inv.Score)
				r.Comment = snippet(inv.Comment, snippetLen)
			}
		}
		rows = append(rows, r)
	}
	return rows, nil
}
