// Package rig runs a local deployment of cxloop's real bootstrap binaries for the benchmarks
// (infra/bench) and the fault suite (infra/e2e): each function under the local Lambda runtime host
// with its template.yaml environment, on its own table cloned from the template's schema, with
// DynamoDB and SES reached through fault.Proxy so that faults and consumed capacity can be
// injected and recorded without changing a line of the functions. The functions read only the
// variables template.yaml declares; the rig changes only where the SDK's endpoints point.
package rig

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cxloop/cxloop/infra/local"
	"github.com/cxloop/cxloop/infra/local/fault"
	"github.com/cxloop/cxloop/infra/local/lambdahost"
	"github.com/cxloop/cxloop/infra/local/samtemplate"
	"github.com/cxloop/cxloop/infra/local/stack"
	"github.com/cxloop/cxloop/shared/store"
)

// DevKey is the 64-character token key the functions get as TOKEN_DEV_KEY.
const DevKey = "rig-dev-key-0123456789abcdef0123456789abcdef0123456789abcdef0123"

// Options configure a Rig.
type Options struct {
	// Root is the repository root (default: found from the working directory).
	Root string
	// DynamoDB and SES are the local stack's endpoints (default: AWS_ENDPOINT_URL_DYNAMODB and
	// AWS_ENDPOINT_URL_SESV2 from the environment).
	DynamoDB, SES string
	// DDBFaults and SESFaults configure the proxies' injectors (zero: no faults).
	DDBFaults, SESFaults fault.Config
	// Vars override declared variables of every function (SCORE_SETTLE_SECONDS, ...).
	Vars map[string]string
	// Timeouts override functions' timeouts by logical id (a short dispatch timeout kills a hung tick).
	Timeouts map[string]time.Duration
	// Logs receives the functions' logs (default io.Discard).
	Logs io.Writer
	// LogsFor, when set, gives each function its own log writer instead of Logs.
	LogsFor func(function string) io.Writer
	// ProxyPerFunction gives every function its own DynamoDB proxy (FuncDDB), so that what a
	// proxy sees is one function's traffic (the bench attributes capacity this way).
	ProxyPerFunction bool
	// SendEvents, when set, makes the SES proxy publish SES's Send events for the mail the
	// stand-in accepts, through a local event bus with template.yaml's rules (late, some lost).
	SendEvents *fault.SendEventsConfig
}

// Rig is one running local deployment.
type Rig struct {
	Template *samtemplate.Template
	Table    string
	// Store reads and writes the rig's table directly, without faults (for checks and setup).
	Store *store.Store
	// DDB and SES are the proxies the functions talk to.
	DDB, SES *fault.Proxy
	// FuncDDB holds each function's own DynamoDB proxy when Options.ProxyPerFunction is set.
	FuncDDB map[string]*fault.Proxy
	// SendEvents publishes Send events when Options.SendEvents is set (else nil).
	SendEvents *fault.SendEvents
	Host       *lambdahost.Host
	// Cloud is the local cloud the rig runs the functions in (the same one `cxlocal serve` starts).
	Cloud *local.Cloud
	// BaseURL is the functions' BASE_URL: the rig's local HTTP API serving template.yaml's routes.
	BaseURL string

	dynamoDB string
	sesURL   string
}

// Start builds the functions (once per process), creates the table and starts the proxies and host.
func Start(ctx context.Context, o Options) (*Rig, error) {
	if o.Root == "" {
		root, err := stack.FindRoot()
		if err != nil {
			return nil, err
		}
		o.Root = root
	}
	if o.DynamoDB == "" {
		o.DynamoDB = os.Getenv("AWS_ENDPOINT_URL_DYNAMODB")
	}
	if o.SES == "" {
		o.SES = os.Getenv("AWS_ENDPOINT_URL_SESV2")
	}
	if o.DynamoDB == "" || o.SES == "" {
		return nil, errors.New("AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_SESV2 must point at the local stack (make up; . .local/env)")
	}
	if o.Logs == nil {
		o.Logs = io.Discard
	}
	tpl, err := samtemplate.Load(filepath.Join(o.Root, "template.yaml"), nil)
	if err != nil {
		return nil, err
	}
	bins, err := BuildAll(ctx, o.Root, tpl)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Rig{Template: tpl, Table: fmt.Sprintf("rig-%d", time.Now().UnixNano()), BaseURL: "http://" + ln.Addr().String(), dynamoDB: o.DynamoDB, sesURL: o.SES}
	db := stack.Client(o.DynamoDB)
	if _, err := stack.EnsureTable(ctx, db, tpl, r.Table); err != nil {
		return nil, fmt.Errorf("create table on %s: %w", o.DynamoDB, err)
	}
	r.Store = store.New(db, r.Table)
	if r.DDB, err = fault.NewProxy(o.DynamoDB, o.DDBFaults); err != nil {
		return nil, err
	}
	if r.SES, err = fault.NewProxy(o.SES, o.SESFaults); err != nil {
		return nil, err
	}
	var cfgs []lambdahost.Config
	for i := range tpl.Functions {
		fn := &tpl.Functions[i]
		bin, ok := bins[fn.LogicalID]
		if !ok {
			continue
		}
		env := tpl.FunctionEnv(fn, r.Table, samtemplate.EnvFile{"Parameters": r.vars(o.Vars)})
		env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = "local", "local"
		env["AWS_ENDPOINT_URL_DYNAMODB"], env["AWS_ENDPOINT_URL_SESV2"] = r.DDB.URL, r.SES.URL
		if o.ProxyPerFunction {
			p, err := fault.NewProxy(o.DynamoDB, o.DDBFaults)
			if err != nil {
				return nil, err
			}
			if r.FuncDDB == nil {
				r.FuncDDB = map[string]*fault.Proxy{}
			}
			r.FuncDDB[fn.LogicalID] = p
			env["AWS_ENDPOINT_URL_DYNAMODB"] = p.URL
		}
		logs := o.Logs
		if o.LogsFor != nil {
			logs = o.LogsFor(fn.LogicalID)
		}
		timeout := fn.Timeout
		if d, ok := o.Timeouts[fn.LogicalID]; ok {
			timeout = d
		}
		cfgs = append(cfgs, lambdahost.Config{Name: fn.LogicalID, Binary: bin, Env: env,
			Timeout: timeout, MemoryMB: fn.MemoryMB, Logs: logs, LogFormat: fn.LogFormat, LogLevel: fn.LogLevel})
	}
	r.Cloud, err = local.Start(ctx, local.Options{Template: tpl, Functions: cfgs, Listener: ln,
		Log: slog.New(slog.NewTextHandler(o.Logs, nil)), SES: r.SES, SendEvents: o.SendEvents})
	if err != nil {
		return nil, err
	}
	r.Host, r.SendEvents = r.Cloud.Host, r.Cloud.SendEvents
	return r, nil
}

// vars are the declared variables the rig sets for every function (only declared ones apply).
func (r *Rig) vars(extra map[string]string) map[string]string {
	v := map[string]string{
		"TOKEN_DEV_KEY":        DevKey,
		"BASE_URL":             r.BaseURL,
		"SCORE_SETTLE_SECONDS": "0",
		"STAGE":                "rig",
	}
	for k, x := range extra {
		v[k] = x
	}
	return v
}

// Invoke invokes fn with payload (bytes, json.RawMessage or any JSON-encodable value) and fails
// on host errors and function errors alike.
func (r *Rig) Invoke(ctx context.Context, fn string, payload any) (json.RawMessage, error) {
	res, err := r.InvokeResult(ctx, fn, payload)
	if err != nil {
		return nil, err
	}
	if res.Failed() {
		return res.Payload, fmt.Errorf("%s failed: %s", fn, res.Payload)
	}
	return res.Payload, nil
}

// InvokeResult invokes fn and returns the host's Result, function errors included.
func (r *Rig) InvokeResult(ctx context.Context, fn string, payload any) (lambdahost.Result, error) {
	var raw []byte
	switch p := payload.(type) {
	case []byte:
		raw = p
	case json.RawMessage:
		raw = p
	default:
		b, err := json.Marshal(p)
		if err != nil {
			return lambdahost.Result{}, err
		}
		raw = b
	}
	return r.Host.Invoke(ctx, fn, raw)
}

// Tick invokes fn with the event EventBridge Scheduler sends, as its schedule would.
func (r *Rig) Tick(ctx context.Context, fn string) (lambdahost.Result, error) {
	return r.Cloud.Tick(ctx, fn)
}

// StartStreams feeds the table's stream to the stream-triggered functions with their template
// filters and batching, every batch twice when duplicate is set, until Close.
func (r *Rig) StartStreams(duplicate bool) {
	r.Cloud.StartStream(local.StreamOptions{DynamoDB: r.dynamoDB, Table: r.Table, Duplicate: duplicate,
		PollInterval: 100 * time.Millisecond, RetryDelay: 100 * time.Millisecond})
}

// SendEventsDelivered waits until every Send event published so far has been handled by the
// functions its rules match.
func (r *Rig) SendEventsDelivered() { r.Cloud.SendEventsDelivered() }

// StreamsDrained waits until the stream poller StartStreams began has delivered everything
// written before the call (sources.Poller.Drained).
func (r *Rig) StreamsDrained(ctx context.Context) error {
	if r.Cloud.Poller == nil {
		return errors.New("rig: StartStreams was not called")
	}
	return r.Cloud.Poller.Drained(ctx)
}

// Close stops the local cloud and the proxies and deletes the table.
func (r *Rig) Close() error {
	errs := []error{r.Cloud.Close(), r.DDB.Close(), r.SES.Close()}
	for _, p := range r.FuncDDB {
		errs = append(errs, p.Close())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := r.Store.DB.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(r.Table)})
	return errors.Join(append(errs, err)...)
}

var (
	buildOnce sync.Once
	built     map[string]string
	buildErr  error
)

// BuildAll builds every function of the template whose package exists into a directory shared
// by the process, with the deployed flags, and returns the binaries by logical id.
func BuildAll(ctx context.Context, root string, tpl *samtemplate.Template) (map[string]string, error) {
	buildOnce.Do(func() {
		// One directory per process under a shared parent; directories of processes that are gone
		// are removed here, so test runs leave at most the binaries of the ones still running.
		parent := filepath.Join(os.TempDir(), "cxloop-rig")
		removeStale(parent)
		dir := filepath.Join(parent, strconv.Itoa(os.Getpid()))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			buildErr = err
			return
		}
		built = map[string]string{}
		for _, fn := range tpl.Functions {
			if _, err := os.Stat(filepath.Join(root, fn.Dir, "main.go")); err != nil {
				continue
			}
			out := filepath.Join(dir, strings.ToLower(strings.TrimSuffix(fn.LogicalID, "Function")), "bootstrap")
			if err := lambdahost.Build(ctx, root, "./"+fn.Dir, out); err != nil {
				buildErr = err
				return
			}
			built[fn.LogicalID] = out
		}
	})
	return built, buildErr
}

// Kill sends SIGKILL to every running process of fn's bootstrap (found by its executable in
// /proc, so only the rig's own processes), as a crash of the execution environment would end it.
// It returns how many it killed.
func (r *Rig) Kill(fn string) (int, error) {
	bin, ok := built[fn]
	if !ok {
		return 0, fmt.Errorf("kill %s: no such function", fn)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil || exe != bin {
			continue
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err == nil {
			n++
		}
	}
	return n, nil
}

// removeStale removes the build directories of processes that no longer exist.
func removeStale(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			os.RemoveAll(filepath.Join(parent, e.Name()))
		}
	}
}
