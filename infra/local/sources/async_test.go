package sources_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/infra/local/lambdahost"
	"github.com/cxloop/cxloop/infra/local/samtemplate"
	"github.com/cxloop/cxloop/infra/local/sources"
)

// flaky makes the real test function fail (it errors on {"action":"error"}) for the first
// failures invocations of each function, or all of them when failures is negative; gate, when
// set, holds every invocation until it is closed.
type flaky struct {
	rec      *recorder
	failures int
	gate     chan struct{}
	mu       sync.Mutex
	calls    map[string]int
}

func (f *flaky) Invoke(ctx context.Context, fn string, payload []byte) (lambdahost.Result, error) {
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	f.calls[fn]++
	n := f.calls[fn]
	f.mu.Unlock()
	if f.failures < 0 || n <= f.failures {
		return f.rec.Invoke(ctx, fn, []byte(`{"action":"error"}`))
	}
	return f.rec.Invoke(ctx, fn, payload)
}

func (f *flaky) count(fn string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[fn]
}

// failureRecords reads dir/<fn>.jsonl.
func failureRecords(t *testing.T, dir, fn string) []map[string]any {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, fn+".jsonl"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec map[string]any
		decode(t, sc.Bytes(), &rec)
		out = append(out, rec)
	}
	return out
}

const touchpointEntry = `{"Entries":[{"Source":"shop.orders","DetailType":"Touchpoint","Detail":"{\"eventId\":\"order-9\"}"}]}`

func putEvents(t *testing.T, url, body string) map[string]any {
	t.Helper()
	client := &http.Client{Timeout: time.Minute} // a bus that waited for the gated target would time out here
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("PutEvents: status %d, %v", resp.StatusCode, err)
	}
	return out
}

func TestPutEventsAnswersBeforeTheTargetRuns(t *testing.T) {
	t.Parallel()
	gate := make(chan struct{})
	inv := &flaky{rec: newRecorder(t, "TouchpointFunction", "MailEventsFunction"), gate: gate, calls: map[string]int{}}
	rules, err := sources.RulesFromTemplate(loadTemplate(t))
	if err != nil {
		t.Fatal(err)
	}
	bus := &sources.Bus{Invoke: inv, Rules: rules, FailureDir: t.TempDir()}
	srv := httptest.NewServer(bus)
	defer srv.Close()

	// The function cannot run until the gate opens, so an answer now proves PutEvents did not wait.
	out := putEvents(t, srv.URL+sources.BusPath, touchpointEntry)
	if entries, _ := out["Entries"].([]any); len(entries) != 1 || out["Deliveries"] != nil {
		t.Errorf("PutEvents answer %v", out)
	}
	if n := len(inv.rec.payloads("TouchpointFunction")); n != 0 {
		t.Fatalf("the target ran %d times before the gate opened", n)
	}
	close(gate)
	bus.Wait() // the synchronous hook
	got := inv.rec.payloads("TouchpointFunction")
	if len(got) != 1 || !strings.Contains(string(got[0]), `"detail-type":"Touchpoint"`) {
		t.Errorf("after Wait the target received %q", got)
	}
}

func TestAFailingTargetIsRetriedThenRecordedLikeLambda(t *testing.T) {
	t.Parallel()
	tpl := loadTemplate(t)
	rules, err := sources.RulesFromTemplate(tpl)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder(t, "TouchpointFunction", "MailEventsFunction")
	tests := []struct {
		name          string
		failures      int
		policy        *samtemplate.AsyncConfig // nil: the template's
		retryDelay    time.Duration
		wantAttempts  int
		wantCondition string
	}{
		{"two failures, then the third attempt succeeds (the template's 2 retries)", 2, nil, 20 * time.Millisecond, 3, ""},
		{"failing every time: three attempts, then the failure record", -1, nil, 20 * time.Millisecond, 3, "RetriesExhausted"},
		{"no retries allowed: one attempt", -1, &samtemplate.AsyncConfig{MaxRetryAttempts: 0, MaxEventAge: time.Hour}, 20 * time.Millisecond, 1, "RetriesExhausted"},
		{"the next retry would come after the maximum age", -1, &samtemplate.AsyncConfig{MaxRetryAttempts: 2, MaxEventAge: time.Second}, 2 * time.Second, 1, "EventAgeExceeded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := &flaky{rec: rec, failures: tc.failures, calls: map[string]int{}}
			dir := t.TempDir()
			policies := sources.PoliciesFromTemplate(tpl)
			if tc.policy != nil {
				policies["TouchpointFunction"] = *tc.policy
			}
			async := &sources.Async{Invoke: inv, Policies: policies, RetryDelay: tc.retryDelay, FailureDir: dir}
			bus := &sources.Bus{Invoke: inv, Rules: rules, Async: async}
			var entries struct{ Entries []sources.Entry }
			decode(t, []byte(touchpointEntry), &entries)
			results, deliveries := bus.PutAndWait(context.Background(), entries.Entries)
			if len(deliveries) != 1 {
				t.Fatalf("deliveries %+v", deliveries)
			}
			d := deliveries[0]
			if d.Attempts != tc.wantAttempts || d.Condition != tc.wantCondition || inv.count("TouchpointFunction") != tc.wantAttempts {
				t.Errorf("attempts %d (invoked %d), condition %q; want %d, %q", d.Attempts, inv.count("TouchpointFunction"), d.Condition, tc.wantAttempts, tc.wantCondition)
			}
			records := failureRecords(t, dir, "TouchpointFunction")
			if tc.wantCondition == "" {
				if len(records) != 0 {
					t.Errorf("a delivered event left failure records: %v", records)
				}
				return
			}
			if len(records) != 1 {
				t.Fatalf("%d failure records, want 1", len(records))
			}
			r := records[0]
			ctx, _ := r["requestContext"].(map[string]any)
			payload, _ := r["requestPayload"].(map[string]any)
			if ctx["condition"] != tc.wantCondition || ctx["approximateInvokeCount"] != float64(tc.wantAttempts) ||
				ctx["functionArn"] != "arn:aws:lambda:us-east-1:000000000000:function:TouchpointFunction:$LATEST" {
				t.Errorf("requestContext %v", ctx)
			}
			// The request payload is the event as the function got it, so a re-drive replays it.
			if payload["id"] != results[0].EventID || payload["detail-type"] != "Touchpoint" || payload["source"] != "shop.orders" {
				t.Errorf("requestPayload %v", payload)
			}
			if resp, _ := r["responseContext"].(map[string]any); resp["functionError"] == "" || r["responsePayload"] == nil {
				t.Errorf("response %v / %v", r["responseContext"], r["responsePayload"])
			}
		})
	}
}

func TestAFailedTickIsNotRetriedAndIsRecorded(t *testing.T) {
	t.Parallel()
	tpl := loadTemplate(t)
	inv := &flaky{rec: newRecorder(t, "DispatchFunction"), failures: -1, calls: map[string]int{}}
	dir := t.TempDir()
	async := &sources.Async{Invoke: inv, Policies: sources.PoliciesFromTemplate(tpl), RetryDelay: 10 * time.Millisecond, FailureDir: dir}
	s := &sources.Scheduler{Invoke: inv, Async: async, Schedules: []sources.Schedule{{Function: "DispatchFunction", Name: "Tick", Every: 150 * time.Millisecond}}}

	// Run: asynchronous ticks.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_ = s.Run(ctx)
	fired := inv.count("DispatchFunction")
	records := failureRecords(t, dir, "DispatchFunction")
	if fired == 0 || len(records) != fired {
		t.Fatalf("%d ticks fired, %d failure records: every failed tick is recorded once, none retried", fired, len(records))
	}
	for _, r := range records {
		ctx, _ := r["requestContext"].(map[string]any)
		payload, _ := r["requestPayload"].(map[string]any)
		if ctx["approximateInvokeCount"] != float64(1) || ctx["condition"] != "RetriesExhausted" || payload["source"] != "aws.scheduler" {
			t.Errorf("tick failure record %v", r)
		}
	}

	// Tick: synchronous, same policy and record.
	results, err := s.Tick(context.Background(), "DispatchFunction")
	if err != nil || len(results) != 1 || !results[0].Failed() {
		t.Fatalf("tick results %+v, %v", results, err)
	}
	if n := len(failureRecords(t, dir, "DispatchFunction")); n != fired+1 {
		t.Errorf("after a failed Tick: %d records, want %d", n, fired+1)
	}
}
