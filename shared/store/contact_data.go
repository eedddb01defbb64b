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

	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/ticket"
)

// ContactExport is everything the table holds about one contact: its state item and every item
// on GSI1 under CONTACT#<id> (decisions, invitations with their answers, tickets), as stored.
type ContactExport struct {
	ContactID  string           `json:"contactId"`
	ExportedAt time.Time        `json:"exportedAt"`
	State      map[string]any   `json:"state,omitempty"`
	Records    []map[string]any `json:"records"`
}

// ExportContact reads everything about a contact. Index-only attributes (keys) are left out.
func (s *Store) ExportContact(ctx context.Context, contactID string) (*ContactExport, error) {
	x := &ContactExport{ContactID: contactID, ExportedAt: s.Now(), Records: []map[string]any{}}
	found, err := s.getItem(ctx, key(contactPK(contactID), skState), true, &x.State)
	if err != nil {
		return nil, fmt.Errorf("export contact state: %w", err)
	}
	if found {
		stripKeys(x.State)
	}
	items, err := s.contactItems(ctx, contactID)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if err := expandTicketItem(it); err != nil {
			return nil, err
		}
		var m map[string]any
		if err := attributevalue.UnmarshalMap(it, &m); err != nil {
			return nil, err
		}
		stripKeys(m)
		x.Records = append(x.Records, m)
	}
	return x, nil
}

// expandTicketItem gives a ticket item's opening answer back the fields stored once on the
// ticket (ticketRecord.compact), so an export shows every answer whole.
func expandTicketItem(it map[string]types.AttributeValue) error {
	if k, ok := it["kind"].(*types.AttributeValueMemberS); !ok || k.Value != KindTicket || it["answers"] == nil {
		return nil
	}
	var r ticketRecord
	if err := attributevalue.UnmarshalMap(it, &r); err != nil {
		return err
	}
	r.expand()
	answers, err := attributevalue.Marshal(r.Answers)
	if err != nil {
		return err
	}
	it["answers"] = answers
	return nil
}

func stripKeys(m map[string]any) {
	for _, k := range []string{"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK", "GSI4PK", "GSI4SK", "historyKeys", "notifyClaims"} {
		delete(m, k)
	}
}

func (s *Store) contactItems(ctx context.Context, contactID string) ([]map[string]types.AttributeValue, error) {
	e, err := expression.NewBuilder().WithKeyCondition(expression.Key("GSI1PK").Equal(expression.Value(contactPK(contactID)))).Build()
	if err != nil {
		return nil, err
	}
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{TableName: aws.String(s.Table), IndexName: aws.String(IndexContact),
		KeyConditionExpression: e.KeyCondition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	var keys []map[string]types.AttributeValue
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query contact %s: %w", contactID, err)
		}
		for _, it := range page.Items {
			keys = append(keys, map[string]types.AttributeValue{"PK": it["PK"], "SK": it["SK"]})
		}
	}
	// GSI1 projects only what never changes (template.yaml): the whole items come from the table.
	return s.batchGet(ctx, keys, true)
}

// Erased counts what EraseContact changed.
type Erased struct {
	Invitations int `json:"invitations"` // decisions and invitations
	Tickets     int `json:"tickets"`
}

// personal are the attributes that identify or quote a person: removed on erase.
var personal = []string{"email", "name", "locale", "comment", "eventId", "lastSendError", "context"} // a send error may quote the address; context holds touchpoint values

// EraseContact removes the personal fields of everything about a contact: the address on its state
// item; email, name, comment (and the producer's event id) of its decisions and invitations, which
// also stop (nothing more is sent, the due index entry goes); email, name, comments and note texts
// of its tickets. Scores are untouched: answers keep their score values and histograms keep their
// counts. Suppression and opt-out items (keyed by address) stay so an opted-out address stays
// opted out.
//
// It follows the erasure rule (erasure.go): the state item's erasedKey is written first, so every
// ticket or send that has not committed by then is refused; tickets are found through GSI1 and,
// because an index entry may lag its item, also by key from each answered invitation; and a send
// claimed before the erasure is waited for (at most SendInFlight) so it has finished when this
// returns. Then the contact's items are listed again: what was written between the first listing
// and the fence, or missing from the first by index lag, and decided at or before erasedKey, is
// erased too.
func (s *Store) EraseContact(ctx context.Context, contactID string) (*Erased, error) {
	now := s.Now()
	// The contact's state item keeps quiet periods and unsubscription (no counts, no answers) and
	// the last address it was invited at: that goes.
	st := expression.Set(expression.Name("erasedAt"), expression.Value(now)).
		Set(expression.Name(attrErasedKey), expression.Value(FormatTime(now))).
		Set(expression.Name("kind"), expression.Value(KindContact)).
		// The fence must outlive every replay of older data (stream retries, the 14-day failure
		// queues); an unsubscribed contact's state never expires.
		Set(expression.Name("ttl"), expression.IfNotExists(expression.Name("ttl"), expression.Value(now.Add(ErasureFenceRetention).Unix())))
	for _, a := range personal {
		st = st.Remove(expression.Name(a))
	}
	items, err := s.contactItems(ctx, contactID)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		var state map[string]any
		found, err := s.getItem(ctx, key(contactPK(contactID), skState), true, &state)
		if err != nil {
			return nil, fmt.Errorf("erase contact state: %w", err)
		}
		if !found {
			return nil, ErrNotFound // the table knows nothing of this contact
		}
	}
	// The fence goes first: from here on no ticket or send of what exists now can commit. An
	// invitation decided after the query above but before this write is fenced by time, and
	// erased by the second listing below.
	if err := s.eraseState(ctx, contactID, st); err != nil {
		return nil, err
	}
	e := &erasure{s: s, contactID: contactID, now: now, done: map[string]bool{}}
	// Everything listed before the fence is erased, whatever it carries: a run that failed
	// half-way is finished by running it again.
	if err := e.erase(ctx, items, func(erasedHead) bool { return true }); err != nil {
		return nil, err
	}
	// The second listing finds what was written between the first and the fence (or was not on
	// the index yet). Only what the fence covers goes: a touchpoint decided after erasedKey starts
	// afresh, and so does a ticket opened after it (the fence let it through: its invitation was
	// decided later).
	fence := FormatTime(now)
	items, err = s.contactItems(ctx, contactID)
	if err != nil {
		return nil, err
	}
	if err := e.erase(ctx, items, func(h erasedHead) bool {
		if h.ErasedAt != nil {
			return false
		}
		if h.Kind == KindTicket {
			return FormatTime(h.CreatedAt) <= fence
		}
		return FormatTime(h.DecidedAt) <= fence
	}); err != nil {
		return nil, err
	}
	return &e.n, nil
}

// erasure is one EraseContact run: its time, what it erased so far and the tickets it reached.
type erasure struct {
	s         *Store
	contactID string
	now       time.Time
	n         Erased
	done      map[string]bool // tickets (PK) erased or found
}

// erasedHead is what an erasure reads of a listed item to decide whether and how to erase it.
type erasedHead struct {
	PK        string     `dynamodbav:"PK"`
	SK        string     `dynamodbav:"SK"`
	ID        string     `dynamodbav:"id"`
	Kind      string     `dynamodbav:"kind"`
	Stopped   string     `dynamodbav:"stopped"`
	ErasedAt  *time.Time `dynamodbav:"erasedAt"`
	DecidedAt time.Time  `dynamodbav:"decidedAt"` // decisions and invitations
	CreatedAt time.Time  `dynamodbav:"createdAt"` // tickets
}

// erase erases the items covered says go, then the tickets of their invitations found by key,
// and waits for the sends it finds in flight.
func (e *erasure) erase(ctx context.Context, items []map[string]types.AttributeValue, covered func(erasedHead) bool) error {
	s := e.s
	var inFlight []*Invitation
	var answered []string
	for _, it := range items {
		var head erasedHead
		if err := attributevalue.UnmarshalMap(it, &head); err != nil {
			return err
		}
		if !covered(head) {
			continue
		}
		switch head.Kind {
		case KindTicket:
			if err := s.eraseTicketItem(ctx, it, e.now); err != nil {
				return err
			}
			e.done[head.PK] = true
			e.n.Tickets++
		case KindInvitation, KindDecision:
			upd := offDueIndex(expression.Set(expression.Name("erasedAt"), expression.Value(e.now)))
			if head.Kind == KindInvitation && head.Stopped == "" {
				upd = upd.Set(expression.Name("stopped"), expression.Value(invitation.StopErased))
			}
			for _, a := range personal {
				upd = upd.Remove(expression.Name(a))
			}
			raw, err := s.eraseRecord(ctx, head.PK, head.SK, upd)
			if err != nil {
				return err
			}
			var after Invitation
			if err := attributevalue.UnmarshalMap(raw, &after); err != nil {
				return fmt.Errorf("decode erased %s: %w", head.PK, err)
			}
			if err := s.eraseAnswerComments(ctx, head.PK, head.SK, after.Answers); err != nil {
				return err
			}
			if after.Status == invitation.StatusSending || after.Status == invitation.StatusReminding {
				inFlight = append(inFlight, &after)
			}
			if head.Kind == KindInvitation {
				answered = append(answered, head.ID)
			}
			e.n.Invitations++
		}
	}
	more, err := s.answerTickets(ctx, e.contactID, answered, e.done)
	if err != nil {
		return err
	}
	for _, it := range more {
		if err := s.eraseTicketItem(ctx, it, e.now); err != nil {
			return err
		}
		e.n.Tickets++
	}
	if err := s.waitInFlight(ctx, inFlight); err != nil {
		return fmt.Errorf("erase %s: wait for sends in flight: %w", e.contactID, err)
	}
	return nil
}

// eraseState writes the erasure on the contact's state item, creating it if the contact has none
// (a contact only ever skipped still gets the fence).
func (s *Store) eraseState(ctx context.Context, contactID string, upd expression.UpdateBuilder) error {
	if _, err := s.updateItem(ctx, key(contactPK(contactID), skState), upd, noCondition); err != nil {
		return fmt.Errorf("erase contact state: %w", err)
	}
	return nil
}

// answerTickets finds, by key and strongly consistent, the tickets of the answered invitations
// ids (their own ticket, or the ticket they were attached to) that are not in done and belong to
// the contact: a ticket written just before the erasure may not be on GSI1 yet.
func (s *Store) answerTickets(ctx context.Context, contactID string, ids []string, done map[string]bool) ([]map[string]types.AttributeValue, error) {
	var keys []map[string]types.AttributeValue
	for _, id := range ids {
		own := ticketPK(ticket.AnswerID(id))
		keys = append(keys, key(own, skTicket), key(own, attachedSK))
	}
	got, err := s.batchGet(ctx, keys, true)
	if err != nil {
		return nil, fmt.Errorf("answer tickets of %s: %w", contactID, err)
	}
	var out []map[string]types.AttributeValue
	var owners []map[string]types.AttributeValue
	for _, it := range got {
		var head struct {
			PK       string `dynamodbav:"PK"`
			SK       string `dynamodbav:"SK"`
			Kind     string `dynamodbav:"kind"`
			TicketID string `dynamodbav:"ticketId"`
		}
		if err := attributevalue.UnmarshalMap(it, &head); err != nil {
			return nil, err
		}
		switch {
		case (head.SK == attachedSK || head.Kind == kindTicketRef) && !done[ticketPK(head.TicketID)]:
			done[ticketPK(head.TicketID)] = true
			owners = append(owners, key(ticketPK(head.TicketID), skTicket))
		case head.SK == skTicket && head.Kind == KindTicket && !done[head.PK]:
			done[head.PK] = true
			out = append(out, it)
		}
	}
	if len(owners) > 0 {
		got, err := s.batchGet(ctx, owners, true)
		if err != nil {
			return nil, fmt.Errorf("answer tickets of %s: %w", contactID, err)
		}
		out = append(out, got...)
	}
	mine := out[:0]
	for _, it := range out {
		if c, ok := it["contactId"].(*types.AttributeValueMemberS); ok && c.Value == contactID {
			mine = append(mine, it)
		}
	}
	return mine, nil
}

// eraseTicketItem erases a ticket read as it: the address index entry first, then the ticket's
// fields. The entry is found by the address the ticket holds, so it must go while the ticket
// still holds it: a run that fails in between is finished by running the erasure again. The
// answers and history are rewritten from the read, so the write holds only while they have not
// grown since (an attach or an agent's note in between); else it is made again from the ticket
// as it is now.
func (s *Store) eraseTicketItem(ctx context.Context, it map[string]types.AttributeValue, now time.Time) error {
	for range ticketEraseAttempts {
		var t ticketRecord
		if err := attributevalue.UnmarshalMap(it, &t); err != nil {
			return err
		}
		if err := s.dropAddressIndex(ctx, t.Email, t.ContactID); err != nil {
			return err
		}
		answers, history := t.Erase(now)
		upd := expression.Set(expression.Name("answers"), expression.Value(answers)).
			Set(expression.Name("history"), expression.Value(history)).
			Set(expression.Name("erasedAt"), expression.Value(now))
		for _, a := range personal {
			upd = upd.Remove(expression.Name(a))
		}
		cond := present().And(sizeIs("answers", len(t.Answers)), sizeIs("history", len(t.History)))
		e, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
		if err != nil {
			return err
		}
		_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: key(t.PK, t.SK),
			UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
			ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
		var ccf *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			return nil
		case !errors.As(err, &ccf):
			return fmt.Errorf("erase %s: %w", t.PK, err)
		case ccf.Item == nil:
			return nil // gone meanwhile (TTL)
		}
		it = ccf.Item // changed since the read: erase it as it is now
	}
	return fmt.Errorf("erase ticket: it kept changing: %w", ErrConflict)
}

// ticketEraseAttempts bounds the rewrites of a ticket that keeps changing under the erasure.
const ticketEraseAttempts = 5

// sizeIs is the condition that list attribute name holds n entries (none: absent or empty).
func sizeIs(name string, n int) expression.ConditionBuilder {
	size := expression.Size(expression.Name(name)).Equal(expression.Value(n))
	if n == 0 {
		return expression.AttributeNotExists(expression.Name(name)).Or(size)
	}
	return size
}

// eraseRecord applies upd to an item that exists and returns it as it is after (an invitation's
// send state tells whether a claim is in flight); an item gone meanwhile (TTL) is fine (nil).
func (s *Store) eraseRecord(ctx context.Context, pk, sk string, upd expression.UpdateBuilder) (map[string]types.AttributeValue, error) {
	e, err := expression.NewBuilder().WithUpdate(upd).WithCondition(expression.AttributeExists(expression.Name("PK"))).Build()
	if err != nil {
		return nil, err
	}
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table), Key: key(pk, sk),
		UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), ReturnValues: types.ReturnValueAllNew})
	if isConditionFailed(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("erase %s: %w", pk, err)
	}
	return out.Attributes, nil
}

// eraseAnswerComments rewrites an erased invitation's answers without the comment each submit
// carries, keeping scores and times (the scorer's counts are anonymous and stay). The item has
// erasedAt already, so no answer can be appended meanwhile (the answer's write refuses it).
func (s *Store) eraseAnswerComments(ctx context.Context, pk, sk string, answers []Answer) error {
	stripped, any := make([]Answer, len(answers)), false
	for i, a := range answers {
		any = any || a.Comment != ""
		a.Comment = ""
		stripped[i] = a
	}
	if !any {
		return nil
	}
	_, err := s.eraseRecord(ctx, pk, sk, expression.Set(expression.Name("answers"), expression.Value(stripped)))
	return err
}
