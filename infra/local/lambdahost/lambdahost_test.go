package lambdahost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/infra/local/lambdahost"
	"github.com/cxloop/cxloop/infra/local/lambdahost/lambdatest"
)

func newFunction(t *testing.T, cfg lambdahost.Config) *lambdahost.Function {
	t.Helper()
	cfg.Binary = lambdatest.Binary(t)
	if cfg.Name == "" {
		cfg.Name = "TestFunction"
	}
	if cfg.Logs == nil {
		cfg.Logs = &syncBuffer{}
	}
	f := lambdahost.New(cfg)
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func TestInvokeReportsResultsAndErrorsAsLambdaDoes(t *testing.T) {
	t.Parallel()
	f := newFunction(t, lambdahost.Config{Env: map[string]string{"GREETING": "hola"}, Timeout: 2 * time.Second})
	tests := []struct {
		name      string
		event     string
		wantError string // errorType, "" for success
		wantMsg   string
	}{
		{name: "a successful handler returns its response with the function's environment", event: `{"hello":"world"}`},
		{name: "a returned error is a function error with the error's type", event: `{"action":"error"}`, wantError: "ValidationError", wantMsg: "invalid field contact.email"},
		{name: "an unnamed error is reported with its Go type", event: `{"action":"plain-error"}`, wantError: "errorString", wantMsg: "plain failure"},
		{name: "a panic is a function error with the panic value", event: `{"action":"panic"}`, wantError: "string", wantMsg: "handler exploded"},
		{name: "the function runs again after a panic killed its process", event: `{"again":true}`},
		{name: "a process that exits is reported as Runtime.ExitError", event: `{"action":"exit"}`, wantError: "Runtime.ExitError", wantMsg: "exit status 3"},
		{name: "a handler running past its timeout is killed and reported", event: `{"sleepMs":3000}`, wantError: "Sandbox.Timedout", wantMsg: "Task timed out after 2.00 seconds"},
		{name: "the next invoke after a timeout starts a fresh process", event: `{"after":"timeout"}`},
	}
	for _, tt := range tests {
		res, err := f.Invoke(context.Background(), []byte(tt.event))
		if err != nil {
			t.Fatalf("%s: host error: %v", tt.name, err)
		}
		if tt.wantError == "" {
			if res.Failed() {
				t.Fatalf("%s: unexpected function error %s", tt.name, res.Payload)
			}
			var out struct {
				Event     json.RawMessage `json:"event"`
				Function  string          `json:"function"`
				Greeting  string          `json:"greeting"`
				RequestID string          `json:"requestId"`
				ARN       string          `json:"arn"`
				Handler   string          `json:"handler"`
				Region    string          `json:"region"`
			}
			if err := json.Unmarshal(res.Payload, &out); err != nil {
				t.Fatalf("%s: response %s: %v", tt.name, res.Payload, err)
			}
			if string(out.Event) != tt.event || out.Function != "TestFunction" || out.Greeting != "hola" ||
				out.RequestID != res.RequestID || out.Handler != "bootstrap" || out.Region != "us-east-1" ||
				out.ARN != "arn:aws:lambda:us-east-1:000000000000:function:TestFunction" {
				t.Errorf("%s: got %s (request %s)", tt.name, res.Payload, res.RequestID)
			}
			continue
		}
		var doc lambdahost.ErrorDoc
		if err := json.Unmarshal(res.Payload, &doc); err != nil {
			t.Fatalf("%s: error payload %s: %v", tt.name, res.Payload, err)
		}
		if res.FunctionError != "Unhandled" || res.ErrorType != tt.wantError || doc.ErrorType != tt.wantError ||
			!strings.Contains(doc.ErrorMessage, tt.wantMsg) {
			t.Errorf("%s: got %s %q %s", tt.name, res.FunctionError, res.ErrorType, res.Payload)
		}
	}
}

func TestColdStartReportsInitDurationAndWarmInvokesDoNot(t *testing.T) {
	t.Parallel()
	f := newFunction(t, lambdahost.Config{})
	first, err := f.Invoke(context.Background(), []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	second, err := f.Invoke(context.Background(), []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if first.InitDuration <= 0 || first.InitDuration > lambdahost.InitTimeout {
		t.Errorf("cold start init duration = %v", first.InitDuration)
	}
	if second.InitDuration != 0 {
		t.Errorf("warm invoke reported init duration %v", second.InitDuration)
	}
	t.Logf("init %v, first invoke %v, warm invoke %v", first.InitDuration, first.Duration, second.Duration)
}

func TestConcurrentInvokesRunInParallelOnSeparateInstances(t *testing.T) {
	t.Parallel()
	f := newFunction(t, lambdahost.Config{MaxConcurrency: 4})
	const n = 4
	// Start the instances first, so the timing below measures invokes, not process starts.
	inits, err := f.Warm(context.Background(), n)
	if err != nil || len(inits) != n {
		t.Fatalf("warm %d instances: %v (%v)", n, err, inits)
	}
	var wg sync.WaitGroup
	pids := make(chan float64, n)
	start := time.Now()
	for range n {
		wg.Go(func() {
			res, err := f.Invoke(context.Background(), []byte(`{"sleepMs":500}`))
			if err != nil || res.Failed() {
				t.Errorf("invoke: %v %s", err, res.Payload)
				return
			}
			var out struct{ PID float64 }
			_ = json.Unmarshal(res.Payload, &out)
			pids <- out.PID
		})
	}
	wg.Wait()
	close(pids)
	elapsed := time.Since(start)
	seen := map[float64]bool{}
	for p := range pids {
		seen[p] = true
	}
	if len(seen) != n || f.Instances() != n {
		t.Errorf("%d invokes ran in %d processes on %d instances, want %d", n, len(seen), f.Instances(), n)
	}
	// Four 500 ms handlers in series would take 2 s.
	if elapsed > 1500*time.Millisecond {
		t.Errorf("%d concurrent 500 ms invokes took %v: not parallel", n, elapsed)
	}
}

func TestInvokesBeyondMaxConcurrencyWaitForAnInstance(t *testing.T) {
	t.Parallel()
	f := newFunction(t, lambdahost.Config{MaxConcurrency: 1})
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if res, err := f.Invoke(context.Background(), []byte(`{"sleepMs":50}`)); err != nil || res.Failed() {
				t.Errorf("invoke: %v %s", err, res.Payload)
			}
		})
	}
	wg.Wait()
	if f.Instances() != 1 {
		t.Errorf("instances = %d, want 1", f.Instances())
	}
}

// syncBuffer collects the processes' logs from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
