package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/invitation"
)

// Prior is everything the rules read before deciding one event, fetched in one BatchGetItem.
type Prior struct {
	Existing   *Invitation // the event's own decision if it was already decided
	Contact    *ContactState
	Suppressed bool
	OptedOut   bool // the address opted out (under any contact id)
	CapUsed    int  // invitations already counted on the event's daily-cap shard

	eventKey string
}

// State is the prior state as the rules read it. A contact claim taken by this very event (an
// earlier delivery took its cap slot, claimed the contact and stopped before its invitation was
// stored) is not read as another invitation: that delivery passed the quiet periods and holds a
// cap slot, and this one finishes its work (invitation.State.Claimed).
func (p *Prior) State() invitation.State {
	c := p.Contact.Rules()
	claimed := p.Contact.ClaimEvent != "" && p.Contact.ClaimEvent == p.eventKey
	if claimed {
		for survey, at := range c.LastBySurvey {
			if at.Equal(c.LastInviteAt) {
				delete(c.LastBySurvey, survey)
				delete(c.Fingerprints, survey)
			}
		}
		c.LastInviteAt = time.Time{}
	}
	return invitation.State{Contact: c, Suppressed: p.Suppressed, OptedOut: p.OptedOut, CapUsed: p.CapUsed, Claimed: claimed}
}

// NewCapShard places eventKey's invitation on one shard of the survey's cap for day.
func NewCapShard(survey string, dailyCap int, day time.Time, eventKey string) invitation.CapSlot {
	return invitation.Slot(survey, dailyCap, day, Shard(eventKey))
}

func capShardPK(c *invitation.CapSlot) string { return capPK(c.Survey, c.Day, c.Shard) }

// LoadPrior reads the event's decision, the contact's state, the address's suppression and the
// cap shard. Reads are eventually consistent: Invite's conditions catch anything newer.
func (s *Store) LoadPrior(ctx context.Context, eventKey, contactID, email string, cap *invitation.CapSlot) (*Prior, error) {
	keys := []map[string]types.AttributeValue{key(eventPK(eventKey), skEvent)}
	if contactID != "" {
		keys = append(keys, key(contactPK(contactID), skState))
	}
	if email != "" {
		keys = append(keys, key(suppressPK(email), skSuppress), key(optOutPK(email), skOptOut))
	}
	if cap != nil {
		keys = append(keys, key(capShardPK(cap), skCap))
	}
	got, err := s.batchGet(ctx, keys, false)
	if err != nil {
		return nil, fmt.Errorf("load prior state of %s: %w", eventKey, err)
	}
	items := map[string]map[string]types.AttributeValue{}
	for _, it := range got {
		if pk, ok := it["PK"].(*types.AttributeValueMemberS); ok {
			items[pk.Value] = it
		}
	}
	p := &Prior{eventKey: eventKey}
	if it := items[eventPK(eventKey)]; it != nil {
		p.Existing = &Invitation{}
		if err := attributevalue.UnmarshalMap(it, p.Existing); err != nil {
			return nil, fmt.Errorf("decode decision %s: %w", eventKey, err)
		}
	}
	c, err := decodeContactState(contactID, items[contactPK(contactID)])
	if err != nil {
		return nil, fmt.Errorf("decode contact %s: %w", contactID, err)
	}
	p.Contact = c
	p.Suppressed = email != "" && items[suppressPK(email)] != nil
	p.OptedOut = email != "" && items[optOutPK(email)] != nil
	if cap != nil {
		if it := items[capShardPK(cap)]; it != nil {
			if n, ok := it["n"].(*types.AttributeValueMemberN); ok {
				p.CapUsed, _ = strconv.Atoi(n.Value)
			}
		}
	}
	return p, nil
}

// RecordDecision stores a skip decision once. If the event was already decided (a redelivery
// racing this one), the stored decision is returned instead: one event, one decision.
func (s *Store) RecordDecision(ctx context.Context, d *Invitation) (*Invitation, error) {
	d.PK, d.SK, d.Kind = eventPK(d.ID), skEvent, KindDecision
	if d.ContactID != "" {
		d.GSI1PK, d.GSI1SK = contactPK(d.ContactID), "DEC#"+FormatTime(d.OccurredAt)+"#"+d.ID
	}
	put, err := s.putItem(ctx, d, absent())
	if err != nil {
		return nil, fmt.Errorf("record decision %s: %w", d.ID, err)
	}
	if !put {
		return s.GetInvitation(ctx, d.ID)
	}
	return d, nil
}

// SaveDecision stores one touchpoint's decision: rec carries the event's fields, d the rules'
// answer. A skip is recorded once; an invitation is created with its claims (Invite), and a claim
// that lost to a concurrent invitation is recorded as the skip the rules name for it. Either way
// the stored item is returned: a concurrent delivery's decision wins.
func (s *Store) SaveDecision(ctx context.Context, rec *Invitation, d invitation.Decision, keep Retention) (*Invitation, error) {
	rec.OccurredAt, rec.Survey = d.OccurredAt, d.Survey
	if d.Invalid {
		// An invalid event's fields are not trusted as keys, so its decision is filed under no
		// contact, where export and erase could not find it: it keeps no personal data either.
		rec.ContactID, rec.Email, rec.Name, rec.Locale = "", "", "", ""
	}
	if d.Invite == nil {
		return s.recordSkip(ctx, rec, d, keep)
	}
	inv := *rec
	i := d.Invite
	inv.Outcome, inv.Status = d.Outcome, invitation.StatusPending
	inv.Locale, inv.Segments, inv.Context, inv.MetricVersion = i.Locale, i.Segments, i.Context, i.MetricVersion
	inv.DueAt, inv.LinkExpiresAt, inv.ReminderDueAt = i.DueAt, i.LinkExpiresAt, i.ReminderDueAt
	inv.TTL = rec.DecidedAt.Add(keep.Invitation).Unix()
	claim := InviteClaim{GlobalQuiet: i.GlobalQuiet, SurveyQuiet: i.SurveyQuiet, Fingerprint: i.Fingerprint}
	if !i.CapTaken {
		slot := i.Cap
		claim.Cap = &slot
	}
	stored, err := s.Invite(ctx, &inv, claim)
	if errors.Is(err, invitation.ErrDailyCap) {
		// The rules' read may have missed this event's own claim (a quick retry): then the slot
		// that filled the cap is its own.
		if own, oerr := s.OwnClaim(ctx, inv.ContactID, inv.ID); oerr != nil {
			return nil, oerr
		} else if own {
			claim.Cap = nil
			stored, err = s.Invite(ctx, &inv, claim)
		}
	}
	if lost, ok := d.Lost(err); ok {
		return s.recordSkip(ctx, rec, lost, keep)
	}
	return stored, err
}

// Retention is how long decisions live after their decision time: a skip for Decision, an
// invitation for Invitation.
type Retention struct {
	Decision   time.Duration
	Invitation time.Duration
}

func (s *Store) recordSkip(ctx context.Context, rec *Invitation, d invitation.Decision, keep Retention) (*Invitation, error) {
	skip := *rec
	skip.Outcome, skip.Detail = d.Outcome, d.Detail
	skip.TTL = rec.DecidedAt.Add(keep.Decision).Unix()
	return s.RecordDecision(ctx, &skip)
}

// InviteClaim is what an invitation claims with its creation: the contact's quiet periods
// (global and per survey) and a slot on the survey's daily cap (nil: none to take, or taken by an
// earlier delivery of the event).
type InviteClaim struct {
	GlobalQuiet time.Duration
	SurveyQuiet time.Duration
	Fingerprint string
	Cap         *invitation.CapSlot
}

// Invite creates the invitation with its claims: the contact's quiet periods (global and per
// survey) and a slot on the survey's daily cap. It returns the stored item: the new invitation,
// or the event's existing decision if another delivery got there first. invitation.ErrQuietPeriod
// and invitation.ErrDailyCap report a claim that lost; the caller records that decision.
//
// Three conditional writes in a safe order, not one transaction (a transaction costs twice the
// write units of each item, docs/PERFORMANCE.md):
//
//  1. the cap slot; a full cap ends here, with nothing to undo;
//  2. the contact claim, conditioned on the quiet periods, or on being this event's own claim
//     (claimEvent): a claim therefore always stands on a slot already counted, and a delivery
//     retried after a crash that finds its own claim takes no second slot (State.Claimed);
//     a claim lost to a concurrent invitation gives the slot back;
//  3. the invitation, put once (attribute_not_exists): a redelivery finds the stored item (a
//     concurrent duplicate's slot stays counted: which slot backs the invitation cannot be told).
//
// A crash after the slot and before the claim leaves that slot counted without an invitation,
// and a retry takes another: the cap can be reached early, never exceeded, and no retried event
// loses its invitation (a daily-cap outcome is checked against the contact's claim read strongly
// consistent, OwnClaim).
func (s *Store) Invite(ctx context.Context, inv *Invitation, c InviteClaim) (*Invitation, error) {
	now := s.Now()
	inv.PK, inv.SK, inv.Kind = eventPK(inv.ID), skEvent, KindInvitation
	inv.GSI1PK, inv.GSI1SK = contactPK(inv.ContactID), "DEC#"+FormatTime(inv.OccurredAt)+"#"+inv.ID
	inv.GSI4PK, inv.GSI4SK = duePK(DueShard(inv.ID)), FormatTime(inv.DueAt)
	if c.Cap != nil {
		if err := s.takeCapSlot(ctx, c.Cap, now); err != nil {
			return nil, err
		}
	}
	undo, err := s.claimContact(ctx, inv, c, now)
	if errors.Is(err, invitation.ErrQuietPeriod) {
		return nil, errors.Join(err, s.giveCapSlotBack(ctx, c.Cap))
	}
	if err != nil {
		// The claim may have been written (a lost answer): the slot stays, so a retry that finds
		// the claim stands on a counted slot.
		return nil, err
	}
	put, err := s.putItem(ctx, inv, absent())
	if err != nil {
		return nil, fmt.Errorf("put invitation %s: %w", inv.ID, err)
	}
	if put {
		return inv, nil
	}
	stored, err := s.GetInvitation(ctx, inv.ID)
	if err != nil {
		return nil, err
	}
	if stored.Invited() {
		// This event's invitation, stored by a concurrent duplicate or by this very put (its answer
		// lost and the SDK's retry refused): this delivery's slot stays counted, since which slot
		// backs the invitation cannot be told (the cap is reached early, never exceeded).
		return stored, nil
	}
	// A concurrent delivery recorded a skip: neither the claim nor the slot this delivery took is
	// backed by an invitation.
	return stored, errors.Join(s.undoClaim(ctx, inv, undo), s.giveCapSlotBack(ctx, c.Cap))
}

// OwnClaim reports whether the contact's claim, read strongly consistent, is eventKey's own: an
// earlier delivery of the event took its cap slot and claimed the contact (State.Claimed), which
// an eventually consistent read may not show yet. The touchpoint asks before recording daily-cap.
func (s *Store) OwnClaim(ctx context.Context, contactID, eventKey string) (bool, error) {
	if contactID == "" {
		return false, nil
	}
	var c struct {
		ClaimEvent string `dynamodbav:"claimEvent"`
	}
	if _, err := s.getItem(ctx, key(contactPK(contactID), skState), true, &c); err != nil {
		return false, fmt.Errorf("read claim of contact %s: %w", contactID, err)
	}
	return c.ClaimEvent == eventKey, nil
}

// claimUndo holds what the contact claim replaced: each claimed attribute's old value, or nil
// if it had none, and the claim's own stamp.
type claimUndo struct {
	old   map[string]types.AttributeValue
	stamp string
}

// claimContact takes the contact's quiet periods for inv (step 2 of Invite).
func (s *Store) claimContact(ctx context.Context, inv *Invitation, c InviteClaim, now time.Time) (claimUndo, error) {
	stamp := FormatTime(now)
	lastGlobal, lastSurvey := expression.Name(attrLastInvite), expression.Name(prefixLastSurvey+inv.Survey)
	quiet := expression.And(
		expression.Or(expression.AttributeNotExists(lastGlobal), lastGlobal.LessThanEqual(expression.Value(FormatTime(now.Add(-c.GlobalQuiet))))),
		expression.Or(expression.AttributeNotExists(lastSurvey), lastSurvey.LessThanEqual(expression.Value(FormatTime(now.Add(-c.SurveyQuiet))))),
	)
	cond := expression.Or(quiet, expression.Name(attrClaimEvent).Equal(expression.Value(inv.ID))).
		And(expression.AttributeNotExists(expression.Name(attrUnsubscribedAt)))
	claim := expression.Set(lastGlobal, expression.Value(stamp)).
		Set(lastSurvey, expression.Value(stamp)).
		Set(expression.Name(prefixFingerprint+inv.Survey), expression.Value(c.Fingerprint)).
		Set(expression.Name(attrClaimEvent), expression.Value(inv.ID)).
		Set(expression.Name("kind"), expression.Value(KindContact)).
		Set(expression.Name("email"), expression.Value(inv.Email))
	if inv.TTL > 0 {
		// Retention: the contact's state lives as long as its newest invitation (docs/SECURITY.md).
		claim = claim.Set(expression.Name("ttl"), expression.Value(inv.TTL))
	}
	e, err := expression.NewBuilder().WithCondition(cond).WithUpdate(claim).Build()
	if err != nil {
		return claimUndo{}, err
	}
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: key(contactPK(inv.ContactID), skState),
		ConditionExpression: e.Condition(), UpdateExpression: e.Update(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		ReturnValues: types.ReturnValueUpdatedOld,
	})
	if isConditionFailed(err) {
		return claimUndo{}, invitation.ErrQuietPeriod
	}
	if err != nil {
		return claimUndo{}, fmt.Errorf("claim contact for invitation %s: %w", inv.ID, err)
	}
	undo := claimUndo{old: map[string]types.AttributeValue{}, stamp: stamp}
	for _, a := range claimedAttrs(inv.Survey) {
		undo.old[a] = out.Attributes[a]
	}
	return undo, nil
}

// claimedAttrs are the contact attributes a claim for survey sets and an undo restores.
func claimedAttrs(survey string) []string {
	return []string{attrLastInvite, prefixLastSurvey + survey, prefixFingerprint + survey, attrClaimEvent}
}

// undoClaim restores what the contact claim of inv replaced, only while the claim is still this
// delivery's own (its event and its stamp): a concurrent duplicate's later claim, or another
// invitation's, stands.
func (s *Store) undoClaim(ctx context.Context, inv *Invitation, undo claimUndo) error {
	var upd expression.UpdateBuilder
	for _, a := range claimedAttrs(inv.Survey) {
		if old := undo.old[a]; old != nil {
			upd = upd.Set(expression.Name(a), expression.Value(old))
		} else {
			upd = upd.Remove(expression.Name(a))
		}
	}
	// A failed condition means someone else holds the claim now: nothing to undo.
	own := expression.Name(attrClaimEvent).Equal(expression.Value(inv.ID)).
		And(expression.Name(attrLastInvite).Equal(expression.Value(undo.stamp)))
	if _, err := s.updateItem(ctx, key(contactPK(inv.ContactID), skState), upd, own); err != nil {
		return fmt.Errorf("undo contact claim of invitation %s: %w", inv.ID, err)
	}
	return nil
}

// takeCapSlot counts one invitation on its shard of the survey's daily cap (step 1 of Invite).
func (s *Store) takeCapSlot(ctx context.Context, slot *invitation.CapSlot, now time.Time) error {
	n := expression.Name("n")
	took, err := s.updateItem(ctx, key(capShardPK(slot), skCap),
		expression.Add(n, expression.Value(1)).
			Set(expression.Name("kind"), expression.Value(KindCap)).
			Set(expression.Name("ttl"), expression.Value(now.Add(72*time.Hour).Unix())),
		expression.Or(expression.AttributeNotExists(n), n.LessThan(expression.Value(slot.Limit))))
	if err != nil {
		return fmt.Errorf("count cap slot %s: %w", capShardPK(slot), err)
	}
	if !took {
		return invitation.ErrDailyCap
	}
	return nil
}

// giveCapSlotBack uncounts a slot this delivery took and cannot use (nil: none taken), in one
// attempt: an SDK retry of a decrement whose answer was lost would uncount a second slot. If it
// fails, the slot stays counted: the cap is reached early, never exceeded.
func (s *Store) giveCapSlotBack(ctx context.Context, slot *invitation.CapSlot) error {
	if slot == nil {
		return nil
	}
	e, err := expression.NewBuilder().WithUpdate(expression.Add(expression.Name("n"), expression.Value(-1))).
		WithCondition(present()).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: key(capShardPK(slot), skCap),
		UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
	}, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
	if err != nil {
		return fmt.Errorf("give back cap slot %s: %w", capShardPK(slot), err)
	}
	return nil
}

// DecisionsForContact lists a contact's decisions, newest first (GSI1).
func (s *Store) DecisionsForContact(ctx context.Context, contactID string, limit int32) ([]Invitation, error) {
	kc := expression.Key("GSI1PK").Equal(expression.Value(contactPK(contactID))).
		And(expression.Key("GSI1SK").BeginsWith("DEC#"))
	ex, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, err
	}
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), IndexName: aws.String(IndexContact),
		KeyConditionExpression: ex.KeyCondition(), ExpressionAttributeNames: ex.Names(), ExpressionAttributeValues: ex.Values(),
		ScanIndexForward: aws.Bool(false), Limit: aws.Int32(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("decisions of contact %s: %w", contactID, err)
	}
	var ds []Invitation
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &ds); err != nil {
		return nil, err
	}
	return ds, nil
}
