package fault

import (
	"encoding/json"
	"sync"
	"testing"
	"time"
)

// A SendEmail the stand-in accepted becomes SES's Send event with the request's tags and the
// configuration set; refusals and other calls publish nothing; lost events are remembered.
func TestSendEventsRepeatWhatSESAccepted(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]any
	se := NewSendEvents(func(detailType string, detail []byte) {
		if detailType != DetailEmailSent && detailType != DetailEmailDelivered {
			t.Errorf("detail-type %q", detailType)
		}
		var d map[string]any
		if err := json.Unmarshal(detail, &d); err != nil {
			t.Error(err)
		}
		mu.Lock()
		got = append(got, d)
		mu.Unlock()
	}, SendEventsConfig{MinDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})
	req := `{"FromEmailAddress":"surveys@example.com","ConfigurationSetName":"cxloop-prod",
		"Destination":{"ToAddresses":["ana@example.test"]},
		"EmailTags":[{"Name":"invitation","Value":"abc"},{"Name":"kind","Value":"invite"}],
		"Content":{"Simple":{"Subject":{"Data":"Hi"}}}}`
	call := Call{Service: "ses", Operation: "SendEmail", Body: []byte(req)}
	se.Observe(call, 200, []byte(`{"MessageId":"m-1"}`))
	se.Observe(call, 429, []byte(`{"message":"throttled"}`))
	se.Observe(Call{Service: "ses", Operation: "GET /store"}, 200, []byte(`{}`))
	se.Wait()
	if len(got) != 2 {
		t.Fatalf("%d events, want a Send and a Delivery event", len(got))
	}
	types := map[string]bool{}
	for _, e := range got {
		types[e["eventType"].(string)] = true
		if m := e["mail"].(map[string]any); m["messageId"] != "m-1" {
			t.Errorf("event for %v", m["messageId"])
		}
	}
	if !types["Send"] || !types["Delivery"] {
		t.Fatalf("event types %v", types)
	}
	if got[0]["eventType"] != "Send" {
		got[0], got[1] = got[1], got[0]
	}
	mail := got[0]["mail"].(map[string]any)
	tags := mail["tags"].(map[string]any)
	if got[0]["eventType"] != "Send" || mail["messageId"] != "m-1" ||
		tags["ses:configuration-set"].([]any)[0] != "cxloop-prod" || tags["invitation"].([]any)[0] != "abc" || tags["kind"].([]any)[0] != "invite" {
		t.Errorf("event %v", got[0])
	}
	if _, err := time.Parse(time.RFC3339, mail["timestamp"].(string)); err != nil {
		t.Errorf("timestamp: %v", err)
	}

	lossy := NewSendEvents(func(string, []byte) { t.Error("a lost event was published") }, SendEventsConfig{LossRate: 1})
	lossy.Observe(call, 200, []byte(`{"MessageId":"m-2"}`))
	lossy.Wait()
	if p, l := lossy.Counts(); p != 0 || l != 1 || !lossy.Lost("m-2") || lossy.Lost("m-1") {
		t.Errorf("published %d lost %d", p, l)
	}
}
