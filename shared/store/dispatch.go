package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/invitation"
)

// The dispatcher's state machine on one invitation item (docs/EMAIL.md has the picture):
//
//	pending --claim--> sending --accepted--> sent --claim--> reminding --accepted--> done
//	   ^                  |  \--unknown / lease over--> unsure               \--unknown--> done
//	   \----refused-------/                               |  \--Send event--> sent
//	                                                      \--window over, still wanted--> sending (the one resend)
//
// While something is due the item sits in the due index (GSI4PK=DUE#nn, GSI4SK=when), which
// projects keys only. A claim is a conditional write on the state it read, so of two dispatchers
// only one wins. The claim's lease ends at leaseUntil, a non-key attribute that the index does not
// project, so a claim writes nothing to the index: the item stays where it was, and a tick that
// meets it while the lease runs leaves it alone without writing. A first email whose outcome is
// unknown (SES's answer lost, or the dispatcher died between claim and mark) becomes unsure and
// is due again at the end of the resend window: SES's Send event settles it as sent before then
// (MailEventsFunction), otherwise the dispatcher sends it once more. A resend (resentAt set) is
// never resent, and gets no reminder: an unsure resend is due once more at the end of its own
// window, and then, if no Send event settled it, stopped with reason unsure, so that no
// invitation ends unasked without a reason.
// A permanent refusal (bad address or content) stops the invitation at once.

// DispatchLease is how long a claim lasts. It must exceed DispatchFunction's timeout (60 s), so a
// lease that ended means the dispatcher that took it is gone.
const DispatchLease = 2 * time.Minute

// ClaimOutcome says what ClaimDue did with one due item.
type ClaimOutcome int

// Outcomes of ClaimDue.
const (
	ClaimLost     ClaimOutcome = iota // another dispatcher moved the item first: nothing to do
	ClaimInvite                       // claimed: send the first email
	ClaimReminder                     // claimed: send the reminder
	ClaimStopped                      // expired, so stopped; nothing sent
	ClaimRetired                      // stopped or finished earlier: taken off the due index
	ClaimUnsure                       // an earlier claim's lease ended: marked unsure
	ClaimResend                       // claimed: send the first email once more (unsure, no Send event)
)

func (o ClaimOutcome) String() string {
	return [...]string{"lost", "invite", "reminder", "stopped", "retired", "unsure", "resend"}[o]
}

// Claim is a won claim: the invitation as stored after the claim, and what identifies the claim.
type Claim struct {
	Outcome ClaimOutcome
	Inv     *Invitation
	// prev is the status to return to if SES refuses; attempts identifies this claim (every
	// claim increments sendAttempts), so a late mark cannot touch a later claim.
	prev     string
	attempts int
}

// Reminder reports whether the claim is for the reminder email.
func (c *Claim) Reminder() bool { return c.Outcome == ClaimReminder }

// Resend reports whether the claim is the one resend of an unsure first email.
func (c *Claim) Resend() bool { return c.Outcome == ClaimResend }

// DueCursor is where a DuePage ended in its shard (nil: at the end).
type DueCursor map[string]types.AttributeValue

// DuePage returns up to limit invitations of one shard of the due index that are due at now
// (GSI4SK <= now), oldest first, from after (nil: the start), and where the next page starts. It
// reads one partition of GSI4, which holds keys only, and then the items themselves in one
// eventually consistent BatchGetItem; it never scans the table. Both reads may lag: ClaimDue
// re-checks every item with a conditional write on what it read. A page goes on after the last
// entry read, so claims still in their lease at the head of a shard never hold back what follows.
func (s *Store) DuePage(ctx context.Context, shard int, now time.Time, limit int32, after DueCursor) ([]Invitation, DueCursor, error) {
	e, err := expression.NewBuilder().WithKeyCondition(
		expression.Key("GSI4PK").Equal(expression.Value(duePK(shard))).
			And(expression.Key("GSI4SK").LessThanEqual(expression.Value(FormatTime(now))))).Build()
	if err != nil {
		return nil, nil, err
	}
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		IndexName:                 aws.String(IndexDue),
		KeyConditionExpression:    e.KeyCondition(),
		ExpressionAttributeNames:  e.Names(),
		ExpressionAttributeValues: e.Values(),
		Limit:                     aws.Int32(limit),
		ExclusiveStartKey:         after,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("query due shard %02d: %w", shard, err)
	}
	next := DueCursor(out.LastEvaluatedKey)
	if len(out.Items) == 0 {
		return nil, next, nil
	}
	keys := make([]map[string]types.AttributeValue, len(out.Items))
	for i, it := range out.Items {
		keys[i] = map[string]types.AttributeValue{"PK": it["PK"], "SK": it["SK"]}
	}
	items, err := s.batchGet(ctx, keys, false)
	if err != nil {
		return nil, nil, fmt.Errorf("read due shard %02d: %w", shard, err)
	}
	var invs []Invitation
	if err := attributevalue.UnmarshalListOfMaps(items, &invs); err != nil {
		return nil, nil, fmt.Errorf("decode due shard %02d: %w", shard, err)
	}
	// BatchGetItem answers in any order; the index's order (oldest due first) is the one kept.
	// An item gone since the index was read (erased, expired) or read before it became due (a
	// lagging read) is left out.
	var due []Invitation
	for _, inv := range invs {
		if inv.GSI4PK != "" && inv.GSI4SK <= FormatTime(now) {
			due = append(due, inv)
		}
	}
	slices.SortFunc(due, func(a, b Invitation) int { return strings.Compare(a.GSI4SK, b.GSI4SK) })
	return due, next, nil
}

// ClaimDue decides what to do with one item read from the due index at now and does it with a
// conditional write on the state it saw. Only ClaimInvite and ClaimReminder ask the caller to
// send; the caller must then call MarkSent, Release, MarkUnsure or StopClaimed.
func (s *Store) ClaimDue(ctx context.Context, due *Invitation, now time.Time) (*Claim, error) {
	seen := s.seen(due)
	outcome, status := ClaimInvite, invitation.StatusSending
	switch invitation.Due(due.sends(), now) {
	case invitation.StepNone:
		return &Claim{Outcome: ClaimLost}, nil
	case invitation.StepRetire:
		return s.apply(ctx, due, ClaimRetired, offDueIndex(expression.UpdateBuilder{}), seen)
	case invitation.StepLeaseOver:
		return s.leaseOver(ctx, due, seen)
	case invitation.StepAccepted:
		// An event noted while an email was in flight proves SES had it: sent, nothing more due.
		return s.apply(ctx, due, ClaimRetired, offDueIndex(expression.Set(expression.Name("status"), expression.Value(invitation.StatusSent)).
			Set(expression.Name("messageId"), expression.Value(due.AcceptedMessageID)).
			Set(expression.Name("settledBy"), expression.Value("send-event"))), seen)
	case invitation.StepStopUnsure:
		// Stopped, so it is counted and shown with its reason.
		return s.apply(ctx, due, ClaimStopped, stopUpdate(invitation.StopUnsure), seen)
	case invitation.StepExpire:
		return s.apply(ctx, due, ClaimStopped, stopUpdate(invitation.StopExpired), seen)
	case invitation.StepReminder:
		outcome, status = ClaimReminder, invitation.StatusReminding
	case invitation.StepResend:
		outcome = ClaimResend
	}
	lease, claimID := now.Add(DispatchLease), rand.Text()
	upd := expression.Set(expression.Name("status"), expression.Value(status)).
		Set(expression.Name("claimId"), expression.Value(claimID)).
		// The condition pins sendAttempts to what was seen, so this is an increment.
		Set(expression.Name("sendAttempts"), expression.Value(due.SendAttempts+1)).
		Set(expression.Name("leaseUntil"), expression.Value(lease)).
		Set(expression.Name("claimedAt"), expression.Value(s.Now()))
	if outcome == ClaimResend {
		upd = upd.Set(expression.Name("resentAt"), expression.Value(now))
	}
	c, err := s.apply(ctx, due, outcome, upd, seen)
	if err != nil {
		return c, err
	}
	if c.Outcome == ClaimLost {
		// The SDK retries a write whose response was lost; the retry then fails its condition
		// against our own claim. The item as it is now tells: exactly our claim means we won.
		if cur := c.Inv; cur == nil || cur.ClaimID != claimID || cur.Status != status || cur.LeaseUntil == nil || !cur.LeaseUntil.Equal(lease) {
			return &Claim{Outcome: ClaimLost}, nil
		}
		c.Outcome = outcome
	}
	c.prev, c.attempts = due.Status, c.Inv.SendAttempts
	return c, nil
}

// seen is the condition that the item is still in the state the due index showed.
func (s *Store) seen(due *Invitation) expression.ConditionBuilder {
	attempts := expression.Name("sendAttempts").Equal(expression.Value(due.SendAttempts))
	if due.SendAttempts == 0 {
		attempts = expression.AttributeNotExists(expression.Name("sendAttempts"))
	}
	return expression.Name("status").Equal(expression.Value(due.Status)).
		And(expression.Name("GSI4SK").Equal(expression.Value(due.GSI4SK)), attempts)
}

// leaseOver handles a claim whose lease ended: its dispatcher died between claim and mark, and
// SES may or may not have accepted the email. A reminder is treated as sent; a first email becomes
// unsure, like a send whose answer was lost (waiting for the Send event, then resent once).
func (s *Store) leaseOver(ctx context.Context, due *Invitation, seen expression.ConditionBuilder) (*Claim, error) {
	msg := expression.Value("lease ended before the send was marked: outcome unknown")
	if due.Status == invitation.StatusReminding {
		upd := offDueIndex(expression.Set(expression.Name("status"), expression.Value(invitation.StatusDone)).
			Set(expression.Name("lastSendError"), msg))
		return s.apply(ctx, due, ClaimUnsure, endClaim(upd), seen)
	}
	// Stamped with the write's own time, not the tick's start: the feed key must not trail the
	// moment it lands by more than the scorer's settle delay.
	upd := s.unsureUpdate(due, due.ResentAt != nil, s.Now()).Set(expression.Name("lastSendError"), msg)
	return s.apply(ctx, due, ClaimUnsure, endClaim(upd), seen)
}

// sentUpdate records a first email as sent at now: the scorer's change feed key, and the
// reminder's due key if one is configured, else no due key.
func sentUpdate(inv *Invitation, status string, now time.Time) expression.UpdateBuilder {
	upd := sentFields(inv, status, now)
	if at, ok := inv.reminderAt(now); ok {
		return upd.Set(expression.Name("GSI4SK"), expression.Value(FormatTime(at)))
	}
	return offDueIndex(upd)
}

// unsureUpdate records a first email whose outcome is unknown. The first time, it counts as sent
// at now (change feed) and is due again when the resend window ends; after the resend nothing
// more is due and sentAt stays the first attempt's.
func (s *Store) unsureUpdate(inv *Invitation, resend bool, now time.Time) expression.UpdateBuilder {
	if resend {
		// Due once more at the end of its own window: a Send event settles it before then,
		// otherwise the dispatcher stops it (invitation.StopUnsure).
		return expression.Set(expression.Name("status"), expression.Value(invitation.StatusUnsure)).
			Set(expression.Name("GSI4SK"), expression.Value(FormatTime(now.Add(s.resendAfter()))))
	}
	return sentFields(inv, invitation.StatusUnsure, now).
		Set(expression.Name("GSI4SK"), expression.Value(FormatTime(now.Add(s.resendAfter()))))
}

// stopUpdate stops an invitation for reason (keeping an earlier reason) and takes it off the due index.
func stopUpdate(reason string) expression.UpdateBuilder {
	return offDueIndex(expression.Set(expression.Name("stopped"), expression.IfNotExists(expression.Name("stopped"), expression.Value(reason))))
}

// apply runs one conditional update on the invitation and returns the item as it is after it,
// or a ClaimLost claim if the condition failed.
func (s *Store) apply(ctx context.Context, inv *Invitation, outcome ClaimOutcome, upd expression.UpdateBuilder, cond expression.ConditionBuilder) (*Claim, error) {
	after, err := s.update(ctx, inv.ID, upd, cond)
	if errors.Is(err, ErrConflict) {
		return &Claim{Outcome: ClaimLost, Inv: after}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s invitation %s: %w", outcome, inv.ID, err)
	}
	return &Claim{Outcome: outcome, Inv: after}, nil
}

// update runs a conditional UpdateItem on an invitation item and decodes the new image.
// A failed condition is ErrConflict, returned with the item as it is (nil if it does not exist).
func (s *Store) update(ctx context.Context, id string, upd expression.UpdateBuilder, cond expression.ConditionBuilder) (*Invitation, error) {
	e, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return nil, err
	}
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.Table),
		Key:                       key(eventPK(id), skEvent),
		UpdateExpression:          e.Update(),
		ConditionExpression:       e.Condition(),
		ExpressionAttributeNames:  e.Names(),
		ExpressionAttributeValues: e.Values(),
		ReturnValues:              types.ReturnValueAllNew,
		// On a failed condition the item comes back as it is, for callers that must tell a lost
		// race from their own retried write.
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		var cur *Invitation
		if ccf.Item != nil {
			cur = &Invitation{}
			if derr := attributevalue.UnmarshalMap(ccf.Item, cur); derr != nil {
				cur = nil
			}
		}
		return cur, ErrConflict
	}
	if err != nil {
		return nil, err
	}
	var inv Invitation
	if err := attributevalue.UnmarshalMap(out.Attributes, &inv); err != nil {
		return nil, fmt.Errorf("decode invitation %s: %w", id, err)
	}
	return &inv, nil
}
