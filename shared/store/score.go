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

	"github.com/cxloop/cxloop/shared/metric"
)

// ScoreRow is one score of a snapshot: a metric over one window for one dimension.
type ScoreRow struct {
	// Window is the window's name: "1d", "7d", "30d" or "90d" (metric.WindowName).
	Window string `dynamodbav:"w" json:"window"`
	// Dim is metric.Overall, a metric.TouchpointDim or a metric.SegmentDim.
	Dim metric.Dim `dynamodbav:"d" json:"dim"`
	metric.Score
}

// Snapshot is one scoring run's scores for one survey: every window x dimension, with the catalog
// and metric definition versions they were made under. Runs that change nothing write none.
type Snapshot struct {
	PK   string `dynamodbav:"PK" json:"-"`
	SK   string `dynamodbav:"SK" json:"-"`
	Kind string `dynamodbav:"kind" json:"-"`

	Survey         string    `dynamodbav:"survey" json:"survey"`
	Metric         string    `dynamodbav:"metric" json:"metric"`
	CatalogVersion string    `dynamodbav:"catalogVersion" json:"catalogVersion"`
	MetricVersion  int       `dynamodbav:"metricVersion" json:"metricVersion"`
	RunAt          time.Time `dynamodbav:"runAt" json:"runAt"`
	// Day is the UTC day the windows end on (inclusive), yyyy-mm-dd.
	Day string `dynamodbav:"day" json:"day"`
	// Watermark is the scorer's watermark: the scores include every answer up to it.
	Watermark time.Time  `dynamodbav:"watermark" json:"watermark"`
	Scores    []ScoreRow `dynamodbav:"scores" json:"scores"`
}

// Find returns the score for window (e.g. "7d") and dim, if the snapshot has one.
func (s *Snapshot) Find(window string, dim metric.Dim) (ScoreRow, bool) {
	for _, r := range s.Scores {
		if r.Window == window && r.Dim == dim {
			return r, true
		}
	}
	return ScoreRow{}, false
}

// SameScores reports whether s and o hold the same scores under the same definitions, whatever
// their run times and days: the scorer writes a snapshot only when this is false, so a survey
// without new answers gets no new snapshot even when its windows move to a new day.
func (s *Snapshot) SameScores(o *Snapshot) bool {
	if o == nil || s.Metric != o.Metric || s.CatalogVersion != o.CatalogVersion ||
		s.MetricVersion != o.MetricVersion || len(s.Scores) != len(o.Scores) {
		return false
	}
	for i := range s.Scores {
		if s.Scores[i] != o.Scores[i] {
			return false
		}
	}
	return true
}

// PutSnapshot stores a run's snapshot (keys and kind are filled in from Survey and RunAt).
func (s *Store) PutSnapshot(ctx context.Context, snap Snapshot) error {
	snap.PK, snap.SK, snap.Kind = scorePK(snap.Survey), runSK(snap.RunAt), KindSnapshot
	item, err := attributevalue.MarshalMap(snap)
	if err != nil {
		return fmt.Errorf("encode snapshot of %s: %w", snap.Survey, err)
	}
	cond, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name("PK"))).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(s.Table),
		Item:                      item,
		ConditionExpression:       cond.Condition(),
		ExpressionAttributeNames:  cond.Names(),
		ExpressionAttributeValues: cond.Values(),
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
	})
	if isConditionFailed(err) {
		return fmt.Errorf("snapshot of %s at %s: %w", snap.Survey, snap.SK, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("put snapshot of %s: %w", snap.Survey, err)
	}
	return nil
}

// LatestScores returns the survey's most recent snapshot, or ErrNotFound before its first run.
// One Query with Limit 1, newest first.
func (s *Store) LatestScores(ctx context.Context, survey string) (*Snapshot, error) {
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
	var snap Snapshot
	if err := attributevalue.UnmarshalMap(out.Items[0], &snap); err != nil {
		return nil, fmt.Errorf("decode snapshot of %s: %w", survey, err)
	}
	return &snap, nil
}

// ScoreHistory returns the survey's snapshots run at or after since, oldest first: the trend.
// Snapshots are written only when a score changed, so a flat line has few points.
func (s *Store) ScoreHistory(ctx context.Context, survey string, since time.Time) ([]Snapshot, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key("PK").Equal(expression.Value(scorePK(survey))).
			And(expression.Key("SK").Between(expression.Value(runSK(since)), expression.Value(runPrefix+"~")))).Build()
	if err != nil {
		return nil, err
	}
	snaps, err := queryAll[Snapshot](ctx, s.DB, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	if err != nil {
		return nil, fmt.Errorf("score history of %s: %w", survey, err)
	}
	return snaps, nil
}

const runPrefix = "RUN#"

func runSK(at time.Time) string { return runPrefix + FormatTime(at) }
