package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/cxloop/cxloop/infra/local/sources"
	"github.com/cxloop/cxloop/shared/storetest"
)

// recordingInvoker stands in for the Lambda Invoke API only: what would be invoked is recorded.
type recordingInvoker struct {
	payloads [][]byte
	answer   string
}

func (r *recordingInvoker) Invoke(_ context.Context, _ string, payload []byte) ([]byte, error) {
	r.payloads = append(r.payloads, payload)
	return []byte(r.answer), nil
}

// A failed stream batch is re-read from DynamoDB Local's real stream by its shard and sequence
// numbers, filtered as FollowupFunction's FilterCriteria filter it, and re-derived from the table
// when the stream no longer has it; the re-driven invocation carries exactly those records.
func TestAFailedStreamBatchIsReReadAndReDerived(t *testing.T) {
	env := storetest.Env(t)
	st := storetest.New(t)
	ctx := context.Background()
	now := time.Now().UTC()
	put := func(pk, kind string, extra map[string]string) {
		item := map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: "EVENT"},
			"kind": &types.AttributeValueMemberS{Value: kind}}
		for k, v := range extra {
			item[k] = &types.AttributeValueMemberS{Value: v}
		}
		if _, err := st.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(st.Table), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	put("EVENT#answered", "invitation", map[string]string{"answeredAt": now.Format(time.RFC3339Nano)})
	put("EVENT#open", "invitation", nil) // matches no filter
	put("DECISION#1", "decision", nil)   // matches no filter
	put("BREACH#1", "breach", map[string]string{"detectedAt": now.Format(time.RFC3339Nano)})

	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	streams := dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(env["AWS_ENDPOINT_URL_DYNAMODB"]) })
	desc, err := st.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(st.Table)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(desc.Table.LatestStreamArn)
	sd, err := streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
	if err != nil || len(sd.StreamDescription.Shards) == 0 {
		t.Fatalf("describe stream: %v", err)
	}
	shard := aws.ToString(sd.StreamDescription.Shards[0].ShardId)
	it, err := streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: aws.String(shard), ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	page, err := streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || len(page.Records) != 4 {
		t.Fatalf("the stream holds %d records, want 4 (%v)", len(page.Records), err)
	}
	batch := streamBatch{ShardID: shard, StreamArn: arn, BatchSize: 2,
		StartSequence: aws.ToString(page.Records[0].Dynamodb.SequenceNumber), EndSequence: aws.ToString(page.Records[3].Dynamodb.SequenceNumber),
		FirstArrival: now.Format(time.RFC3339), LastArrival: now.Format(time.RFC3339)}

	rr := &rereader{streams: streams, store: st, region: "us-east-1"}
	recs, how, err := rr.records(ctx, batch)
	if err != nil || !strings.Contains(how, "stream") {
		t.Fatalf("re-read: %v (%s)", err, how)
	}
	if got := keys(recs); got != "EVENT#answered BREACH#1" {
		t.Fatalf("re-read records %q, want the answered invitation and the breach", got)
	}

	// Past the stream's 24 hours the same batch comes back from the table.
	derived, err := rr.fromTable(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(derived); !strings.Contains(got, "EVENT#answered") || !strings.Contains(got, "BREACH#1") || strings.Contains(got, "EVENT#open") {
		t.Fatalf("re-derived records %q", got)
	}

	// Re-driving invokes FollowupFunction with those records; a record it reports failed again
	// keeps the failure in its queue.
	inv := &recordingInvoker{answer: `{"batchItemFailures":[]}`}
	d := &deployment{}
	var out bytes.Buffer
	if err := d.redriveOne(ctx, failure{Function: "cxloop-FollowupFunction-Y", Batch: &batch}, inv, rr, false, &out); err != nil {
		t.Fatal(err)
	}
	var ev struct{ Records []sources.StreamRecord }
	if len(inv.payloads) != 1 || json.Unmarshal(inv.payloads[0], &ev) != nil || keys(ev.Records) != "EVENT#answered BREACH#1" {
		t.Fatalf("invoked with %d payloads: %s", len(inv.payloads), out.String())
	}
	inv.answer = `{"batchItemFailures":[{"itemIdentifier":"x"}]}`
	if err := d.redriveOne(ctx, failure{Function: "f", Batch: &batch}, inv, rr, false, &out); err == nil {
		t.Fatal("a batch that failed again was counted as re-driven")
	}
	if err := d.redriveOne(ctx, failure{Function: "f", Tick: true}, inv, rr, false, &out); !errors.Is(err, errTickDropped) {
		t.Fatalf("a tick was re-driven: %v", err)
	}
}

func keys(recs []sources.StreamRecord) string {
	var ks []string
	for _, r := range recs {
		pk, _ := r.DynamoDB.Keys["PK"].(map[string]any)
		s, _ := pk["S"].(string)
		ks = append(ks, s)
	}
	return strings.Join(ks, " ")
}
