package store

import (
	"context"
	"fmt"
	"time"

	"github.com/cxloop/cxloop/shared/invitation"
)

// Invitation is one touchpoint event's item: always its decision, and when the decision is
// `invited`, the invitation with its sends and answers. Kind tells which (KindDecision or
// KindInvitation). One item per event makes a redelivered event find its own decision by key.
type Invitation struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Kind string `dynamodbav:"kind"`

	ID         string            `dynamodbav:"id"` // EventKey(EventID); tokens carry it
	EventID    string            `dynamodbav:"eventId"`
	Touchpoint string            `dynamodbav:"touchpoint,omitempty"`
	OccurredAt time.Time         `dynamodbav:"occurredAt"`
	ContactID  string            `dynamodbav:"contactId,omitempty"`
	Email      string            `dynamodbav:"email,omitempty"`
	Name       string            `dynamodbav:"name,omitempty"`
	Locale     string            `dynamodbav:"locale,omitempty"`
	Segments   map[string]string `dynamodbav:"segments,omitempty"` // the catalog's segment attributes only
	// Context holds the touchpoint attributes the rule's context line names (catalog.Context):
	// personal data, removed by erasure.
	Context map[string]string `dynamodbav:"context,omitempty"`

	// The decision.
	Outcome   string    `dynamodbav:"outcome"`
	Detail    string    `dynamodbav:"detail,omitempty"` // why: the invalid field, the duplicate's event key, ...
	DecidedAt time.Time `dynamodbav:"decidedAt"`
	Survey    string    `dynamodbav:"survey,omitempty"`

	// The invitation (Kind == KindInvitation).
	CatalogVersion    string     `dynamodbav:"catalogVersion,omitempty"`
	MetricVersion     int        `dynamodbav:"metricVersion,omitempty"`
	Status            string     `dynamodbav:"status,omitempty"`
	Stopped           string     `dynamodbav:"stopped,omitempty"`
	DueAt             time.Time  `dynamodbav:"dueAt,omitempty"`
	ReminderDueAt     *time.Time `dynamodbav:"reminderDueAt,omitempty"`
	LinkExpiresAt     time.Time  `dynamodbav:"linkExpiresAt,omitempty"`
	SendAttempts      int        `dynamodbav:"sendAttempts,omitempty"`
	ClaimID           string     `dynamodbav:"claimId,omitempty"` // random per dispatcher claim
	LastSendError     string     `dynamodbav:"lastSendError,omitempty"`
	SentAt            *time.Time `dynamodbav:"sentAt,omitempty"`
	MessageID         string     `dynamodbav:"messageId,omitempty"`
	ReminderSentAt    *time.Time `dynamodbav:"reminderSentAt,omitempty"`
	ReminderMessageID string     `dynamodbav:"reminderMessageId,omitempty"`
	ClaimedAt         *time.Time `dynamodbav:"claimedAt,omitempty"`  // when the current claim was taken (the send window)
	LeaseUntil        *time.Time `dynamodbav:"leaseUntil,omitempty"` // when the current claim's lease ends
	// ResentAt is when the one resend of an unsure first email was claimed; set, nothing is
	// resent again. SettledBy is "send-event" when SES's Send event settled an unsure send.
	ResentAt  *time.Time `dynamodbav:"resentAt,omitempty"`
	SettledBy string     `dynamodbav:"settledBy,omitempty"`
	// AcceptedMessageID is the message id of a Send event that came while the first email's
	// SendEmail call was still in flight (SettleNoted): the resend finds it and sends nothing.
	AcceptedMessageID string `dynamodbav:"acceptedMessageId,omitempty"`

	// ErasedAt is set when the contact was erased (docs/SECURITY.md): nothing more is sent,
	// answered or ticketed for the invitation.
	ErasedAt *time.Time `dynamodbav:"erasedAt,omitempty"`

	// The answer: every submit appends to Answers (the scorer's source of truth, see
	// docs/ARCHITECTURE.md); Score and Comment are the current answer.
	Answers         []Answer   `dynamodbav:"answers,omitempty"`
	Score           *int       `dynamodbav:"score,omitempty"`
	Comment         string     `dynamodbav:"comment,omitempty"`
	FirstAnsweredAt *time.Time `dynamodbav:"firstAnsweredAt,omitempty"`
	AnsweredAt      *time.Time `dynamodbav:"answeredAt,omitempty"` // last change

	GSI1PK string `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK string `dynamodbav:"GSI1SK,omitempty"`
	GSI3PK string `dynamodbav:"GSI3PK,omitempty"` // scorer's change feed, set once sent
	GSI3SK string `dynamodbav:"GSI3SK,omitempty"`
	GSI4PK string `dynamodbav:"GSI4PK,omitempty"` // due index (keys only), present while something is due
	GSI4SK string `dynamodbav:"GSI4SK,omitempty"`
	TTL    int64  `dynamodbav:"ttl,omitempty"`
}

// Answer is one submit: the score, when (Unix milliseconds) and the comment given with it (the
// scorer's theme counts take the comment that counted before an edit out again). The comment is
// personal data: erasure removes it (contact_data.go).
type Answer struct {
	Score   int    `dynamodbav:"s" json:"s"`
	At      int64  `dynamodbav:"at" json:"at"`
	Comment string `dynamodbav:"c,omitempty" json:"c,omitempty"`
	// Lang is the invitation's locale when the comment was given: the language the theme counts
	// stem it in (the feed index projects answers, not the locale).
	Lang string `dynamodbav:"l,omitempty" json:"l,omitempty"`
}

// Invited reports whether the item is an invitation rather than a skipped decision.
func (inv *Invitation) Invited() bool { return inv.Kind == KindInvitation }

// sends is the invitation's send state as the dispatcher's rules read it.
func (inv *Invitation) sends() invitation.Sends {
	return invitation.Sends{Invited: inv.Invited(), Status: inv.Status, Stopped: inv.Stopped, LinkExpiresAt: inv.LinkExpiresAt,
		LeaseUntil: inv.LeaseUntil, Resent: inv.ResentAt != nil, AcceptedMessageID: inv.AcceptedMessageID}
}

// reminderAt is when the reminder is due after the first email went out at sentAt (invitation.ReminderAt).
func (inv *Invitation) reminderAt(sentAt time.Time) (time.Time, bool) {
	return invitation.ReminderAt(inv.DueAt, inv.ReminderDueAt, inv.LinkExpiresAt, sentAt)
}

// GetInvitation reads one event's item by its key (the invitation id), strongly consistent.
// It returns ErrNotFound for an unknown id.
func (s *Store) GetInvitation(ctx context.Context, id string) (*Invitation, error) {
	return s.getInvitation(ctx, id, true)
}

// ReadInvitation is GetInvitation with an eventually consistent read, at half the read units:
// for callers whose write conditions catch a stale read, or that re-read when it matters.
func (s *Store) ReadInvitation(ctx context.Context, id string) (*Invitation, error) {
	return s.getInvitation(ctx, id, false)
}

func (s *Store) getInvitation(ctx context.Context, id string, consistent bool) (*Invitation, error) {
	var inv Invitation
	found, err := s.getItem(ctx, key(eventPK(id), skEvent), consistent, &inv)
	if err != nil {
		return nil, fmt.Errorf("get invitation %s: %w", id, err)
	}
	if !found {
		return nil, ErrNotFound
	}
	return &inv, nil
}
