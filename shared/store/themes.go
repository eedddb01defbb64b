package store

import (
	"context"
	"fmt"
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

// Theme counts (docs/THEMES.md) live in two places, both written only by the scorer in its run's
// transaction:
//
//   - declared themes: counters on the day histogram item (HIST#<survey> / DAY#<day>), beside the
//     score slots, named "<dim>|<slot>" like them: "c" comments, "cl" low-band and "ch" high-band
//     comments, "t:<theme>" comments mentioning the theme, "t:<theme>:l" and "t:<theme>:h" the
//     same in the low and high band. ReadDayCounts' Query reads them at no extra request.
//   - found themes: one vocabulary item per survey and day (THEMES#<survey> / DAY#<day>) with the
//     low-band and high-band comment counts and, per band, how many comments mention each term,
//     cut to theme.MaxTermsPerBand terms. The scorer reads it, merges its run and puts it back.
//
// Neither holds a comment, a contact or an invitation id: the counts are anonymous.
const (
	themeSlotComments = "c"
	themeSlotLow      = "cl"
	themeSlotHigh     = "ch"
	themeSlotPrefix   = "t:"
	themeTermsPrefix  = "THEMES#"
)

func themeTermsPK(survey string) string { return themeTermsPrefix + survey }

// themeUpdate adds a day's theme tallies to the day item's update.
func themeUpdate(upd expression.UpdateBuilder, dims map[metric.Dim]theme.Tally) expression.UpdateBuilder {
	add := func(dim metric.Dim, slot string, n int64) {
		if n != 0 {
			upd = upd.Add(expression.NameNoDotSplit(histAttr(dim, slot)), expression.Value(n))
		}
	}
	for dim, t := range dims {
		add(dim, themeSlotComments, t.Comments)
		add(dim, themeSlotLow, t.Low)
		add(dim, themeSlotHigh, t.High)
		for id, m := range t.Themes {
			add(dim, themeSlotPrefix+id, m.Comments)
			add(dim, themeSlotPrefix+id+":l", m.Low)
			add(dim, themeSlotPrefix+id+":h", m.High)
		}
	}
	return upd
}

// addThemeCounter adds one day-item attribute to tallies if it is a theme counter; it reports
// whether it was one.
func addThemeCounter(tallies map[metric.Dim]theme.Tally, name string, n int64) bool {
	i := strings.LastIndex(name, histSlotSep)
	if i <= 0 {
		return false
	}
	dim, slot := metric.Dim(name[:i]), name[i+1:]
	t := tallies[dim]
	switch {
	case slot == themeSlotComments:
		t.Comments += n
	case slot == themeSlotLow:
		t.Low += n
	case slot == themeSlotHigh:
		t.High += n
	case strings.HasPrefix(slot, themeSlotPrefix):
		id, band, _ := strings.Cut(strings.TrimPrefix(slot, themeSlotPrefix), ":")
		if t.Themes == nil {
			t.Themes = map[string]theme.Mentions{}
		}
		m := t.Themes[id]
		switch band {
		case "":
			m.Comments += n
		case "l":
			m.Low += n
		case "h":
			m.High += n
		default:
			return false
		}
		t.Themes[id] = m
	default:
		return false
	}
	tallies[dim] = t
	return true
}

// termItem is a survey's found-theme vocabulary of one day.
type termItem struct {
	PK     string       `dynamodbav:"PK"`
	SK     string       `dynamodbav:"SK"`
	Kind   string       `dynamodbav:"kind"`
	Survey string       `dynamodbav:"survey"`
	Day    string       `dynamodbav:"day"`
	LowN   int64        `dynamodbav:"lc"`
	HighN  int64        `dynamodbav:"hc"`
	Low    theme.Counts `dynamodbav:"l"`
	High   theme.Counts `dynamodbav:"h"`
}

// KindThemeTerms is the kind of a day's found-theme vocabulary item.
const KindThemeTerms = "themeterms"

func (it termItem) day() theme.TermDay {
	d := theme.TermDay{LowComments: it.LowN, HighComments: it.HighN, Low: it.Low, High: it.High}
	if d.Low == nil {
		d.Low = theme.Counts{}
	}
	if d.High == nil {
		d.High = theme.Counts{}
	}
	return d
}

// TermDays returns the stored vocabulary of the given days (strongly consistent, one GetItem
// each: a run touches one or two days), for the scorer to merge its run into. A day without an
// item is an empty vocabulary.
func (s *Store) TermDays(ctx context.Context, survey string, days []string) (map[string]theme.TermDay, error) {
	out := make(map[string]theme.TermDay, len(days))
	for _, day := range days {
		var it termItem
		if _, err := s.getItem(ctx, key(themeTermsPK(survey), histSK(day)), true, &it); err != nil {
			return nil, fmt.Errorf("theme terms of %s %s: %w", survey, day, err)
		}
		out[day] = it.day()
	}
	return out, nil
}

// ReadTermDays returns the survey's vocabulary items from first to last (UTC yyyy-mm-dd,
// inclusive) with one Query: at most 90 items of at most about 10 KB each for a 90-day window.
func (s *Store) ReadTermDays(ctx context.Context, survey, first, last string) (map[string]theme.TermDay, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key("PK").Equal(expression.Value(themeTermsPK(survey))).
			And(expression.Key("SK").Between(expression.Value(histSK(first)), expression.Value(histSK(last))))).Build()
	if err != nil {
		return nil, err
	}
	days := map[string]theme.TermDay{}
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read theme terms of %s: %w", survey, err)
		}
		var page []termItem
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &page); err != nil {
			return nil, fmt.Errorf("decode theme terms of %s: %w", survey, err)
		}
		for _, it := range page {
			days[it.Day] = it.day()
		}
	}
	return days, nil
}

// termPut is the transaction item that stores a day's merged vocabulary.
func (s *Store) termPut(survey, day string, d theme.TermDay) (types.TransactWriteItem, error) {
	it, err := s.txPut("terms "+day, termItem{PK: themeTermsPK(survey), SK: histSK(day), Kind: KindThemeTerms,
		Survey: survey, Day: day, LowN: d.LowComments, HighN: d.HighComments, Low: d.Low, High: d.High}, noCondition)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode theme terms of %s %s: %w", survey, day, err)
	}
	return it.TransactWriteItem, nil
}

// parseCount reads a number attribute.
func parseCount(av types.AttributeValue) (int64, bool) {
	num, ok := av.(*types.AttributeValueMemberN)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(num.Value, 10, 64)
	return n, err == nil
}

// FeedComment is the current answer of one invitation of the feed, with its comment: what the
// Themes page shows as an example. It names no contact.
type FeedComment struct {
	Score   int
	At      time.Time
	Comment string
	Lang    string
}

// ExampleBudget bounds what one Themes page reads for examples: at most this many invitations
// per feed shard (16 shards), newest first.
const ExampleBudget = 100

// FeedComments returns the commented current answers of the survey's invitations whose feed time
// (GSI3SK, the last answer or send) is within [from, to], newest first per shard, reading at most
// perShard invitations of each of the Shards feed partitions. Examples are read here, on demand,
// and never copied: an erased contact's comments are gone from its answers, so they vanish from
// the examples too.
func (s *Store) FeedComments(ctx context.Context, survey string, from, to time.Time, perShard int) ([]FeedComment, error) {
	proj := expression.NamesList(expression.Name("answers"))
	var out []FeedComment
	for n := range Shards {
		expr, err := expression.NewBuilder().WithProjection(proj).WithKeyCondition(
			expression.Key("GSI3PK").Equal(expression.Value(feedPK(survey, n))).
				And(expression.Key("GSI3SK").Between(expression.Value(FormatTime(from)), expression.Value(FormatTime(to))))).Build()
		if err != nil {
			return nil, err
		}
		in := &dynamodb.QueryInput{
			TableName:                 aws.String(s.Table),
			IndexName:                 aws.String(IndexFeed),
			KeyConditionExpression:    expr.KeyCondition(),
			ProjectionExpression:      expr.Projection(),
			ExpressionAttributeNames:  expr.Names(),
			ExpressionAttributeValues: expr.Values(),
			ScanIndexForward:          aws.Bool(false),
			Limit:                     aws.Int32(int32(perShard)),
		}
		read := 0
		for read < perShard {
			page, err := s.DB.Query(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("read feed comments %s: %w", feedPK(survey, n), err)
			}
			var items []feedItem
			if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
				return nil, fmt.Errorf("decode feed comments %s: %w", feedPK(survey, n), err)
			}
			read += len(items)
			for _, it := range items {
				if len(it.Answers) == 0 {
					continue
				}
				a := it.Answers[len(it.Answers)-1]
				if a.Comment != "" {
					out = append(out, FeedComment{Score: a.Score, At: time.UnixMilli(a.At).UTC(), Comment: a.Comment, Lang: a.Lang})
				}
			}
			if page.LastEvaluatedKey == nil {
				break
			}
			in.ExclusiveStartKey = page.LastEvaluatedKey
			in.Limit = aws.Int32(int32(perShard - read))
		}
	}
	return out, nil
}
