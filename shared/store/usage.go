package store

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/cost"
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

// CountSince counts what the feedback loop did from since on: touchpoints decided, invitations,
// emails sent (first emails and reminders), answers (first submits) and tickets opened. It reads
// the whole table with a parallel Scan (segments at once, each paginated): the read units it
// reports grow with the table, not with the period.
func (s *Store) CountSince(ctx context.Context, since time.Time, segments int) (cost.Counts, ScanCost, error) {
	if segments < 1 {
		segments = 1
	}
	cond := expression.Name("kind").Equal(expression.Value(KindDecision)).
		Or(expression.Name("kind").Equal(expression.Value(KindInvitation))).
		Or(expression.Name("kind").Equal(expression.Value(KindTicket)))
	proj := expression.NamesList(expression.Name("kind"), expression.Name("decidedAt"), expression.Name("sentAt"),
		expression.Name("reminderSentAt"), expression.Name("firstAnsweredAt"), expression.Name("createdAt"))
	ex, err := expression.NewBuilder().WithFilter(cond).WithProjection(proj).Build()
	if err != nil {
		return cost.Counts{}, ScanCost{}, err
	}
	counts := make([]cost.Counts, segments)
	scans := make([]ScanCost, segments)
	errs := make([]error, segments)
	after := func(t *time.Time) bool { return t != nil && !t.Before(since) }
	var wg sync.WaitGroup
	for seg := range segments {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &counts[seg]
			in := &dynamodb.ScanInput{
				TableName: aws.String(s.Table), Segment: aws.Int32(int32(seg)), TotalSegments: aws.Int32(int32(segments)),
				FilterExpression: ex.Filter(), ProjectionExpression: ex.Projection(),
				ExpressionAttributeNames: ex.Names(), ExpressionAttributeValues: ex.Values(),
				ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
			}
			for p := dynamodb.NewScanPaginator(s.DB, in); p.HasMorePages(); {
				out, err := p.NextPage(ctx)
				if err != nil {
					errs[seg] = fmt.Errorf("count: scan segment %d: %w", seg, err)
					return
				}
				scans[seg].Pages++
				scans[seg].Scanned += int(out.ScannedCount)
				if out.ConsumedCapacity != nil {
					scans[seg].ReadUnits += aws.ToFloat64(out.ConsumedCapacity.CapacityUnits)
				}
				var items []usageItem
				if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
					errs[seg] = fmt.Errorf("count: decode segment %d: %w", seg, err)
					return
				}
				for i := range items {
					it := &items[i]
					if it.Kind == KindTicket {
						if after(&it.CreatedAt) {
							c.Tickets++
						}
						continue
					}
					if after(&it.DecidedAt) {
						c.Touchpoints++
						if it.Kind == KindInvitation {
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
			}
		}()
	}
	wg.Wait()
	var total cost.Counts
	var scan ScanCost
	for i := range segments {
		if errs[i] != nil {
			return cost.Counts{}, ScanCost{}, errs[i]
		}
		c := counts[i]
		total.Touchpoints += c.Touchpoints
		total.Invitations += c.Invitations
		total.Emails += c.Emails
		total.Answers += c.Answers
		total.Tickets += c.Tickets
		scan.Pages += scans[i].Pages
		scan.Scanned += scans[i].Scanned
		scan.ReadUnits += scans[i].ReadUnits
	}
	return total, scan, nil
}
