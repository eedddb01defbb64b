package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/cxloop/cxloop/shared/ticket"
)

// ErrReopenBlocked means a ticket cannot reopen: its contact already has another open ticket
// for the survey.
var ErrReopenBlocked = errors.New("the contact has another open ticket for this survey")

// UpdateTicket applies c to ticket id, conditioned on the status it was read in (two agents at
// once: one wins, the other gets ErrConflict). Leaving open/assigned releases the contact's
// open-ticket lock in the same transaction; reopening takes it again (ErrReopenBlocked if another
// ticket holds it). A status change the lifecycle refuses is ticket.ErrTransition.
func (s *Store) UpdateTicket(ctx context.Context, id string, c ticket.Change) (*ticket.Ticket, error) {
	t, err := s.GetTicket(ctx, id)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	eff, err := t.Apply(c, now)
	if err != nil {
		return nil, err
	}
	if len(eff.Events) == 0 {
		return t, nil
	}
	upd := expression.Set(expression.Name("updatedAt"), expression.Value(now))
	switch {
	case eff.Assignee == nil:
	case *eff.Assignee == "":
		upd = upd.Remove(expression.Name("assignee"))
	default:
		upd = upd.Set(expression.Name("assignee"), expression.Value(*eff.Assignee))
	}
	if c.Status != "" {
		upd = upd.Set(expression.Name("status"), expression.Value(eff.Status)).
			Set(expression.Name("GSI2PK"), expression.Value(ticketQueuePK(eff.Status)))
		switch eff.Status {
		case ticket.StatusResolved:
			upd = upd.Set(expression.Name("resolvedAt"), expression.Value(now))
		case ticket.StatusClosed:
			upd = upd.Set(expression.Name("closedAt"), expression.Value(now))
			if c.Retention > 0 {
				upd = upd.Set(expression.Name("ttl"), expression.Value(now.Add(c.Retention).Unix()))
			}
		case ticket.StatusOpen:
			upd = upd.Remove(expression.Name("resolvedAt"))
		}
	}
	upd = upd.Set(expression.Name("history"), expression.ListAppend(expression.Name("history"), expression.Value(eff.Events)))
	change, err := s.txUpdate(txTicket, key(ticketPK(id), skTicket), upd, expression.Name("status").Equal(expression.Value(t.Status)))
	if err != nil {
		return nil, err
	}
	items := []txItem{change}
	next := *t
	next.Status = eff.Status
	lockKey := key(openTicketPK(t.Survey, t.ContactID), skOpen)
	var lock txItem
	switch {
	case t.Holds() && !next.Holds(): // release the lock, only if it is ours
		lock, err = s.txDelete(txOpenLock, lockKey, expression.Name("ticketId").Equal(expression.Value(id)))
	case !t.Holds() && next.Holds(): // reopen: take the lock again
		lock, err = s.txPut(txOpenLock, openLock{PK: openTicketPK(t.Survey, t.ContactID), SK: skOpen, Kind: KindOpenTicket, TicketID: id}, absent())
	}
	if err != nil {
		return nil, err
	}
	if lock.name != "" {
		items = append(items, lock)
	}
	if failed, err := s.transact(ctx, items...); err != nil {
		switch {
		case failed.refused(txTicket):
			return nil, fmt.Errorf("ticket %s changed meanwhile: %w", id, ErrConflict)
		case failed.refused(txOpenLock) && next.Holds():
			return nil, fmt.Errorf("reopen ticket %s: %w", id, ErrReopenBlocked)
		}
		return nil, fmt.Errorf("update ticket %s: %w", id, err)
	}
	return s.GetTicket(ctx, id)
}

// Escalate raises an overdue ticket's priority one level and marks it escalated, once: the update
// is conditioned on it not being escalated yet and still open or assigned. It reports whether this
// call escalated it (the caller then notifies).
func (s *Store) Escalate(ctx context.Context, t *ticket.Ticket) (bool, error) {
	now := s.Now()
	ev, prio := t.Escalation(now)
	upd := expression.Set(expression.Name("escalatedAt"), expression.Value(now)).
		Set(expression.Name("priority"), expression.Value(prio)).
		Set(expression.Name("updatedAt"), expression.Value(now)).
		Set(expression.Name("history"), expression.ListAppend(expression.Name("history"), expression.Value([]ticket.Event{ev})))
	cond := expression.AttributeNotExists(expression.Name("escalatedAt")).
		And(expression.Name("status").In(expression.Value(ticket.StatusOpen), expression.Value(ticket.StatusAssigned)))
	// The SDK retries a write whose answer was lost: the retry of an applied escalation fails its
	// condition, and the escalation stamp it finds, ours to the nanosecond, tells it the
	// escalation is this call's (its notification must not be lost).
	var old struct {
		EscalatedAt *time.Time `dynamodbav:"escalatedAt"`
	}
	ok, err := s.updateItemOr(ctx, key(ticketPK(t.ID), skTicket), upd, cond, &old)
	if err != nil {
		return false, fmt.Errorf("escalate ticket %s: %w", t.ID, err)
	}
	ok = ok || (old.EscalatedAt != nil && old.EscalatedAt.Equal(now))
	if ok {
		t.Priority, t.Escalated = prio, &now
	}
	return ok, nil
}

// notifyClaim is the item that claims one notification of a ticket for one sender,
// TICKET#<id> / NOTIFY#<kind>, put once. It is on no index, so the claim costs one write unit,
// where an update of the ticket also rewrote its queue copy (GSI2 projects everything). Tickets
// claimed before it hold their claims in the ticket's notifyClaims set (ticket.Ticket.Notified).
type notifyClaim struct {
	PK        string    `dynamodbav:"PK"`
	SK        string    `dynamodbav:"SK"`
	Kind      string    `dynamodbav:"kind"`
	ClaimedAt time.Time `dynamodbav:"claimedAt"`
	TTL       int64     `dynamodbav:"ttl"`
	// Holder is a random stamp of the claim's taker, so only it gives the claim back. Claims put
	// before it have none and are never given back.
	Holder string `dynamodbav:"holder,omitempty"`
}

// KindNotifyClaim is the kind of a notifyClaim item.
const KindNotifyClaim = "notifyclaim"

// notifyClaimRetention is how long a claim is kept: far longer than any redelivery of what could
// claim the same notification again (the 14-day failure queues), so it needs no cleanup when its
// ticket expires.
const notifyClaimRetention = 90 * 24 * time.Hour

// NotifyClaim is one caller's claim of a notification, which it may give back with
// ReleaseNotification while the notification's send has not started.
type NotifyClaim struct {
	TicketID string
	Kind     string
	Holder   string
	// HeldSince is, when the claim went to another caller, when that caller took it (zero for a
	// claim put before claims were stamped with their time).
	HeldSince time.Time
}

// ClaimNotification claims notification kind ("new", "escalation", "closeloop") of a ticket for
// the caller, once: of two concurrent invocations only one sends. The claim is returned even with
// an error, since its write may have landed with its answer lost: the caller can give it back.
func (s *Store) ClaimNotification(ctx context.Context, id, kind string) (NotifyClaim, bool, error) {
	c := NotifyClaim{TicketID: id, Kind: kind, Holder: rand.Text()}
	now := s.Now()
	// Absent, or already ours: the SDK's retry of a put whose answer was lost finds its own claim
	// and keeps it, where a bare absent() would read it as another caller's and lose the send.
	cond := absent().Or(expression.Name("holder").Equal(expression.Value(c.Holder)))
	var old notifyClaim
	ok, err := s.putItemOr(ctx, notifyClaim{PK: ticketPK(id), SK: notifySK(kind), Kind: KindNotifyClaim,
		ClaimedAt: now, TTL: now.Add(notifyClaimRetention).Unix(), Holder: c.Holder}, cond, &old)
	if err != nil {
		return c, false, fmt.Errorf("claim %s notification of %s: %w", kind, id, err)
	}
	if !ok {
		c.HeldSince = old.ClaimedAt
	}
	return c, ok, nil
}

// ReleaseNotification gives claim c back, so that the next try claims and sends the notification.
// Only the claim's own holder's item is deleted: another caller's claim, or none, is left as it
// is. Call it only when nothing of the notification may have been sent.
func (s *Store) ReleaseNotification(ctx context.Context, c NotifyClaim) error {
	_, err := s.deleteItem(ctx, key(ticketPK(c.TicketID), notifySK(c.Kind)), expression.Name("holder").Equal(expression.Value(c.Holder)))
	if err != nil {
		return fmt.Errorf("release %s notification of %s: %w", c.Kind, c.TicketID, err)
	}
	return nil
}

// RecordDelivery stores the outcome of notification kind on the ticket.
func (s *Store) RecordDelivery(ctx context.Context, id, kind string, d ticket.Delivery) error {
	upd := expression.Set(expression.Name("notifications").AppendName(expression.Name(kind)), expression.Value(d))
	if kind == "closeloop" && d.Email == "sent" {
		upd = upd.Set(expression.Name("closeLoopSentAt"), expression.Value(d.At))
	}
	ok, err := s.updateItem(ctx, key(ticketPK(id), skTicket), upd, present())
	if err == nil && !ok {
		err = ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("record %s delivery of %s: %w", kind, id, err)
	}
	return nil
}
