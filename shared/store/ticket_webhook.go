package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// WebhookRetry is a webhook delivery that failed and waits for a later attempt
// (PK=WEBHOOK#<ticket>#<notification>, SK=RETRY). While due it sits on GSI2 under
// WEBHOOKS#RETRY sorted by the next attempt's time; when done its index keys go and a TTL
// removes it.
type WebhookRetry struct {
	PK       string    `dynamodbav:"PK"`
	SK       string    `dynamodbav:"SK"`
	Kind     string    `dynamodbav:"kind"`
	TicketID string    `dynamodbav:"ticketId"`
	Notify   string    `dynamodbav:"notify"` // the notification: new or escalation
	Rounds   int       `dynamodbav:"rounds"` // retry rounds made so far
	NextAt   time.Time `dynamodbav:"nextAt"`
	GSI2PK   string    `dynamodbav:"GSI2PK,omitempty"`
	GSI2SK   string    `dynamodbav:"GSI2SK,omitempty"`
	TTL      int64     `dynamodbav:"ttl,omitempty"`
}

// KindWebhookRetry is the kind of a WebhookRetry item.
const KindWebhookRetry = "webhookretry"

const webhookRetryPK = "WEBHOOKS#RETRY"

func retrySK(at time.Time, ticketID, notify string) string {
	return FormatTime(at) + "#" + ticketID + "#" + notify
}

// ScheduleWebhookRetry records that notification notify of a ticket needs another webhook attempt
// at (after rounds retry rounds).
func (s *Store) ScheduleWebhookRetry(ctx context.Context, ticketID, notify string, rounds int, at time.Time) error {
	item, err := attributevalue.MarshalMap(WebhookRetry{PK: "WEBHOOK#" + ticketID + "#" + notify, SK: "RETRY", Kind: KindWebhookRetry,
		TicketID: ticketID, Notify: notify, Rounds: rounds, NextAt: at.UTC(),
		GSI2PK: webhookRetryPK, GSI2SK: retrySK(at, ticketID, notify)})
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item}); err != nil {
		return fmt.Errorf("schedule webhook retry of %s: %w", ticketID, err)
	}
	return nil
}

// DueWebhookRetries returns the retries due at now, oldest first.
func (s *Store) DueWebhookRetries(ctx context.Context, now time.Time) ([]WebhookRetry, error) {
	e, err := expression.NewBuilder().WithKeyCondition(expression.Key("GSI2PK").Equal(expression.Value(webhookRetryPK)).
		And(expression.Key("GSI2SK").LessThan(expression.Value(FormatTime(now))))).Build()
	if err != nil {
		return nil, err
	}
	out, err := queryAll[WebhookRetry](ctx, s.DB, &dynamodb.QueryInput{TableName: aws.String(s.Table), IndexName: aws.String(IndexQueue),
		KeyConditionExpression: e.KeyCondition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	if err != nil {
		return nil, fmt.Errorf("due webhook retries: %w", err)
	}
	return out, nil
}

// ClaimWebhookRetry takes a due retry for this caller: it moves the retry to next (the time of the
// round after this one, in case this attempt dies too) on the condition that it is still where it
// was read, so of two SLA ticks at once only one retries. With next zero, the retry is finished
// (no more rounds): its index keys go and it expires after a week.
func (s *Store) ClaimWebhookRetry(ctx context.Context, r WebhookRetry, next time.Time) (bool, error) {
	var upd expression.UpdateBuilder
	if next.IsZero() {
		upd = expression.Remove(expression.Name("GSI2PK")).Remove(expression.Name("GSI2SK")).
			Set(expression.Name("ttl"), expression.Value(s.Now().Add(7*24*time.Hour).Unix()))
	} else {
		upd = expression.Set(expression.Name("GSI2SK"), expression.Value(retrySK(next, r.TicketID, r.Notify))).
			Set(expression.Name("nextAt"), expression.Value(next.UTC()))
	}
	upd = upd.Set(expression.Name("rounds"), expression.Value(r.Rounds+1))
	e, err := expression.NewBuilder().WithUpdate(upd).
		WithCondition(expression.Name("GSI2SK").Equal(expression.Value(r.GSI2SK))).Build()
	if err != nil {
		return false, err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: key(r.PK, r.SK),
		UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim webhook retry of %s: %w", r.TicketID, err)
	}
	return true, nil
}

// FinishWebhookRetry takes a retry off the due index (delivered, or given up); it expires after a week.
func (s *Store) FinishWebhookRetry(ctx context.Context, ticketID, notify string) error {
	e, err := expression.NewBuilder().WithUpdate(expression.Remove(expression.Name("GSI2PK")).Remove(expression.Name("GSI2SK")).
		Set(expression.Name("ttl"), expression.Value(s.Now().Add(7*24*time.Hour).Unix()))).
		WithCondition(expression.AttributeExists(expression.Name("PK"))).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: key("WEBHOOK#"+ticketID+"#"+notify, "RETRY"),
		UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("finish webhook retry of %s: %w", ticketID, err)
	}
	return nil
}
