// Package invitation holds the rules of an invitation's life: whether a touchpoint's contact gets
// one now, and if not, the named reason (Decide); what the dispatcher does with it when it is
// due, its send states, stop reasons, reminders and backoff (send.go); and what a customer's
// submit does to it (answer.go). It imports no AWS package: the functions read the state, ask
// these rules, and store the result through shared/store; the what-if replay calls the same
// Decide over recorded decisions.
package invitation

import (
	"errors"
	"fmt"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/touchpoint"
)

// Outcomes of a touchpoint decision (docs/CONTRACTS.md 3): invited, or skipped for a named reason.
const (
	OutcomeInvited      = "invited"
	OutcomeNoRule       = "no-rule"
	OutcomeSampledOut   = "sampled-out"
	OutcomeQuietPeriod  = "quiet-period"
	OutcomeDailyCap     = "daily-cap"
	OutcomeSuppressed   = "suppressed"
	OutcomeUnsubscribed = "unsubscribed"
	OutcomeDuplicate    = "duplicate"
	OutcomeInvalid      = "invalid"
)

// Outcomes lists every outcome in the order the rules apply them (reports print them so).
var Outcomes = []string{
	OutcomeInvited, OutcomeInvalid, OutcomeNoRule, OutcomeDuplicate, OutcomeSuppressed,
	OutcomeUnsubscribed, OutcomeQuietPeriod, OutcomeDailyCap, OutcomeSampledOut,
}

// Claims an invitation makes when it is stored can lose to a concurrent one; the store reports
// which with these, and Decision.Lost turns them into the recorded skip.
var (
	ErrQuietPeriod = errors.New("contact is in a quiet period")
	ErrDailyCap    = errors.New("survey reached its daily cap")
)

// Touchpoint is one event as the rules see it.
type Touchpoint struct {
	Event touchpoint.Event
	// DecodeErr is why the event could not be decoded, if it could not; it makes it invalid.
	DecodeErr error
	// Key is the event's stable key (the invitation id) and Shard its shard number (any
	// non-negative hash of Key): a large daily cap is counted on CapShards counters.
	Key   string
	Shard int
}

// Contact is what the fatigue rules know about a contact.
type Contact struct {
	UnsubscribedAt *time.Time
	LastInviteAt   time.Time            // zero if never invited
	LastBySurvey   map[string]time.Time // survey -> its last invitation
	Fingerprints   map[string]string    // survey -> fingerprint of its last invited touchpoint
}

// QuietUntil returns when the contact may be invited to survey again, given the global and the
// survey's quiet periods; the zero time if now.
func (c *Contact) QuietUntil(survey string, global, perSurvey time.Duration) time.Time {
	var until time.Time
	if !c.LastInviteAt.IsZero() {
		until = c.LastInviteAt.Add(global)
	}
	if t, ok := c.LastBySurvey[survey]; ok && !t.IsZero() && t.Add(perSurvey).After(until) {
		until = t.Add(perSurvey)
	}
	return until
}

// State is everything the rules read about one touchpoint besides the catalog: its contact, its
// address (suppressed after a bounce or complaint, opted out under any contact id) and the
// invitations already counted on its daily-cap counter.
type State struct {
	Contact    Contact
	Suppressed bool
	OptedOut   bool
	CapUsed    int
	// Claimed says an earlier delivery of this very event took its cap slot and then claimed the
	// contact, and stopped before storing the invitation (a crash, a timeout): both were granted,
	// so this delivery neither checks them again nor takes another slot.
	Claimed bool
}

// CapShards is how many counters a large daily cap is spread over, so a burst never writes one
// hot item; a cap below 10*CapShards uses one counter. The total never exceeds the catalog's cap.
const CapShards = 16

// CapSlot is the daily-cap counter one invitation counts against: a survey's UTC day, one of its
// counters, and that counter's share of the cap.
type CapSlot struct {
	Survey string
	Day    string // UTC yyyy-mm-dd
	Shard  int
	Limit  int
}

// Slot places a touchpoint of shard on one counter of a survey's daily cap for the day of now.
func Slot(survey string, dailyCap int, now time.Time, shard int) CapSlot {
	n := 1
	if dailyCap >= 10*CapShards {
		n = CapShards
	}
	return CapSlot{Survey: survey, Day: now.UTC().Format(time.DateOnly), Shard: shard % n, Limit: dailyCap / n}
}

// Reads is what the store must read before Decide: the contact's state, the address's
// suppression and opt-out, and the cap counter. An invalid event reads nothing: its fields are
// not trusted as keys.
type Reads struct {
	ContactID string
	Email     string
	Cap       *CapSlot
}

// ReadsOf tells the caller what state Decide will need for t at now.
func ReadsOf(c *catalog.Catalog, t Touchpoint, now time.Time) (Reads, bool) {
	if t.DecodeErr != nil {
		return Reads{}, false
	}
	if _, err := t.Event.Validate(now); err != nil {
		return Reads{}, false
	}
	r := Reads{ContactID: t.Event.Contact.ID, Email: t.Event.Contact.Email}
	if s, rule, ok := c.Match(t.Event.Touchpoint); ok {
		slot := Slot(s.ID, rule.DailyCap, now, t.Shard)
		r.Cap = &slot
	}
	return r, true
}

// Decision is the rules' answer for one touchpoint: an outcome with its reason, and for an
// invitation, what it claims and when it is sent.
type Decision struct {
	Outcome string
	Detail  string
	Survey  string
	// Invalid is set for an invalid event: its contact fields are not trusted, so its decision is
	// filed under no contact and keeps no personal data.
	Invalid bool
	// OccurredAt is the event's validated time (now for an invalid event).
	OccurredAt time.Time
	// Invite is set when Outcome is invited.
	Invite *Invite
}

// Invite is an invited decision's invitation and the claims it makes atomically when stored:
// the contact's quiet periods (global and the survey's), the touchpoint's fingerprint, and a
// slot on the survey's daily cap.
type Invite struct {
	Fingerprint   string
	GlobalQuiet   time.Duration
	SurveyQuiet   time.Duration
	DailyCap      int
	Cap           CapSlot
	CapTaken      bool // an earlier delivery of the event took the slot (State.Claimed)
	Locale        string
	Segments      map[string]string
	Context       map[string]string
	MetricVersion int
	DueAt         time.Time
	LinkExpiresAt time.Time
	ReminderDueAt *time.Time
}

// Decide applies the catalog's rules to one touchpoint, in the order of docs/CONTRACTS.md 3:
// invalid, no rule, duplicate, suppressed, unsubscribed, quiet period, daily cap, sampling. A
// redelivered event is the caller's: it returns the event's original decision without asking.
func Decide(c *catalog.Catalog, t Touchpoint, st State, now time.Time) Decision {
	occurredAt, err := t.Event.Validate(now)
	if t.DecodeErr != nil {
		err = t.DecodeErr
	}
	if err != nil {
		return Decision{Outcome: OutcomeInvalid, Detail: Detail(err), Invalid: true, OccurredAt: now}
	}
	return DecideValid(c, t, occurredAt, st, now)
}

// DecideValid is Decide for a touchpoint already found valid at now, occurring at occurredAt:
// the what-if replay calls it for recorded decisions, whose validity no catalog changes.
func DecideValid(c *catalog.Catalog, t Touchpoint, occurredAt time.Time, st State, now time.Time) Decision {
	skip := func(outcome, why string) Decision {
		return Decision{Outcome: outcome, Detail: why, OccurredAt: occurredAt}
	}
	ev := t.Event
	s, r, ok := c.Match(ev.Touchpoint)
	if !ok {
		return skip(OutcomeNoRule, "no survey has a rule for "+ev.Touchpoint)
	}
	skip = func(outcome, why string) Decision {
		return Decision{Outcome: outcome, Detail: why, Survey: s.ID, OccurredAt: occurredAt}
	}
	fingerprint := ev.Fingerprint(occurredAt)
	global := c.GlobalQuietPeriod.Duration
	switch {
	case st.Contact.Fingerprints[s.ID] == fingerprint:
		return skip(OutcomeDuplicate, "already invited for "+fingerprint)
	case st.Suppressed:
		return skip(OutcomeSuppressed, "address is on the suppression list")
	case st.Contact.UnsubscribedAt != nil:
		return skip(OutcomeUnsubscribed, "contact unsubscribed")
	case st.OptedOut:
		return skip(OutcomeUnsubscribed, "address opted out (under another contact id)")
	}
	if until := st.Contact.QuietUntil(s.ID, global, r.QuietPeriod.Duration); until.After(now) {
		return skip(OutcomeQuietPeriod, "quiet until "+until.Format(time.RFC3339))
	}
	slot := Slot(s.ID, r.DailyCap, now, t.Shard)
	if !st.Claimed && st.CapUsed >= slot.Limit {
		return skip(OutcomeDailyCap, capDetail(r.DailyCap))
	}
	if !catalog.Sampled(r.SampleRate, ev.Contact.ID, s.ID) {
		return skip(OutcomeSampledOut, fmt.Sprintf("outside the %g sample", r.SampleRate))
	}
	inv := &Invite{
		Fingerprint: fingerprint, GlobalQuiet: global, SurveyQuiet: r.QuietPeriod.Duration,
		DailyCap: r.DailyCap, Cap: slot, CapTaken: st.Claimed,
		Locale:        s.Locale(ev.Contact.Locale),
		Segments:      s.Segment(ev.Attributes),
		Context:       r.Context.Pick(ev.Attributes),
		MetricVersion: metric.Version,
	}
	// Due at occurredAt + delay (never in the past), the link expiring linkExpiry after that, one
	// reminder after reminderAfter.
	inv.DueAt = occurredAt.Add(r.Delay.Duration)
	if inv.DueAt.Before(now) {
		inv.DueAt = now
	}
	inv.LinkExpiresAt = inv.DueAt.Add(r.LinkExpiry.Duration)
	if r.ReminderAfter.Duration > 0 {
		at := inv.DueAt.Add(r.ReminderAfter.Duration)
		inv.ReminderDueAt = &at
	}
	return Decision{Outcome: OutcomeInvited, Survey: s.ID, OccurredAt: occurredAt, Invite: inv}
}

// Lost is the decision recorded when an invitation's claim lost to a concurrent one (err is
// ErrQuietPeriod or ErrDailyCap); ok is false for any other error.
func (d Decision) Lost(err error) (Decision, bool) {
	if d.Invite == nil {
		return d, false
	}
	lost := Decision{Survey: d.Survey, OccurredAt: d.OccurredAt}
	switch {
	case errors.Is(err, ErrQuietPeriod):
		lost.Outcome, lost.Detail = OutcomeQuietPeriod, "another invitation claimed the quiet period"
	case errors.Is(err, ErrDailyCap):
		lost.Outcome, lost.Detail = OutcomeDailyCap, capDetail(d.Invite.DailyCap)
	default:
		return d, false
	}
	return lost, true
}

func capDetail(dailyCap int) string { return fmt.Sprintf("daily cap of %d reached", dailyCap) }

// Detail renders a validation error for the producer: the field and the reason.
func Detail(err error) string {
	var fe *touchpoint.FieldError
	if errors.As(err, &fe) {
		return fe.Error()
	}
	if err == nil {
		return ""
	}
	return err.Error()
}
