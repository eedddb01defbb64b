package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/cxloop/cxloop/shared/invitation"
)

// The erasure rule (docs/SECURITY.md has it in full). EraseContact first writes the erasure's
// time, fixed width, as erasedKey on the contact's state item, then marks every item of the
// contact it can find with erasedAt and removes their personal fields. A record of the contact is
// erased when its own item carries erasedAt, or when its touchpoint was decided at or before the
// state item's erasedKey. An answer belongs to its invitation: the fence compares the invitation's
// decision time, never the answer's, so an answer given while the erasure is still marking items
// is erased with its invitation. Every path that would write a person's data again or mail them
// checks the rule:
//
//   - a ticket opened or attached from an answer: two ConditionChecks in the ticket's transaction
//     (state item against the invitation's decision time, and invitation item), so an erasure
//     that committed first always wins;
//   - an answer: refused on an erased invitation (a condition of the answer's write);
//   - a dispatcher send or resend: checked after the claim and right before the send (Blocked:
//     the claim's own image of the invitation, and a consistent read of the state item); a
//     claim must start its send within SendStartWindow and SES gets SendTimeout, so
//     EraseContact waits at most SendInFlight for a claim it finds in flight;
//   - close-the-loop: checked before the send (the ticket is erased with its contact).
//
// A touchpoint decided after the erasure starts afresh: its own item has no erasedAt and its
// decision time is after erasedKey.
const attrErasedKey = "erasedKey"

// Send window of the dispatcher: a claim whose send has not started within SendStartWindow of
// the claim is released instead (sent by a later tick, after the erasure check again), and one
// SES call gets SendTimeout. A send in flight therefore ends within SendInFlight of its claim.
const (
	SendStartWindow = 2 * time.Second
	SendTimeout     = 8 * time.Second
	SendInFlight    = SendStartWindow + SendTimeout
)

// ErasureFenceRetention is the least time an erased contact's state item (the fence) is kept:
// longer than any replay of older data can arrive (event retries 1 day, failure queues 14 days).
const ErasureFenceRetention = 30 * 24 * time.Hour

// ErrErased reports a write refused because the contact was erased after the data came to be.
var ErrErased = errors.New("the contact was erased")

// notErasedSince is the condition on a contact's state item that no erasure happened at or after at.
func notErasedSince(at time.Time) expression.ConditionBuilder {
	k := expression.Name(attrErasedKey)
	return expression.Or(expression.AttributeNotExists(k), k.LessThan(expression.Value(FormatTime(at))))
}

// erasureChecks are the two ConditionChecks a transaction adds to refuse data of invitation
// invitationID (contact contactID), decided at decidedAt, if the contact was erased since or the
// invitation is marked erased. A zero decidedAt is refused by any erasure.
func (s *Store) erasureChecks(contactID, invitationID string, decidedAt time.Time) ([]txItem, error) {
	state, err := expression.NewBuilder().WithCondition(notErasedSince(decidedAt)).Build()
	if err != nil {
		return nil, err
	}
	inv, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name("erasedAt"))).Build()
	if err != nil {
		return nil, err
	}
	return []txItem{
		{txErasedContact, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.Table), Key: key(contactPK(contactID), skState),
			ConditionExpression: state.Condition(), ExpressionAttributeNames: state.Names(), ExpressionAttributeValues: state.Values()}}},
		{txErasedInvitation, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.Table), Key: key(eventPK(invitationID), skEvent),
			ConditionExpression: inv.Condition(), ExpressionAttributeNames: inv.Names()}}},
	}, nil
}

// The erasure rule's items in a transaction (erasureChecks).
const (
	txErasedContact    = "erasure: contact state"
	txErasedInvitation = "erasure: invitation"
)

// waitInFlight waits until each claimed invitation's send settled (its status moved on) or its
// send window ended. It uses the wall clock: the window is real time, whatever s.Now says.
func (s *Store) waitInFlight(ctx context.Context, claimed []*Invitation) error {
	for _, inv := range claimed {
		left := SendInFlight
		if inv.ClaimedAt != nil {
			left = min(SendInFlight, inv.ClaimedAt.Add(SendInFlight).Sub(s.Now()))
		}
		deadline := time.Now().Add(left)
		for time.Now().Before(deadline) {
			cur, err := s.GetInvitation(ctx, inv.ID)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			if cur == nil || (cur.Status != invitation.StatusSending && cur.Status != invitation.StatusReminding) || cur.SendAttempts != inv.SendAttempts {
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}
