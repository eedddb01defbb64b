package sources

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/cxloop/cxloop/infra/local/lambdahost"
)

// pendingBatch is a batch still to deliver and the retries it has used.
type pendingBatch struct {
	records []StreamRecord
	retries int
}

// deliver hands batch to the target until it succeeds or its retries run out. It blocks the
// shard meanwhile, as Lambda does, so records of one shard are processed in order.
func (p *Poller) deliver(ctx context.Context, tgt StreamTarget, arn, shard string, batch []StreamRecord) {
	queue := []pendingBatch{{records: slices.Clone(batch)}}
	base := p.RetryDelay
	if base <= 0 {
		base = 200 * time.Millisecond
	}
	delay := base
	for len(queue) > 0 && ctx.Err() == nil {
		b := queue[0]
		queue = queue[1:]
		res, err := p.invoke(ctx, tgt, b.records)
		if err == nil && p.Duplicate {
			res, err = p.invoke(ctx, tgt, b.records)
		}
		from := failedFrom(tgt, b.records, res, err)
		if from < 0 {
			delay = base
			continue
		}
		rest := b.records[from:]
		if tgt.Bisect && (err != nil || res.Failed()) && len(rest) > 1 {
			// Splitting does not count against the retries (Lambda's BisectBatchOnFunctionError).
			half := len(rest) / 2
			queue = append([]pendingBatch{{rest[:half], b.retries}, {rest[half:], b.retries}}, queue...)
			continue
		}
		if tgt.MaxRetryAttempts >= 0 && b.retries >= tgt.MaxRetryAttempts {
			p.recordFailure(tgt, arn, shard, rest, res, b.retries+1)
			continue
		}
		p.log().Warn("stream batch failed; retrying", "function", tgt.Function, "records", len(rest), "retry", b.retries+1, "error", errText(Delivery{Result: res, Err: err}))
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, 5*time.Second)
		queue = append([]pendingBatch{{rest, b.retries + 1}}, queue...)
	}
}

func (p *Poller) invoke(ctx context.Context, tgt StreamTarget, records []StreamRecord) (lambdahost.Result, error) {
	payload, err := json.Marshal(map[string]any{"Records": records})
	if err != nil {
		return lambdahost.Result{}, err
	}
	return p.Invoke.Invoke(ctx, tgt.Function, payload)
}

// failedFrom returns the index of the first record to retry, or -1 when the batch succeeded.
// With ReportBatchItemFailures a response listing item identifiers retries from the earliest of
// them; an identifier that is empty or not in the batch fails the whole batch, as in Lambda.
func failedFrom(tgt StreamTarget, records []StreamRecord, res lambdahost.Result, err error) int {
	if err != nil || res.Failed() {
		return 0
	}
	if !tgt.ReportBatchItemFailures {
		return -1
	}
	var resp struct {
		BatchItemFailures []struct {
			ItemIdentifier *string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if json.Unmarshal(res.Payload, &resp) != nil || len(resp.BatchItemFailures) == 0 {
		return -1
	}
	from := len(records)
	for _, f := range resp.BatchItemFailures {
		if f.ItemIdentifier == nil || *f.ItemIdentifier == "" {
			return 0
		}
		i := slices.IndexFunc(records, func(r StreamRecord) bool { return r.DynamoDB.SequenceNumber == *f.ItemIdentifier })
		if i < 0 {
			return 0
		}
		from = min(from, i)
	}
	return from
}

// recordFailure writes Lambda's on-failure invocation record for a stream batch.
func (p *Poller) recordFailure(tgt StreamTarget, arn, shard string, records []StreamRecord, res lambdahost.Result, invokes int) {
	p.log().Error("stream batch dropped after retries", "function", tgt.Function, "records", len(records),
		"first", records[0].DynamoDB.SequenceNumber)
	if p.FailureDir == "" {
		return
	}
	arrival := func(r StreamRecord) string {
		return time.Unix(int64(r.DynamoDB.ApproximateCreationDateTime), 0).UTC().Format(time.RFC3339)
	}
	last := records[len(records)-1]
	rec := map[string]any{
		"version":   "1.0",
		"timestamp": time.Now().UTC().Format(time.RFC3339Nano),
		"requestContext": map[string]any{
			"requestId": res.RequestID, "condition": "RetryAttemptsExhausted", "approximateInvokeCount": invokes,
			"functionArn": "arn:aws:lambda:" + region(p.Region) + ":" + lambdahost.AccountID + ":function:" + tgt.Function,
		},
		"responseContext": map[string]any{"statusCode": 200, "executedVersion": "$LATEST", "functionError": res.FunctionError},
		"DDBStreamBatchInfo": map[string]any{
			"shardId":                         shard,
			"startSequenceNumber":             records[0].DynamoDB.SequenceNumber,
			"endSequenceNumber":               last.DynamoDB.SequenceNumber,
			"approximateArrivalOfFirstRecord": arrival(records[0]),
			"approximateArrivalOfLastRecord":  arrival(last),
			"batchSize":                       len(records),
			"streamArn":                       arn,
		},
	}
	if err := appendFailure(p.FailureDir, tgt.Function, rec); err != nil {
		p.log().Error("record stream failure", "function", tgt.Function, "error", err)
	}
}
