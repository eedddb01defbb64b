package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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

func webhookRetryKey(ticketID, notify string) string { return "WEBHOOK#" + ticketID + "#" + notify }

func retrySK(at time.Time, ticketID, notify string) string {
	return FormatTime(at) + "#" + ticketID + "#" + notify
}

// ScheduleWebhookRetry records that notification notify of a ticket needs another webhook attempt
// at (after rounds retry rounds).
func (s *Store) ScheduleWebhookRetry(ctx context.Context, ticketID, notify string, rounds int, at time.Time) error {
	_, err := s.putItem(ctx, WebhookRetry{PK: webhookRetryKey(ticketID, notify), SK: "RETRY", Kind: KindWebhookRetry,
		TicketID: ticketID, Notify: notify, Rounds: rounds, NextAt: at.UTC(),
		GSI2PK: webhookRetryPK, GSI2SK: retrySK(at, ticketID, notify)}, noCondition)
	if err != nil {
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
	ok, err := s.updateItem(ctx, key(r.PK, r.SK), upd, expression.Name("GSI2SK").Equal(expression.Value(r.GSI2SK)))
	if err != nil {
		return false, fmt.Errorf("claim webhook retry of %s: %w", r.TicketID, err)
	}
	return ok, nil
}

// FinishWebhookRetry takes a retry off the due index (delivered, or given up); it expires after a week.
func (s *Store) FinishWebhookRetry(ctx context.Context, ticketID, notify string) error {
	done := expression.Remove(expression.Name("GSI2PK")).Remove(expression.Name("GSI2SK")).
		Set(expression.Name("ttl"), expression.Value(s.Now().Add(7*24*time.Hour).Unix()))
	if _, err := s.updateItem(ctx, key(webhookRetryKey(ticketID, notify), "RETRY"), done, present()); err != nil {
		return fmt.Errorf("finish webhook retry of %s: %w", ticketID, err)
	}
	return nil
}
