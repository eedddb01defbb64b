package tablescan

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/cxloop/cxloop/shared/cost"
	"github.com/cxloop/cxloop/shared/store"
)

// usageItem is what counting reads of a decision, an invitation or a ticket.
type usageItem struct {
	Kind            string     `dynamodbav:"kind"`
	DecidedAt       time.Time  `dynamodbav:"decidedAt"`
	SentAt          *time.Time `dynamodbav:"sentAt"`
	ReminderSentAt  *time.Time `dynamodbav:"reminderSentAt"`
	FirstAnsweredAt *time.Time `dynamodbav:"firstAnsweredAt"`
	CreatedAt       time.Time  `dynamodbav:"createdAt"`
}

// Counts counts what the feedback loop did from since on: touchpoints decided, invitations,
// emails sent (first emails and reminders), answers (first submits) and tickets opened. It reads
// the whole table with a parallel Scan (segments at once, each paginated): the read units it
// reports grow with the table, not with the period.
func Counts(ctx context.Context, s *store.Store, since time.Time, segments int) (cost.Counts, Cost, error) {
	if segments < 1 {
		segments = 1
	}
	cond := expression.Name("kind").Equal(expression.Value(store.KindDecision)).
		Or(expression.Name("kind").Equal(expression.Value(store.KindInvitation))).
		Or(expression.Name("kind").Equal(expression.Value(store.KindTicket)))
	proj := expression.NamesList(expression.Name("kind"), expression.Name("decidedAt"), expression.Name("sentAt"),
		expression.Name("reminderSentAt"), expression.Name("firstAnsweredAt"), expression.Name("createdAt"))
	ex, err := expression.NewBuilder().WithFilter(cond).WithProjection(proj).Build()
	if err != nil {
		return cost.Counts{}, Cost{}, err
	}
	counts := make([]cost.Counts, segments)
	after := func(t *time.Time) bool { return t != nil && !t.Before(since) }
	scan, err := scanAll(ctx, s, ex, segments, func(seg int, items []usageItem) {
		c := &counts[seg]
		for i := range items {
			it := &items[i]
			if it.Kind == store.KindTicket {
				if after(&it.CreatedAt) {
					c.Tickets++
				}
				continue
			}
			if after(&it.DecidedAt) {
				c.Touchpoints++
				if it.Kind == store.KindInvitation {
					c.Invitations++
				}
			}
			for _, t := range []*time.Time{it.SentAt, it.ReminderSentAt} {
				if after(t) {
					c.Emails++
				}
			}
			if after(it.FirstAnsweredAt) {
				c.Answers++
			}
		}
	})
	if err != nil {
		return cost.Counts{}, Cost{}, fmt.Errorf("count: %w", err)
	}
	var total cost.Counts
	for _, c := range counts {
		total.Touchpoints += c.Touchpoints
		total.Invitations += c.Invitations
		total.Emails += c.Emails
		total.Answers += c.Answers
		total.Tickets += c.Tickets
	}
	return total, scan, nil
}
