package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cxloop/cxloop/infra/local/fault"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/storetest"
	"github.com/cxloop/cxloop/shared/ticket"
)

// faulty puts h's store behind a fault injector that answers script for its DynamoDB calls, on
// the same table. The SDK makes one attempt per call, so a scripted fault is the call's failure
// after the retries a deployed function would make.
func faulty(t *testing.T, h *Handler, script func(fault.Call) fault.Kind) *fault.Injector {
	t.Helper()
	return faultyAttempts(t, h, 1, script)
}

// faultyAttempts is faulty with the SDK making up to attempts attempts a call, as a deployed
// function does (3): a scripted fault is then one attempt's, which the SDK retries.
func faultyAttempts(t *testing.T, h *Handler, attempts int, script func(fault.Call) fault.Kind) *fault.Injector {
	t.Helper()
	inj := fault.New(nil, fault.Config{Script: script})
	db := storetest.Client(t, func(o *dynamodb.Options) {
		o.HTTPClient = &http.Client{Transport: inj}
		o.RetryMaxAttempts = attempts
	})
	st := store.New(db, h.Store.Table)
	st.Now = h.Store.Now
	h.Store = st
	return inj
}

// on reports whether c is operation op on an item whose key holds both parts of key, for
// example {"TICKET#a-inv", "\"TICKET\""} for the ticket item itself.
func on(c fault.Call, op string, key ...string) bool {
	if c.Service != "dynamodb" || c.Operation != op {
		return false
	}
	for _, k := range key {
		if !bytes.Contains(c.Body, []byte(k)) {
			return false
		}
	}
	return true
}

// deliverUntilDone delivers ev as the stream does: again while the batch reports a failure (the
// first answer is returned), then once more, as a duplicate delivery or a re-drive would.
func deliverUntilDone(t *testing.T, h *Handler, ev json.RawMessage) events.DynamoDBEventResponse {
	t.Helper()
	first := stream(t, h, ev)
	resp := first
	for i := 0; len(resp.BatchItemFailures) > 0; i++ {
		if i == 5 { // the event source mapping's MaximumRetryAttempts
			t.Fatalf("the record still fails after 5 retries: %+v", resp)
		}
		resp = stream(t, h, ev)
	}
	if resp := stream(t, h, ev); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("a duplicate delivery failed: %+v", resp)
	}
	return first
}

func sequenceNumber(t *testing.T, ev json.RawMessage) string {
	t.Helper()
	var e events.DynamoDBEvent
	if err := json.Unmarshal(ev, &e); err != nil || len(e.Records) != 1 {
		t.Fatalf("event: %v", err)
	}
	return e.Records[0].Change.SequenceNumber
}

// A failure while the new-ticket notification is under way (the ticket's read failing after the
// SDK's retries, the claim's answer lost after it was written) fails the record, with the claim
// free, so the stream's retry sends the team email: exactly once, never lost.
func TestANotificationThatFailsBeforeItsSendIsSentByTheStreamsRetry(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fault fault.Kind
		op    string
		key   []string
	}{
		{"the ticket read fails", fault.ServerError, "GetItem", []string{`"TICKET#`, `"TICKET"`}},
		{"the ticket read is throttled", fault.Throttle, "GetItem", []string{`"TICKET#`, `"TICKET"`}},
		{"the claim is written and its answer lost", fault.TimeoutAfter, "PutItem", []string{`"NOTIFY#new"`}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h, rcv, addr := fixture(t)
			var inj *fault.Injector
			inj = faulty(t, h, func(call fault.Call) fault.Kind {
				if on(call, c.op, c.key...) {
					inj.Enable(false) // the first such call fails; the stream's retry finds the service well
					return c.fault
				}
				return fault.None
			})
			ev := answerEvent(t, "inv-notify-fault-"+string(rune('a'+i)), "cust-nf", 2, time.Now())

			first := deliverUntilDone(t, h, ev)

			if n := len(storetest.EmailsTo(t, addr)); n != 1 {
				t.Fatalf("team got %d emails, want 1 (faults: %s)", n, inj.Summary())
			}
			if got := first.BatchItemFailures; len(got) != 1 || got[0].ItemIdentifier != sequenceNumber(t, ev) {
				t.Fatalf("first delivery reported %+v, want its record failed so the stream retries it", got)
			}
			if hooks, _ := rcv.got(); len(hooks) != 1 {
				t.Fatalf("webhook got %d bodies, want 1", len(hooks))
			}
			tk, err := h.Store.GetTicket(context.Background(), ticket.AnswerID("inv-notify-fault-"+string(rune('a'+i))))
			if err != nil {
				t.Fatal(err)
			}
			if d := tk.Notifications[NotifyNew]; d.Email != StateSent || d.Webhook != StateDelivered {
				t.Fatalf("delivery = %+v", d)
			}
		})
	}
}

// An email that would start with less than the reserve left before the invocation's deadline is
// not started: the claim is given back and the record failed, and the stream's retry, with time
// enough, sends it once.
func TestAnEmailWithNoTimeLeftBeforeTheDeadlineIsLeftToTheStreamsRetry(t *testing.T) {
	t.Parallel()
	h, rcv, addr := fixture(t)
	ev := answerEvent(t, "inv-notify-late", "cust-late", 2, time.Now())
	ctx, cancel := context.WithTimeout(context.Background(), webhookReserve+minAttempt/2)
	defer cancel()
	out, err := h.Handle(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.(events.DynamoDBEventResponse).BatchItemFailures; len(got) != 1 || got[0].ItemIdentifier != sequenceNumber(t, ev) {
		t.Fatalf("the late delivery reported %+v, want its record failed", got)
	}
	if n := len(storetest.EmailsTo(t, addr)); n != 0 {
		t.Fatalf("team got %d emails with no time left, want 0", n)
	}
	deliverUntilDone(t, h, ev)
	if n := len(storetest.EmailsTo(t, addr)); n != 1 {
		t.Fatalf("team got %d emails after the retry, want 1", n)
	}
	if hooks, _ := rcv.got(); len(hooks) != 1 {
		t.Fatalf("webhook got %d bodies, want 1", len(hooks))
	}
}
