package sources

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/cxloop/cxloop/infra/local/lambdahost"
	"github.com/cxloop/cxloop/infra/local/samtemplate"
)

// DefaultRetryDelay is the local wait before the first retry of a failed asynchronous invoke,
// doubled before each next one. Lambda waits about a minute, then two; locally the delays are
// short so a retry is seen at once (cxlocal serve reads CXLOOP_ASYNC_RETRY_DELAY).
const DefaultRetryDelay = time.Second

// Async invokes functions the way Lambda handles an asynchronous invocation (EventBridge rules
// and Scheduler invoke their Lambda targets that way): the caller does not wait, a failure is
// retried after a delay up to the function's MaximumRetryAttempts while the event is younger
// than its MaximumEventAgeInSeconds, and then Lambda's on-failure record (the request payload
// inside) is appended to FailureDir/<function>.jsonl, the local stand-in for the destination.
type Async struct {
	Invoke lambdahost.Invoker
	// Policies are the functions' EventInvokeConfig; a function not listed gets Lambda's
	// defaults (2 retries, 6 hours).
	Policies   map[string]samtemplate.AsyncConfig
	RetryDelay time.Duration
	FailureDir string
	Region     string
	Log        *slog.Logger
	// Now is the clock the event age is measured with (time.Now when nil).
	Now func() time.Time

	inflight sync.WaitGroup
}

// PoliciesFromTemplate returns each function's EventInvokeConfig.
func PoliciesFromTemplate(t *samtemplate.Template) map[string]samtemplate.AsyncConfig {
	out := map[string]samtemplate.AsyncConfig{}
	for _, fn := range t.Functions {
		out[fn.LogicalID] = fn.Async
	}
	return out
}

// Go starts an asynchronous invocation and returns at once; done, when not nil, gets the final
// delivery. The invocation outlives ctx's cancellation (as an accepted event does in AWS) but
// keeps its values.
func (a *Async) Go(ctx context.Context, function string, payload []byte, done func(Delivery)) {
	a.inflight.Add(1)
	go func() {
		defer a.inflight.Done()
		d := a.Run(context.WithoutCancel(ctx), function, payload)
		if done != nil {
			done(d)
		}
	}()
}

// Wait blocks until every invocation started with Go has finished, retries and failure records
// included: the synchronous hook for tests and for callers that want the effects at once.
func (a *Async) Wait() { a.inflight.Wait() }

// Run invokes function with the retries and the failure record of an asynchronous invocation,
// and returns when it succeeded or was given up.
func (a *Async) Run(ctx context.Context, function string, payload []byte) Delivery {
	policy, ok := a.Policies[function]
	if !ok {
		policy = samtemplate.AsyncConfig{MaxRetryAttempts: 2, MaxEventAge: 6 * time.Hour}
	}
	now := a.Now
	if now == nil {
		now = time.Now
	}
	delay := a.RetryDelay
	if delay <= 0 {
		delay = DefaultRetryDelay
	}
	accepted := now()
	d := Delivery{Function: function}
	for attempt := 1; ; attempt++ {
		d.Result, d.Err = a.Invoke.Invoke(ctx, function, payload)
		d.Attempts = attempt
		if d.Err == nil && !d.Result.Failed() {
			return d
		}
		logger(a.Log).Warn("asynchronous invoke failed", "function", function, "attempt", attempt, "error", errText(d))
		if attempt > policy.MaxRetryAttempts {
			d.Condition = "RetriesExhausted"
			break
		}
		if now().Add(delay).Sub(accepted) > policy.MaxEventAge {
			d.Condition = "EventAgeExceeded"
			break
		}
		select {
		case <-ctx.Done():
			d.Condition = "RetriesExhausted"
			a.record(d, payload)
			return d
		case <-time.After(delay):
		}
		delay *= 2
	}
	a.record(d, payload)
	return d
}

// record appends Lambda's on-failure destination record for d.
func (a *Async) record(d Delivery, payload []byte) {
	logger(a.Log).Error("asynchronous invoke given up", "function", d.Function, "condition", d.Condition, "attempts", d.Attempts)
	if a.FailureDir == "" {
		return
	}
	rec := map[string]any{
		"version":   "1.0",
		"timestamp": time.Now().UTC().Format(time.RFC3339Nano),
		"requestContext": map[string]any{
			"requestId":              d.Result.RequestID,
			"functionArn":            "arn:aws:lambda:" + region(a.Region) + ":" + lambdahost.AccountID + ":function:" + d.Function + ":$LATEST",
			"condition":              d.Condition,
			"approximateInvokeCount": d.Attempts,
		},
		"requestPayload":  json.RawMessage(payload),
		"responseContext": map[string]any{"statusCode": 200, "executedVersion": "$LATEST", "functionError": d.Result.FunctionError},
		"responsePayload": json.RawMessage(orNull(d.Result.Payload)),
	}
	if !json.Valid(payload) {
		rec["requestPayload"] = string(payload)
	}
	if !json.Valid(orNull(d.Result.Payload)) {
		rec["responsePayload"] = string(d.Result.Payload)
	}
	if err := appendFailure(a.FailureDir, d.Function, rec); err != nil {
		logger(a.Log).Error("record failed invoke", "function", d.Function, "error", err)
	}
}
