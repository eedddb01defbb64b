// Package whatif replays recorded touchpoint decisions against an edited catalog: in decision
// order, through the same rules TouchpointFunction runs (invitation.DecideValid), with the
// contact's quiet periods, fingerprints and the daily caps rebuilt from the replay's own
// invitations and the unsubscribes, opt-outs and suppressions taken from their recorded times.
// It imports no AWS package: the store loads a Dataset, the report prices it with package cost.
package whatif

import (
	"cmp"
	"slices"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/touchpoint"
)

// Record is one recorded touchpoint decision: the fields the table keeps on a decision item
// that the rules read, with the address only as its hash, and what followed an invitation.
type Record struct {
	Key        string // the event key (invitation id)
	Shard      int    // the key's shard, as the touchpoint function computed it
	EventID    string
	Touchpoint string
	ContactID  string
	Address    string // hex SHA-256 of the lower-cased address (the key of its suppression and opt-out)
	Locale     string
	OccurredAt time.Time
	DecidedAt  time.Time
	Survey     string
	Outcome    string
	Detail     string

	// Erased marks a decision of an erased contact: it keeps only its key, touchpoint, survey,
	// outcome and time, so a recorded invitation still takes its daily-cap slot in the replay;
	// it is not replayed or reported.
	Erased bool

	// What followed an invitation, as the table held it when it was read.
	Emails   int // first email and reminder sent
	Answered bool
	Tickets  int
}

// Dataset is what a replay reads: the recorded decisions (erased contacts' stripped, Erased)
// and the timelines of opt-outs, unsubscribes and suppressions.
type Dataset struct {
	Records      []Record
	Unsubscribed map[string]time.Time // contact id -> unsubscribedAt
	OptedOut     map[string]time.Time // address hash -> optedOutAt
	Suppressed   map[string]time.Time // address hash -> suppressedAt

	// Coverage: what the load saw and left out.
	ReadAt        time.Time
	Items         int           // items of the kinds a replay reads
	Erased        int           // decisions of erased contacts (kept only for the daily caps)
	SkipRetention time.Duration // how long skip decisions are kept (DECISION_RETENTION_DAYS)
}

// Replayed is one record's decision under the edited catalog.
type Replayed struct {
	Outcome string
	Survey  string
	Detail  string
}

// contact is the replay's own state of one contact, built from its replayed invitations.
type contact struct {
	last     time.Time
	bySurvey map[string]time.Time
	prints   map[string]string
}

type capKey struct {
	survey, day string
	shard       int
}

// Replay decides every record again under cat, in decision order (the records are sorted in
// place by decision time, then key). out[i] is records[i]'s replayed decision. A record decided
// invalid stays invalid: its validity does not depend on the catalog. An erased contact's
// recorded invitation keeps its daily-cap slot and is otherwise left as recorded.
func Replay(cat *catalog.Catalog, d *Dataset) []Replayed {
	recs := d.Records
	slices.SortFunc(recs, func(a, b Record) int {
		if c := a.DecidedAt.Compare(b.DecidedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	out := make([]Replayed, len(recs))
	contacts := make(map[string]*contact, len(recs)/4)
	caps := map[capKey]int{}
	for i := range recs {
		r := &recs[i]
		if r.Erased {
			out[i] = Replayed{Outcome: r.Outcome, Survey: r.Survey, Detail: r.Detail}
			if s, rule, ok := cat.Match(r.Touchpoint); ok && r.Outcome == invitation.OutcomeInvited {
				slot := invitation.Slot(s.ID, rule.DailyCap, r.DecidedAt, r.Shard)
				caps[capKey{slot.Survey, slot.Day, slot.Shard}]++
			}
			continue
		}
		if r.Outcome == invitation.OutcomeInvalid {
			out[i] = Replayed{Outcome: r.Outcome, Detail: r.Detail}
			continue
		}
		now := r.DecidedAt
		c := contacts[r.ContactID]
		if c == nil {
			c = &contact{bySurvey: map[string]time.Time{}, prints: map[string]string{}}
			contacts[r.ContactID] = c
		}
		st := invitation.State{
			Contact:    invitation.Contact{LastInviteAt: c.last, LastBySurvey: c.bySurvey, Fingerprints: c.prints},
			Suppressed: before(d.Suppressed, r.Address, now),
			OptedOut:   before(d.OptedOut, r.Address, now),
		}
		if at, ok := d.Unsubscribed[r.ContactID]; ok && !at.After(now) {
			st.Contact.UnsubscribedAt = &at
		}
		var slot invitation.CapSlot
		if s, rule, ok := cat.Match(r.Touchpoint); ok {
			slot = invitation.Slot(s.ID, rule.DailyCap, now, r.Shard)
			st.CapUsed = caps[capKey{slot.Survey, slot.Day, slot.Shard}]
		}
		t := invitation.Touchpoint{
			Event: touchpoint.Event{EventID: r.EventID, Touchpoint: r.Touchpoint,
				Contact: touchpoint.Contact{ID: r.ContactID, Locale: r.Locale}},
			Key: r.Key, Shard: r.Shard,
		}
		dec := invitation.DecideValid(cat, t, r.OccurredAt, st, now)
		out[i] = Replayed{Outcome: dec.Outcome, Survey: dec.Survey, Detail: dec.Detail}
		if dec.Invite != nil {
			c.last = now
			c.bySurvey[dec.Survey] = now
			c.prints[dec.Survey] = dec.Invite.Fingerprint
			caps[capKey{slot.Survey, slot.Day, slot.Shard}]++
		}
	}
	return out
}

// before reports whether key's time in m is at or before now.
func before(m map[string]time.Time, key string, now time.Time) bool {
	if key == "" {
		return false
	}
	at, ok := m[key]
	return ok && !at.After(now)
}
