package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"slices"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/ticket"
)

// ticketRecord is a ticket's item (PK=TICKET#<id>, SK=TICKET). It is on GSI1 under its contact
// (export, erase) and on GSI2 under its status, sorted by SLA due time (the queue).
type ticketRecord struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Kind string `dynamodbav:"kind"`
	ticket.Ticket
	AnswerIDs    []string `dynamodbav:"answerIds,stringset,omitempty"`    // the answers on it, checked by attach
	HistoryKeys  []string `dynamodbav:"historyKeys,stringset,omitempty"`  // makes stream-driven entries idempotent
	NotifyClaims []string `dynamodbav:"notifyClaims,stringset,omitempty"` // each notification sent once
	GSI1PK       string   `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK       string   `dynamodbav:"GSI1SK,omitempty"`
	GSI2PK       string   `dynamodbav:"GSI2PK"`
	GSI2SK       string   `dynamodbav:"GSI2SK"`
	TTL          int64    `dynamodbav:"ttl,omitempty"`
}

// tickets unwraps ticket records.
func tickets(recs []ticketRecord) []ticket.Ticket {
	return unwrap(recs, func(r ticketRecord) ticket.Ticket { r.expand(); return r.Ticket })
}

// compact stores the answer that opened an answer ticket once: its invitation id, comment and
// touchpoint are the ticket's own, so the first entry of answers keeps only its score and time.
// A ticket is billed per KB written, on the table and on each index, and a short comment written
// twice took a ticket over 1 KB. The entry is compacted only when all three are the ticket's, and
// an entry without an invitation id is one that was (expand).
func (r *ticketRecord) compact() {
	if len(r.Answers) == 0 {
		return
	}
	a := r.Answers[0]
	if a.InvitationID != r.InvitationID || a.Comment != r.Comment || a.Touchpoint != r.Touchpoint {
		return
	}
	r.Answers = slices.Clone(r.Answers)
	r.Answers[0] = ticket.Answer{Score: a.Score, At: a.At}
}

// expand restores the opening answer compact left out, from the ticket's fields.
func (r *ticketRecord) expand() {
	if len(r.Answers) == 0 || r.Answers[0].InvitationID != "" {
		return
	}
	r.Answers[0].InvitationID, r.Answers[0].Comment, r.Answers[0].Touchpoint = r.InvitationID, r.Comment, r.Touchpoint
}

// openLock is the open-ticket lock item: a contact has at most one open ticket per survey. The
// same shape (kindTicketRef) stands at an attached answer's own ticket key, naming the ticket the
// answer joined.
type openLock struct {
	PK       string `dynamodbav:"PK"`
	SK       string `dynamodbav:"SK"`
	Kind     string `dynamodbav:"kind"`
	TicketID string `dynamodbav:"ticketId"`
}

// Answer-ticket outcomes.
const (
	TicketCreated  = "created"  // a new ticket: notify
	TicketAttached = "attached" // the answer joined the contact's open ticket
	TicketKnown    = "known"    // the answer was already on a ticket (redelivery or edit)
	TicketErased   = "erased"   // the contact was erased after the answer: no ticket (erasure.go)
)

func queueSK(due time.Time, id string) string { return FormatTime(due) + "#" + id }

// kindTicketRef is the item an answer that joined another ticket leaves at its own ticket's key
// (TICKET#a-<invitation> / TICKET): the put of its own ticket then fails, so the answer never
// opens a ticket of its own, even after the ticket it joined is resolved.
const kindTicketRef = "ticketref"

// attachedSK is where answers attached before kindTicketRef recorded the ticket they joined; they
// are still read (NoteAnswer, the erasure), no longer written.
const attachedSK = "ATTACHED"

// newTicket is a new ticket's record: its keys and bookkeeping around t, opened now.
func newTicket(t ticket.Ticket, historyKey string) ticketRecord {
	t = ticket.Open(t)
	r := ticketRecord{PK: ticketPK(t.ID), SK: skTicket, Kind: KindTicket, Ticket: t,
		GSI2PK: ticketQueuePK(t.Status), GSI2SK: queueSK(t.SLADue, t.ID)}
	if t.ContactID != "" {
		r.GSI1PK, r.GSI1SK = contactPK(t.ContactID), "TICKET#"+FormatTime(t.CreatedAt)
	}
	if historyKey != "" {
		r.HistoryKeys = []string{historyKey}
	}
	r.compact()
	return r
}

// AnswerHistoryKey identifies one version of an answer in a ticket's history: a redelivered
// record carries the same key and adds nothing; an edit carries a new one.
func AnswerHistoryKey(invitationID string, answeredAt time.Time) string {
	return "answer#" + invitationID + "#" + FormatTime(answeredAt)
}

// The items of the ticket transactions (OpenAnswerTicket, attach), besides the erasure checks.
const (
	txTicket   = "ticket"           // the ticket: put once, or updated while open
	txOpenLock = "open-ticket lock" // the contact's one open ticket per survey
	txAttached = "ticket reference" // at this answer's own ticket key, naming the ticket that holds it
	txAddress  = "address index"    // the contact's address hash, for searching tickets by address
)

// OpenAnswerTicket records a low answer: a new ticket with the contact's open-ticket lock in one
// transaction, or, when the contact already has an open ticket for the survey, the answer attached
// to it (once). draft is the new ticket (id, survey, contact, answer, priority, team, SLA); a is
// the answer, given at answeredAt on an invitation decided at decidedAt. It returns the outcome and
// the id of the ticket that holds the answer. Both writes check the erasure rule in their
// transaction: an answer whose invitation was decided at or before the contact's erasure, or
// whose invitation is marked erased, is TicketErased, whenever the answer was given.
func (s *Store) OpenAnswerTicket(ctx context.Context, draft ticket.Ticket, a ticket.Answer, answeredAt, decidedAt time.Time) (string, string, error) {
	hk := AnswerHistoryKey(a.InvitationID, answeredAt)
	fence, err := s.erasureChecks(draft.ContactID, a.InvitationID, decidedAt)
	if err != nil {
		return "", "", err
	}
	draft.Answers = []ticket.Answer{a}
	rec := newTicket(draft, hk)
	rec.AnswerIDs = []string{a.InvitationID}
	put, err := s.txPut(txTicket, rec, absent())
	if err != nil {
		return "", "", fmt.Errorf("encode ticket %s: %w", draft.ID, err)
	}
	lock, err := s.txPut(txOpenLock, openLock{PK: openTicketPK(draft.Survey, draft.ContactID), SK: skOpen, Kind: KindOpenTicket, TicketID: draft.ID}, absent())
	if err != nil {
		return "", "", err
	}
	items := append([]txItem{put, lock}, append(s.addressIndex(draft), fence...)...)
	for attempt := 0; attempt < 3; attempt++ {
		failed, err := s.transact(ctx, items...)
		switch {
		case err == nil:
			return TicketCreated, draft.ID, nil
		case failed == nil:
			return "", "", fmt.Errorf("open ticket %s: %w", draft.ID, err)
		case failed.refused(txErasedContact, txErasedInvitation):
			return TicketErased, "", nil
		case failed.refused(txTicket): // this answer's own ticket exists, or its reference to the one it joined
			owner, err := s.answerHolder(ctx, draft.ID)
			if err != nil {
				return "", "", fmt.Errorf("holder of answer %s: %w", a.InvitationID, err)
			}
			return s.noteKnownAnswer(ctx, owner, hk, a)
		case failed.refused(txOpenLock): // the contact has an open ticket: attach
			owner, err := s.lockHolder(ctx, key(openTicketPK(draft.Survey, draft.ContactID), skOpen))
			if errors.Is(err, ErrNotFound) {
				continue // released in between: try to open again
			}
			if err != nil {
				return "", "", fmt.Errorf("read open-ticket lock: %w", err)
			}
			outcome, err := s.attach(ctx, owner, draft.ID, hk, a, fence)
			if errors.Is(err, ErrNotFound) {
				continue // the owner stopped holding the lock in between
			}
			if errors.Is(err, ErrErased) {
				return TicketErased, "", nil
			}
			return outcome, owner, err
		default:
			return "", "", fmt.Errorf("open ticket %s: %w", draft.ID, err)
		}
	}
	return "", "", fmt.Errorf("open ticket %s: the contact's open ticket kept changing: %w", draft.ID, ErrConflict)
}

// noteKnownAnswer adds an "edited" entry when a known answer comes back with a new version.
func (s *Store) noteKnownAnswer(ctx context.Context, id, hk string, a ticket.Answer) (string, string, error) {
	if _, err := s.AddTicketEvent(ctx, id, hk, ticket.Edited(a)); err != nil {
		return "", "", err
	}
	return TicketKnown, id, nil
}

// lockHolder reads the ticket id an open-ticket lock or an older ATTACHED marker at k names
// (strongly consistent); ErrNotFound when there is none.
func (s *Store) lockHolder(ctx context.Context, k map[string]types.AttributeValue) (string, error) {
	var l openLock
	found, err := s.getItem(ctx, k, true, &l)
	if err == nil && !found {
		err = ErrNotFound
	}
	return l.TicketID, err
}

// answerHolder returns the id of the ticket that holds the answer whose own ticket id is own: own
// itself, the ticket its reference names, or, for an answer attached before references, the one
// its ATTACHED marker names; ErrNotFound when there is none.
func (s *Store) answerHolder(ctx context.Context, own string) (string, error) {
	var head openLock
	found, err := s.getItem(ctx, key(ticketPK(own), skTicket), true, &head)
	switch {
	case err != nil:
		return "", err
	case found && head.Kind == kindTicketRef:
		return head.TicketID, nil
	case found:
		return own, nil
	}
	return s.lockHolder(ctx, key(ticketPK(own), attachedSK))
}

// attach adds answer a to the open ticket owner, once: the update is conditioned on the answer
// not being there yet and the ticket still being open, and the answer's reference (at its own
// ticket's key) is written in the same transaction, with the erasure checks fence. A repeat detractor raises the ticket's
// priority once.
func (s *Store) attach(ctx context.Context, owner, ownID, hk string, a ticket.Answer, fence []txItem) (string, error) {
	t, err := s.ticketRecord(ctx, owner)
	if err != nil {
		return "", err
	}
	if slices.Contains(t.AnswerIDs, a.InvitationID) {
		return TicketKnown, nil
	}
	if !t.Holds() {
		return "", ErrNotFound
	}
	ev, prio := t.Attach(a)
	upd := expression.Set(expression.Name("answers"), expression.ListAppend(expression.Name("answers"), expression.Value([]ticket.Answer{a}))).
		Set(expression.Name("history"), expression.ListAppend(expression.Name("history"), expression.Value([]ticket.Event{ev}))).
		Set(expression.Name("priority"), expression.Value(prio)).
		Set(expression.Name("repeat"), expression.Value(true)).
		Set(expression.Name("updatedAt"), expression.Value(s.Now())).
		Add(expression.Name("answerIds"), stringSet(a.InvitationID)).
		Add(expression.Name("historyKeys"), stringSet(hk))
	cond := expression.Name("status").In(expression.Value(ticket.StatusOpen), expression.Value(ticket.StatusAssigned)).
		And(expression.Not(expression.Contains(expression.Name("answerIds"), a.InvitationID)))
	change, err := s.txUpdate(txTicket, key(ticketPK(owner), skTicket), upd, cond)
	if err != nil {
		return "", err
	}
	marker, err := s.txPut(txAttached, openLock{PK: ticketPK(ownID), SK: skTicket, Kind: kindTicketRef, TicketID: owner}, absent())
	if err != nil {
		return "", err
	}
	failed, err := s.transact(ctx, append([]txItem{change, marker}, fence...)...)
	switch {
	case err == nil:
		return TicketAttached, nil
	case failed.refused(txErasedContact, txErasedInvitation):
		return "", ErrErased
	case failed.refused(txAttached):
		return TicketKnown, nil // a concurrent delivery attached it (or opened its own ticket)
	case failed.refused(txTicket):
		return "", ErrNotFound // no longer open (or attached concurrently: the retry finds it)
	}
	return "", fmt.Errorf("attach answer %s to %s: %w", a.InvitationID, owner, err)
}

// NoteAnswer adds entry ev (once per key hk) to the ticket holding the answer invitationID, if
// any. It reports whether a ticket holds the answer. An edit that lifts the score above the rule
// lands here: the ticket keeps its answer and gets a note, it is never deleted.
func (s *Store) NoteAnswer(ctx context.Context, invitationID, hk string, ev ticket.Event) (string, error) {
	own := ticket.AnswerID(invitationID)
	owner, err := s.answerHolder(ctx, own)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("holder of answer %s: %w", invitationID, err)
	}
	_, err = s.AddTicketEvent(ctx, owner, hk, ev)
	return owner, err
}

// OpenBreachTicket creates the aggregate ticket of a breach, once: a redelivered breach finds its
// ticket and reports created=false.
func (s *Store) OpenBreachTicket(ctx context.Context, draft ticket.Ticket) (bool, error) {
	created, err := s.putItem(ctx, newTicket(draft, ""), absent())
	if err != nil {
		return false, fmt.Errorf("open breach ticket %s: %w", draft.ID, err)
	}
	return created, nil
}

// GetTicket reads a ticket, strongly consistent; ErrNotFound for an unknown id.
func (s *Store) GetTicket(ctx context.Context, id string) (*ticket.Ticket, error) {
	r, err := s.ticketRecord(ctx, id)
	if err != nil {
		return nil, err
	}
	return &r.Ticket, nil
}

func (s *Store) ticketRecord(ctx context.Context, id string) (*ticketRecord, error) {
	var r ticketRecord
	found, err := s.getItem(ctx, key(ticketPK(id), skTicket), true, &r)
	if err != nil {
		return nil, fmt.Errorf("get ticket %s: %w", id, err)
	}
	if !found || r.Kind != KindTicket { // an attached answer's reference is no ticket
		return nil, fmt.Errorf("ticket %s: %w", id, ErrNotFound)
	}
	r.expand()
	return &r, nil
}

// AddTicketEvent appends ev to a ticket's history. With a non-empty key hk the entry is added
// at most once (stream redeliveries); it reports whether it was added.
func (s *Store) AddTicketEvent(ctx context.Context, id, hk string, ev ticket.Event) (bool, error) {
	upd := expression.Set(expression.Name("history"), expression.ListAppend(expression.Name("history"), expression.Value([]ticket.Event{ev}))).
		Set(expression.Name("updatedAt"), expression.Value(s.Now()))
	cond := present()
	if hk != "" {
		upd = upd.Add(expression.Name("historyKeys"), stringSet(hk))
		cond = cond.And(expression.Not(expression.Contains(expression.Name("historyKeys"), hk)))
	}
	added, err := s.updateItem(ctx, key(ticketPK(id), skTicket), upd, cond)
	if err != nil {
		return false, fmt.Errorf("add to ticket %s: %w", id, err)
	}
	return added, nil
}

func stringSet(v ...string) expression.ValueBuilder {
	return expression.Value(&types.AttributeValueMemberSS{Value: v})
}
