// Package local assembles cxloop's local cloud, the stand-in for the AWS services template.yaml
// declares: the functions under the local Lambda runtime host (lambdahost), the HTTP API serving
// the template's routes (httpapi), the event bus with the template's rules, the schedules and the
// table's stream (sources), and a proxy in front of the SES stand-in that publishes SES's Send
// events (fault). `cxlocal serve` and the rig behind the benchmarks and the fault suite both build
// it with Start; they differ only in the options they pass.
package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/cxloop/cxloop/infra/local/fault"
	"github.com/cxloop/cxloop/infra/local/httpapi"
	"github.com/cxloop/cxloop/infra/local/lambdahost"
	"github.com/cxloop/cxloop/infra/local/samtemplate"
	"github.com/cxloop/cxloop/infra/local/sources"
)

// Options say what to run. The caller resolves each function's environment (template.yaml's
// variables plus its own overrides) and decides which services the functions reach.
type Options struct {
	Template *samtemplate.Template
	// Functions are the hosted functions, their environment resolved.
	Functions []lambdahost.Config
	// Listener serves the HTTP API (the caller opens it, so the functions' BASE_URL can name it).
	Listener net.Listener
	Region   string
	Log      *slog.Logger

	// SES, when set, is the proxy the functions send mail through; with SendEvents set, it
	// publishes a Send event on the bus for every email the stand-in accepts.
	SES        *fault.Proxy
	SendEvents *fault.SendEventsConfig

	// Async runs rules and schedules asynchronously, as Lambda does: each function's
	// EventInvokeConfig (retries, maximum age), RetryDelay between attempts, failure records in
	// FailureDir. Without it the bus and the schedules use Lambda's default policy.
	Async      bool
	RetryDelay time.Duration
	FailureDir string
	// RunSchedules fires the template's schedules on their clock; without it they fire only
	// when ticked (POST /_local/schedules/{function}, Cloud.Tick).
	RunSchedules bool
}

// StreamOptions say where the table's stream is and how to deliver it.
type StreamOptions struct {
	DynamoDB string // endpoint of DynamoDB Local (the functions may reach it through a proxy)
	Table    string
	// Duplicate delivers every batch twice (at-least-once drills).
	Duplicate bool
	// PollInterval and RetryDelay override the poller's defaults (zero keeps them).
	PollInterval, RetryDelay time.Duration
}

// Cloud is one running local cloud.
type Cloud struct {
	Host       *lambdahost.Host
	Bus        *sources.Bus
	Scheduler  *sources.Scheduler
	API        *httpapi.Server
	Poller     *sources.Poller // nil without Options.Stream
	SendEvents *fault.SendEvents
	// URL is the HTTP API's base URL (http://127.0.0.1:port).
	URL string

	o      Options
	inv    lambdahost.Invoker
	srv    *http.Server
	serve  chan error
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// BusPath and SchedulePath are the local cloud's own endpoints beside the template's routes.
const (
	BusPath      = sources.BusPath
	SchedulePath = "/_local/schedules/{function}"
	// UsagePath reports the local host's counters (LocalUsage): what the Costs page meters locally.
	UsagePath = "/_local/usage"
)

// LocalUsage is GET /_local/usage: each function's invocations and duration, and the HTTP API's
// requests, since the local cloud started.
type LocalUsage struct {
	Since        time.Time                   `json:"since"`
	Functions    map[string]lambdahost.Usage `json:"functions"`
	HTTPRequests int64                       `json:"httpRequests"`
}

// Start hosts the functions and starts the API, the bus, the schedules and the stream. Close
// stops them.
func Start(ctx context.Context, o Options) (*Cloud, error) {
	if o.Template == nil || o.Listener == nil {
		return nil, errors.New("local: Template and Listener are required")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Region == "" {
		o.Region = lambdahost.DefaultRegion
	}
	rules, err := sources.RulesFromTemplate(o.Template)
	if err != nil {
		return nil, err
	}
	c := &Cloud{Host: lambdahost.NewHost(o.Functions...), URL: "http://" + o.Listener.Addr().String(), serve: make(chan error, 1), o: o}
	inv := declared{c.Host}
	c.inv = inv
	var async *sources.Async
	if o.Async {
		retry := o.RetryDelay
		if retry <= 0 {
			retry = sources.DefaultRetryDelay
		}
		async = &sources.Async{Invoke: inv, Policies: sources.PoliciesFromTemplate(o.Template), RetryDelay: retry,
			FailureDir: o.FailureDir, Region: o.Region, Log: o.Log}
	}
	c.Bus = &sources.Bus{Invoke: inv, Rules: rules, Region: o.Region, Async: async, Log: o.Log}
	c.Scheduler = &sources.Scheduler{Invoke: inv, Schedules: sources.SchedulesFromTemplate(o.Template, o.Log), Region: o.Region, Async: async, Log: o.Log}
	if o.SES != nil && o.SendEvents != nil {
		bus := c.Bus
		c.SendEvents = fault.NewSendEvents(func(detailType string, detail []byte) {
			bus.Put(context.Background(), []sources.Entry{{Source: "aws.ses", DetailType: detailType, Detail: string(detail)}})
		}, *o.SendEvents)
		o.SES.Observe = c.SendEvents.Observe
	}
	c.API = httpapi.New(httpapi.RoutesFromTemplate(o.Template), inv, o.Log)

	mux := http.NewServeMux()
	mux.Handle(BusPath, c.Bus)
	mux.HandleFunc("POST "+SchedulePath, func(w http.ResponseWriter, r *http.Request) {
		results, err := c.Scheduler.Tick(r.Context(), r.PathValue("function"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(results)
	})
	started := time.Now().UTC()
	var requests atomic.Int64
	mux.HandleFunc("GET "+UsagePath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(LocalUsage{Since: started, Functions: c.Host.Usage(), HTTPRequests: requests.Load()})
	})
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		c.API.ServeHTTP(w, r)
	}))

	c.ctx, c.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if o.RunSchedules {
		c.wg.Go(func() { _ = c.Scheduler.Run(c.ctx) })
	}
	c.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { c.serve <- c.srv.Serve(o.Listener) }()
	return c, nil
}

// StartStream feeds the table's stream to the stream-triggered functions, with the template's
// filters and batching, until Close. Call it once.
func (c *Cloud) StartStream(s StreamOptions) {
	db, streams := sources.Clients(aws.Config{Region: c.o.Region,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}, s.DynamoDB)
	c.Poller = &sources.Poller{DB: db, Streams: streams, Table: s.Table, Invoke: c.inv,
		Targets: sources.StreamTargetsFromTemplate(c.o.Template), FailureDir: c.o.FailureDir, Duplicate: s.Duplicate,
		PollInterval: s.PollInterval, RetryDelay: s.RetryDelay, Region: c.o.Region, Log: c.o.Log}
	c.wg.Go(func() {
		if err := c.Poller.Run(c.ctx); err != nil && c.ctx.Err() == nil {
			c.o.Log.Error("stream poller stopped", "error", err)
		}
	})
}

// Done delivers the API server's error if it stops before Close.
func (c *Cloud) Done() <-chan error { return c.serve }

// Tick fires fn's schedule at once, as EventBridge Scheduler would, and fails on a function error.
func (c *Cloud) Tick(ctx context.Context, fn string) (lambdahost.Result, error) {
	res, err := c.Host.Invoke(ctx, fn, sources.ScheduledEvent(lambdahost.DefaultRegion, fn+"-Tick", time.Now()))
	if err == nil && res.Failed() {
		err = fmt.Errorf("%s tick failed: %s", fn, res.Payload)
	}
	return res, err
}

// SendEventsDelivered waits until every Send event published so far has been handled by the
// functions its rules match.
func (c *Cloud) SendEventsDelivered() {
	if c.SendEvents != nil {
		c.SendEvents.Wait()
	}
	c.Bus.Wait()
}

// Close stops the API (letting requests in flight finish for up to 5 seconds), the schedules and
// the stream, waits for the deliveries under way, and stops the functions.
func (c *Cloud) Close() error {
	shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	err := c.srv.Shutdown(shutdown)
	c.cancel()
	c.wg.Wait()
	c.SendEventsDelivered()
	return errors.Join(err, c.Host.Close())
}

// declared answers invokes of functions the template declares but that have no code yet with a
// clear error.
type declared struct{ *lambdahost.Host }

func (d declared) Invoke(ctx context.Context, fn string, payload []byte) (lambdahost.Result, error) {
	res, err := d.Host.Invoke(ctx, fn, payload)
	if errors.Is(err, lambdahost.ErrUnknownFunction) {
		return res, fmt.Errorf("%s is declared in template.yaml but has no main.go yet: %w", fn, err)
	}
	return res, err
}
