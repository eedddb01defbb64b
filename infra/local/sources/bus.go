package sources

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cxloop/cxloop/infra/local/lambdahost"
	"github.com/cxloop/cxloop/infra/local/samtemplate"
)

// BusPath is where the local API accepts PutEvents-shaped requests.
const BusPath = "/_local/events"

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
	// Attempts is how many times the function was invoked; Condition is why it was given up
	// ("RetriesExhausted", "EventAgeExceeded"; empty when it succeeded).
	Attempts  int
	Condition string

	seq int
}

// Bus is the local default event bus: each event goes to every function whose rule matches.
// As in AWS, PutEvents answers once the events are accepted and the targets run asynchronously
// (Async: retries with short delays, then Lambda's failure record). PutAndWait, and
// POST ?wait=true, wait for the targets instead: the synchronous hook for tests.
type Bus struct {
	Invoke lambdahost.Invoker
	Rules  []Rule
	Region string
	// Async runs the deliveries; nil builds one from Invoke, FailureDir, Region and Log with
	// Lambda's default retry policy.
	Async      *Async
	FailureDir string
	Log        *slog.Logger

	once sync.Once
}

func (b *Bus) async() *Async {
	b.once.Do(func() {
		if b.Async == nil {
			b.Async = &Async{Invoke: b.Invoke, FailureDir: b.FailureDir, Region: b.Region, Log: b.Log}
		}
	})
	return b.Async
}

// Wait blocks until every delivery accepted so far has finished (retries included).
func (b *Bus) Wait() { b.async().Wait() }

// ServeHTTP accepts POST {"Entries":[...]} and answers like PutEvents. With ?wait=true (local
// only) it answers after the targets ran, with what each answered under "Deliveries".
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
	var results []EntryResult
	var deliveries []Delivery
	wait := r.URL.Query().Get("wait") == "true"
	if wait {
		results, deliveries = b.PutAndWait(r.Context(), req.Entries)
	} else {
		results = b.Put(r.Context(), req.Entries)
	}
	failed := 0
	for _, e := range results {
		if e.ErrorCode != "" {
			failed++
		}
	}
	answer := map[string]any{"FailedEntryCount": failed, "Entries": results}
	if wait {
		// Local only (PutEvents does not wait for targets): what each function answered.
		report := make([]DeliveryReport, 0, len(deliveries))
		for _, d := range deliveries {
			report = append(report, d.Report())
		}
		answer["Deliveries"] = report
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(answer)
}

// DeliveryReport is a Delivery as the local PutEvents answer shows it.
type DeliveryReport struct {
	EventID       string          `json:"EventId"`
	Rule          string          `json:"Rule"`
	Function      string          `json:"Function"`
	FunctionError string          `json:"FunctionError,omitempty"`
	Error         string          `json:"Error,omitempty"`
	Response      json.RawMessage `json:"Response,omitempty"`
	Attempts      int             `json:"Attempts"`
	Condition     string          `json:"Condition,omitempty"`
}

// Report returns d for the local PutEvents answer.
func (d Delivery) Report() DeliveryReport {
	r := DeliveryReport{EventID: d.EventID, Rule: d.Rule, Function: d.Function, FunctionError: d.Result.FunctionError,
		Attempts: d.Attempts, Condition: d.Condition}
	if d.Err != nil {
		r.Error = d.Err.Error()
	}
	if json.Valid(d.Result.Payload) {
		r.Response = d.Result.Payload
	}
	return r
}

// Put accepts entries and starts their deliveries without waiting for them, as PutEvents does.
func (b *Bus) Put(ctx context.Context, entries []Entry) []EntryResult {
	return b.put(ctx, entries, nil, nil)
}

// PutAndWait accepts entries and returns after every delivery they caused has finished.
func (b *Bus) PutAndWait(ctx context.Context, entries []Entry) ([]EntryResult, []Delivery) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	var deliveries []Delivery
	results := b.put(ctx, entries, &wg, func(d Delivery) {
		mu.Lock()
		deliveries = append(deliveries, d)
		mu.Unlock()
		wg.Done()
	})
	wg.Wait()
	// In rule order per event, as a reader of the answer expects.
	sort.SliceStable(deliveries, func(i, j int) bool { return deliveries[i].seq < deliveries[j].seq })
	return results, deliveries
}

// put matches entries against the rules and starts a delivery per match; wg, when not nil,
// counts each one before it starts, and done gets each finished delivery.
func (b *Bus) put(ctx context.Context, entries []Entry, wg *sync.WaitGroup, done func(Delivery)) []EntryResult {
	var results []EntryResult
	seq := 0
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
			if !rule.Pattern.Match(decoded) {
				continue
			}
			seq++
			if wg != nil {
				wg.Add(1)
			}
			rule, id, n := rule, ev.ID, seq
			b.async().Go(ctx, rule.Function, payload, func(d Delivery) {
				d.EventID, d.Rule, d.seq = id, rule.Name, n
				if done != nil {
					done(d)
				}
			})
		}
	}
	return results
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
