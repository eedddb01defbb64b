// Package lambdahost runs a function's real built bootstrap binary under a local implementation
// of the Lambda Runtime API, the stand-in for the Lambda service (and for `sam local invoke`,
// which needs Docker). Each instance is one process with its own Runtime API endpoint, like one
// Lambda execution environment; a Function keeps a pool of them and starts up to MaxConcurrency
// on demand, so concurrent invokes run in parallel as they would in AWS.
package lambdahost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults that mirror the Lambda service.
const (
	DefaultTimeout        = 3 * time.Second
	DefaultMemoryMB       = 128
	DefaultMaxConcurrency = 8
	DefaultRegion         = "us-east-1"
	// InitTimeout bounds the time from process start to its first poll for work (Lambda: 10 s).
	InitTimeout = 10 * time.Second
	// AccountID is the account used in the ARNs handed to functions.
	AccountID = "000000000000"
)

// FunctionErrorUnhandled is the X-Amz-Function-Error value Lambda reports when a function fails.
const FunctionErrorUnhandled = "Unhandled"

// Config describes one function.
type Config struct {
	// Name is the function name the process sees (AWS_LAMBDA_FUNCTION_NAME); the logical id locally.
	Name string
	// Binary is the path of the built bootstrap.
	Binary string
	// Env is the function's environment (template env plus overrides). The Lambda-reserved
	// variables are added by the host.
	Env            map[string]string
	Timeout        time.Duration
	MemoryMB       int
	MaxConcurrency int
	Region         string
	// LogFormat and LogLevel are the template's LoggingConfig (LogFormat, ApplicationLogLevel). As
	// Lambda does, the host passes them as AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL and, for
	// JSON, drops application log lines below the level (a line without a valid "level" is INFO).
	LogFormat, LogLevel string
	// Logs receives the processes' stdout and stderr and the host's REPORT lines (default os.Stderr).
	Logs io.Writer
}

// Result is the outcome of one invoke, as the Lambda Invoke API would return it.
type Result struct {
	RequestID string
	// Payload is the function's response, or the error document ({"errorMessage","errorType",...}).
	Payload json.RawMessage
	// FunctionError is "Unhandled" when the function failed, "" otherwise.
	FunctionError string
	// ErrorType is the error document's errorType when the function failed.
	ErrorType string
	// Duration is the time from handing the event over to the response.
	Duration time.Duration
	// InitDuration is set on a cold start: process start to its first /next poll.
	InitDuration time.Duration
}

// Failed reports whether the function failed.
func (r Result) Failed() bool { return r.FunctionError != "" }

// ErrorDoc is the error document Lambda returns for a failed invoke.
type ErrorDoc struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

// ErrClosed is returned by Invoke after Close.
var ErrClosed = errors.New("lambdahost: function closed")

// Function is a pool of instances of one function.
type Function struct {
	cfg   Config
	slots chan struct{} // one token per instance that may run at once

	mu     sync.Mutex
	idle   []*Instance
	all    []*Instance
	closed bool

	// What Lambda would bill: completed invocations and their summed duration.
	invocations, durationNs atomic.Int64
}

// Usage is what a function used since its host started: invocations and their summed duration,
// at its memory size (the local stand-in for CloudWatch's Invocations and Duration).
type Usage struct {
	Invocations int64   `json:"invocations"`
	DurationMs  float64 `json:"durationMs"`
	MemoryMB    int     `json:"memoryMB"`
}

// Usage reports what f used since it was created.
func (f *Function) Usage() Usage {
	return Usage{Invocations: f.invocations.Load(), DurationMs: float64(f.durationNs.Load()) / 1e6, MemoryMB: f.cfg.MemoryMB}
}

// New returns a Function for cfg; instances start on the first invokes.
func New(cfg Config) *Function {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MemoryMB <= 0 {
		cfg.MemoryMB = DefaultMemoryMB
	}
	if cfg.MaxConcurrency <= 0 {
		cfg.MaxConcurrency = DefaultMaxConcurrency
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.Logs == nil {
		cfg.Logs = os.Stderr
	}
	return &Function{cfg: cfg, slots: make(chan struct{}, cfg.MaxConcurrency)}
}

// Name returns the function's name.
func (f *Function) Name() string { return f.cfg.Name }

// ARN returns the function ARN handed to the process.
func (f *Function) ARN() string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", f.cfg.Region, AccountID, f.cfg.Name)
}

// Invoke runs payload on an idle instance, starting one if none is idle and the pool is not
// full, or waits for one. A function error is a Result with FunctionError set, not an error;
// err is for failures of the host itself (the binary cannot start, ctx ended, Close).
func (f *Function) Invoke(ctx context.Context, payload []byte) (Result, error) {
	select {
	case f.slots <- struct{}{}:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	defer func() { <-f.slots }()
	in, err := f.take()
	if err != nil {
		return Result{}, err
	}
	defer f.put(in)
	res, err := in.invoke(ctx, payload)
	if err != nil {
		return res, fmt.Errorf("invoke %s: %w", f.cfg.Name, err)
	}
	f.invocations.Add(1)
	f.durationNs.Add(int64(res.Duration))
	fmt.Fprintf(f.cfg.Logs, "REPORT RequestId: %s\tDuration: %.2f ms\tMemory Size: %d MB%s\n",
		res.RequestID, ms(res.Duration), f.cfg.MemoryMB, initField(res.InitDuration))
	return res, nil
}

// Warm starts n instances (at most MaxConcurrency) and waits until each polls for work. It
// returns their init durations.
func (f *Function) Warm(ctx context.Context, n int) ([]time.Duration, error) {
	n = min(n, f.cfg.MaxConcurrency)
	var ins []*Instance
	defer func() {
		for _, in := range ins {
			f.put(in)
		}
	}()
	var out []time.Duration
	for range n {
		in, err := f.take()
		if err != nil {
			return out, err
		}
		ins = append(ins, in)
		d, err := in.ensureStarted(ctx)
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
	return out, nil
}

// Instances returns how many instances the pool has created.
func (f *Function) Instances() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.all)
}

// Close stops every instance's process and Runtime API endpoint.
func (f *Function) Close() error {
	f.mu.Lock()
	f.closed = true
	all := f.all
	f.all, f.idle = nil, nil
	f.mu.Unlock()
	var errs []error
	for _, in := range all {
		errs = append(errs, in.close())
	}
	return errors.Join(errs...)
}

func (f *Function) take() (*Instance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, ErrClosed
	}
	if n := len(f.idle); n > 0 {
		in := f.idle[n-1]
		f.idle = f.idle[:n-1]
		return in, nil
	}
	in, err := newInstance(f, len(f.all))
	if err != nil {
		return nil, err
	}
	f.all = append(f.all, in)
	return in, nil
}

func (f *Function) put(in *Instance) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.idle = append(f.idle, in)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func initField(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return fmt.Sprintf("\tInit Duration: %.2f ms", ms(d))
}
