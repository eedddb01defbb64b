package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/cxloop/cxloop/infra/local/sources"
	"github.com/cxloop/cxloop/infra/local/stack"
	"github.com/cxloop/cxloop/shared/store"
)

// rereader gets a failed stream batch's records back: from the stream while it still holds them
// (24 hours), else re-derived from the table.
type rereader struct {
	streams *dynamodbstreams.Client
	store   *store.Store
	region  string
	filters []sources.Pattern // the FollowupFunction's FilterCriteria, from template.yaml
}

func newRereader(cfg aws.Config, st *store.Store, region string) *rereader {
	return &rereader{streams: dynamodbstreams.NewFromConfig(cfg), store: st, region: region}
}

// loadFilters reads the stream's FilterCriteria from the repository's template.yaml: a re-read
// range holds every change of the shard, and only those the filters let through were the batch.
func (r *rereader) loadFilters() error {
	if r.filters != nil {
		return nil
	}
	tpl, err := stack.Template()
	if err != nil {
		return fmt.Errorf("run cxloop from the repository (it reads template.yaml's stream filters): %w", err)
	}
	for _, tgt := range sources.StreamTargetsFromTemplate(tpl) {
		for _, f := range tgt.Filters {
			p, err := sources.ParsePattern(f)
			if err != nil {
				return err
			}
			r.filters = append(r.filters, p)
		}
	}
	return nil
}

// records returns the batch's records as Lambda delivered them, and how they were found.
func (r *rereader) records(ctx context.Context, b streamBatch) ([]sources.StreamRecord, string, error) {
	if err := r.loadFilters(); err != nil {
		return nil, "", err
	}
	recs, err := r.fromStream(ctx, b)
	var trimmed *streamtypes.TrimmedDataAccessException
	var gone *streamtypes.ResourceNotFoundException
	if errors.As(err, &trimmed) || errors.As(err, &gone) || (err == nil && len(recs) == 0 && olderThanStream(b)) {
		recs, err = r.fromTable(ctx, b)
		return recs, "re-derived from the table: the stream no longer holds them", err
	}
	return recs, "re-read from the stream", err
}

// olderThanStream reports whether the batch is past the stream's 24-hour retention.
func olderThanStream(b streamBatch) bool {
	last, err := time.Parse(time.RFC3339, b.LastArrival)
	return err == nil && time.Since(last) > 24*time.Hour
}

// fromStream reads the shard from the batch's first sequence number to its last, keeping the
// records the filters let through.
func (r *rereader) fromStream(ctx context.Context, b streamBatch) ([]sources.StreamRecord, error) {
	it, err := r.streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(b.StreamArn),
		ShardId: aws.String(b.ShardID), ShardIteratorType: streamtypes.ShardIteratorTypeAtSequenceNumber, SequenceNumber: aws.String(b.StartSequence)})
	if err != nil {
		return nil, err
	}
	var out []sources.StreamRecord
	iter := it.ShardIterator
	for empty := 0; iter != nil && empty < 5; {
		page, err := r.streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(1000)})
		if err != nil {
			return nil, err
		}
		iter = page.NextShardIterator
		if len(page.Records) == 0 {
			empty++ // an open shard answers empty pages at its end
			continue
		}
		for _, rec := range page.Records {
			sr := sources.ConvertRecord(rec, b.StreamArn, r.region)
			if seqAfter(sr.DynamoDB.SequenceNumber, b.EndSequence) {
				return out, nil
			}
			if r.match(sr) {
				out = append(out, sr)
			}
		}
	}
	return out, nil
}

func (r *rereader) match(rec sources.StreamRecord) bool {
	raw, _ := json.Marshal(rec)
	var decoded map[string]any
	_ = json.Unmarshal(raw, &decoded)
	return sources.MatchAny(r.filters, decoded)
}

// seqAfter compares stream sequence numbers (decimal strings of any length).
func seqAfter(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

// fromTable re-derives a batch the stream no longer holds: the items whose answer or breach falls
// in the batch's arrival window (a minute either side), as INSERT records of their current image.
// FollowupFunction is idempotent per answer and per breach, so an item already handled changes
// nothing. It is a Scan of the whole table with a filter: rare, and priced as one read of the
// table (docs/DEPLOY.md).
func (r *rereader) fromTable(ctx context.Context, b streamBatch) ([]sources.StreamRecord, error) {
	first, err1 := time.Parse(time.RFC3339, b.FirstArrival)
	last, err2 := time.Parse(time.RFC3339, b.LastArrival)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("batch %s has no arrival window to re-derive from", b.StartSequence)
	}
	// Answers and breaches store times as RFC 3339 strings: they compare as text, and the minute
	// either side absorbs fractions of a second and the arrival times' rounding.
	from, to := first.Add(-time.Minute).UTC().Format(time.RFC3339), last.Add(time.Minute).UTC().Format(time.RFC3339)
	answered := expression.Name("kind").Equal(expression.Value(store.KindInvitation)).And(expression.Name("answeredAt").Between(expression.Value(from), expression.Value(to)))
	breached := expression.Name("kind").Equal(expression.Value(store.KindBreach)).And(expression.Name("detectedAt").Between(expression.Value(from), expression.Value(to)))
	e, err := expression.NewBuilder().WithFilter(answered.Or(breached)).Build()
	if err != nil {
		return nil, err
	}
	p := dynamodb.NewScanPaginator(r.store.DB, &dynamodb.ScanInput{TableName: aws.String(r.store.Table), FilterExpression: e.Filter(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), ConsistentRead: aws.Bool(true)})
	var out []sources.StreamRecord
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", r.store.Table, err)
		}
		for _, item := range page.Items {
			image := streamImage(item)
			rec := sources.ConvertRecord(streamtypes.Record{EventName: streamtypes.OperationTypeInsert, Dynamodb: &streamtypes.StreamRecord{
				Keys:           map[string]streamtypes.AttributeValue{"PK": image["PK"], "SK": image["SK"]},
				NewImage:       image,
				SequenceNumber: aws.String(fmt.Sprintf("rederived-%d", len(out)+1)),
				StreamViewType: streamtypes.StreamViewTypeNewAndOldImages,
			}}, b.StreamArn, r.region)
			if r.match(rec) {
				out = append(out, rec)
			}
		}
	}
	return out, nil
}

// streamImage is a table item in the Streams API's types (the two SDK packages each declare
// their own AttributeValue).
func streamImage(item map[string]dbtypes.AttributeValue) map[string]streamtypes.AttributeValue {
	out := make(map[string]streamtypes.AttributeValue, len(item))
	for k, v := range item {
		out[k] = streamAttr(v)
	}
	return out
}

func streamAttr(av dbtypes.AttributeValue) streamtypes.AttributeValue {
	switch v := av.(type) {
	case *dbtypes.AttributeValueMemberS:
		return &streamtypes.AttributeValueMemberS{Value: v.Value}
	case *dbtypes.AttributeValueMemberN:
		return &streamtypes.AttributeValueMemberN{Value: v.Value}
	case *dbtypes.AttributeValueMemberB:
		return &streamtypes.AttributeValueMemberB{Value: v.Value}
	case *dbtypes.AttributeValueMemberBOOL:
		return &streamtypes.AttributeValueMemberBOOL{Value: v.Value}
	case *dbtypes.AttributeValueMemberNULL:
		return &streamtypes.AttributeValueMemberNULL{Value: v.Value}
	case *dbtypes.AttributeValueMemberSS:
		return &streamtypes.AttributeValueMemberSS{Value: v.Value}
	case *dbtypes.AttributeValueMemberNS:
		return &streamtypes.AttributeValueMemberNS{Value: v.Value}
	case *dbtypes.AttributeValueMemberBS:
		return &streamtypes.AttributeValueMemberBS{Value: v.Value}
	case *dbtypes.AttributeValueMemberM:
		return &streamtypes.AttributeValueMemberM{Value: streamImage(v.Value)}
	case *dbtypes.AttributeValueMemberL:
		l := make([]streamtypes.AttributeValue, len(v.Value))
		for i, x := range v.Value {
			l[i] = streamAttr(x)
		}
		return &streamtypes.AttributeValueMemberL{Value: l}
	}
	return &streamtypes.AttributeValueMemberNULL{Value: true}
}
