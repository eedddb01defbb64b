package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/cxloop/cxloop/shared/invitation"
)

// An opt-out holds per address, not only per contact id: the same person under a new contact id
// is not surveyed again. Item PK=OPTOUT#<hex sha256(lower-cased, trimmed address)>, SK=OPTOUT,
// with no address in it and no TTL, so it survives the contact's erasure without holding the
// address in clear (docs/SECURITY.md). The touchpoint rules read it (LoadPrior), the dispatcher
// checks it right before each send (Blocked) and close-the-loop before its email.

// KindOptOut is the kind of an opt-out item.
const KindOptOut = "optout"

const skOptOut = "OPTOUT"

// AddressHash is the hex SHA-256 of a lower-cased, trimmed address: the key of its opt-out.
func AddressHash(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(sum[:])
}

func optOutPK(email string) string { return "OPTOUT#" + AddressHash(email) }

// OptOut records that the address opted out of every survey email (repeating it keeps the
// first time).
func (s *Store) OptOut(ctx context.Context, email string, at time.Time) error {
	if strings.TrimSpace(email) == "" {
		return nil // an erased invitation has no address left: its contact's opt-out still holds
	}
	_, err := s.updateItem(ctx, key(optOutPK(email), skOptOut), expression.
		Set(expression.Name("kind"), expression.Value(KindOptOut)).
		Set(expression.Name("optedOutAt"), expression.IfNotExists(expression.Name("optedOutAt"), expression.Value(at.UTC()))), noCondition)
	if err != nil {
		return fmt.Errorf("record opt-out: %w", err)
	}
	return nil
}

// OptedOut reports whether the address opted out (strongly consistent).
func (s *Store) OptedOut(ctx context.Context, email string) (bool, error) {
	if strings.TrimSpace(email) == "" {
		return false, nil
	}
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: key(optOutPK(email), skOptOut),
		ProjectionExpression: aws.String("PK"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return false, fmt.Errorf("read opt-out: %w", err)
	}
	return out.Item != nil, nil
}

// MailBlocked returns why a customer email to contactID at email must not go out now
// (invitation.StopUnsubscribed for the contact or the address, invitation.StopSuppressed), or "". Every email to a
// customer goes through it: invitations and reminders (Blocked) and close-the-loop.
func (s *Store) MailBlocked(ctx context.Context, contactID, email string) (string, error) {
	return s.mailBlocked(ctx, contactID, email, nil)
}

// mailBlocked is MailBlocked; with decidedAt set it also applies the erasure rule (erasure.go) to
// a record of the contact decided then, from the same consistent read of the contact's state
// item, and returns invitation.StopErased for an erased contact.
func (s *Store) mailBlocked(ctx context.Context, contactID, email string, decidedAt *time.Time) (string, error) {
	if contactID != "" {
		out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
			TableName:            aws.String(s.Table),
			Key:                  key(contactPK(contactID), skState),
			ProjectionExpression: aws.String(attrUnsubscribedAt + ", " + attrErasedKey),
			ConsistentRead:       aws.Bool(true),
		})
		if err != nil {
			return "", fmt.Errorf("read contact %s: %w", contactID, err)
		}
		if k, _ := out.Item[attrErasedKey].(*types.AttributeValueMemberS); decidedAt != nil && k != nil && k.Value >= FormatTime(*decidedAt) {
			return invitation.StopErased, nil
		}
		if out.Item[attrUnsubscribedAt] != nil {
			return invitation.StopUnsubscribed, nil
		}
	}
	if strings.TrimSpace(email) == "" {
		return "", nil
	}
	// The address's opt-out and suppressions in one eventually consistent batch: an opt-out or a
	// bounce recorded within the replication lag (well under a second) of a send is the same as
	// one recorded just after the email left. The contact's own unsubscribe above is read
	// strongly consistent with the erasure rule.
	got, err := s.batchGet(ctx, []map[string]types.AttributeValue{
		key(optOutPK(email), skOptOut), key(suppressPK(email), skSuppress),
	}, false)
	if err != nil {
		return "", fmt.Errorf("read opt-out and suppression: %w", err)
	}
	reason := ""
	for _, it := range got {
		pk, _ := it["PK"].(*types.AttributeValueMemberS)
		switch {
		case pk == nil:
		case pk.Value == optOutPK(email):
			return invitation.StopUnsubscribed, nil
		default:
			reason = invitation.StopSuppressed
		}
	}
	return reason, nil
}

// Unsubscribe opts a contact out of every survey: it sets unsubscribedAt on the contact's state
// item (the touchpoint rules read it, so no new invitation is created) and stops the contact's
// invitations that are not stopped yet, taking them off the due index so no email or reminder
// goes out. The address email (the one the unsubscribe link was sent to) is opted out too, so
// the same person under another contact id is not surveyed (optout.go). Repeating it changes
// nothing. It returns how many invitations it stopped.
func (s *Store) Unsubscribe(ctx context.Context, contactID, email string) (int, error) {
	if contactID == "" {
		return 0, fmt.Errorf("unsubscribe: %w", ErrNotFound)
	}
	now := s.Now()
	if err := s.OptOut(ctx, email, now); err != nil {
		return 0, err
	}
	if _, err := s.updateItem(ctx, key(contactPK(contactID), skState), expression.
		Set(expression.Name("kind"), expression.Value(KindContact)).
		Set(expression.Name(attrUnsubscribedAt), expression.IfNotExists(expression.Name(attrUnsubscribedAt), expression.Value(now))).
		// An unsubscription is kept (it holds the id and a time, nothing more): no expiry.
		Remove(expression.Name("ttl")), noCondition); err != nil {
		return 0, fmt.Errorf("unsubscribe contact %s: %w", contactID, err)
	}

	pending, err := s.pendingInvitations(ctx, contactID)
	if err != nil {
		return 0, err
	}
	stopped := 0
	for _, k := range pending {
		ok, err := s.stopInvitation(ctx, k, invitation.StopUnsubscribed)
		if err != nil {
			return stopped, err
		}
		if ok {
			stopped++
		}
	}
	return stopped, nil
}

// pendingInvitations lists the keys of the contact's invitations. GSI1 projects only attributes
// that never change (template.yaml), so whether one is already stopped is left to stopInvitation's
// condition.
func (s *Store) pendingInvitations(ctx context.Context, contactID string) ([]map[string]types.AttributeValue, error) {
	q, err := expression.NewBuilder().
		WithKeyCondition(expression.Key("GSI1PK").Equal(expression.Value(contactPK(contactID))).
			And(expression.Key("GSI1SK").BeginsWith("DEC#"))).
		WithFilter(expression.Name("kind").Equal(expression.Value(KindInvitation))).
		WithProjection(expression.NamesList(expression.Name("PK"), expression.Name("SK"))).
		Build()
	if err != nil {
		return nil, err
	}
	var keys []map[string]types.AttributeValue
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		IndexName:                 aws.String(IndexContact),
		KeyConditionExpression:    q.KeyCondition(),
		FilterExpression:          q.Filter(),
		ProjectionExpression:      q.Projection(),
		ExpressionAttributeNames:  q.Names(),
		ExpressionAttributeValues: q.Values(),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list invitations of contact %s: %w", contactID, err)
		}
		for _, it := range page.Items {
			keys = append(keys, map[string]types.AttributeValue{"PK": it["PK"], "SK": it["SK"]})
		}
	}
	return keys, nil
}

// stopInvitation stops one invitation for reason unless something stopped it first, and takes it
// off the due index. It reports whether this call stopped it.
func (s *Store) stopInvitation(ctx context.Context, k map[string]types.AttributeValue, reason string) (bool, error) {
	stopped, err := s.updateItem(ctx, k, offDueIndex(expression.Set(expression.Name("stopped"), expression.Value(reason))),
		expression.Name("kind").Equal(expression.Value(KindInvitation)).And(notStopped))
	if err != nil {
		return false, fmt.Errorf("stop invitation %v: %w", k["PK"], err)
	}
	return stopped, nil
}
