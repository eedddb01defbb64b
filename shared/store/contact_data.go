package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ContactExport is everything the table holds about one contact: its state item and every item
// on GSI1 under CONTACT#<id> (decisions, invitations with their answers, tickets), as stored.
type ContactExport struct {
	ContactID  string           `json:"contactId"`
	ExportedAt time.Time        `json:"exportedAt"`
	State      map[string]any   `json:"state,omitempty"`
	Records    []map[string]any `json:"records"`
}

// ExportContact reads everything about a contact. Index-only attributes (keys) are left out.
func (s *Store) ExportContact(ctx context.Context, contactID string) (*ContactExport, error) {
	x := &ContactExport{ContactID: contactID, ExportedAt: s.Now(), Records: []map[string]any{}}
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table),
		Key: key(contactPK(contactID), skState), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("export contact state: %w", err)
	}
	if out.Item != nil {
		if err := attributevalue.UnmarshalMap(out.Item, &x.State); err != nil {
			return nil, err
		}
		stripKeys(x.State)
	}
	items, err := s.contactItems(ctx, contactID)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		var m map[string]any
		if err := attributevalue.UnmarshalMap(it, &m); err != nil {
			return nil, err
		}
		stripKeys(m)
		x.Records = append(x.Records, m)
	}
	return x, nil
}

func stripKeys(m map[string]any) {
	for _, k := range []string{"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK", "historyKeys", "notifyClaims"} {
		delete(m, k)
	}
}

func (s *Store) contactItems(ctx context.Context, contactID string) ([]map[string]types.AttributeValue, error) {
	e, err := expression.NewBuilder().WithKeyCondition(expression.Key("GSI1PK").Equal(expression.Value(contactPK(contactID)))).Build()
	if err != nil {
		return nil, err
	}
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{TableName: aws.String(s.Table), IndexName: aws.String(IndexContact),
		KeyConditionExpression: e.KeyCondition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	var keys []map[string]types.AttributeValue
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query contact %s: %w", contactID, err)
		}
		for _, it := range page.Items {
			keys = append(keys, map[string]types.AttributeValue{"PK": it["PK"], "SK": it["SK"]})
		}
	}
	// GSI1 projects only what never changes (template.yaml): the whole items come from the table.
	return s.batchGet(ctx, keys, true)
}

// Erased counts what EraseContact changed.
type Erased struct {
	Invitations int `json:"invitations"` // decisions and invitations
	Tickets     int `json:"tickets"`
}

// personal are the attributes that identify or quote a person: removed on erase.
var personal = []string{"email", "name", "comment", "eventId"}

// EraseContact removes the personal fields of everything about a contact: the address on its state
// item; email, name, comment
// (and the producer's event id) of its decisions and invitations, which also stop (nothing more
// is sent, the due index entry goes); email, name, comments and note texts of its tickets. Scores
// are untouched: answers keep their score values and histograms keep their counts. Suppression
// items (keyed by address) stay so an opted-out address stays opted out.
func (s *Store) EraseContact(ctx context.Context, contactID string) (*Erased, error) {
	items, err := s.contactItems(ctx, contactID)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table),
			Key: key(contactPK(contactID), skState), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return nil, fmt.Errorf("erase contact state: %w", err)
		}
		if out.Item == nil {
			return nil, ErrNotFound // the table knows nothing of this contact
		}
	}
	now := s.Now()
	var n Erased
	// The contact's state item keeps quiet periods and unsubscription (no counts, no answers) and
	// the last address it was invited at: that goes.
	st := expression.Set(expression.Name("erasedAt"), expression.Value(now))
	for _, a := range personal {
		st = st.Remove(expression.Name(a))
	}
	if err := s.eraseItem(ctx, contactPK(contactID), skState, st); err != nil {
		return nil, err
	}
	for _, it := range items {
		var head struct {
			PK      string `dynamodbav:"PK"`
			SK      string `dynamodbav:"SK"`
			Kind    string `dynamodbav:"kind"`
			Stopped string `dynamodbav:"stopped"`
		}
		if err := attributevalue.UnmarshalMap(it, &head); err != nil {
			return nil, err
		}
		pk, sk := head.PK, head.SK
		var upd expression.UpdateBuilder
		switch head.Kind {
		case KindTicket:
			var t Ticket
			if err := attributevalue.UnmarshalMap(it, &t); err != nil {
				return nil, err
			}
			upd = eraseTicket(&t, now)
			n.Tickets++
		case KindInvitation, KindDecision:
			upd = expression.Set(expression.Name("erasedAt"), expression.Value(now)).
				Remove(expression.Name("GSI2PK")).Remove(expression.Name("GSI2SK"))
			if head.Kind == KindInvitation && head.Stopped == "" {
				upd = upd.Set(expression.Name("stopped"), expression.Value(StopErased))
			}
			n.Invitations++
		default:
			continue
		}
		for _, a := range personal {
			upd = upd.Remove(expression.Name(a))
		}
		if err := s.eraseItem(ctx, pk, sk, upd); err != nil {
			return nil, err
		}
	}
	return &n, nil
}

// eraseItem applies upd to an item that exists; an item gone meanwhile (TTL) is fine.
func (s *Store) eraseItem(ctx context.Context, pk, sk string, upd expression.UpdateBuilder) error {
	e, err := expression.NewBuilder().WithUpdate(upd).WithCondition(expression.AttributeExists(expression.Name("PK"))).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: key(pk, sk),
		UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("erase %s: %w", pk, err)
	}
	return nil
}

// eraseTicket rewrites a ticket's attached answers without comments and its history without
// free text, keeping who did what when.
func eraseTicket(t *Ticket, now time.Time) expression.UpdateBuilder {
	answers := make([]TicketAnswer, len(t.Answers))
	for i, a := range t.Answers {
		a.Comment = ""
		answers[i] = a
	}
	history := make([]TicketEvent, 0, len(t.History)+1)
	for _, ev := range t.History {
		if ev.Action == "note" || ev.Action == "edited" {
			ev.Text = "[erased]"
		}
		history = append(history, ev)
	}
	history = append(history, TicketEvent{At: now, Actor: "privacy", Action: "erased", Text: "personal fields of the contact erased"})
	return expression.Set(expression.Name("answers"), expression.Value(answers)).
		Set(expression.Name("history"), expression.Value(history)).
		Set(expression.Name("erasedAt"), expression.Value(now))
}
