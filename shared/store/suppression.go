package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Suppression reasons.
const (
	SuppressBounce    = "bounce"    // a permanent bounce: the address does not exist
	SuppressComplaint = "complaint" // the recipient marked a survey email as spam
)

// Suppression is an address that is never mailed again. Item PK=SUPPRESS#<AddressHash(email)>
// (hex SHA-256 of the lower-cased, trimmed address), SK=SUPPRESS; it holds no address in clear and
// has no TTL: a hard bounce or a complaint is forever.
type Suppression struct {
	PK           string    `dynamodbav:"PK"`
	SK           string    `dynamodbav:"SK"`
	Kind         string    `dynamodbav:"kind"`
	Reason       string    `dynamodbav:"reason"`
	SuppressedAt time.Time `dynamodbav:"suppressedAt"`
	LastEventAt  time.Time `dynamodbav:"lastEventAt"`
	Events       int       `dynamodbav:"events"`
}

// Suppress records that email must never be mailed again. Repeating it (SES and EventBridge
// deliver at least once) keeps the first reason and time and only counts the event.
func (s *Store) Suppress(ctx context.Context, email, reason string, at time.Time) error {
	email = strings.TrimSpace(email)
	if email == "" {
		return fmt.Errorf("suppress: empty address")
	}
	_, err := s.updateItem(ctx, key(suppressPK(email), skSuppress), expression.
		Set(expression.Name("kind"), expression.Value(KindSuppress)).
		Set(expression.Name("reason"), expression.IfNotExists(expression.Name("reason"), expression.Value(reason))).
		Set(expression.Name("suppressedAt"), expression.IfNotExists(expression.Name("suppressedAt"), expression.Value(at.UTC()))).
		Set(expression.Name("lastEventAt"), expression.Value(at.UTC())).
		Add(expression.Name("events"), expression.Value(1)), noCondition)
	if err != nil {
		return fmt.Errorf("suppress %s: %w", reason, err)
	}
	return nil
}

// IsSuppressed reports whether email is on the suppression list (case-insensitive).
func (s *Store) IsSuppressed(ctx context.Context, email string) (bool, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return false, nil
	}
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:            aws.String(s.Table),
		Key:                  key(suppressPK(email), skSuppress),
		ProjectionExpression: aws.String("PK"),
	})
	if err != nil {
		return false, fmt.Errorf("read suppression: %w", err)
	}
	return out.Item != nil, nil
}
