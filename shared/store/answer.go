package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/invitation"
)

// NewAnswer is one submit of the survey form, already validated against the survey's scale.
type NewAnswer struct {
	Score      int
	Comment    string
	EditWindow time.Duration // catalog.EditWindow: how long after the first answer it may change
}

// answerAttempts bounds the optimistic loop: each lost race means someone else's write won, so
// with jittered waits between tries (answerBackoff) even 50 different answers posted to one link at
// once all land or see the answer that did; past the bound the caller gets ErrConflict (a 409).
const answerAttempts = 60

// answerBackoff is the wait before try n (n >= 1): a random 0-2 ms times n, capped at 50 ms, so
// racing writers spread out instead of colliding again in lockstep.
func answerBackoff(n int) time.Duration {
	return time.Duration(rand.Int64N(int64(min(2*time.Millisecond*time.Duration(n), 50*time.Millisecond)) + 1))
}

// RecordAnswer records a submit on the invitation inv (as the caller last read it, consistent or
// not) with one
// conditional UpdateItem: it appends {score, at} to `answers`, sets the current score, comment and
// answeredAt, stops reminders (stopped, and off the due index), and moves the item on the
// scorer's change feed (GSI3). A repeat of
// the current answer writes nothing, so a double click or 20 retried POSTs append once.
//
// The write is conditioned on the state the decision was made from (no answer yet, or exactly
// len(answers) answers with the first inside the edit window); when it loses a race, the item's
// current state comes back with the failed condition and the decision is made again.
//
// It returns the invitation as stored afterwards. invitation.ErrEditWindowClosed comes with the stored
// invitation too, so the page can show the final answer. Other errors: ErrNotFound (no such
// invitation, or a skipped decision), invitation.ErrNotSent, invitation.ErrExpired.
func (s *Store) RecordAnswer(ctx context.Context, inv *Invitation, a NewAnswer) (*Invitation, invitation.AnswerOutcome, error) {
	for attempt := range answerAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, 0, ctx.Err()
			case <-time.After(answerBackoff(attempt)):
			}
		}
		now := s.Now()
		outcome, err := decideAnswer(inv, a, now)
		if attempt == 0 && (err != nil || outcome == invitation.AnswerUnchanged) {
			// The caller's read may have been eventually consistent: a decision that writes
			// nothing is made again on a strongly consistent read (a write's condition would
			// catch a stale read; no write has no condition).
			fresh, gerr := s.GetInvitation(ctx, inv.ID)
			if gerr != nil && !errors.Is(gerr, ErrNotFound) {
				return nil, 0, gerr
			}
			inv = fresh
			outcome, err = decideAnswer(inv, a, now)
		}
		switch {
		case errors.Is(err, invitation.ErrEditWindowClosed):
			return inv, 0, err // the final answer, for the page
		case err != nil:
			return nil, 0, err
		case outcome == invitation.AnswerUnchanged:
			return inv, outcome, nil
		}
		upd, err := answerUpdate(inv, a, outcome, now)
		if err != nil {
			return nil, 0, fmt.Errorf("build answer of %s: %w", inv.ID, err)
		}
		out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                           aws.String(s.Table),
			Key:                                 key(eventPK(inv.ID), skEvent),
			UpdateExpression:                    upd.Update(),
			ConditionExpression:                 upd.Condition(),
			ExpressionAttributeNames:            upd.Names(),
			ExpressionAttributeValues:           upd.Values(),
			ReturnValues:                        types.ReturnValueAllNew,
			ReturnConsumedCapacity:              types.ReturnConsumedCapacityIndexes,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		if err == nil {
			after := &Invitation{}
			if err := attributevalue.UnmarshalMap(out.Attributes, after); err != nil {
				return nil, 0, fmt.Errorf("decode answered invitation %s: %w", inv.ID, err)
			}
			return after, outcome, nil
		}
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			return nil, 0, fmt.Errorf("record answer of %s: %w", inv.ID, err)
		}
		if ccf.Item == nil { // the item is gone (erased)
			return nil, 0, ErrNotFound
		}
		fresh := &Invitation{}
		if err := attributevalue.UnmarshalMap(ccf.Item, fresh); err != nil {
			return nil, 0, fmt.Errorf("decode invitation %s: %w", inv.ID, err)
		}
		inv = fresh
	}
	return nil, 0, fmt.Errorf("record answer of %s: state kept changing: %w", inv.ID, ErrConflict)
}

// decideAnswer reads inv for the answer rule (invitation.DecideAnswer); a nil inv, a skipped
// decision and an erased contact's invitation are ErrNotFound.
func decideAnswer(inv *Invitation, a NewAnswer, now time.Time) (invitation.AnswerOutcome, error) {
	if inv == nil {
		return 0, ErrNotFound
	}
	state := invitation.Answered{Answerable: inv.Invited() && inv.ErasedAt == nil, Status: inv.Status, SentAt: inv.SentAt,
		LinkExpiresAt: inv.LinkExpiresAt, Score: inv.Score, Comment: inv.Comment}
	if inv.AnsweredAt != nil && len(inv.Answers) > 0 {
		state.FirstAt = inv.Answers[0].At
	}
	outcome, err := invitation.DecideAnswer(state, a.Score, a.Comment, a.EditWindow, now)
	if errors.Is(err, invitation.ErrNotAnswerable) {
		return 0, ErrNotFound // an erased contact's invitation takes no answer (erasure.go)
	}
	return outcome, err
}

// EditableUntil returns when the invitation's answer becomes final, or the zero time if it has no
// answer yet.
func (inv *Invitation) EditableUntil(window time.Duration) time.Time {
	if len(inv.Answers) == 0 {
		return time.Time{}
	}
	return time.UnixMilli(inv.Answers[0].At).Add(window).UTC()
}

// answerUpdate builds the update and its condition for outcome on the state inv.
func answerUpdate(inv *Invitation, a NewAnswer, outcome invitation.AnswerOutcome, now time.Time) (expression.Expression, error) {
	at := answerTime(inv, now)
	when := time.UnixMilli(at).UTC()
	answers := expression.Name("answers")
	upd := expression.
		Set(answers, expression.ListAppend(expression.IfNotExists(answers, expression.Value([]Answer{})),
			expression.Value([]Answer{{Score: a.Score, At: at, Comment: a.Comment, Lang: commentLang(inv, a)}}))).
		Set(expression.Name("score"), expression.Value(a.Score)).
		Set(expression.Name("comment"), expression.Value(a.Comment)).
		Set(expression.Name("answeredAt"), expression.Value(when)).
		// An answer stops reminders; an earlier stop reason (unsubscribed, bounced) is kept.
		Set(expression.Name("stopped"), expression.IfNotExists(expression.Name("stopped"), expression.Value(invitation.StopAnswered))).
		// The scorer's change feed: the item moves to now on its survey's shard.
		Set(expression.Name("GSI3PK"), expression.Value(feedPK(inv.Survey, Shard(inv.ID)))).
		Set(expression.Name("GSI3SK"), expression.Value(FormatTime(when)))

	cond := expression.Name("kind").Equal(expression.Value(KindInvitation)).
		And(expression.AttributeNotExists(expression.Name("erasedAt")))
	switch outcome {
	case invitation.AnswerFirst:
		// Off the due index too: no reminder is wanted any more, and the dispatcher never has to
		// read and retire the item (a claim in flight still settles: its marks are conditioned
		// on status and sendAttempts, not on the due key).
		upd = offDueIndex(upd.Set(expression.Name("firstAnsweredAt"), expression.Value(when)))
		sent := expression.Or(
			expression.AttributeExists(expression.Name("sentAt")),
			expression.In(expression.Name("status"), expression.Value(invitation.SentStatuses[0]), valuesOf(invitation.SentStatuses[1:])...),
		)
		cond = cond.And(sent, expression.AttributeNotExists(expression.Name("answeredAt")))
	case invitation.AnswerEdited:
		cond = cond.And(
			// Exactly the answers this decision saw: concurrent edits serialize, repeats append once.
			answers.Size().Equal(expression.Value(len(inv.Answers))),
			expression.Name("answers[0].at").GreaterThan(expression.Value(now.UnixMilli()-a.EditWindow.Milliseconds())),
		)
	}
	return expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
}

// answerTime is the time of a new answer in Unix milliseconds: now, but always after the previous
// answer, so the list stays in time order even when two Lambdas' clocks disagree.
func answerTime(inv *Invitation, now time.Time) int64 {
	at := now.UnixMilli()
	if n := len(inv.Answers); n > 0 && inv.Answers[n-1].At >= at {
		at = inv.Answers[n-1].At + 1
	}
	return at
}

func valuesOf(ss []string) []expression.OperandBuilder {
	out := make([]expression.OperandBuilder, len(ss))
	for i, s := range ss {
		out[i] = expression.Value(s)
	}
	return out
}

// commentLang is the language recorded with a submit's comment (none without a comment).
func commentLang(inv *Invitation, a NewAnswer) string {
	if a.Comment == "" {
		return ""
	}
	return inv.Locale
}
