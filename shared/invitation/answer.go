package invitation

import (
	"errors"
	"slices"
	"time"
)

// Named outcomes of an answer that the survey page shows as such.
var (
	// ErrNotAnswerable means the item takes no answer: a skipped decision, or an erased contact's
	// invitation (docs/SECURITY.md).
	ErrNotAnswerable = errors.New("not an answerable invitation")
	// ErrEditWindowClosed means the answer was first given longer ago than the edit window: it is final.
	ErrEditWindowClosed = errors.New("the answer can no longer be changed")
	// ErrNotSent means no email went out for the invitation yet, so nobody can be answering it.
	ErrNotSent = errors.New("invitation not sent")
	// ErrExpired means the invitation's link expired.
	ErrExpired = errors.New("invitation link expired")
)

// AnswerOutcome tells what a submit does to its invitation.
type AnswerOutcome int

// What an answer does to its invitation.
const (
	AnswerFirst     AnswerOutcome = iota + 1 // the invitation's first answer
	AnswerEdited                             // a change within the edit window
	AnswerUnchanged                          // a repeat of the current answer: nothing written
)

func (o AnswerOutcome) String() string {
	switch o {
	case AnswerFirst:
		return "first"
	case AnswerEdited:
		return "edited"
	case AnswerUnchanged:
		return "unchanged"
	}
	return "unknown"
}

// Answered is an invitation as the answer rule reads it.
type Answered struct {
	Answerable    bool // an invitation whose contact was not erased
	Status        string
	SentAt        *time.Time
	LinkExpiresAt time.Time
	// FirstAt is when the first answer was given (Unix ms), 0 before any; Score and Comment are
	// the current answer (Score nil before any).
	FirstAt int64
	Score   *int
	Comment string
}

// WasSent reports whether an email of the invitation was accepted by SES.
func WasSent(status string, sentAt *time.Time) bool {
	return sentAt != nil || slices.Contains(SentStatuses, status)
}

// DecideAnswer is the answer rule: what a submit of score and comment does to an invitation in
// state a at now, with window the catalog's edit window.
func DecideAnswer(a Answered, score int, comment string, window time.Duration, now time.Time) (AnswerOutcome, error) {
	switch {
	case !a.Answerable:
		return 0, ErrNotAnswerable
	case !WasSent(a.Status, a.SentAt):
		return 0, ErrNotSent
	case !a.LinkExpiresAt.IsZero() && !now.Before(a.LinkExpiresAt):
		return 0, ErrExpired
	case a.FirstAt == 0:
		return AnswerFirst, nil
	case a.Score != nil && *a.Score == score && a.Comment == comment:
		return AnswerUnchanged, nil
	case now.UnixMilli() >= a.FirstAt+window.Milliseconds():
		return 0, ErrEditWindowClosed
	}
	return AnswerEdited, nil
}
