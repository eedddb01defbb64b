package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/cxloop/cxloop/shared/invitation"
)

// What happens after a won claim: the email was accepted (MarkSent), refused (Release), may have
// been accepted (MarkUnsure), or must not be sent (StopClaimed). Each is a conditional write on
// the claim itself (status and sendAttempts), so a mark that comes after the lease ended and the
// item moved on changes nothing and returns ErrConflict.
//
// An answer or an unsubscribe may stop the invitation while it is claimed (and the unsubscribe
// takes it off the due index). Each mark therefore tries the normal write first, conditioned on
// "not stopped", and if that fails records the same outcome without scheduling anything more.

// claimed is the condition that the claim c still holds.
func claimed(c *Claim) expression.ConditionBuilder {
	status := invitation.StatusSending
	if c.Reminder() {
		status = invitation.StatusReminding
	}
	return expression.Name("status").Equal(expression.Value(status)).
		And(expression.Name("sendAttempts").Equal(expression.Value(c.attempts)))
}

var notStopped = expression.AttributeNotExists(expression.Name("stopped"))

// endClaim ends the claim's bookkeeping with the write that settles it: its id, start and lease
// mean nothing once the send is settled (the next claim sets them again), and the 110 bytes they
// take would, with a short comment, take an answered invitation over 1 KB, doubling every later
// write of it.
func endClaim(u expression.UpdateBuilder) expression.UpdateBuilder {
	return u.Remove(expression.Name("claimId")).Remove(expression.Name("claimedAt")).Remove(expression.Name("leaseUntil"))
}

// settle writes upd under the claim, or, if the invitation was stopped meanwhile, stopped (the
// same outcome with nothing more due), and ends the claim. Each is a function because builders
// share their operations when copied: each write's update is built afresh.
func (s *Store) settle(ctx context.Context, c *Claim, upd, stopped func() expression.UpdateBuilder) error {
	_, err := s.update(ctx, c.Inv.ID, endClaim(upd()), claimed(c).And(notStopped))
	if errors.Is(err, ErrConflict) {
		_, err = s.update(ctx, c.Inv.ID, endClaim(stopped()), claimed(c).And(expression.AttributeExists(expression.Name("stopped"))))
	}
	if err != nil {
		return fmt.Errorf("settle %s of invitation %s: %w", c.Outcome, c.Inv.ID, err)
	}
	return nil
}

// MarkSent records that SES accepted the claimed email as messageID at now. After a first email
// the reminder becomes due (if the survey has one and the link is still valid then); after a
// reminder or a resend nothing more is due.
func (s *Store) MarkSent(ctx context.Context, c *Claim, messageID string, now time.Time) error {
	if c.Reminder() {
		upd := func() expression.UpdateBuilder {
			return offDueIndex(expression.Set(expression.Name("status"), expression.Value(invitation.StatusDone)).
				Set(expression.Name("reminderSentAt"), expression.Value(now)).
				Set(expression.Name("reminderMessageId"), expression.Value(messageID)))
		}
		return s.settle(ctx, c, upd, upd)
	}
	id := expression.Value(messageID)
	if c.Resend() {
		// sentAt and the change feed keep the first attempt's time: the survey went out then.
		upd := func() expression.UpdateBuilder {
			return offDueIndex(expression.Set(expression.Name("status"), expression.Value(invitation.StatusSent)).
				Set(expression.Name("messageId"), id))
		}
		return s.settle(ctx, c, upd, upd)
	}
	return s.settle(ctx, c,
		func() expression.UpdateBuilder {
			return sentUpdate(c.Inv, invitation.StatusSent, now).Set(expression.Name("messageId"), id)
		},
		func() expression.UpdateBuilder {
			return offDueIndex(sentFields(c.Inv, invitation.StatusSent, now).Set(expression.Name("messageId"), id))
		})
}

// MarkAccepted settles a claimed resend whose first email SES is known to have accepted (a Send
// event noted its message id while that send was in flight): the invitation is sent as that
// message, nothing goes out again, and the reminder is due when it was planned.
func (s *Store) MarkAccepted(ctx context.Context, c *Claim) error {
	upd := func() expression.UpdateBuilder {
		return expression.Set(expression.Name("status"), expression.Value(invitation.StatusSent)).
			Set(expression.Name("messageId"), expression.Value(c.Inv.AcceptedMessageID)).
			Set(expression.Name("settledBy"), expression.Value("send-event")).
			Remove(expression.Name("resentAt"))
	}
	next := func() expression.UpdateBuilder { return offDueIndex(upd()) }
	if c.Inv.SentAt != nil {
		if at, ok := c.Inv.reminderAt(*c.Inv.SentAt); ok {
			next = func() expression.UpdateBuilder {
				return upd().Set(expression.Name("GSI4SK"), expression.Value(FormatTime(at)))
			}
		}
	}
	return s.settle(ctx, c, next, func() expression.UpdateBuilder { return offDueIndex(upd()) })
}

// MarkUnsure records a send whose outcome SES did not report (a timeout after the request left).
// A reminder is treated as sent. A first email becomes unsure: SES's Send event settles it as
// sent, and without one it is resent once when the resend window ends (docs/EMAIL.md); an unsure
// resend is never sent again.
func (s *Store) MarkUnsure(ctx context.Context, c *Claim, cause error, now time.Time) error {
	msg := expression.Value(truncate(cause.Error()))
	if c.Reminder() {
		upd := func() expression.UpdateBuilder {
			return offDueIndex(expression.Set(expression.Name("status"), expression.Value(invitation.StatusDone)).
				Set(expression.Name("lastSendError"), msg))
		}
		return s.settle(ctx, c, upd, upd)
	}
	upd := func() expression.UpdateBuilder {
		return s.unsureUpdate(c.Inv, c.Resend(), now).Set(expression.Name("lastSendError"), msg)
	}
	// Stopped during the send: unsure all the same (SES's Send event may still settle it), but
	// nothing more is due. unsureUpdate sets the due key, so this one is built without it.
	stopped := func() expression.UpdateBuilder {
		u := expression.Set(expression.Name("status"), expression.Value(invitation.StatusUnsure))
		if !c.Resend() {
			u = sentFields(c.Inv, invitation.StatusUnsure, now)
		}
		return offDueIndex(u.Set(expression.Name("lastSendError"), msg))
	}
	return s.settle(ctx, c, upd, stopped)
}

// Release returns a claim whose send SES refused for now (throttling, a 5xx, no connection): the
// invitation goes back to its previous state and stays due, a little later each time (1, 2, 4
// ... 30 minutes). It is never dropped; only the link's expiry ends the retries. A refused resend
// is still the one resend: it may be tried again.
func (s *Store) Release(ctx context.Context, c *Claim, cause error, now time.Time) error {
	msg := expression.Value(truncate(cause.Error()))
	back := func() expression.UpdateBuilder {
		u := expression.Set(expression.Name("status"), expression.Value(c.prev)).
			Set(expression.Name("lastSendError"), msg)
		if c.Resend() {
			u = u.Remove(expression.Name("resentAt"))
		}
		return u
	}
	return s.settle(ctx, c,
		func() expression.UpdateBuilder {
			return back().Set(expression.Name("GSI4SK"), expression.Value(FormatTime(now.Add(invitation.Backoff(c.attempts)))))
		},
		func() expression.UpdateBuilder { return offDueIndex(back()) })
}

// Reject stops a claimed invitation whose send SES refused for good (the address or the
// content, docs/EMAIL.md): nothing more is tried, and lastSendError keeps SES's answer.
func (s *Store) Reject(ctx context.Context, c *Claim, cause error) error {
	upd := stopUpdate(invitation.StopRejected).Set(expression.Name("status"), expression.Value(c.prev)).
		Set(expression.Name("lastSendError"), expression.Value(truncate(cause.Error())))
	if c.Resend() {
		upd = upd.Remove(expression.Name("resentAt"))
	}
	if _, err := s.update(ctx, c.Inv.ID, endClaim(upd), claimed(c)); err != nil {
		return fmt.Errorf("reject invitation %s: %w", c.Inv.ID, err)
	}
	return nil
}

// StopClaimed stops a claimed invitation for reason without sending it (the contact unsubscribed
// or was erased, or the address is suppressed); its status goes back to what was actually sent.
// An erased contact's invitation also loses its personal fields here: an item the erasure could
// not list yet (its index entry lagged) is cleaned by the first dispatcher that meets it.
func (s *Store) StopClaimed(ctx context.Context, c *Claim, reason string) error {
	upd := stopUpdate(reason).Set(expression.Name("status"), expression.Value(c.prev))
	if reason == invitation.StopErased {
		upd = upd.Set(expression.Name("erasedAt"), expression.IfNotExists(expression.Name("erasedAt"), expression.Value(s.Now())))
		for _, a := range personal {
			upd = upd.Remove(expression.Name(a))
		}
	}
	_, err := s.update(ctx, c.Inv.ID, endClaim(upd), claimed(c))
	if err != nil {
		return fmt.Errorf("stop invitation %s (%s): %w", c.Inv.ID, reason, err)
	}
	return nil
}

// sentFields are sentUpdate without the due key: the status, sentAt and the scorer's change feed.
func sentFields(inv *Invitation, status string, now time.Time) expression.UpdateBuilder {
	return expression.Set(expression.Name("status"), expression.Value(status)).
		Set(expression.Name("sentAt"), expression.Value(now)).
		Set(expression.Name("GSI3PK"), expression.Value(feedPK(inv.Survey, Shard(inv.ID)))).
		Set(expression.Name("GSI3SK"), expression.Value(FormatTime(now)))
}

// Blocked returns the stop reason that forbids mailing the claimed invitation now (invitation.StopErased,
// invitation.StopUnsubscribed or invitation.StopSuppressed), or "". inv must be the item as the claim wrote it (Claim.Inv):
// its own erasedAt is then as fresh as the claim, and an erasure that marks it later finds the
// claim in flight and waits for it (erasure.go). The contact's state item is read strongly
// consistent, once, for both the erasure rule and the contact's unsubscribe. The dispatcher calls
// it after winning the claim and right before sending: only the winner pays for the reads, and
// the window between check and send is as short as it can be. A ConditionCheck in a transaction
// with the claim would close that window but double the claim's write cost, and an unsubscribe a
// few milliseconds later is the same as one a few milliseconds after the email left.
func (s *Store) Blocked(ctx context.Context, inv *Invitation) (string, error) {
	if inv.ErasedAt != nil {
		return invitation.StopErased, nil
	}
	return s.mailBlocked(ctx, inv.ContactID, inv.Email, &inv.DecidedAt)
}

// StopInvitation stops invitation id for reason (invitation.StopBounced, invitation.StopComplained, ...) unless it is
// already stopped; nothing more is sent for it. The dispatcher takes it off the due index when it
// next comes due, so a claim in flight is never disturbed. It reports whether this call stopped
// it; an unknown id or an already stopped invitation is not an error (events repeat).
func (s *Store) StopInvitation(ctx context.Context, id, reason string) (bool, error) {
	_, err := s.update(ctx, id,
		expression.Set(expression.Name("stopped"), expression.Value(reason)),
		expression.Name("kind").Equal(expression.Value(KindInvitation)).And(notStopped))
	if errors.Is(err, ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("stop invitation %s: %w", id, err)
	}
	return true, nil
}

func truncate(s string) string {
	if len(s) > 500 {
		return s[:500]
	}
	return s
}
