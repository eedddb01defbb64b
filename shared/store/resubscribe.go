package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Subscription is what the unsubscribe page may tell a contact about its survey emails.
type Subscription struct {
	// OptedOut: the contact unsubscribed (its state item) or its address opted out.
	OptedOut bool
	// Suppressed is why the address is never mailed again (SuppressBounce, SuppressComplaint, or
	// another recorded reason), "" when it is not. Only SES events set it, and nothing the
	// customer does on a page lifts it.
	Suppressed string
}

// Subscription reads whether the contact or its address opted out (strongly consistent, at most
// two GetItems, no writes: the unsubscribe page's GET calls it). It leaves Suppressed empty:
// Resubscribe reads that, where the page has to say it.
func (s *Store) Subscription(ctx context.Context, contactID, email string) (Subscription, error) {
	var sub Subscription
	if contactID != "" {
		out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: key(contactPK(contactID), skState),
			ProjectionExpression: aws.String(attrUnsubscribedAt), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return sub, fmt.Errorf("read contact %s: %w", contactID, err)
		}
		sub.OptedOut = out.Item[attrUnsubscribedAt] != nil
	}
	if !sub.OptedOut {
		opted, err := s.OptedOut(ctx, email)
		if err != nil {
			return sub, err
		}
		sub.OptedOut = opted
	}
	return sub, nil
}

// SuppressionReason is why email is suppressed ("bounce", "complaint"), or "" when it is not.
func (s *Store) SuppressionReason(ctx context.Context, email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", nil
	}
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: key(suppressPK(email), skSuppress),
		ProjectionExpression: aws.String("PK, reason"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return "", fmt.Errorf("read suppression: %w", err)
	}
	if out.Item == nil {
		return "", nil
	}
	if r, ok := out.Item["reason"].(*types.AttributeValueMemberS); ok && r.Value != "" {
		return r.Value, nil
	}
	return "suppressed", nil
}

// Resubscribe lifts the contact's own opt-out: unsubscribedAt on its state item and the opt-out
// of email, the address its unsubscribe link was sent to. It never touches a suppression (a hard
// bounce or a complaint stays forever; template.yaml lets SurveyFunction delete OPTOUT# items
// only) and never restarts invitations the unsubscribe stopped: the next touchpoint decides
// afresh. ttl is the retention the state item gets back (Unsubscribe removed it; the
// invitation the link belongs to sets it), 0 for none. Repeating it changes nothing. It
// returns the subscription as it is afterwards, so the page can say whether mail can go out.
func (s *Store) Resubscribe(ctx context.Context, contactID, email string, ttl int64) (Subscription, error) {
	if contactID == "" {
		return Subscription{}, fmt.Errorf("resubscribe: %w", ErrNotFound)
	}
	upd := expression.Remove(expression.Name(attrUnsubscribedAt))
	if ttl > 0 {
		upd = upd.Set(expression.Name("ttl"), expression.IfNotExists(expression.Name("ttl"), expression.Value(ttl)))
	}
	// Only an unsubscribed state item is changed: an update never creates one.
	if _, err := s.updateItem(ctx, key(contactPK(contactID), skState), upd,
		expression.AttributeExists(expression.Name(attrUnsubscribedAt))); err != nil {
		return Subscription{}, fmt.Errorf("resubscribe contact %s: %w", contactID, err)
	}
	if strings.TrimSpace(email) != "" {
		if _, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table),
			Key: key(optOutPK(email), skOptOut)}); err != nil {
			return Subscription{}, fmt.Errorf("lift opt-out: %w", err)
		}
	}
	sub, err := s.Subscription(ctx, contactID, email)
	if err != nil {
		return sub, err
	}
	sub.Suppressed, err = s.SuppressionReason(ctx, email)
	return sub, err
}
