package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

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
// contact id, or the search; never an address or a name) and when. It expires after the
// retention given when it is recorded (DynamoDB TTL).
type AuditEntry struct {
	PK      string    `dynamodbav:"PK" json:"-"`
	SK      string    `dynamodbav:"SK" json:"-"`
	Kind    string    `dynamodbav:"kind" json:"-"`
	Person  string    `dynamodbav:"person" json:"person"`
	Role    string    `dynamodbav:"role" json:"role"`
	Token   string    `dynamodbav:"token,omitempty" json:"token,omitempty"`
	Action  string    `dynamodbav:"action" json:"action"`
	Subject string    `dynamodbav:"subject,omitempty" json:"subject,omitempty"`
	Count   int       `dynamodbav:"count,omitempty" json:"count,omitempty"`
	At      time.Time `dynamodbav:"at" json:"at"`
	TTL     int64     `dynamodbav:"ttl,omitempty" json:"-"`
}

// RecordAudit writes one audit entry under its person (one write unit). Callers record before
// they answer, and refuse to answer when this fails: no read goes unrecorded.
func (s *Store) RecordAudit(ctx context.Context, e AuditEntry, retention time.Duration) error {
	if e.Person == "" || e.Action == "" {
		return fmt.Errorf("audit entry needs a person and an action: %+v", e)
	}
	e.At = s.Now().UTC()
	suffix := make([]byte, 4)
	if _, err := rand.Read(suffix); err != nil {
		return err
	}
	e.PK, e.SK, e.Kind = auditPK(NameKey(e.Person)), FormatTime(e.At)+"#"+hex.EncodeToString(suffix), KindAudit
	if retention > 0 {
		e.TTL = e.At.Add(retention).Unix()
	}
	item, err := attributevalue.MarshalMap(e)
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item}); err != nil {
		return fmt.Errorf("record audit %s by %s: %w", e.Action, e.Person, err)
	}
	return nil
}

// AuditTrail returns what person did, newest first, at most limit entries.
func (s *Store) AuditTrail(ctx context.Context, person string, limit int) ([]AuditEntry, error) {
	e, err := expression.NewBuilder().WithKeyCondition(expression.Key("PK").Equal(expression.Value(auditPK(NameKey(person))))).Build()
	if err != nil {
		return nil, err
	}
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(s.Table), KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(limit))})
	if err != nil {
		return nil, fmt.Errorf("audit trail of %s: %w", person, err)
	}
	var list []AuditEntry
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &list); err != nil {
		return nil, err
	}
	return list, nil
}
