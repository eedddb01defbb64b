package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// HistoryEntry is one thing that happened with a contact, as the contact index (GSI1) projects
// it: a decision about a touchpoint (invited or why not) or a ticket. Answers are read from the
// invitation itself (Invitation), since the index does not carry them.
type HistoryEntry struct {
	PK         string    `dynamodbav:"PK"`
	GSI1SK     string    `dynamodbav:"GSI1SK"`
	Kind       string    `dynamodbav:"kind"`
	EventID    string    `dynamodbav:"eventId"`
	Outcome    string    `dynamodbav:"outcome"`
	Detail     string    `dynamodbav:"detail"`
	Survey     string    `dynamodbav:"survey"`
	Touchpoint string    `dynamodbav:"touchpoint"`
	OccurredAt time.Time `dynamodbav:"occurredAt"`

	Invitation *Invitation `dynamodbav:"-"` // an invited decision's invitation, read by key
}

// TicketID is the id of a ticket entry ("" for a decision).
func (e HistoryEntry) TicketID() string {
	if e.Kind != KindTicket {
		return ""
	}
	return strings.TrimPrefix(e.PK, ticketPK(""))
}

// At is when the entry happened: the touchpoint's time, or the ticket's opening.
func (e HistoryEntry) At() time.Time {
	if e.Kind == KindTicket {
		if t, err := time.Parse(TimeKey, strings.TrimPrefix(e.GSI1SK, "TICKET#")); err == nil {
			return t
		}
	}
	return e.OccurredAt
}

// ContactHistory lists a contact's decisions and tickets, newest first, at most limit of them, from
// one query of the contact index; each invited decision's invitation (sends, answer) is then read
// by key, so the page costs one query and up to limit reads.
func (s *Store) ContactHistory(ctx context.Context, contactID string, limit int32) ([]HistoryEntry, error) {
	kc := expression.Key("GSI1PK").Equal(expression.Value(contactPK(contactID)))
	ex, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, err
	}
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(s.Table), IndexName: aws.String(IndexContact),
		KeyConditionExpression: ex.KeyCondition(), ExpressionAttributeNames: ex.Names(), ExpressionAttributeValues: ex.Values(),
		ScanIndexForward: aws.Bool(false), Limit: aws.Int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("history of contact %s: %w", contactID, err)
	}
	var all, es []HistoryEntry
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &all); err != nil {
		return nil, err
	}
	for _, e := range all {
		switch {
		case e.Kind == KindTicket:
		case strings.HasPrefix(e.GSI1SK, "DEC#"):
			if e.Kind == KindInvitation {
				inv, err := s.GetInvitation(ctx, strings.TrimPrefix(e.PK, eventPK("")))
				if err != nil {
					return nil, fmt.Errorf("history of contact %s: %w", contactID, err)
				}
				e.Invitation = inv
			}
		default:
			continue // the contact's other items (state, locks) are not events
		}
		es = append(es, e)
	}
	return es, nil
}
