package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/text"
	"github.com/cxloop/cxloop/shared/ticket"
	"github.com/cxloop/cxloop/shared/web"
)

// search is a search of the queue for one customer: by the producer's contact id, or by address
// (through the address hash, never the address itself). It finds the customer's tickets of every
// status, newest first; the queue's other filters then narrow what it found.
type search struct {
	Contact, Email string
}

// searchLimit is how many of one customer's tickets a search returns (and how many contacts an
// address may lead to).
const searchLimit = 50

// searchOf reads ?contact= or ?email= (not both). Searching by address is for agents and admins,
// who see addresses: a viewer could otherwise test whether an address is a customer's.
func searchOf(r *http.Request, who *access.Token) (search, bool, error) {
	s := search{Contact: web.Query(r, "contact"), Email: web.Query(r, "email")}
	switch {
	case s.Contact == "" && s.Email == "":
		return s, false, nil
	case s.Contact != "" && s.Email != "":
		return s, false, fmt.Errorf("%w: search by contact or by email, not both", errBadRequest)
	case !text.Valid(s.Contact + s.Email):
		return s, false, fmt.Errorf("%w: the search must be valid UTF-8", errBadRequest)
	case s.Email != "" && !access.Allows(who.Role, access.Agent):
		return s, false, fmt.Errorf("%w: searching by email needs the agent role", errForbidden)
	}
	return s, true, nil
}

// subject is how the audit trail keeps the search: the contact id, or the address's hash.
func (s search) subject() string {
	if s.Email != "" {
		return "email sha256:" + store.AddressHash(s.Email)[:16]
	}
	return "contact " + s.Contact
}

// searchTickets runs s and applies the queue's filters to what it found.
func (h *Handler) searchTickets(ctx context.Context, who *access.Token, s search, f store.QueueFilter) ([]ticket.Ticket, error) {
	contacts := []string{s.Contact}
	if s.Email != "" {
		var err error
		if contacts, err = h.Store.ContactsWithAddress(ctx, s.Email); err != nil {
			return nil, err
		}
		contacts = contacts[:min(len(contacts), searchLimit)]
	}
	var found []ticket.Ticket
	for _, c := range contacts {
		ts, err := h.Store.ContactTickets(ctx, c, searchLimit)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			if matches(t, f) {
				found = append(found, t)
			}
		}
	}
	slices.SortFunc(found, func(a, b ticket.Ticket) int { return b.CreatedAt.Compare(a.CreatedAt) })
	found = found[:min(len(found), searchLimit)]
	if err := h.audit(ctx, who, access.AuditContactSearch, s.subject(), len(found)); err != nil {
		return nil, err
	}
	return found, nil
}

// matches applies the queue's filters to one ticket found by a search (any status when none).
func matches(t ticket.Ticket, f store.QueueFilter) bool {
	for _, c := range [][2]string{{f.Status, t.Status}, {f.Team, t.Team}, {f.Assignee, t.Assignee}, {f.Survey, t.Survey}, {f.Priority, t.Priority}} {
		if c[0] != "" && c[0] != c[1] {
			return false
		}
	}
	return true
}
