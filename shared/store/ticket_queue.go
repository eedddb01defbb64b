package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/ticket"
)

// ListTickets returns the queue of one status (default: open and assigned), soonest SLA first,
// optionally only one team's, at most limit tickets per status.
func (s *Store) ListTickets(ctx context.Context, status, team string, limit int) ([]ticket.Ticket, error) {
	statuses := []string{ticket.StatusOpen, ticket.StatusAssigned}
	if status != "" {
		statuses = []string{status}
	}
	var all []ticket.Ticket
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
// been escalated yet, or whose escalation has no notification recorded (it could not start).
func (s *Store) OverdueTickets(ctx context.Context, now time.Time) ([]ticket.Ticket, error) {
	var all []ticket.Ticket
	for _, st := range []string{ticket.StatusOpen, ticket.StatusAssigned} {
		kc := expression.Key("GSI2PK").Equal(expression.Value(ticketQueuePK(st))).
			And(expression.Key("GSI2SK").LessThan(expression.Value(FormatTime(now))))
		b := expression.NewBuilder().WithKeyCondition(kc).WithFilter(expression.AttributeNotExists(expression.Name("escalatedAt")).
			Or(expression.AttributeNotExists(expression.Name("notifications.escalation"))))
		ts, err := s.queryTickets(ctx, b, 0)
		if err != nil {
			return nil, fmt.Errorf("overdue %s tickets: %w", st, err)
		}
		all = append(all, ts...)
	}
	return all, nil
}

func (s *Store) queryTickets(ctx context.Context, b expression.Builder, limit int) ([]ticket.Ticket, error) {
	e, err := b.Build()
	if err != nil {
		return nil, err
	}
	in := &dynamodb.QueryInput{TableName: aws.String(s.Table), IndexName: aws.String(IndexQueue),
		KeyConditionExpression: e.KeyCondition(), FilterExpression: e.Filter(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}
	var out []ticket.Ticket
	p := dynamodb.NewQueryPaginator(s.DB, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		var recs []ticketRecord
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &recs); err != nil {
			return nil, err
		}
		out = append(out, tickets(recs)...)
		if limit > 0 && len(out) >= limit {
			return out[:limit], nil
		}
	}
	return out, nil
}

// QueueFilter narrows the ticket queue. Status picks the GSI2 partition(s) read (default: open,
// then assigned); the other fields are filters on what those reads return, so they save no reads.
type QueueFilter struct {
	Status, Team, Assignee, Survey, Priority string
	// Theme keeps the tickets tagged with a declared theme (Ticket.Themes).
	Theme string
}

// String writes f as a query string ("status=open&team=support"), as audit entries keep it.
func (f QueueFilter) String() string {
	q := url.Values{}
	for k, v := range map[string]string{"status": f.Status, "team": f.Team, "assignee": f.Assignee, "survey": f.Survey, "priority": f.Priority, "theme": f.Theme} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q.Encode()
}

// QueuePage is one page of the queue and the cursor of the next ("" when there is none).
type QueuePage struct {
	Tickets []ticket.Ticket
	Next    string
}

// ErrBadCursor reports a queue cursor this store did not hand out.
var ErrBadCursor = errors.New("bad queue cursor")

// queueCursor is where the next page starts: the status partition and the last ticket's keys.
type queueCursor struct {
	Status int               `json:"s"`
	Key    map[string]string `json:"k"`
}

// TicketQueue returns up to limit tickets of the queue matching f, soonest SLA first within each
// status, starting after cursor (""= the start). There is no cap on how far the cursor goes.
func (s *Store) TicketQueue(ctx context.Context, f QueueFilter, limit int, cursor string) (QueuePage, error) {
	statuses := []string{ticket.StatusOpen, ticket.StatusAssigned}
	if f.Status != "" {
		statuses = []string{f.Status}
	}
	var cur queueCursor
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || json.Unmarshal(raw, &cur) != nil || cur.Status < 0 || cur.Status >= len(statuses) || len(cur.Key) != 4 {
			return QueuePage{}, ErrBadCursor
		}
	}
	var page QueuePage
	for si := cur.Status; si < len(statuses); si++ {
		b := expression.NewBuilder().WithKeyCondition(expression.Key("GSI2PK").Equal(expression.Value(ticketQueuePK(statuses[si]))))
		if cond, ok := queueFilter(f); ok {
			b = b.WithFilter(cond)
		}
		e, err := b.Build()
		if err != nil {
			return QueuePage{}, err
		}
		var start map[string]types.AttributeValue
		if si == cur.Status && cur.Key != nil {
			if start, err = attributevalue.MarshalMap(cur.Key); err != nil {
				return QueuePage{}, ErrBadCursor
			}
		}
		for {
			out, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(s.Table), IndexName: aws.String(IndexQueue),
				KeyConditionExpression: e.KeyCondition(), FilterExpression: e.Filter(), ExpressionAttributeNames: e.Names(),
				ExpressionAttributeValues: e.Values(), ExclusiveStartKey: start, Limit: aws.Int32(int32(limit - len(page.Tickets)))})
			if err != nil {
				return QueuePage{}, fmt.Errorf("queue of %s tickets: %w", statuses[si], err)
			}
			var recs []ticketRecord
			if err := attributevalue.UnmarshalListOfMaps(out.Items, &recs); err != nil {
				return QueuePage{}, err
			}
			page.Tickets = append(page.Tickets, tickets(recs)...)
			if len(page.Tickets) >= limit {
				more := out.LastEvaluatedKey != nil || si+1 < len(statuses)
				if more && len(recs) > 0 {
					last := recs[len(recs)-1]
					raw, _ := json.Marshal(queueCursor{Status: si, Key: map[string]string{"PK": last.PK, "SK": last.SK, "GSI2PK": last.GSI2PK, "GSI2SK": last.GSI2SK}})
					page.Next = base64.RawURLEncoding.EncodeToString(raw)
				}
				return page, nil
			}
			if out.LastEvaluatedKey == nil {
				break
			}
			start = out.LastEvaluatedKey
		}
	}
	return page, nil
}

// queueFilter is the filter expression of f's non-key fields, if any.
func queueFilter(f QueueFilter) (expression.ConditionBuilder, bool) {
	var conds []expression.ConditionBuilder
	for name, v := range map[string]string{"team": f.Team, "assignee": f.Assignee, "survey": f.Survey, "priority": f.Priority} {
		if v != "" {
			conds = append(conds, expression.Name(name).Equal(expression.Value(v)))
		}
	}
	if f.Theme != "" {
		conds = append(conds, expression.Contains(expression.Name("themes"), f.Theme))
	}
	switch len(conds) {
	case 0:
		return expression.ConditionBuilder{}, false
	case 1:
		return conds[0], true
	}
	return expression.And(conds[0], conds[1], conds[2:]...), true
}
