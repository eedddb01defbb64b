package main

import (
	"context"
	"fmt"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/store"
)

// audit records that who read or exported customers' personal data (docs/SECURITY.md): under
// the token's name, with the action, its subject (a ticket id, a contact id, the filters; never
// an address or a name) and how many records it returned. The caller answers only when this
// succeeded, so no read goes unrecorded.
func (h *Handler) audit(ctx context.Context, who *access.Token, action, subject string, count int) error {
	e := access.AuditEntry{Person: person(who), Role: who.Role, Action: action, Subject: subject, Count: count}
	if hash := who.Hash; len(hash) >= 12 {
		e.Token = hash[:12]
	}
	if err := h.Store.RecordAudit(ctx, e, h.AuditRetention); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// person is whom an audit entry is kept under: the token's unique name, or for a token made
// before names were required, its role and hash prefix.
func person(who *access.Token) string {
	if who.Name != "" {
		return who.Name
	}
	if hash := who.Hash; len(hash) >= 12 {
		return who.Role + " token " + hash[:12]
	}
	return who.Role
}

// auditList records a page of the queue that showed n tickets (an empty page read nothing).
func (h *Handler) auditList(ctx context.Context, who *access.Token, f store.QueueFilter, n int) error {
	if n == 0 {
		return nil
	}
	return h.audit(ctx, who, access.AuditTicketList, f.String(), n)
}
