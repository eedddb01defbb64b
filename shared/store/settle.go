package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/cxloop/cxloop/shared/invitation"
)

// Outcomes of SettleBySendEvent.
const (
	// SettleSent: the invitation was unsure and is now sent (one conditional write).
	SettleSent = "settled"
	// SettleUnchanged: nothing to settle (already sent, a reminder, an unknown id, a redelivery).
	SettleUnchanged = "unchanged"
	// SettleLate: the event is for the first email, accepted before the invitation was resent:
	// the customer got the survey twice. Settled like SettleSent if still unsure. This is the
	// residual risk of the resend window, counted so that it can be watched (docs/EMAIL.md).
	SettleLate = "late"
	// SettleNoted: the event came while the email was still being sent (the dispatcher's
	// SendEmail call had not answered yet). The accepted message id is kept on the invitation;
	// if the dispatcher then records the send as unsure, the resend at the end of the window
	// finds it and marks the invitation sent instead of sending again.
	SettleNoted = "noted"
)

// SettleBySendEvent applies SES's Send event for the survey email of invitation id (message
// messageID, accepted at acceptedAt): an unsure invitation becomes sent, with the reminder due as
// if the email had been marked sent when it was claimed. It reads the item (settleRead) and
// writes at most once, conditioned on the state it read, so a redelivered event, or one that
// races a resend claim, changes nothing.
func (s *Store) SettleBySendEvent(ctx context.Context, id, messageID string, acceptedAt time.Time) (string, error) {
	for range 2 {
		out, err := s.settleBySendEvent(ctx, id, messageID, acceptedAt)
		if !errors.Is(err, errMoved) {
			return out, err
		}
	}
	return SettleUnchanged, nil // moved twice since the read: a resend was claimed, or another event won
}

// settleRead reads the invitation an event names. Nearly always SES's events come after the
// dispatcher marked the email sent, so an eventually consistent read (half the units) settles
// it: a stale read can only show an older state, and every older state that would need a write
// (not yet there, pending, sending, unsure) is read again, strongly consistent, before deciding.
func (s *Store) settleRead(ctx context.Context, id string) (*Invitation, error) {
	inv, err := s.ReadInvitation(ctx, id)
	if err == nil && inv.Invited() && inv.Status != invitation.StatusPending && inv.Status != invitation.StatusSending && inv.Status != invitation.StatusUnsure {
		return inv, nil
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	return s.GetInvitation(ctx, id)
}

// errMoved is a settle write whose condition failed: the invitation changed since it was read.
var errMoved = errors.New("invitation moved since it was read")

func (s *Store) settleBySendEvent(ctx context.Context, id, messageID string, acceptedAt time.Time) (string, error) {
	inv, err := s.settleRead(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return SettleUnchanged, nil
	}
	if err != nil {
		return "", err
	}
	if inv.Invited() && inv.Status == invitation.StatusSending && inv.AcceptedMessageID == "" && messageID != "" {
		// The send is in flight: keep what SES accepted for the dispatcher's resend check.
		upd := expression.Set(expression.Name("acceptedMessageId"), expression.Value(messageID))
		cond := expression.Name("status").Equal(expression.Value(invitation.StatusSending)).
			And(expression.Name("sendAttempts").Equal(expression.Value(inv.SendAttempts)))
		if _, err := s.update(ctx, id, upd, cond); err != nil {
			if errors.Is(err, ErrConflict) {
				return "", errMoved
			}
			return "", fmt.Errorf("note accepted send of invitation %s: %w", id, err)
		}
		return SettleNoted, nil
	}
	late := inv.ResentAt != nil && messageID != inv.MessageID && !acceptedAt.IsZero() && acceptedAt.Before(*inv.ResentAt)
	if !inv.Invited() || inv.Status != invitation.StatusUnsure {
		if late && inv.Status != invitation.StatusSending {
			return SettleLate, nil
		}
		return SettleUnchanged, nil
	}
	upd := expression.Set(expression.Name("status"), expression.Value(invitation.StatusSent)).
		Set(expression.Name("messageId"), expression.Value(messageID)).
		Set(expression.Name("settledBy"), expression.Value("send-event"))
	switch {
	case inv.ResentAt != nil || inv.Stopped != "" || inv.SentAt == nil:
		// Nothing more is due: the resend was the second email, or the invitation was stopped.
		upd = offDueIndex(upd)
	default:
		if at, ok := inv.reminderAt(*inv.SentAt); ok {
			upd = upd.Set(expression.Name("GSI4SK"), expression.Value(FormatTime(at)))
		} else {
			upd = offDueIndex(upd)
		}
	}
	cond := expression.Name("status").Equal(expression.Value(invitation.StatusUnsure)).
		And(expression.Name("sendAttempts").Equal(expression.Value(inv.SendAttempts)))
	if _, err := s.update(ctx, id, upd, cond); err != nil {
		if errors.Is(err, ErrConflict) {
			return "", errMoved
		}
		return "", fmt.Errorf("settle invitation %s: %w", id, err)
	}
	if late {
		return SettleLate, nil
	}
	return SettleSent, nil
}
