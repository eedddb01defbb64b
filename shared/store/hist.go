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
	"github.com/cxloop/cxloop/shared/theme"
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
	var w watermark
	found, err := s.getItem(ctx, key(histPK(survey), skWatermark), true, &w)
	if err != nil {
		return time.Time{}, fmt.Errorf("watermark of %s: %w", survey, err)
	}
	if !found {
		return time.Time{}, nil
	}
	return time.Parse(TimeKey, w.At)
}

// feedItem is the part of an invitation the scorer reads from the change feed.
type feedItem struct {
	PK         string            `dynamodbav:"PK"`     // the invitation, to drop a second copy
	FeedAt     string            `dynamodbav:"GSI3SK"` // FormatTime of its last change
	Touchpoint string            `dynamodbav:"touchpoint"`
	Segments   map[string]string `dynamodbav:"segments"`
	SentAt     *time.Time        `dynamodbav:"sentAt"`
	Answers    []Answer          `dynamodbav:"answers"`
}

// FeedEntry is one invitation of the change feed as the scorer's pure inputs: the histograms'
// view and the theme counts' view.
type FeedEntry struct {
	Metric metric.Item
	Theme  theme.Item
}

// ReadFeedEntries returns every invitation of survey whose change-feed time (GSI3SK) is after
// since, from all Shards partitions of the feed, as the scorer's pure inputs: each submit's score
// and time for the histograms, with its comment and language for the theme counts (both travel in
// the answers list, which the feed index projects). There is deliberately no upper bound: an item
// answered before the new watermark and edited after it must still be read, and the delta applies
// the new watermark to each answer (docs/ARCHITECTURE.md).
//
// Each invitation is returned once. An invitation answered or edited while the pages are read
// moves to the end of its shard's feed, past the page that already returned it, and comes back on
// a later page; a second copy would count its answer twice. The copy kept is the later state
// (laterCopy); either gives the same counts, since the delta reads the answers as of the watermark.
func (s *Store) ReadFeedEntries(ctx context.Context, survey string, since time.Time) ([]FeedEntry, error) {
	proj := expression.NamesList(expression.Name("PK"), expression.Name("GSI3SK"), expression.Name("touchpoint"),
		expression.Name("segments"), expression.Name("sentAt"), expression.Name("answers"))
	var items []feedItem
	seen := map[string]int{} // PK -> index in items
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
				i, dup := seen[f.PK]
				switch {
				case !dup:
					seen[f.PK] = len(items)
					items = append(items, f)
				case laterCopy(f, items[i]):
					items[i] = f
				}
			}
		}
	}
	entries := make([]FeedEntry, len(items))
	for i, f := range items {
		m := f.metricItem()
		entries[i] = FeedEntry{Metric: m, Theme: f.themeItem(m.Dims)}
	}
	return entries, nil
}

// laterCopy reports whether a is a later state of the invitation than b, both read from the feed:
// more answers (they are only ever appended), or as many and a later feed time (a send).
func laterCopy(a, b feedItem) bool {
	if len(a.Answers) != len(b.Answers) {
		return len(a.Answers) > len(b.Answers)
	}
	return a.FeedAt > b.FeedAt
}

func (f feedItem) themeItem(dims []metric.Dim) theme.Item {
	it := theme.Item{Dims: dims}
	for _, a := range f.Answers {
		it.Answers = append(it.Answers, theme.Answer{Score: a.Score, At: a.At, Comment: a.Comment, Lang: a.Lang})
	}
	return it
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

// ApplyRunThemes adds one run's delta to the survey's day items and moves the watermark from
// `from` to `to`, in ONE transaction conditioned on the watermark still being `from` (absent when
// from is zero). If another scorer moved it first, nothing is written and the error is
// ErrConflict. The run's theme changes go in the same transaction (themes.go): the declared-theme
// tallies of td are added to the same day items, and terms (each day's vocabulary as read by
// TermDays with the run merged in) are put, the watermark condition making the read-merge-put
// safe: a scorer that read before another one committed cannot commit.
func (s *Store) ApplyRunThemes(ctx context.Context, survey string, d metric.Delta, td theme.Delta, terms map[string]theme.TermDay, from, to time.Time) error {
	daySet := map[string]bool{}
	for day := range d {
		daySet[day] = true
	}
	for day, dd := range td {
		if len(dd.Dims) > 0 {
			daySet[day] = true
		}
	}
	if n := len(daySet) + len(terms); n > MaxRunDays {
		return fmt.Errorf("apply run of %s: %d items exceed %d", survey, n, MaxRunDays)
	}
	days := make([]string, 0, len(daySet))
	for day := range daySet {
		days = append(days, day)
	}
	sort.Strings(days)
	txn := make([]types.TransactWriteItem, 0, len(days)+len(terms)+1)
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
		if dd := td[day]; dd != nil {
			upd = themeUpdate(upd, dd.Dims)
		}
		it, err := s.txUpdate("day "+day, key(histPK(survey), histDayPrefix+day), upd, noCondition)
		if err != nil {
			return fmt.Errorf("build histogram update %s %s: %w", survey, day, err)
		}
		txn = append(txn, it.TransactWriteItem)
	}
	termDays := make([]string, 0, len(terms))
	for day := range terms {
		termDays = append(termDays, day)
	}
	sort.Strings(termDays)
	for _, day := range termDays {
		put, err := s.termPut(survey, day, terms[day])
		if err != nil {
			return err
		}
		txn = append(txn, put)
	}
	cond := expression.AttributeNotExists(expression.Name("PK"))
	if !from.IsZero() {
		cond = expression.Name("at").Equal(expression.Value(FormatTime(from)))
	}
	wm, err := s.txPut("watermark", watermark{PK: histPK(survey), SK: skWatermark, Kind: KindWatermark, Survey: survey, At: FormatTime(to)}, cond)
	if err != nil {
		return err
	}
	txn = append(txn, wm.TransactWriteItem)
	// Not s.transact: the scorer's writes ask for their consumed capacity (storetest.CapacityMeter).
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

// ReadDayCounts returns the survey's per-day histograms from first to last (UTC yyyy-mm-dd,
// inclusive) with the declared-theme tallies of the same day items (themes.go), day -> dimension
// -> tally, with one Query (paginated past 1 MB): its cost depends on the number of days and
// dimensions, never on the number of answers.
func (s *Store) ReadDayCounts(ctx context.Context, survey, first, last string) (map[string]metric.Breakdown, map[string]map[metric.Dim]theme.Tally, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key("PK").Equal(expression.Value(histPK(survey))).
			And(expression.Key("SK").Between(expression.Value(histDayPrefix+first), expression.Value(histDayPrefix+last)))).Build()
	if err != nil {
		return nil, nil, err
	}
	days := map[string]metric.Breakdown{}
	tallies := map[string]map[metric.Dim]theme.Tally{}
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
			return nil, nil, fmt.Errorf("read histograms of %s: %w", survey, err)
		}
		for _, item := range out.Items {
			sk, _ := item["SK"].(*types.AttributeValueMemberS)
			if sk == nil {
				continue
			}
			day := strings.TrimPrefix(sk.Value, histDayPrefix)
			b := metric.Breakdown{}
			t := map[metric.Dim]theme.Tally{}
			for name, av := range item {
				dim, slot, delivered, ok := parseHistAttr(name)
				if !ok {
					if n, isNum := parseCount(av); isNum {
						addThemeCounter(t, name, n)
					}
					continue
				}
				num, isNum := av.(*types.AttributeValueMemberN)
				if !isNum {
					continue
				}
				c, err := strconv.ParseInt(num.Value, 10, 64)
				if err != nil {
					return nil, nil, fmt.Errorf("histogram %s %s: %s: %w", survey, sk.Value, name, err)
				}
				h := b[dim]
				if delivered {
					h.Delivered += c
				} else {
					h.Counts[slot] += c
				}
				b[dim] = h
			}
			days[day] = b
			if len(t) > 0 {
				tallies[day] = t
			}
		}
	}
	return days, tallies, nil
}

// FeedEntryOf decodes a whole invitation item as the scorer would read it from the feed (tests
// recount from a Scan with it).
func FeedEntryOf(item map[string]types.AttributeValue) (FeedEntry, error) {
	var f feedItem
	if err := attributevalue.UnmarshalMap(item, &f); err != nil {
		return FeedEntry{}, err
	}
	m := f.metricItem()
	return FeedEntry{Metric: m, Theme: f.themeItem(m.Dims)}, nil
}
