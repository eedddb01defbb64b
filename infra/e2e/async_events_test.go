package e2e_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/infra/local/fault"
	"github.com/cxloop/cxloop/infra/local/rig"
	"github.com/cxloop/cxloop/infra/local/sources"
)

// TestAnEventThatFailsEveryRetryIsKeptAndReplaysFromItsRecord runs the local bus as in AWS
// against the real TouchpointFunction: PutEvents answers at once, the function runs on its own;
// while DynamoDB fails, the template's retries run out and Lambda's failure record keeps the
// event; once DynamoDB is back, replaying the record's request payload (what a re-drive does)
// records the decision exactly once, and a new event is decided without any help.
func TestAnEventThatFailsEveryRetryIsKeptAndReplaysFromItsRecord(t *testing.T) {
	t.Parallel()
	var down atomic.Bool
	down.Store(true)
	r := startRig(t, rig.Options{DDBFaults: fault.Config{Script: func(fault.Call) fault.Kind {
		if down.Load() {
			return fault.ServerError
		}
		return fault.None
	}}, Timeouts: map[string]time.Duration{"TouchpointFunction": 30 * time.Second}})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	rules, err := sources.RulesFromTemplate(r.Template)
	if err != nil {
		t.Fatal(err)
	}
	failures := t.TempDir()
	async := &sources.Async{Invoke: r.Host, Policies: sources.PoliciesFromTemplate(r.Template),
		RetryDelay: 50 * time.Millisecond, FailureDir: failures}
	bus := &sources.Bus{Invoke: r.Host, Rules: rules, Async: async}
	srv := httptest.NewServer(bus)
	defer srv.Close()

	stamp := time.Now().UnixNano()
	first := fmt.Sprintf("async-e2e-%d-1", stamp)
	put(t, srv.URL, first)
	bus.Wait()

	records := readRecords(t, filepath.Join(failures, "TouchpointFunction.jsonl"))
	if len(records) != 1 {
		t.Fatalf("%d failure records after the retries, want 1", len(records))
	}
	var rec struct {
		RequestContext struct {
			Condition              string `json:"condition"`
			ApproximateInvokeCount int    `json:"approximateInvokeCount"`
		} `json:"requestContext"`
		RequestPayload json.RawMessage `json:"requestPayload"`
	}
	if err := json.Unmarshal(records[0], &rec); err != nil {
		t.Fatal(err)
	}
	tp, _ := r.Template.Function("TouchpointFunction")
	if rec.RequestContext.Condition != "RetriesExhausted" || rec.RequestContext.ApproximateInvokeCount != tp.Async.MaxRetryAttempts+1 {
		t.Errorf("record %+v, want RetriesExhausted after %d invocations", rec.RequestContext, tp.Async.MaxRetryAttempts+1)
	}
	if n := decisions(t, ctx, r, first); n != 0 {
		t.Fatalf("%d records for %s while DynamoDB was failing", n, first)
	}

	down.Store(false)
	if _, err := r.Invoke(ctx, "TouchpointFunction", rec.RequestPayload); err != nil {
		t.Fatalf("replay the failure record: %v", err)
	}
	if n := decisions(t, ctx, r, first); n != 1 {
		t.Errorf("after the replay %s has %d decision records, want 1", first, n)
	}

	second := fmt.Sprintf("async-e2e-%d-2", stamp)
	put(t, srv.URL, second)
	bus.Wait()
	if n := decisions(t, ctx, r, second); n != 1 {
		t.Errorf("a healthy event has %d decision records, want 1", n)
	}
	if n := len(readRecords(t, filepath.Join(failures, "TouchpointFunction.jsonl"))); n != 1 {
		t.Errorf("%d failure records at the end, want 1", n)
	}
}

func put(t *testing.T, url, eventID string) {
	t.Helper()
	detail, _ := json.Marshal(map[string]any{
		"eventId": eventID, "touchpoint": "order.delivered", "occurredAt": time.Now().UTC().Format(time.RFC3339),
		"contact": map[string]any{"id": "c-" + eventID, "email": eventID + "@example.com", "name": "Ana", "locale": "en"},
	})
	body, _ := json.Marshal(map[string]any{"Entries": []map[string]any{{"Source": "acme.orders", "DetailType": "Touchpoint", "Detail": string(detail)}}})
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Post(url+sources.BusPath, "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		FailedEntryCount int
		Entries          []sources.EntryResult
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.FailedEntryCount != 0 || len(out.Entries) != 1 {
		t.Fatalf("PutEvents: %+v, %v", out, err)
	}
}

// decisions counts the items recording eventID's decision (an invitation or a skip).
func decisions(t *testing.T, ctx context.Context, r *rig.Rig, eventID string) int {
	t.Helper()
	items, err := r.Items(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, it := range items {
		if v, ok := it["eventId"].(*types.AttributeValueMemberS); ok && v.Value == eventID {
			n++
		}
	}
	return n
}

func readRecords(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	return out
}
