package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/score"
)

// breachRecord is a breach's item: BREACH#<survey>#<rule> / WINDOW#<window>#<end>. Its INSERT is
// what the FollowupFunction's stream filter turns into a ticket.
type breachRecord struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Kind string `dynamodbav:"kind"`
	score.Breach
}

// cooldown is a rule's cooldown item: no new breach of the rule before Until.
type cooldown struct {
	PK     string `dynamodbav:"PK"`
	SK     string `dynamodbav:"SK"`
	Kind   string `dynamodbav:"kind"`
	Survey string `dynamodbav:"survey"`
	Rule   string `dynamodbav:"rule"`
	Until  string `dynamodbav:"until"` // FormatTime, compared as a string
	Last   string `dynamodbav:"last"`  // the SK of the breach that started it
}

// RecordBreach records b at most once per rule and window, and only when the rule's cooldown has
// run out; in the same transaction it starts a new cooldown of length cool. It reports whether b
// was recorded: false (and no error) when the breach was already recorded, the rule is cooling
// down, or a concurrent scorer's transaction on the same items won.
func (s *Store) RecordBreach(ctx context.Context, br score.Breach, cool time.Duration) (bool, error) {
	b := breachRecord{PK: breachPK(br.Survey, br.Rule), SK: breachSK(br.Window, br.WindowEnd), Kind: KindBreach, Breach: br}
	put, err := s.txPut("breach", b, absent())
	if err != nil {
		return false, fmt.Errorf("encode breach %s: %w", b.SK, err)
	}
	over := absent().Or(expression.Name("until").LessThanEqual(expression.Value(FormatTime(b.DetectedAt))))
	cd, err := s.txPut("cooldown", cooldown{PK: b.PK, SK: skCooldown, Kind: KindCooldown, Survey: b.Survey,
		Rule: b.Rule, Until: FormatTime(b.DetectedAt.Add(cool)), Last: b.SK}, over)
	if err != nil {
		return false, err
	}
	// Not s.transact: the scorer's writes ask for their consumed capacity (storetest.CapacityMeter).
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems:          []types.TransactWriteItem{put.TransactWriteItem, cd.TransactWriteItem},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	if err == nil {
		return true, nil
	}
	if lostRace(err) {
		return false, nil
	}
	return false, fmt.Errorf("record breach %s %s: %w", b.PK, b.SK, err)
}

// lostRace reports whether a transaction was cancelled because its conditions failed or another
// transaction held one of its items: someone else did the work, or will.
func lostRace(err error) bool {
	if isConditionFailed(err) {
		return true
	}
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for _, r := range cancelReasons(err) {
			if r == "TransactionConflict" {
				return true
			}
		}
	}
	var tip *types.TransactionInProgressException
	return errors.As(err, &tip)
}

// Breaches returns the recorded breaches of one rule, in key order (by window, then window end).
func (s *Store) Breaches(ctx context.Context, survey, rule string) ([]score.Breach, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key("PK").Equal(expression.Value(breachPK(survey, rule))).
			And(expression.Key("SK").BeginsWith(breachPrefix))).Build()
	if err != nil {
		return nil, err
	}
	recs, err := queryAll[breachRecord](ctx, s.DB, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("breaches of %s/%s: %w", survey, rule, err)
	}
	return unwrap(recs, func(r breachRecord) score.Breach { return r.Breach }), nil
}

const breachPrefix = "WINDOW#"

func breachSK(window, end string) string { return breachPrefix + window + "#" + end }
