package invitation

import "time"

// Send states of an invitation (its "status"): the dispatcher's state machine (docs/EMAIL.md 4).
const (
	StatusPending   = "pending"   // first email due at dueAt
	StatusSending   = "sending"   // claimed by a dispatcher; the lease ends at leaseUntil
	StatusSent      = "sent"      // first email accepted by SES; a reminder may be due
	StatusReminding = "reminding" // reminder claimed by a dispatcher
	StatusDone      = "done"      // nothing more will be sent
	StatusUnsure    = "unsure"    // SES's answer never came: settled by SES's Send event, else resent once after the window
)

// SentStatuses are the send states in which an email was accepted by SES.
var SentStatuses = []string{StatusSent, StatusReminding, StatusDone, StatusUnsure}

// Stop reasons ("stopped"): once set, nothing more is sent for the invitation.
const (
	StopAnswered     = "answered"
	StopUnsubscribed = "unsubscribed"
	StopSuppressed   = "suppressed"
	StopBounced      = "bounced"
	StopComplained   = "complained"
	StopExpired      = "expired"
	StopErased       = "erased"
	StopRejected     = "rejected" // SES refused the address or the content for good (lastSendError says why)
	// StopUnsure: the one resend's outcome was unknown too, and no Send event settled it within
	// the window after it: never sent a third time (lastSendError says what happened).
	StopUnsure = "unsure"
)

// Retry backoff after SES refused a send: doubling from the first to the last.
const (
	firstBackoff = time.Minute
	maxBackoff   = 30 * time.Minute
)

// Backoff is the wait before the next try after the attempts-th send was refused.
func Backoff(attempts int) time.Duration {
	d := firstBackoff
	for i := 1; i < attempts && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// ReminderAt is when the reminder is due after a first email sent at sentAt: the planned time
// (reminderDueAt, nil for none), but never sooner after the email than planned after dueAt (a
// send delayed by refusals moves it too), and only while the link is still valid.
func ReminderAt(dueAt time.Time, reminderDueAt *time.Time, linkExpiresAt, sentAt time.Time) (time.Time, bool) {
	if reminderDueAt == nil {
		return time.Time{}, false
	}
	at := *reminderDueAt
	if gap := reminderDueAt.Sub(dueAt); dueAt.IsZero() || gap <= 0 {
		at = later(at, sentAt)
	} else {
		at = later(at, sentAt.Add(gap))
	}
	if !linkExpiresAt.IsZero() && !at.Before(linkExpiresAt) {
		return time.Time{}, false
	}
	return at, true
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Sends is an invitation's send state as the dispatcher reads it from the due index.
type Sends struct {
	Invited           bool // an invitation, not a skipped decision
	Status, Stopped   string
	LinkExpiresAt     time.Time
	LeaseUntil        *time.Time // the current claim's lease, if one was taken
	Resent            bool       // the one resend of an unsure first email was claimed
	AcceptedMessageID string     // a Send event noted while an email was in flight
}

// Step is what the dispatcher does with an item that is due.
type Step int

// Steps of Due.
const (
	StepNone       Step = iota // nothing: not an invitation, a claim in its lease, or nothing due in this state
	StepRetire                 // stopped or finished earlier: off the due index
	StepAccepted               // an unsure resend SES is known to have had (noted event): sent, nothing more due
	StepStopUnsure             // resent once, unsettled after its window: stopped as unsure, never a third email
	StepLeaseOver              // a claim whose lease ended: its dispatcher is gone, the outcome unknown
	StepExpire                 // the link expired: stopped, nothing sent
	StepInvite                 // claim and send the first email
	StepReminder               // claim and send the reminder
	StepResend                 // claim and send the first email once more (unsure, no Send event)
)

// Due decides what the dispatcher does with an item read from the due index at now.
func Due(s Sends, now time.Time) Step {
	claimed := s.Status == StatusSending || s.Status == StatusReminding
	switch {
	case !s.Invited:
		return StepNone
	case s.Stopped != "" || s.Status == StatusDone:
		return StepRetire
	case claimed && s.LeaseUntil != nil && now.Before(*s.LeaseUntil):
		return StepNone // in flight: its dispatcher is still within the lease
	case claimed:
		return StepLeaseOver
	case s.Status == StatusUnsure && s.Resent && s.AcceptedMessageID != "":
		return StepAccepted
	case s.Status == StatusUnsure && s.Resent:
		return StepStopUnsure
	case s.Status != StatusPending && s.Status != StatusSent && s.Status != StatusUnsure:
		return StepNone
	case !s.LinkExpiresAt.IsZero() && !now.Before(s.LinkExpiresAt):
		return StepExpire
	case s.Status == StatusSent:
		return StepReminder
	case s.Status == StatusUnsure:
		return StepResend
	}
	return StepInvite
}
