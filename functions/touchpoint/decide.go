package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/touchpoint"
)

// Decision is the answer for one touchpoint: `invited` with the due time, or a skip reason.
type Decision struct {
	EventID      string     `json:"eventId,omitempty"`
	Outcome      string     `json:"outcome"`
	Detail       string     `json:"detail,omitempty"`
	Survey       string     `json:"survey,omitempty"`
	InvitationID string     `json:"invitationId,omitempty"`
	DueAt        *time.Time `json:"dueAt,omitempty"`
	// Recorded is false only for events without an eventId, which cannot be recorded.
	Recorded bool `json:"recorded"`
}

func decisionOf(it *store.Invitation) Decision {
	d := Decision{EventID: it.EventID, Outcome: it.Outcome, Detail: it.Detail, Survey: it.Survey, Recorded: true}
	if it.Invited() {
		d.InvitationID = it.ID
		due := it.DueAt
		d.DueAt = &due
	}
	return d
}

// decide applies the catalog's rules to one event, in the order of docs/CONTRACTS.md 3:
// redelivery, invalid, no rule, duplicate, suppressed, unsubscribed, quiet period, daily cap,
// sampling; then the invitation is created in one transaction with its claims.
func (h *Handler) decide(ctx context.Context, ev touchpoint.Event, decodeErr error) (Decision, error) {
	if ev.EventID == "" {
		err := decodeErr
		if err == nil {
			_, err = ev.Validate(h.now())
		}
		return Decision{Outcome: store.OutcomeInvalid, Detail: detail(err)}, nil
	}
	now := h.now()
	key := store.EventKey(ev.EventID)
	occurredAt, verr := ev.Validate(now)
	if decodeErr != nil {
		verr = decodeErr
	}

	base := &store.Invitation{
		ID: key, EventID: ev.EventID, Touchpoint: ev.Touchpoint, OccurredAt: occurredAt,
		ContactID: ev.Contact.ID, Email: ev.Contact.Email, Name: ev.Contact.Name, Locale: ev.Contact.Locale,
		DecidedAt: now, CatalogVersion: h.Catalog.Version,
	}
	if verr != nil {
		// An invalid event's fields are not trusted as keys, so its decision is filed under no
		// contact, where export and erase could not find it: it keeps no personal data either.
		base.ContactID, base.OccurredAt = "", now
		base.Email, base.Name, base.Locale = "", "", ""
		return h.skip(ctx, base, store.OutcomeInvalid, detail(verr))
	}

	survey, rule, matched := h.Catalog.Match(ev.Touchpoint)
	var capShard *store.CapShard
	if matched {
		c := store.NewCapShard(survey.ID, rule.DailyCap, now, key)
		capShard = &c
	}
	prior, err := h.Store.LoadPrior(ctx, key, ev.Contact.ID, ev.Contact.Email, capShard)
	if err != nil {
		return Decision{}, err
	}
	if prior.Existing != nil {
		return decisionOf(prior.Existing), nil // a redelivery: its original decision
	}
	if !matched {
		return h.skip(ctx, base, store.OutcomeNoRule, "no survey has a rule for "+ev.Touchpoint)
	}
	base.Survey = survey.ID
	fingerprint := ev.Fingerprint(occurredAt)
	globalQuiet := h.Catalog.GlobalQuietPeriod.Duration
	switch {
	case prior.Contact.Fingerprints[survey.ID] == fingerprint:
		return h.skip(ctx, base, store.OutcomeDuplicate, "already invited for "+fingerprint)
	case prior.Suppressed:
		return h.skip(ctx, base, store.OutcomeSuppressed, "address is on the suppression list")
	case prior.Contact.Unsubscribed():
		return h.skip(ctx, base, store.OutcomeUnsubscribed, "contact unsubscribed")
	case prior.OptedOut:
		return h.skip(ctx, base, store.OutcomeUnsubscribed, "address opted out (under another contact id)")
	}
	if until := prior.Contact.QuietUntil(survey.ID, globalQuiet, rule.QuietPeriod.Duration); until.After(now) {
		return h.skip(ctx, base, store.OutcomeQuietPeriod, "quiet until "+until.Format(time.RFC3339))
	}
	if prior.CapUsed >= capShard.Limit {
		return h.skip(ctx, base, store.OutcomeDailyCap, fmt.Sprintf("daily cap of %d reached", rule.DailyCap))
	}
	if !catalog.Sampled(rule.SampleRate, ev.Contact.ID, survey.ID) {
		return h.skip(ctx, base, store.OutcomeSampledOut, fmt.Sprintf("outside the %g sample", rule.SampleRate))
	}

	inv := h.invitation(base, ev, survey, rule, occurredAt, now)
	stored, err := h.Store.Invite(ctx, inv, store.InviteClaim{
		GlobalQuiet: globalQuiet, SurveyQuiet: rule.QuietPeriod.Duration, Fingerprint: fingerprint, Cap: capShard,
	})
	switch {
	case errors.Is(err, store.ErrQuietPeriod):
		return h.skip(ctx, base, store.OutcomeQuietPeriod, "another invitation claimed the quiet period")
	case errors.Is(err, store.ErrDailyCap):
		return h.skip(ctx, base, store.OutcomeDailyCap, fmt.Sprintf("daily cap of %d reached", rule.DailyCap))
	case err != nil:
		return Decision{}, err
	}
	return decisionOf(stored), nil
}

// invitation builds the invitation for an invited event: due at occurredAt + delay (never in
// the past), its link expiring linkExpiry after that, one reminder after reminderAfter.
func (h *Handler) invitation(base *store.Invitation, ev touchpoint.Event, s *catalog.Survey, r *catalog.Rule, occurredAt, now time.Time) *store.Invitation {
	inv := *base
	inv.Outcome = store.OutcomeInvited
	inv.Locale = s.Locale(ev.Contact.Locale)
	inv.Segments = s.Segment(ev.Attributes)
	inv.Context = r.Context.Pick(ev.Attributes)
	inv.MetricVersion = metric.Version
	inv.Status = store.StatusPending
	inv.DueAt = occurredAt.Add(r.Delay.Duration)
	if inv.DueAt.Before(now) {
		inv.DueAt = now
	}
	inv.LinkExpiresAt = inv.DueAt.Add(r.LinkExpiry.Duration)
	if r.ReminderAfter.Duration > 0 {
		at := inv.DueAt.Add(r.ReminderAfter.Duration)
		inv.ReminderDueAt = &at
	}
	inv.TTL = now.Add(h.InvitationTTL).Unix()
	return &inv
}

// skip records a skip decision (once; a concurrent delivery's decision wins).
func (h *Handler) skip(ctx context.Context, d *store.Invitation, outcome, why string) (Decision, error) {
	d.Outcome, d.Detail = outcome, why
	d.TTL = h.now().Add(h.DecisionTTL).Unix()
	stored, err := h.Store.RecordDecision(ctx, d)
	if err != nil {
		return Decision{}, err
	}
	return decisionOf(stored), nil
}

// detail renders a validation error for the producer: the field and the reason.
func detail(err error) string {
	var fe *touchpoint.FieldError
	if errors.As(err, &fe) {
		return fe.Error()
	}
	if err == nil {
		return ""
	}
	return err.Error()
}
