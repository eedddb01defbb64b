package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/ticket"
)

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
	Tickets []Ticket
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
			var ts []Ticket
			if err := attributevalue.UnmarshalListOfMaps(out.Items, &ts); err != nil {
				return QueuePage{}, err
			}
			page.Tickets = append(page.Tickets, ts...)
			if len(page.Tickets) >= limit {
				last := page.Tickets[len(page.Tickets)-1]
				more := out.LastEvaluatedKey != nil || si+1 < len(statuses)
				if more {
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
