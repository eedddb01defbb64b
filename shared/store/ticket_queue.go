package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/ticket"
)

// ErrReopenBlocked means a ticket cannot reopen: its contact already has another open ticket
// for the survey.
var ErrReopenBlocked = errors.New("the contact has another open ticket for this survey")

// ListTickets returns the queue of one status (default: open and assigned), soonest SLA first,
// optionally only one team's, at most limit tickets per status.
func (s *Store) ListTickets(ctx context.Context, status, team string, limit int) ([]Ticket, error) {
	statuses := []string{ticket.StatusOpen, ticket.StatusAssigned}
	if status != "" {
		statuses = []string{status}
	}
	var all []Ticket
	for _, st := range statuses {
		kc := expression.Key("GSI2PK").Equal(expression.Value(ticketQueuePK(st)))
		b := expression.NewBuilder().WithKeyCondition(kc)
		if team != "" {
			b = b.WithFilter(expression.Name("team").Equal(expression.Value(team)))
		}
		ts, err := s.queryTickets(ctx, b, limit)
		if err != nil {
			return nil, fmt.Errorf("list %s tickets: %w", st, err)
		}
		all = append(all, ts...)
	}
	return all, nil
}

// PriorTickets counts the contact's tickets for survey (any status): a contact with earlier
// tickets is a repeat detractor. One query on the contact's partition of GSI1.
func (s *Store) PriorTickets(ctx context.Context, contactID, survey string) (int, error) {
	e, err := expression.NewBuilder().
		WithKeyCondition(expression.Key("GSI1PK").Equal(expression.Value(contactPK(contactID))).
			And(expression.Key("GSI1SK").BeginsWith("TICKET#"))).
		WithFilter(expression.Name("survey").Equal(expression.Value(survey))).Build()
	if err != nil {
		return 0, err
	}
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{TableName: aws.String(s.Table), IndexName: aws.String(IndexContact),
		KeyConditionExpression: e.KeyCondition(), FilterExpression: e.Filter(), Select: types.SelectCount,
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("prior tickets of %s: %w", contactID, err)
		}
		n += int(page.Count)
	}
	return n, nil
}

// OverdueTickets returns open and assigned tickets whose SLA is due before now and which have not
// been escalated yet.
func (s *Store) OverdueTickets(ctx context.Context, now time.Time) ([]Ticket, error) {
	var all []Ticket
	for _, st := range []string{ticket.StatusOpen, ticket.StatusAssigned} {
		kc := expression.Key("GSI2PK").Equal(expression.Value(ticketQueuePK(st))).
			And(expression.Key("GSI2SK").LessThan(expression.Value(FormatTime(now))))
		b := expression.NewBuilder().WithKeyCondition(kc).WithFilter(expression.AttributeNotExists(expression.Name("escalatedAt")))
		ts, err := s.queryTickets(ctx, b, 0)
		if err != nil {
			return nil, fmt.Errorf("overdue %s tickets: %w", st, err)
		}
		all = append(all, ts...)
	}
	return all, nil
}

func (s *Store) queryTickets(ctx context.Context, b expression.Builder, limit int) ([]Ticket, error) {
	e, err := b.Build()
	if err != nil {
		return nil, err
	}
	in := &dynamodb.QueryInput{TableName: aws.String(s.Table), IndexName: aws.String(IndexQueue),
		KeyConditionExpression: e.KeyCondition(), FilterExpression: e.Filter(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}
	var out []Ticket
	p := dynamodb.NewQueryPaginator(s.DB, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		var ts []Ticket
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &ts); err != nil {
			return nil, err
		}
		out = append(out, ts...)
		if limit > 0 && len(out) >= limit {
			return out[:limit], nil
		}
	}
	return out, nil
}

// Change is what an agent does to a ticket: a status, an assignee, a note (each optional).
type Change struct {
	Actor    string
	Status   string  // "" keeps the status
	Assignee *string // nil keeps the assignee, "" unassigns
	Note     string
	// Retention is how long a closed ticket is kept (its TTL is set on close); 0 keeps it forever.
	Retention time.Duration
}

// UpdateTicket applies c to ticket id, conditioned on the status it was read in (two agents at
// once: one wins, the other gets ErrConflict). Leaving open/assigned releases the contact's
// open-ticket lock in the same transaction; reopening takes it again (ErrReopenBlocked if another
// ticket holds it). A status change the lifecycle refuses is ticket.ErrTransition.
func (s *Store) UpdateTicket(ctx context.Context, id string, c Change) (*Ticket, error) {
	t, err := s.GetTicket(ctx, id)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	var evs []TicketEvent
	upd := expression.Set(expression.Name("updatedAt"), expression.Value(now))
	if c.Assignee != nil && *c.Assignee != t.Assignee {
		if *c.Assignee == "" {
			upd = upd.Remove(expression.Name("assignee"))
			evs = append(evs, TicketEvent{At: now, Actor: c.Actor, Action: "assigned", Text: "unassigned"})
		} else {
			upd = upd.Set(expression.Name("assignee"), expression.Value(*c.Assignee))
			evs = append(evs, TicketEvent{At: now, Actor: c.Actor, Action: "assigned", Text: "assigned to " + *c.Assignee})
		}
	}
	status := t.Status
	if c.Status != "" {
		if err := ticket.Transition(t.Status, c.Status); err != nil {
			return nil, err
		}
		status = c.Status
		upd = upd.Set(expression.Name("status"), expression.Value(status)).
			Set(expression.Name("GSI2PK"), expression.Value(ticketQueuePK(status)))
		switch status {
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
		evs = append(evs, TicketEvent{At: now, Actor: c.Actor, Action: "status", Text: t.Status + " -> " + status})
	}
	if c.Note != "" {
		evs = append(evs, TicketEvent{At: now, Actor: c.Actor, Action: "note", Text: c.Note})
	}
	if len(evs) == 0 {
		return t, nil
	}
	upd = upd.Set(expression.Name("history"), expression.ListAppend(expression.Name("history"), expression.Value(evs)))
	e, err := expression.NewBuilder().WithUpdate(upd).
		WithCondition(expression.Name("status").Equal(expression.Value(t.Status))).Build()
	if err != nil {
		return nil, err
	}
	items := []txItem{{txTicket, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: key(ticketPK(id), skTicket),
		UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}}}}
	next := *t
	next.Status = status
	lockKey := key(openTicketPK(t.Survey, t.ContactID), skOpen)
	switch {
	case t.Holds() && !next.Holds(): // release the lock, only if it is ours
		le, err := expression.NewBuilder().WithCondition(expression.Name("ticketId").Equal(expression.Value(id))).Build()
		if err != nil {
			return nil, err
		}
		items = append(items, txItem{txOpenLock, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Table), Key: lockKey,
			ConditionExpression: le.Condition(), ExpressionAttributeNames: le.Names(), ExpressionAttributeValues: le.Values()}}})
	case !t.Holds() && next.Holds(): // reopen: take the lock again
		lock, err := attributevalue.MarshalMap(OpenLock{PK: openTicketPK(t.Survey, t.ContactID), SK: skOpen, Kind: KindOpenTicket, TicketID: id})
		if err != nil {
			return nil, err
		}
		le, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name("PK"))).Build()
		if err != nil {
			return nil, err
		}
		items = append(items, txItem{txOpenLock, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: lock,
			ConditionExpression: le.Condition(), ExpressionAttributeNames: le.Names()}}})
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
func (s *Store) Escalate(ctx context.Context, t *Ticket) (bool, error) {
	now := s.Now()
	prio := ticket.Raise(t.Priority)
	ev := TicketEvent{At: now, Actor: "sla", Action: "escalated",
		Text: fmt.Sprintf("SLA due %s passed; priority %s -> %s", FormatTime(t.SLADue), t.Priority, prio)}
	upd := expression.Set(expression.Name("escalatedAt"), expression.Value(now)).
		Set(expression.Name("priority"), expression.Value(prio)).
		Set(expression.Name("updatedAt"), expression.Value(now)).
		Set(expression.Name("history"), expression.ListAppend(expression.Name("history"), expression.Value([]TicketEvent{ev})))
	cond := expression.AttributeNotExists(expression.Name("escalatedAt")).
		And(expression.Name("status").In(expression.Value(ticket.StatusOpen), expression.Value(ticket.StatusAssigned)))
	e, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return false, err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: key(ticketPK(t.ID), skTicket),
		UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("escalate ticket %s: %w", t.ID, err)
	}
	t.Priority, t.Escalated = prio, &now
	return true, nil
}

// ClaimNotification claims notification kind ("new", "escalation", "closeloop") of a ticket for
// the caller, once: of two concurrent invocations only one sends.
func (s *Store) ClaimNotification(ctx context.Context, id, kind string) (bool, error) {
	e, err := expression.NewBuilder().
		WithUpdate(expression.Add(expression.Name("notifyClaims"), stringSet(kind))).
		WithCondition(expression.AttributeExists(expression.Name("PK")).
			And(expression.Not(expression.Contains(expression.Name("notifyClaims"), kind)))).Build()
	if err != nil {
		return false, err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: key(ticketPK(id), skTicket),
		UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim %s notification of %s: %w", kind, id, err)
	}
	return true, nil
}

// RecordDelivery stores the outcome of notification kind on the ticket.
func (s *Store) RecordDelivery(ctx context.Context, id, kind string, d Delivery) error {
	upd := expression.Set(expression.Name("notifications").AppendName(expression.Name(kind)), expression.Value(d))
	if kind == "closeloop" && d.Email == "sent" {
		upd = upd.Set(expression.Name("closeLoopSentAt"), expression.Value(d.At))
	}
	e, err := expression.NewBuilder().WithUpdate(upd).WithCondition(expression.AttributeExists(expression.Name("PK"))).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: key(ticketPK(id), skTicket),
		UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	if err != nil {
		return fmt.Errorf("record %s delivery of %s: %w", kind, id, err)
	}
	return nil
}
