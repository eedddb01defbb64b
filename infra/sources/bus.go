package sources

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cxloop/cxloop/infra/lambdahost"
	"github.com/cxloop/cxloop/infra/samtemplate"
)

// BusPath is where the local API accepts PutEvents-shaped requests.
const BusPath = "/_local/events"

// asyncRetries is how often Lambda retries a failed asynchronous invoke (EventBridge invokes
// its Lambda targets asynchronously).
const asyncRetries = 2

// Rule sends the events its Pattern matches to Function.
type Rule struct {
	Function string
	Name     string
	Pattern  Pattern
}

// RulesFromTemplate lists the EventBridgeRule events of t's functions.
func RulesFromTemplate(t *samtemplate.Template) ([]Rule, error) {
	var out []Rule
	for _, fn := range t.Functions {
		for _, r := range fn.Rules {
			p, err := PatternOf(r.Pattern)
			if err != nil {
				return nil, fmt.Errorf("rule %s of %s: %w", r.Name, fn.LogicalID, err)
			}
			out = append(out, Rule{Function: fn.LogicalID, Name: r.Name, Pattern: p})
		}
	}
	return out, nil
}

// Entry is one PutEvents request entry.
type Entry struct {
	Source       string     `json:"Source"`
	DetailType   string     `json:"DetailType"`
	Detail       string     `json:"Detail"`
	Resources    []string   `json:"Resources,omitempty"`
	Time         *time.Time `json:"Time,omitempty"`
	EventBusName string     `json:"EventBusName,omitempty"`
}

// EntryResult is one PutEvents response entry.
type EntryResult struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

// Delivery is one event handed to one function.
type Delivery struct {
	EventID  string
	Rule     string
	Function string
	Result   lambdahost.Result
	Err      error
}

// Bus is the local default event bus: each event goes to every function whose rule matches.
// Delivery is synchronous (PutEvents returns after the targets ran) so tests and the demo see
// the effects at once; a failed target is retried like an asynchronous Lambda invoke and then
// recorded in FailureDir.
type Bus struct {
	Invoke     lambdahost.Invoker
	Rules      []Rule
	Region     string
	FailureDir string
	Log        *slog.Logger
}

// ServeHTTP accepts POST {"Entries":[...]} and answers like PutEvents.
func (b *Bus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	var req struct{ Entries []Entry }
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil || len(req.Entries) == 0 || len(req.Entries) > 10 {
		http.Error(w, `{"__type":"ValidationException","message":"Entries: 1 to 10 entries with Source, DetailType, Detail"}`, http.StatusBadRequest)
		return
	}
	results, deliveries := b.Put(r.Context(), req.Entries)
	failed := 0
	for _, e := range results {
		if e.ErrorCode != "" {
			failed++
		}
	}
	// Deliveries is local only (PutEvents does not wait for targets): what each function answered.
	report := make([]DeliveryReport, 0, len(deliveries))
	for _, d := range deliveries {
		report = append(report, d.Report())
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(map[string]any{"FailedEntryCount": failed, "Entries": results, "Deliveries": report})
}

// DeliveryReport is a Delivery as the local PutEvents answer shows it.
type DeliveryReport struct {
	EventID       string          `json:"EventId"`
	Rule          string          `json:"Rule"`
	Function      string          `json:"Function"`
	FunctionError string          `json:"FunctionError,omitempty"`
	Error         string          `json:"Error,omitempty"`
	Response      json.RawMessage `json:"Response,omitempty"`
}

// Report returns d for the local PutEvents answer.
func (d Delivery) Report() DeliveryReport {
	r := DeliveryReport{EventID: d.EventID, Rule: d.Rule, Function: d.Function, FunctionError: d.Result.FunctionError}
	if d.Err != nil {
		r.Error = d.Err.Error()
	}
	if json.Valid(d.Result.Payload) {
		r.Response = d.Result.Payload
	}
	return r
}

// Put delivers entries and returns the PutEvents entry results and every delivery made.
func (b *Bus) Put(ctx context.Context, entries []Entry) ([]EntryResult, []Delivery) {
	var results []EntryResult
	var deliveries []Delivery
	for _, e := range entries {
		ev, err := b.envelope(e)
		if err != nil {
			results = append(results, EntryResult{ErrorCode: "MalformedDetail", ErrorMessage: err.Error()})
			continue
		}
		results = append(results, EntryResult{EventID: ev.ID})
		payload, _ := json.Marshal(ev)
		var decoded map[string]any
		_ = json.Unmarshal(payload, &decoded)
		for _, rule := range b.Rules {
			if rule.Pattern.Match(decoded) {
				deliveries = append(deliveries, b.deliver(ctx, rule, ev.ID, payload))
			}
		}
	}
	return results, deliveries
}

func (b *Bus) envelope(e Entry) (events.CloudWatchEvent, error) {
	if e.Source == "" || e.DetailType == "" {
		return events.CloudWatchEvent{}, fmt.Errorf("Source and DetailType are required")
	}
	var detail map[string]any
	if err := json.Unmarshal([]byte(e.Detail), &detail); err != nil {
		return events.CloudWatchEvent{}, fmt.Errorf("Detail is not a JSON object: %w", err)
	}
	at := time.Now().UTC().Truncate(time.Second)
	if e.Time != nil {
		at = e.Time.UTC()
	}
	resources := e.Resources
	if resources == nil {
		resources = []string{}
	}
	return events.CloudWatchEvent{
		Version: "0", ID: newID(), DetailType: e.DetailType, Source: e.Source,
		AccountID: lambdahost.AccountID, Time: at, Region: region(b.Region),
		Resources: resources, Detail: json.RawMessage(e.Detail),
	}, nil
}

func (b *Bus) deliver(ctx context.Context, rule Rule, id string, payload []byte) Delivery {
	d := Delivery{EventID: id, Rule: rule.Name, Function: rule.Function}
	for attempt := 0; attempt <= asyncRetries; attempt++ {
		d.Result, d.Err = b.Invoke.Invoke(ctx, rule.Function, payload)
		if d.Err == nil && !d.Result.Failed() {
			return d
		}
		logger(b.Log).Warn("event delivery failed", "function", rule.Function, "rule", rule.Name, "event", id,
			"attempt", attempt+1, "error", errText(d))
	}
	if b.FailureDir != "" {
		rec := map[string]any{
			"version": "1.0", "timestamp": time.Now().UTC().Format(time.RFC3339Nano),
			"requestContext":  map[string]any{"requestId": d.Result.RequestID, "condition": "RetriesExhausted", "approximateInvokeCount": asyncRetries + 1},
			"responseContext": map[string]any{"statusCode": 200, "executedVersion": "$LATEST", "functionError": d.Result.FunctionError},
			"requestPayload":  json.RawMessage(payload),
			"responsePayload": json.RawMessage(orNull(d.Result.Payload)),
		}
		if err := appendFailure(b.FailureDir, rule.Function, rec); err != nil {
			logger(b.Log).Error("record failed event", "function", rule.Function, "error", err)
		}
	}
	return d
}

func errText(d Delivery) string {
	if d.Err != nil {
		return d.Err.Error()
	}
	return string(d.Result.Payload)
}

func orNull(b []byte) []byte {
	if len(b) == 0 {
		return []byte("null")
	}
	return b
}
