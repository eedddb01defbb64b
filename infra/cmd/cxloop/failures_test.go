package main

import (
	"encoding/json"
	"errors"
	"testing"
)

// Records as Lambda writes them to an on-failure destination (the local event sources write the
// same shape, infra/local/sources).
const (
	asyncRecord = `{"version":"1.0","timestamp":"2026-12-04T10:00:00Z","requestContext":{"requestId":"r-1",
		"functionArn":"arn:aws:lambda:eu-west-1:123456789012:function:cxloop-TouchpointFunction-AbC:$LATEST",
		"condition":"RetriesExhausted","approximateInvokeCount":3},
		"requestPayload":{"detail-type":"Touchpoint","source":"acme.orders","detail":{"eventId":"e-1"}},
		"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"}}`
	tickRecord = `{"requestContext":{"functionArn":"arn:aws:lambda:eu-west-1:123456789012:function:cxloop-DispatchFunction-X"},
		"requestPayload":{"source":"aws.scheduler","detail-type":"Scheduled Event","detail":"{}"}}`
	streamRecord = `{"requestContext":{"requestId":"r-2","functionArn":"arn:aws:lambda:eu-west-1:123456789012:function:cxloop-FollowupFunction-Y",
		"condition":"RetryAttemptsExhausted","approximateInvokeCount":4},
		"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},
		"version":"1.0","timestamp":"2026-12-04T10:00:00Z",
		"DDBStreamBatchInfo":{"shardId":"shardId-0001","startSequenceNumber":"100","endSequenceNumber":"105",
		"approximateArrivalOfFirstRecord":"2026-12-04T09:59:00Z","approximateArrivalOfLastRecord":"2026-12-04T09:59:01Z",
		"batchSize":2,"streamArn":"arn:aws:dynamodb:eu-west-1:123456789012:table/cxloop/stream/2026-12-01T00:00:00.000"}}`
)

func TestEachFailureShapeIsReadBack(t *testing.T) {
	f, err := parseEventFailure([]byte(asyncRecord))
	if err != nil || f.Function != "cxloop-TouchpointFunction-AbC" || f.Tick || !json.Valid(f.Payload) || string(f.Payload[:14]) != `{"detail-type"` {
		t.Errorf("async record: %+v %v", f, err)
	}
	if f, err := parseEventFailure([]byte(tickRecord)); err != nil || !f.Tick {
		t.Errorf("a scheduled tick is not recognised: %+v %v", f, err)
	}
	dead := `{"version":"0","id":"x","detail-type":"Touchpoint","source":"acme.orders","detail":{"eventId":"e-2"}}`
	f, err = parseRuleDeadLetter([]byte(dead), "arn:aws:lambda:eu-west-1:123456789012:function:cxloop-TouchpointFunction-AbC")
	if err != nil || f.Function != "cxloop-TouchpointFunction-AbC" || string(f.Payload) != dead {
		t.Errorf("dead letter: %+v %v", f, err)
	}
	f, err = parseStreamFailure([]byte(streamRecord))
	if err != nil || f.Function != "cxloop-FollowupFunction-Y" || f.Batch == nil || f.Batch.StartSequence != "100" || f.Batch.EndSequence != "105" || f.Batch.ShardID != "shardId-0001" {
		t.Errorf("stream record: %+v %v", f, err)
	}
	for name, bad := range map[string]func() error{
		"a dead letter without its target":   func() error { _, err := parseRuleDeadLetter([]byte(dead), ""); return err },
		"an async record that is not JSON":   func() error { _, err := parseEventFailure([]byte("nope")); return err },
		"a stream record without batch info": func() error { _, err := parseStreamFailure([]byte(asyncRecord)); return err },
		"an async record without its payload": func() error {
			_, err := parseEventFailure([]byte(`{"requestContext":{"functionArn":"f"}}`))
			return err
		},
	} {
		if err := bad(); !errors.Is(err, errNotAFailure) {
			t.Errorf("%s: %v, want errNotAFailure", name, err)
		}
	}
}

func TestSequenceNumbersCompareAsNumbers(t *testing.T) {
	for _, tt := range []struct {
		a, b  string
		after bool
	}{{"105", "100", true}, {"99", "100", false}, {"100", "100", false}, {"1000", "999", true}} {
		if got := seqAfter(tt.a, tt.b); got != tt.after {
			t.Errorf("seqAfter(%s, %s) = %v", tt.a, tt.b, got)
		}
	}
}
