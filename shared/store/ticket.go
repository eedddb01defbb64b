package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/ticket"
)

// Ticket is a follow-up ticket's item (PK=TICKET#<id>, SK=TICKET). It is on GSI1 under its
// contact (export, erase) and on GSI2 under its status, sorted by SLA due time (the queue).
type Ticket struct {
	PK   string `dynamodbav:"PK" json:"-"`
	SK   string `dynamodbav:"SK" json:"-"`
	Kind string `dynamodbav:"kind" json:"-"`

	ID         string            `dynamodbav:"id" json:"id"`
	Cause      string            `dynamodbav:"cause" json:"cause"` // ticket.CauseAnswer or ticket.CauseBreach
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
	Themes    []string       `dynamodbav:"themes,omitempty" json:"themes,omitempty"`
	Answers   []TicketAnswer `dynamodbav:"answers,omitempty" json:"answers,omitempty"`
	AnswerIDs []string       `dynamodbav:"answerIds,stringset,omitempty" json:"-"`
	Repeat    bool           `dynamodbav:"repeat,omitempty" json:"repeat,omitempty"` // a later low answer attached

	Breach *TicketBreach `dynamodbav:"breach,omitempty" json:"breach,omitempty"`

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

	History     []TicketEvent `dynamodbav:"history" json:"history"`
	HistoryKeys []string      `dynamodbav:"historyKeys,stringset,omitempty" json:"-"` // makes stream-driven entries idempotent

	// Notifications holds the delivery state of each notification ("new", "escalation").
	Notifications map[string]Delivery `dynamodbav:"notifications" json:"notifications"`
	NotifyClaims  []string            `dynamodbav:"notifyClaims,stringset,omitempty" json:"-"`

	GSI1PK string `dynamodbav:"GSI1PK,omitempty" json:"-"`
	GSI1SK string `dynamodbav:"GSI1SK,omitempty" json:"-"`
	GSI2PK string `dynamodbav:"GSI2PK" json:"-"`
	GSI2SK string `dynamodbav:"GSI2SK" json:"-"`
	TTL    int64  `dynamodbav:"ttl,omitempty" json:"-"`
}

// TicketAnswer is one low answer on a ticket.
type TicketAnswer struct {
	InvitationID string    `dynamodbav:"invitationId" json:"invitationId"`
	Score        int       `dynamodbav:"score" json:"score"`
	Comment      string    `dynamodbav:"comment,omitempty" json:"comment,omitempty"`
	Touchpoint   string    `dynamodbav:"touchpoint,omitempty" json:"touchpoint,omitempty"`
	At           time.Time `dynamodbav:"at" json:"at"`
}

// TicketBreach is the aggregate score that opened a breach ticket.
type TicketBreach struct {
	Rule          string  `dynamodbav:"rule" json:"rule"`
	Window        string  `dynamodbav:"window" json:"window"`
	WindowEnd     string  `dynamodbav:"windowEnd" json:"windowEnd"`
	Value         float64 `dynamodbav:"value" json:"value"`
	N             int     `dynamodbav:"n" json:"n"`
	MarginOfError float64 `dynamodbav:"marginOfError" json:"marginOfError"`
	Detail        string  `dynamodbav:"detail,omitempty" json:"detail,omitempty"`
}

// TicketEvent is one entry of a ticket's history.
type TicketEvent struct {
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

// Holds reports whether the ticket holds its contact's open-ticket lock.
func (t *Ticket) Holds() bool {
	return t.Cause == ticket.CauseAnswer && t.ContactID != "" && ticket.Holds(t.Status)
}

// OpenLock is the open-ticket lock item: a contact has at most one open ticket per survey.
type OpenLock struct {
	PK       string `dynamodbav:"PK"`
	SK       string `dynamodbav:"SK"`
	Kind     string `dynamodbav:"kind"`
	TicketID string `dynamodbav:"ticketId"`
}

// Answer-ticket outcomes.
const (
	TicketCreated  = "created"  // a new ticket: notify
	TicketAttached = "attached" // the answer joined the contact's open ticket
	TicketKnown    = "known"    // the answer was already on a ticket (redelivery or edit)
	TicketErased   = "erased"   // the contact was erased after the answer: no ticket (erasure.go)
)

func queueSK(due time.Time, id string) string { return FormatTime(due) + "#" + id }

// attachedSK marks, under the answer's own ticket key, that the answer joined another ticket:
// the answer can then never open a ticket of its own, even after that ticket is resolved.
const attachedSK = "ATTACHED"

// prepare fills a new ticket's keys and bookkeeping.
func (t *Ticket) prepare(historyKey string) {
	t.PK, t.SK, t.Kind = ticketPK(t.ID), skTicket, KindTicket
	t.Status = ticket.StatusOpen
	t.UpdatedAt = t.CreatedAt
	if t.ContactID != "" {
		t.GSI1PK, t.GSI1SK = contactPK(t.ContactID), "TICKET#"+FormatTime(t.CreatedAt)
	}
	t.GSI2PK, t.GSI2SK = ticketQueuePK(t.Status), queueSK(t.SLADue, t.ID)
	if historyKey != "" {
		t.HistoryKeys = []string{historyKey}
	}
	if t.Notifications == nil {
		t.Notifications = map[string]Delivery{}
	}
}

// AnswerHistoryKey identifies one version of an answer in a ticket's history: a redelivered
// record carries the same key and adds nothing; an edit carries a new one.
func AnswerHistoryKey(invitationID string, answeredAt time.Time) string {
	return "answer#" + invitationID + "#" + FormatTime(answeredAt)
}

// The items of the ticket transactions (OpenAnswerTicket, attach), besides the erasure checks.
const (
	txTicket   = "ticket"           // the ticket: put once, or updated while open
	txOpenLock = "open-ticket lock" // the contact's one open ticket per survey
	txAttached = "attached marker"  // this answer's own ticket id, pointing at the ticket that holds it
	txAddress  = "address index"    // the contact's address hash, for searching tickets by address
)

// OpenAnswerTicket records a low answer: a new ticket with the contact's open-ticket lock in one
// transaction, or, when the contact already has an open ticket for the survey, the answer attached
// to it (once). draft is the new ticket (id, survey, contact, answer, priority, team, SLA); a is
// the answer. It returns the outcome and the id of the ticket that holds the answer. Both writes
// check the erasure rule in their transaction: an answer of a contact erased since is TicketErased.
func (s *Store) OpenAnswerTicket(ctx context.Context, draft Ticket, a TicketAnswer, answeredAt time.Time) (string, string, error) {
	hk := AnswerHistoryKey(a.InvitationID, answeredAt)
	fence, err := s.erasureChecks(draft.ContactID, a.InvitationID, answeredAt)
	if err != nil {
		return "", "", err
	}
	draft.prepare(hk)
	draft.AnswerIDs = []string{a.InvitationID}
	draft.Answers = []TicketAnswer{a}
	item, err := attributevalue.MarshalMap(draft)
	if err != nil {
		return "", "", fmt.Errorf("encode ticket %s: %w", draft.ID, err)
	}
	lock, err := attributevalue.MarshalMap(OpenLock{PK: openTicketPK(draft.Survey, draft.ContactID), SK: skOpen, Kind: KindOpenTicket, TicketID: draft.ID})
	if err != nil {
		return "", "", err
	}
	notExists, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name("PK"))).Build()
	if err != nil {
		return "", "", err
	}
	for attempt := 0; attempt < 3; attempt++ {
		failed, err := s.transact(ctx, append([]txItem{
			{txTicket, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: item,
				ConditionExpression: notExists.Condition(), ExpressionAttributeNames: notExists.Names()}}},
			{txOpenLock, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: lock,
				ConditionExpression: notExists.Condition(), ExpressionAttributeNames: notExists.Names()}}},
			{txAttached, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.Table), Key: key(ticketPK(draft.ID), attachedSK),
				ConditionExpression: notExists.Condition(), ExpressionAttributeNames: notExists.Names()}}},
		}, append(s.addressIndex(draft), fence...)...)...)
		switch {
		case err == nil:
			return TicketCreated, draft.ID, nil
		case failed == nil:
			return "", "", fmt.Errorf("open ticket %s: %w", draft.ID, err)
		case failed.refused(txErasedContact, txErasedInvitation):
			return TicketErased, "", nil
		case failed.refused(txTicket): // this answer's own ticket exists
			return s.noteKnownAnswer(ctx, draft.ID, hk, a)
		case failed.refused(txAttached): // this answer already joined another ticket
			owner, err := s.attachedTo(ctx, draft.ID)
			if err != nil {
				return "", "", err
			}
			return s.noteKnownAnswer(ctx, owner, hk, a)
		case failed.refused(txOpenLock): // the contact has an open ticket: attach
			owner, err := s.lockOwner(ctx, draft.Survey, draft.ContactID)
			if errors.Is(err, ErrNotFound) {
				continue // released in between: try to open again
			}
			if err != nil {
				return "", "", err
			}
			outcome, err := s.attach(ctx, owner, draft.ID, hk, a, fence)
			if errors.Is(err, ErrNotFound) {
				continue // the owner stopped holding the lock in between
			}
			if errors.Is(err, ErrErased) {
				return TicketErased, "", nil
			}
			return outcome, owner, err
		default:
			return "", "", fmt.Errorf("open ticket %s: %w", draft.ID, err)
		}
	}
	return "", "", fmt.Errorf("open ticket %s: the contact's open ticket kept changing: %w", draft.ID, ErrConflict)
}

// noteKnownAnswer adds an "edited" entry when a known answer comes back with a new version.
func (s *Store) noteKnownAnswer(ctx context.Context, id, hk string, a TicketAnswer) (string, string, error) {
	text := fmt.Sprintf("Answer %s edited: score %d", a.InvitationID, a.Score)
	if a.Comment != "" {
		text += " (comment changed or kept)"
	}
	if _, err := s.AddTicketEvent(ctx, id, hk, TicketEvent{At: a.At, Actor: "customer", Action: "edited", Text: text}); err != nil {
		return "", "", err
	}
	return TicketKnown, id, nil
}

func (s *Store) attachedTo(ctx context.Context, ownID string) (string, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table),
		Key: key(ticketPK(ownID), attachedSK), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return "", fmt.Errorf("read attachment of %s: %w", ownID, err)
	}
	var l OpenLock
	if out.Item == nil {
		return "", fmt.Errorf("attachment of %s: %w", ownID, ErrNotFound)
	}
	if err := attributevalue.UnmarshalMap(out.Item, &l); err != nil {
		return "", err
	}
	return l.TicketID, nil
}

func (s *Store) lockOwner(ctx context.Context, survey, contact string) (string, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table),
		Key: key(openTicketPK(survey, contact), skOpen), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return "", fmt.Errorf("read open-ticket lock: %w", err)
	}
	if out.Item == nil {
		return "", ErrNotFound
	}
	var l OpenLock
	if err := attributevalue.UnmarshalMap(out.Item, &l); err != nil {
		return "", err
	}
	return l.TicketID, nil
}

// attach adds answer a to the open ticket owner, once: the update is conditioned on the answer
// not being there yet and the ticket still being open, and the answer's ATTACHED marker is written
// in the same transaction, with the erasure checks fence. A repeat detractor raises the ticket's
// priority once.
func (s *Store) attach(ctx context.Context, owner, ownID, hk string, a TicketAnswer, fence []txItem) (string, error) {
	t, err := s.GetTicket(ctx, owner)
	if err != nil {
		return "", err
	}
	for _, id := range t.AnswerIDs {
		if id == a.InvitationID {
			return TicketKnown, nil
		}
	}
	if !t.Holds() {
		return "", ErrNotFound
	}
	ev := TicketEvent{At: a.At, Actor: "customer", Action: "attached",
		Text: fmt.Sprintf("Another low answer from the same contact: score %d", a.Score)}
	prio := ticket.Repeat(t.Priority, t.Repeat)
	if prio != t.Priority {
		ev.Text += fmt.Sprintf("; priority %s -> %s (repeat detractor)", t.Priority, prio)
	}
	upd := expression.Set(expression.Name("answers"), expression.ListAppend(expression.Name("answers"), expression.Value([]TicketAnswer{a}))).
		Set(expression.Name("history"), expression.ListAppend(expression.Name("history"), expression.Value([]TicketEvent{ev}))).
		Set(expression.Name("priority"), expression.Value(prio)).
		Set(expression.Name("repeat"), expression.Value(true)).
		Set(expression.Name("updatedAt"), expression.Value(s.Now())).
		Add(expression.Name("answerIds"), stringSet(a.InvitationID)).
		Add(expression.Name("historyKeys"), stringSet(hk))
	cond := expression.Name("status").In(expression.Value(ticket.StatusOpen), expression.Value(ticket.StatusAssigned)).
		And(expression.Not(expression.Contains(expression.Name("answerIds"), a.InvitationID)))
	e, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return "", err
	}
	marker, err := attributevalue.MarshalMap(OpenLock{PK: ticketPK(ownID), SK: attachedSK, Kind: "ticketref", TicketID: owner})
	if err != nil {
		return "", err
	}
	nx, _ := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name("PK"))).Build()
	failed, err := s.transact(ctx, append([]txItem{
		{txTicket, types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Table), Key: key(ticketPK(owner), skTicket),
			UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
			ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()}}},
		{txAttached, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: marker,
			ConditionExpression: nx.Condition(), ExpressionAttributeNames: nx.Names()}}},
	}, fence...)...)
	switch {
	case err == nil:
		return TicketAttached, nil
	case failed.refused(txErasedContact, txErasedInvitation):
		return "", ErrErased
	case failed.refused(txAttached):
		return TicketKnown, nil // a concurrent delivery attached it
	case failed.refused(txTicket):
		return "", ErrNotFound // no longer open (or attached concurrently: the retry finds it)
	}
	return "", fmt.Errorf("attach answer %s to %s: %w", a.InvitationID, owner, err)
}

// NoteAnswer adds entry ev (once per key hk) to the ticket holding the answer invitationID, if
// any. It reports whether a ticket holds the answer. An edit that lifts the score above the rule
// lands here: the ticket keeps its answer and gets a note, it is never deleted.
func (s *Store) NoteAnswer(ctx context.Context, invitationID, hk string, ev TicketEvent) (string, error) {
	own := ticket.AnswerID(invitationID)
	if _, err := s.GetTicket(ctx, own); err == nil {
		_, err := s.AddTicketEvent(ctx, own, hk, ev)
		return own, err
	} else if !errors.Is(err, ErrNotFound) {
		return "", err
	}
	owner, err := s.attachedTo(ctx, own)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	_, err = s.AddTicketEvent(ctx, owner, hk, ev)
	return owner, err
}

// OpenBreachTicket creates the aggregate ticket of a breach, once: a redelivered breach finds its
// ticket and reports created=false.
func (s *Store) OpenBreachTicket(ctx context.Context, draft Ticket) (bool, error) {
	draft.prepare("")
	item, err := attributevalue.MarshalMap(draft)
	if err != nil {
		return false, fmt.Errorf("encode ticket %s: %w", draft.ID, err)
	}
	e, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name("PK"))).Build()
	if err != nil {
		return false, err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item,
		ConditionExpression: e.Condition(), ExpressionAttributeNames: e.Names()})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("open breach ticket %s: %w", draft.ID, err)
	}
	return true, nil
}

// GetTicket reads a ticket, strongly consistent; ErrNotFound for an unknown id.
func (s *Store) GetTicket(ctx context.Context, id string) (*Ticket, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table),
		Key: key(ticketPK(id), skTicket), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("get ticket %s: %w", id, err)
	}
	if out.Item == nil {
		return nil, fmt.Errorf("ticket %s: %w", id, ErrNotFound)
	}
	var t Ticket
	if err := attributevalue.UnmarshalMap(out.Item, &t); err != nil {
		return nil, fmt.Errorf("decode ticket %s: %w", id, err)
	}
	return &t, nil
}

// AddTicketEvent appends ev to a ticket's history. With a non-empty key hk the entry is added
// at most once (stream redeliveries); it reports whether it was added.
func (s *Store) AddTicketEvent(ctx context.Context, id, hk string, ev TicketEvent) (bool, error) {
	upd := expression.Set(expression.Name("history"), expression.ListAppend(expression.Name("history"), expression.Value([]TicketEvent{ev}))).
		Set(expression.Name("updatedAt"), expression.Value(s.Now()))
	cond := expression.AttributeExists(expression.Name("PK"))
	if hk != "" {
		upd = upd.Add(expression.Name("historyKeys"), stringSet(hk))
		cond = cond.And(expression.Not(expression.Contains(expression.Name("historyKeys"), hk)))
	}
	e, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return false, err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: key(ticketPK(id), skTicket),
		UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("add to ticket %s: %w", id, err)
	}
	return true, nil
}

func stringSet(v ...string) expression.ValueBuilder {
	return expression.Value(&types.AttributeValueMemberSS{Value: v})
}
