package sources_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/infra/local/samtemplate"
	"github.com/cxloop/cxloop/infra/local/sources"
	"github.com/cxloop/cxloop/shared/storetest"
)

// streamTable creates a table with the live table's schema (stream included) in DynamoDB Local
// and returns its name and a poller on it for targets, started and stopped with the test.
func streamTable(t *testing.T, inv *recorder, targets []sources.StreamTarget, tune func(*sources.Poller)) (string, *dynamodb.Client) {
	t.Helper()
	env := storetest.Env(t)
	db := storetest.Client(t)
	name := storetest.TableName(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := storetest.Clone(ctx, db, env["TABLE_NAME"], name); err != nil {
		t.Fatalf("clone table: %v (start the local stack with `make up`)", err)
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	pdb, streams := sources.Clients(cfg, env["AWS_ENDPOINT_URL_DYNAMODB"])
	p := &sources.Poller{DB: pdb, Streams: streams, Table: name, Invoke: inv, Targets: targets, PollInterval: 50 * time.Millisecond, RetryDelay: 50 * time.Millisecond}
	if tune != nil {
		tune(p)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = p.Run(runCtx); close(done) }()
	t.Cleanup(func() {
		stop()
		<-done
		_, _ = db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return name, db
}

func put(t *testing.T, db *dynamodb.Client, table string, item map[string]string) {
	t.Helper()
	av := map[string]types.AttributeValue{}
	for k, v := range item {
		av[k] = &types.AttributeValueMemberS{Value: v}
	}
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: av}); err != nil {
		t.Fatal(err)
	}
}

// delivered flattens the records a function received, batch by batch.
func delivered(t *testing.T, rec *recorder, fn string) [][]sources.StreamRecord {
	t.Helper()
	var out [][]sources.StreamRecord
	for _, p := range rec.payloads(fn) {
		var ev struct{ Records []sources.StreamRecord }
		decode(t, p, &ev)
		out = append(out, ev.Records)
	}
	return out
}

func keyOf(r sources.StreamRecord) string {
	pk, _ := r.DynamoDB.Keys["PK"].(map[string]any)
	s, _ := pk["S"].(string)
	return r.EventName + " " + s
}

func TestStreamRecordsReachTheFunctionThroughItsFilterCriteria(t *testing.T) {
	t.Parallel()
	tpl := loadTemplate(t)
	target := followupTarget(t, tpl)
	if len(target.Filters) != 2 {
		t.Fatalf("FollowupFunction's stream in template.yaml: %+v", target)
	}
	rec := newRecorder(t, "FollowupFunction")
	table, db := streamTable(t, rec, []sources.StreamTarget{target}, nil)

	put(t, db, table, map[string]string{"PK": "INV#answered", "SK": "INV", "kind": "invitation", "answeredAt": "2026-11-23T10:00:00Z"})
	put(t, db, table, map[string]string{"PK": "INV#open", "SK": "INV", "kind": "invitation"})
	put(t, db, table, map[string]string{"PK": "DECISION#1", "SK": "D", "kind": "decision"})
	put(t, db, table, map[string]string{"PK": "BREACH#1", "SK": "B", "kind": "breach"})
	put(t, db, table, map[string]string{"PK": "INV#open", "SK": "INV", "kind": "invitation", "answeredAt": "2026-11-23T11:00:00Z"})

	var got []string
	waitFor(t, 20*time.Second, "three matching records", func() bool {
		got = nil
		for _, b := range delivered(t, rec, "FollowupFunction") {
			for _, r := range b {
				got = append(got, keyOf(r))
			}
		}
		return len(got) >= 3
	})
	// The stream is ordered: once the last write arrived, the ones before it were filtered.
	want := []string{"INSERT INV#answered", "INSERT BREACH#1", "MODIFY INV#open"}
	if !slices.Equal(got, want) {
		t.Errorf("delivered %v, want %v (an unanswered invitation and a decision match no filter)", got, want)
	}
	r := delivered(t, rec, "FollowupFunction")[0][0]
	if r.EventSource != "aws:dynamodb" || r.EventSourceARN == "" || r.AWSRegion != "us-east-1" || r.DynamoDB.SequenceNumber == "" ||
		r.DynamoDB.StreamViewType != "NEW_AND_OLD_IMAGES" || r.DynamoDB.SizeBytes == 0 || r.DynamoDB.ApproximateCreationDateTime == 0 ||
		r.EventID == "" || r.DynamoDB.NewImage["kind"].(map[string]any)["S"] != "invitation" {
		t.Errorf("record %+v", r)
	}
}

func TestAReportedItemFailureIsRetriedFromThatRecordThenSentToTheFailureFile(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, "StreamFunction")
	dir := t.TempDir()
	target := sources.StreamTarget{Function: "StreamFunction", Stream: samtemplate.Stream{
		BatchSize: 10, BatchWindow: 500 * time.Millisecond, ReportBatchItemFailures: true, MaxRetryAttempts: 2,
	}}
	table, db := streamTable(t, rec, []sources.StreamTarget{target}, func(p *sources.Poller) { p.FailureDir = dir })
	put(t, db, table, map[string]string{"PK": "ok-1", "SK": "x"})
	put(t, db, table, map[string]string{"PK": "fail-1", "SK": "x"})
	put(t, db, table, map[string]string{"PK": "ok-2", "SK": "x"})

	path := filepath.Join(dir, "StreamFunction.jsonl")
	waitFor(t, 20*time.Second, "the failure record", func() bool { _, err := os.Stat(path); return err == nil })
	put(t, db, table, map[string]string{"PK": "ok-3", "SK": "x"})
	waitFor(t, 20*time.Second, "the record after the failed batch", func() bool {
		b := delivered(t, rec, "StreamFunction")
		return len(b) > 0 && keyOf(b[len(b)-1][0]) == "INSERT ok-3"
	})

	var batches [][]string
	for _, b := range delivered(t, rec, "StreamFunction") {
		var keys []string
		for _, r := range b {
			keys = append(keys, keyOf(r)[len("INSERT "):])
		}
		batches = append(batches, keys)
	}
	want := [][]string{{"ok-1", "fail-1", "ok-2"}, {"fail-1", "ok-2"}, {"fail-1", "ok-2"}, {"ok-3"}}
	if !slices.EqualFunc(batches, want, slices.Equal) {
		t.Errorf("batches %v, want %v (retry from the failed item, 2 retries, then move on)", batches, want)
	}
	failSeq := delivered(t, rec, "StreamFunction")[1][0].DynamoDB.SequenceNumber
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		decode(t, sc.Bytes(), &m)
		lines = append(lines, m)
	}
	if len(lines) != 1 {
		t.Fatalf("failure file has %d lines", len(lines))
	}
	info := lines[0]["DDBStreamBatchInfo"].(map[string]any)
	ctx := lines[0]["requestContext"].(map[string]any)
	if info["startSequenceNumber"] != failSeq || info["batchSize"] != float64(2) || ctx["condition"] != "RetryAttemptsExhausted" || ctx["approximateInvokeCount"] != float64(3) {
		b, _ := json.Marshal(lines[0])
		t.Errorf("failure record %s, want it to start at %s", b, failSeq)
	}
}

func TestDuplicateDeliversEveryBatchTwice(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, "StreamFunction")
	target := sources.StreamTarget{Function: "StreamFunction", Stream: samtemplate.Stream{BatchSize: 10, MaxRetryAttempts: -1}}
	table, db := streamTable(t, rec, []sources.StreamTarget{target}, func(p *sources.Poller) { p.Duplicate = true })
	put(t, db, table, map[string]string{"PK": "once", "SK": "x"})
	waitFor(t, 20*time.Second, "two deliveries", func() bool { return len(delivered(t, rec, "StreamFunction")) >= 2 })
	time.Sleep(300 * time.Millisecond)
	b := delivered(t, rec, "StreamFunction")
	if len(b) != 2 || keyOf(b[0][0]) != "INSERT once" || b[0][0].DynamoDB.SequenceNumber != b[1][0].DynamoDB.SequenceNumber {
		t.Errorf("deliveries %v", b)
	}
}

// DynamoDB Local's stream writes an empty map as an untyped {}; the poller must still deliver it
// as DynamoDB does ({"M": {}}), with the attributes beside it intact, at any depth.
func TestEmptyMapsReachTheFunctionTyped(t *testing.T) {
	t.Parallel()
	tpl := loadTemplate(t)
	target := followupTarget(t, tpl)
	rec := newRecorder(t, "FollowupFunction")
	table, db := streamTable(t, rec, []sources.StreamTarget{target}, nil)
	empty := &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}
	item := map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "INV#empty"}, "SK": &types.AttributeValueMemberS{Value: "INV"},
		"kind": &types.AttributeValueMemberS{Value: "invitation"}, "answeredAt": &types.AttributeValueMemberS{Value: "2026-11-23T10:00:00Z"},
		"segments": empty,
		"nested":   &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"inner": empty, "z": &types.AttributeValueMemberS{Value: "zz"}}},
		"list":     &types.AttributeValueMemberL{Value: []types.AttributeValue{empty, &types.AttributeValueMemberN{Value: "7"}}},
		"zlast":    &types.AttributeValueMemberS{Value: "after"},
	}
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatal(err)
	}
	var got sources.StreamRecord
	waitFor(t, 20*time.Second, "the record", func() bool {
		b := delivered(t, rec, "FollowupFunction")
		if len(b) > 0 && len(b[0]) > 0 {
			got = b[0][0]
			return true
		}
		return false
	})
	img, _ := json.Marshal(got.DynamoDB.NewImage)
	want := map[string]string{
		"segments": `{"M":{}}`,
		"nested":   `{"M":{"inner":{"M":{}},"z":{"S":"zz"}}}`,
		"list":     `{"L":[{"M":{}},{"N":"7"}]}`,
		"zlast":    `{"S":"after"}`,
	}
	for name, w := range want {
		b, _ := json.Marshal(got.DynamoDB.NewImage[name])
		if string(b) != w {
			t.Errorf("NewImage %s = %s, want %s (whole image %s)", name, b, w, img)
		}
	}
}

// Drained returns once everything written before it was delivered: no sleeping in tests.
func TestDrainedWaitsForEveryDeliveryOfEarlierWrites(t *testing.T) {
	t.Parallel()
	tpl := loadTemplate(t)
	target := followupTarget(t, tpl)
	rec := newRecorder(t, "FollowupFunction")
	var poller *sources.Poller
	table, db := streamTable(t, rec, []sources.StreamTarget{target}, func(p *sources.Poller) { p.Duplicate = true; poller = p })
	for i := range 5 {
		put(t, db, table, map[string]string{"PK": fmt.Sprintf("INV#%d", i), "SK": "INV", "kind": "invitation", "answeredAt": "2026-11-23T10:00:00Z"})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := poller.Drained(ctx); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, b := range delivered(t, rec, "FollowupFunction") {
		n += len(b)
	}
	if n != 10 {
		t.Fatalf("%d records delivered when Drained returned, want 10 (5 writes, each batch twice)", n)
	}
}

// followupTarget is FollowupFunction's stream event source from template.yaml.
func followupTarget(t *testing.T, tpl *samtemplate.Template) sources.StreamTarget {
	t.Helper()
	for _, tg := range sources.StreamTargetsFromTemplate(tpl) {
		if tg.Function == "FollowupFunction" {
			return tg
		}
	}
	t.Fatal("no FollowupFunction stream in template.yaml")
	return sources.StreamTarget{}
}
