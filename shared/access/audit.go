package access

import "time"

// Audited actions: what a person did with customers' personal data.
const (
	AuditTicketRead    = "ticket.read"    // one ticket (API or console page) with its contact's data
	AuditTicketList    = "tickets.list"   // a page of the queue (API or console)
	AuditContactExport = "contact.export" // everything about a contact, as JSON
	AuditContactErase  = "contact.erase"  // a contact's personal data removed
	AuditContactSearch = "contact.search" // the queue searched by contact id or address
)

// AuditEntry is one read of personal data or export, kept under the person who made it: who
// (the token's name, role and hash prefix), what (the action and its subject: a ticket id, a
// contact id, or the search; never an address or a name) and when. It is deleted after Expires.
type AuditEntry struct {
	Person  string    `dynamodbav:"person" json:"person"`
	Role    string    `dynamodbav:"role" json:"role"`
	Token   string    `dynamodbav:"token,omitempty" json:"token,omitempty"`
	Action  string    `dynamodbav:"action" json:"action"`
	Subject string    `dynamodbav:"subject,omitempty" json:"subject,omitempty"`
	Count   int       `dynamodbav:"count,omitempty" json:"count,omitempty"`
	At      time.Time `dynamodbav:"at" json:"at"`
	Expires int64     `dynamodbav:"ttl,omitempty" json:"-"` // epoch seconds: the retention it was recorded with
}
