package main

import (
	"context"
	"time"

	"github.com/cxloop/cxloop/shared/invitation"
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

// decide reads what the rules need for one event, asks them (invitation.Decide), and stores the
// answer in one call. A redelivered event gets its original decision; an event without an
// eventId cannot be recorded and gets its invalid decision unrecorded.
func (h *Handler) decide(ctx context.Context, ev touchpoint.Event, decodeErr error) (Decision, error) {
	now := h.now()
	if ev.EventID == "" {
		d := invitation.Decide(h.Catalog, invitation.Touchpoint{Event: ev, DecodeErr: decodeErr}, invitation.State{}, now)
		return Decision{Outcome: d.Outcome, Detail: d.Detail}, nil
	}
	key := store.EventKey(ev.EventID)
	t := invitation.Touchpoint{Event: ev, DecodeErr: decodeErr, Key: key, Shard: store.Shard(key)}
	var st invitation.State
	if reads, ok := invitation.ReadsOf(h.Catalog, t, now); ok {
		prior, err := h.Store.LoadPrior(ctx, key, reads.ContactID, reads.Email, reads.Cap)
		if err != nil {
			return Decision{}, err
		}
		if prior.Existing != nil {
			return decisionOf(prior.Existing), nil // a redelivery: its original decision
		}
		st = prior.State()
	}
	d := invitation.Decide(h.Catalog, t, st, now)
	if d.Outcome == invitation.OutcomeDailyCap && !st.Claimed {
		// The prior read is eventually consistent: a quick retry may not see that its earlier
		// delivery took the last slot and claimed the contact. Read the claim consistently before
		// refusing (one read unit, at the cap's edge only).
		own, err := h.Store.OwnClaim(ctx, ev.Contact.ID, key)
		if err != nil {
			return Decision{}, err
		}
		if own {
			st.Claimed = true
			d = invitation.Decide(h.Catalog, t, st, now)
		}
	}
	rec := &store.Invitation{
		ID: key, EventID: ev.EventID, Touchpoint: ev.Touchpoint,
		ContactID: ev.Contact.ID, Email: ev.Contact.Email, Name: ev.Contact.Name, Locale: ev.Contact.Locale,
		DecidedAt: now, CatalogVersion: h.Catalog.Version,
	}
	stored, err := h.Store.SaveDecision(ctx, rec, d, store.Retention{Decision: h.DecisionTTL, Invitation: h.InvitationTTL})
	if err != nil {
		return Decision{}, err
	}
	return decisionOf(stored), nil
}
