package store

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/metric"
)

// Per-day histogram items (PK=HIST#<survey>, SK=DAY#<yyyy-mm-dd>) are written only by the scorer.
// Each counter is one top-level number attribute named "<dim>|<slot>": slot 0..10 counts current
// answers with that score, slot "d" counts delivered invitations. For example "all|9",
// "tp:order.delivered|d", "seg:plan=pro|0". Top-level numbers let one UpdateItem ADD to any
// counter, creating it on first use, which nested maps cannot do.
const (
	histSlotSep       = "|"
	histDeliveredSlot = "d"
	histDayPrefix     = "DAY#"
	// MaxRunDays is the most day items one run's transaction may touch (TransactWriteItems takes
	// 100 items, one is the watermark). The scorer bounds a run's span so it never gets near.
	MaxRunDays = 99
)

// histAttr is the attribute name of one counter. Square brackets would read as list indexes in
// an expression path, so they are stored as parentheses.
func histAttr(dim metric.Dim, slot string) string {
	d := strings.NewReplacer("[", "(", "]", ")").Replace(string(dim))
	return d + histSlotSep + slot
}

// parseHistAttr is histAttr's inverse; ok is false for the item's other attributes.
func parseHistAttr(name string) (dim metric.Dim, slot int, delivered, ok bool) {
	i := strings.LastIndex(name, histSlotSep)
	if i <= 0 {
		return "", 0, false, false
	}
	dim, s := metric.Dim(name[:i]), name[i+1:]
	if s == histDeliveredSlot {
		return dim, 0, true, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > metric.MaxScore {
		return "", 0, false, false
	}
	return dim, n, false, true
}

// watermark is the scorer's progress for one survey: every feed change at or before At is
// in the histograms.
type watermark struct {
	PK     string `dynamodbav:"PK"`
	SK     string `dynamodbav:"SK"`
	Kind   string `dynamodbav:"kind"`
	Survey string `dynamodbav:"survey"`
	At     string `dynamodbav:"at"` // FormatTime
}

// Watermark returns the survey's scorer watermark (strongly consistent), or the zero time before
// the first run.
func (s *Store) Watermark(ctx context.Context, survey string) (time.Time, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:              aws.String(s.Table),
		Key:                    key(histPK(survey), skWatermark),
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("watermark of %s: %w", survey, err)
	}
	if out.Item == nil {
		return time.Time{}, nil
	}
	var w watermark
	if err := attributevalue.UnmarshalMap(out.Item, &w); err != nil {
		return time.Time{}, fmt.Errorf("decode watermark of %s: %w", survey, err)
	}
	return time.Parse(TimeKey, w.At)
}

// feedItem is the part of an invitation the scorer reads from the change feed.
type feedItem struct {
	Touchpoint string            `dynamodbav:"touchpoint"`
	Segments   map[string]string `dynamodbav:"segments"`
	SentAt     *time.Time        `dynamodbav:"sentAt"`
	Answers    []Answer          `dynamodbav:"answers"`
}

// ReadFeed returns every invitation of survey whose change-feed time (GSI3SK) is after since, from
// all Shards partitions of the feed, as the scorer's pure input. There is deliberately no upper
// bound: an item answered before the new watermark and edited after it must still be read, and the
// delta applies the new watermark to each answer (docs/ARCHITECTURE.md).
func (s *Store) ReadFeed(ctx context.Context, survey string, since time.Time) ([]metric.Item, error) {
	proj := expression.NamesList(expression.Name("touchpoint"), expression.Name("segments"),
		expression.Name("sentAt"), expression.Name("answers"))
	var items []metric.Item
	for n := range Shards {
		expr, err := expression.NewBuilder().WithProjection(proj).WithKeyCondition(
			expression.Key("GSI3PK").Equal(expression.Value(feedPK(survey, n))).
				And(expression.Key("GSI3SK").GreaterThan(expression.Value(FormatTime(since))))).Build()
		if err != nil {
			return nil, err
		}
		p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
			TableName:                 aws.String(s.Table),
			IndexName:                 aws.String(IndexFeed),
			KeyConditionExpression:    expr.KeyCondition(),
			ProjectionExpression:      expr.Projection(),
			ExpressionAttributeNames:  expr.Names(),
			ExpressionAttributeValues: expr.Values(),
			ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
		})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("read feed %s: %w", feedPK(survey, n), err)
			}
			page := make([]feedItem, 0, len(out.Items))
			if err := attributevalue.UnmarshalListOfMaps(out.Items, &page); err != nil {
				return nil, fmt.Errorf("decode feed %s: %w", feedPK(survey, n), err)
			}
			for _, f := range page {
				items = append(items, f.metricItem())
			}
		}
	}
	return items, nil
}

func (f feedItem) metricItem() metric.Item {
	it := metric.Item{Dims: metric.Dims(f.Touchpoint, f.Segments)}
	if f.SentAt != nil {
		it.SentAt = f.SentAt.UnixMilli()
	}
	for _, a := range f.Answers {
		it.Answers = append(it.Answers, metric.Answer{Score: a.Score, At: a.At})
	}
	return it
}

// ApplyRun adds one run's delta to the survey's day items and moves the watermark from `from` to
// `to`, in ONE transaction conditioned on the watermark still being `from` (absent when from is
// zero). If another scorer moved it first, nothing is written and the error is ErrConflict.
func (s *Store) ApplyRun(ctx context.Context, survey string, d metric.Delta, from, to time.Time) error {
	if len(d) > MaxRunDays {
		return fmt.Errorf("apply run of %s: %d days exceed %d", survey, len(d), MaxRunDays)
	}
	days := make([]string, 0, len(d))
	for day := range d {
		days = append(days, day)
	}
	sort.Strings(days)
	txn := make([]types.TransactWriteItem, 0, len(days)+1)
	for _, day := range days {
		upd := expression.Set(expression.Name("kind"), expression.Value(KindHistogram)).
			Set(expression.Name("survey"), expression.Value(survey))
		for dim, h := range d[day] {
			for v, c := range h.Counts {
				if c != 0 {
					upd = upd.Add(expression.NameNoDotSplit(histAttr(dim, strconv.Itoa(v))), expression.Value(c))
				}
			}
			if h.Delivered != 0 {
				upd = upd.Add(expression.NameNoDotSplit(histAttr(dim, histDeliveredSlot)), expression.Value(h.Delivered))
			}
		}
		expr, err := expression.NewBuilder().WithUpdate(upd).Build()
		if err != nil {
			return fmt.Errorf("build histogram update %s %s: %w", survey, day, err)
		}
		txn = append(txn, types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(s.Table), Key: key(histPK(survey), histDayPrefix+day),
			UpdateExpression: expr.Update(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		}})
	}
	cond := expression.AttributeNotExists(expression.Name("PK"))
	if !from.IsZero() {
		cond = expression.Name("at").Equal(expression.Value(FormatTime(from)))
	}
	wm, err := attributevalue.MarshalMap(watermark{PK: histPK(survey), SK: skWatermark, Kind: KindWatermark,
		Survey: survey, At: FormatTime(to)})
	if err != nil {
		return err
	}
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return err
	}
	txn = append(txn, types.TransactWriteItem{Put: &types.Put{
		TableName: aws.String(s.Table), Item: wm, ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	}})
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems:          txn,
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	if err != nil && lostRace(err) {
		return fmt.Errorf("apply run of %s from %s: %w", survey, FormatTime(from), ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("apply run of %s: %w", survey, err)
	}
	return nil
}

// ReadDays returns the survey's per-day histograms from first to last (UTC yyyy-mm-dd, inclusive)
// with one Query (paginated past 1 MB): its cost depends on the number of days and dimensions,
// never on the number of answers.
func (s *Store) ReadDays(ctx context.Context, survey, first, last string) (map[string]metric.Breakdown, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key("PK").Equal(expression.Value(histPK(survey))).
			And(expression.Key("SK").Between(expression.Value(histDayPrefix+first), expression.Value(histDayPrefix+last)))).Build()
	if err != nil {
		return nil, err
	}
	days := map[string]metric.Breakdown{}
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ConsistentRead:            aws.Bool(true),
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read histograms of %s: %w", survey, err)
		}
		for _, item := range out.Items {
			sk, _ := item["SK"].(*types.AttributeValueMemberS)
			if sk == nil {
				continue
			}
			b := metric.Breakdown{}
			for name, av := range item {
				dim, slot, delivered, ok := parseHistAttr(name)
				num, isNum := av.(*types.AttributeValueMemberN)
				if !ok || !isNum {
					continue
				}
				c, err := strconv.ParseInt(num.Value, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("histogram %s %s: %s: %w", survey, sk.Value, name, err)
				}
				h := b[dim]
				if delivered {
					h.Delivered += c
				} else {
					h.Counts[slot] += c
				}
				b[dim] = h
			}
			days[strings.TrimPrefix(sk.Value, histDayPrefix)] = b
		}
	}
	return days, nil
}
