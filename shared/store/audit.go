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

	"github.com/cxloop/cxloop/shared/access"
)

// auditRecord is an audit entry's item, AUDIT#<name key> / <at>#<random>: a person's trail is
// one partition, newest last; DynamoDB's TTL deletes it at Expires.
type auditRecord struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Kind string `dynamodbav:"kind"`
	access.AuditEntry
}

// RecordAudit writes one audit entry under its person (one write unit). Callers record before
// they answer, and refuse to answer when this fails: no read goes unrecorded.
func (s *Store) RecordAudit(ctx context.Context, e access.AuditEntry, retention time.Duration) error {
	if e.Person == "" || e.Action == "" {
		return fmt.Errorf("audit entry needs a person and an action: %+v", e)
	}
	e.At = s.Now().UTC()
	suffix := make([]byte, 4)
	if _, err := rand.Read(suffix); err != nil {
		return err
	}
	r := auditRecord{PK: auditPK(access.NameKey(e.Person)), SK: FormatTime(e.At) + "#" + hex.EncodeToString(suffix), Kind: KindAudit, AuditEntry: e}
	if retention > 0 {
		r.Expires = e.At.Add(retention).Unix()
	}
	if _, err := s.putItem(ctx, r, noCondition); err != nil {
		return fmt.Errorf("record audit %s by %s: %w", e.Action, e.Person, err)
	}
	return nil
}

// AuditTrail returns what person did, newest first, at most limit entries.
func (s *Store) AuditTrail(ctx context.Context, person string, limit int) ([]access.AuditEntry, error) {
	e, err := expression.NewBuilder().WithKeyCondition(expression.Key("PK").Equal(expression.Value(auditPK(access.NameKey(person))))).Build()
	if err != nil {
		return nil, err
	}
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(s.Table), KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(limit))})
	if err != nil {
		return nil, fmt.Errorf("audit trail of %s: %w", person, err)
	}
	var recs []auditRecord
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &recs); err != nil {
		return nil, err
	}
	return unwrap(recs, func(r auditRecord) access.AuditEntry { return r.AuditEntry }), nil
}
