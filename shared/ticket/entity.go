package ticket

import "time"

// Ticket is a follow-up ticket: a low answer (CauseAnswer) or an aggregate breach (CauseBreach),
// the contact it concerns, its routing and its lifecycle. The attribute names it is stored under
// are its dynamodbav tags; the store adds the keys and its own bookkeeping.
type Ticket struct {
	ID         string            `dynamodbav:"id" json:"id"`
	Cause      string            `dynamodbav:"cause" json:"cause"` // CauseAnswer or CauseBreach
	Survey     string            `dynamodbav:"survey" json:"survey"`
	Touchpoint string            `dynamodbav:"touchpoint,omitempty" json:"touchpoint,omitempty"`
	ContactID  string            `dynamodbav:"contactId,omitempty" json:"contactId,omitempty"`
	Email      string            `dynamodbav:"email,omitempty" json:"email,omitempty"`
	Name       string            `dynamodbav:"name,omitempty" json:"name,omitempty"`
	Locale     string            `dynamodbav:"locale,omitempty" json:"locale,omitempty"`
	Segments   map[string]string `dynamodbav:"segments,omitempty" json:"segments,omitempty"`

	// The answer that opened the ticket (cause answer) and every low answer attached since.
	InvitationID string `dynamodbav:"invitationId,omitempty" json:"invitationId,omitempty"`
	Score        *int   `dynamodbav:"score,omitempty" json:"score,omitempty"`
	Comment      string `dynamodbav:"comment,omitempty" json:"comment,omitempty"`
	// Themes are the survey's declared themes the opening comment mentions, or the theme of a
	// theme alert's breach (docs/THEMES.md): tags the queue filters on.
	Themes  []string `dynamodbav:"themes,omitempty" json:"themes,omitempty"`
	Answers []Answer `dynamodbav:"answers,omitempty" json:"answers,omitempty"`
	Repeat  bool     `dynamodbav:"repeat,omitempty" json:"repeat,omitempty"` // a later low answer attached

	Breach *Breach `dynamodbav:"breach,omitempty" json:"breach,omitempty"`

	Priority  string     `dynamodbav:"priority" json:"priority"`
	Team      string     `dynamodbav:"team" json:"team"`
	Status    string     `dynamodbav:"status" json:"status"`
	Assignee  string     `dynamodbav:"assignee,omitempty" json:"assignee,omitempty"`
	CreatedAt time.Time  `dynamodbav:"createdAt" json:"createdAt"`
	UpdatedAt time.Time  `dynamodbav:"updatedAt" json:"updatedAt"`
	SLADue    time.Time  `dynamodbav:"slaDue" json:"slaDue"`
	Escalated *time.Time `dynamodbav:"escalatedAt,omitempty" json:"escalatedAt,omitempty"`
	Resolved  *time.Time `dynamodbav:"resolvedAt,omitempty" json:"resolvedAt,omitempty"`
	Closed    *time.Time `dynamodbav:"closedAt,omitempty" json:"closedAt,omitempty"`
	CloseLoop *time.Time `dynamodbav:"closeLoopSentAt,omitempty" json:"closeLoopSentAt,omitempty"`
	Erased    *time.Time `dynamodbav:"erasedAt,omitempty" json:"erasedAt,omitempty"`

	History []Event `dynamodbav:"history" json:"history"`

	// Notifications holds the delivery state of each notification ("new", "escalation").
	Notifications map[string]Delivery `dynamodbav:"notifications" json:"notifications"`
}

// Answer is one low answer on a ticket.
type Answer struct {
	InvitationID string    `dynamodbav:"invitationId,omitempty" json:"invitationId"`
	Score        int       `dynamodbav:"score" json:"score"`
	Comment      string    `dynamodbav:"comment,omitempty" json:"comment,omitempty"`
	Touchpoint   string    `dynamodbav:"touchpoint,omitempty" json:"touchpoint,omitempty"`
	At           time.Time `dynamodbav:"at" json:"at"`
}

// Breach is the aggregate score that opened a breach ticket.
type Breach struct {
	Rule          string  `dynamodbav:"rule" json:"rule"`
	Window        string  `dynamodbav:"window" json:"window"`
	WindowEnd     string  `dynamodbav:"windowEnd" json:"windowEnd"`
	Value         float64 `dynamodbav:"value" json:"value"`
	N             int     `dynamodbav:"n" json:"n"`
	MarginOfError float64 `dynamodbav:"marginOfError" json:"marginOfError"`
	Detail        string  `dynamodbav:"detail,omitempty" json:"detail,omitempty"`
}

// Event is one entry of a ticket's history.
type Event struct {
	At     time.Time `dynamodbav:"at" json:"at"`
	Actor  string    `dynamodbav:"actor" json:"actor"`
	Action string    `dynamodbav:"action" json:"action"` // opened, attached, edited, assigned, status, note, escalated, notified, closeloop, erased
	Text   string    `dynamodbav:"text,omitempty" json:"text,omitempty"`
}

// Delivery is the state of one notification: its email and its webhook.
type Delivery struct {
	Email           string    `dynamodbav:"email,omitempty" json:"email,omitempty"` // sent, failed, none
	EmailMessageID  string    `dynamodbav:"emailMessageId,omitempty" json:"emailMessageId,omitempty"`
	Webhook         string    `dynamodbav:"webhook,omitempty" json:"webhook,omitempty"` // delivered, failed, disabled
	WebhookAttempts int       `dynamodbav:"webhookAttempts,omitempty" json:"webhookAttempts,omitempty"`
	WebhookStatus   int       `dynamodbav:"webhookStatus,omitempty" json:"webhookStatus,omitempty"`
	Error           string    `dynamodbav:"error,omitempty" json:"error,omitempty"`
	At              time.Time `dynamodbav:"at" json:"at"`
}

// Notified reports whether notification kind was already recorded on the ticket. A ticket whose
// notifications were claimed on the ticket itself (before claims had items of their own) shows its
// claim this way: a new claim of a kind it has recorded must not send again.
func (t *Ticket) Notified(kind string) bool {
	_, ok := t.Notifications[kind]
	return ok
}

// Holds reports whether the ticket holds its contact's open-ticket lock: an answer ticket of a
// known contact, open or assigned.
func (t *Ticket) Holds() bool {
	return t.Cause == CauseAnswer && t.ContactID != "" && Holds(t.Status)
}
