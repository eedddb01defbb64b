package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// A failure is kept in one of three shapes, each queue holding one (template.yaml, stack outputs):
//
//	destination records   Lambda's asynchronous on-failure record: the request payload inside and
//	                      the function in requestContext.functionArn (touchpoints, mail-events, ticks)
//	rule dead letters     the raw event EventBridge could not deliver; the target function in the
//	                      message attribute TARGET_ARN (touchpoint-dlq, mail-events-dlq)
//	stream batch records  the batch that failed its retries: shard and sequence numbers only
//	                      (DDBStreamBatchInfo), re-read from the stream within its 24 hours or
//	                      re-derived from the table after that (stream)
type failure struct {
	Function string          // the function's name or ARN, to invoke again
	Payload  json.RawMessage // what to invoke it with (empty for a stream batch)
	Batch    *streamBatch    // a stream batch's position
	Tick     bool            // a scheduled tick: never re-driven, the next tick did the work
}

// streamBatch is DDBStreamBatchInfo of a stream on-failure record.
type streamBatch struct {
	ShardID       string `json:"shardId"`
	StartSequence string `json:"startSequenceNumber"`
	EndSequence   string `json:"endSequenceNumber"`
	FirstArrival  string `json:"approximateArrivalOfFirstRecord"`
	LastArrival   string `json:"approximateArrivalOfLastRecord"`
	BatchSize     int    `json:"batchSize"`
	StreamArn     string `json:"streamArn"`
}

// destinationRecord is what Lambda writes to an on-failure destination.
type destinationRecord struct {
	RequestContext struct {
		FunctionArn string `json:"functionArn"`
		Condition   string `json:"condition"`
	} `json:"requestContext"`
	RequestPayload json.RawMessage `json:"requestPayload"`
	Batch          *streamBatch    `json:"DDBStreamBatchInfo"`
}

var errNotAFailure = errors.New("not a failure record cxloop knows")

// parseEventFailure reads an asynchronous invocation's on-failure record.
func parseEventFailure(body []byte) (failure, error) {
	var r destinationRecord
	if err := json.Unmarshal(body, &r); err != nil || r.RequestContext.FunctionArn == "" || len(r.RequestPayload) == 0 {
		return failure{}, fmt.Errorf("%w: no requestContext.functionArn or requestPayload", errNotAFailure)
	}
	return failure{Function: functionOf(r.RequestContext.FunctionArn), Payload: r.RequestPayload, Tick: isTick(r.RequestPayload)}, nil
}

// parseRuleDeadLetter reads a rule's dead letter: the event itself, and the target it was for.
func parseRuleDeadLetter(body []byte, targetArn string) (failure, error) {
	if !json.Valid(body) || targetArn == "" {
		return failure{}, fmt.Errorf("%w: a dead letter needs a JSON body and its TARGET_ARN attribute", errNotAFailure)
	}
	return failure{Function: functionOf(targetArn), Payload: json.RawMessage(body), Tick: isTick(body)}, nil
}

// parseStreamFailure reads a stream event source's on-failure record.
func parseStreamFailure(body []byte) (failure, error) {
	var r destinationRecord
	if err := json.Unmarshal(body, &r); err != nil || r.Batch == nil || r.Batch.ShardID == "" || r.Batch.StartSequence == "" || r.RequestContext.FunctionArn == "" {
		return failure{}, fmt.Errorf("%w: no DDBStreamBatchInfo", errNotAFailure)
	}
	return failure{Function: functionOf(r.RequestContext.FunctionArn), Batch: r.Batch}, nil
}

// functionOf is the function a Lambda ARN names, without a version qualifier
// (arn:aws:lambda:eu-west-1:123:function:cxloop-TouchpointFunction-AbC:$LATEST -> the name).
func functionOf(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) >= 7 && parts[5] == "function" {
		return parts[6]
	}
	return arn
}

// isTick reports whether a payload is a scheduled tick (EventBridge Scheduler or a scheduled
// rule): re-running an old tick would only repeat what the next one did.
func isTick(payload []byte) bool {
	var ev struct {
		DetailType string `json:"detail-type"`
		Source     string `json:"source"`
	}
	_ = json.Unmarshal(payload, &ev)
	return ev.DetailType == "Scheduled Event" || ev.Source == "aws.scheduler" || ev.Source == "aws.events"
}
