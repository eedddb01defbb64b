package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/score"
)

// snapshotRecord is a snapshot's item: SCORE#<survey> / RUN#<runAt>.
type snapshotRecord struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Kind string `dynamodbav:"kind"`
	score.Snapshot
}

// PutSnapshot stores a run's snapshot (keys and kind are filled in from Survey and RunAt).
func (s *Store) PutSnapshot(ctx context.Context, snap score.Snapshot) error {
	rec := snapshotRecord{PK: scorePK(snap.Survey), SK: runSK(snap.RunAt), Kind: KindSnapshot, Snapshot: snap}
	stored, err := s.putItem(ctx, rec, absent())
	if err != nil {
		return fmt.Errorf("put snapshot of %s: %w", snap.Survey, err)
	}
	if !stored {
		return fmt.Errorf("snapshot of %s at %s: %w", snap.Survey, rec.SK, ErrConflict)
	}
	return nil
}

// LatestScores returns the survey's most recent snapshot, or ErrNotFound before its first run.
// One Query with Limit 1, newest first.
func (s *Store) LatestScores(ctx context.Context, survey string) (*score.Snapshot, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key("PK").Equal(expression.Value(scorePK(survey))).
			And(expression.Key("SK").BeginsWith(runPrefix))).Build()
	if err != nil {
		return nil, err
	}
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(1),
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		return nil, fmt.Errorf("latest scores of %s: %w", survey, err)
	}
	if len(out.Items) == 0 {
		return nil, ErrNotFound
	}
	var rec snapshotRecord
	if err := attributevalue.UnmarshalMap(out.Items[0], &rec); err != nil {
		return nil, fmt.Errorf("decode snapshot of %s: %w", survey, err)
	}
	return &rec.Snapshot, nil
}

// ScoreHistory returns the survey's snapshots run at or after since, oldest first: the trend.
// Snapshots are written only when a score changed, so a flat line has few points.
func (s *Store) ScoreHistory(ctx context.Context, survey string, since time.Time) ([]score.Snapshot, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key("PK").Equal(expression.Value(scorePK(survey))).
			And(expression.Key("SK").Between(expression.Value(runSK(since)), expression.Value(runPrefix+"~")))).Build()
	if err != nil {
		return nil, err
	}
	recs, err := queryAll[snapshotRecord](ctx, s.DB, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	if err != nil {
		return nil, fmt.Errorf("score history of %s: %w", survey, err)
	}
	return unwrap(recs, func(r snapshotRecord) score.Snapshot { return r.Snapshot }), nil
}

const runPrefix = "RUN#"

func runSK(at time.Time) string { return runPrefix + FormatTime(at) }
