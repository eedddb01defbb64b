package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/cxloop/cxloop/infra/local"
	"github.com/cxloop/cxloop/infra/local/fault"
	"github.com/cxloop/cxloop/infra/local/lambdahost"
	"github.com/cxloop/cxloop/infra/local/samtemplate"
	"github.com/cxloop/cxloop/infra/local/sources"
	"github.com/cxloop/cxloop/infra/local/stack"
)

func init() {
	register("serve", "serve the HTTP API, schedules, the table's stream and the event bus (started by up)", serve)
}

// deployment is what serve and invoke read from the repository: the template resolved for the
// local stack, env.json, and .local/env.
type deployment struct {
	root     string
	cfg      stack.Config
	tpl      *samtemplate.Template
	envFile  samtemplate.EnvFile
	localEnv map[string]string
}

func loadDeployment(envJSON string) (*deployment, error) {
	cfg, err := stack.FromEnv()
	if err != nil {
		return nil, err
	}
	d := &deployment{root: cfg.Root, cfg: cfg}
	d.localEnv, err = stack.ReadEnv(cfg.EnvPath())
	if errors.Is(err, os.ErrNotExist) {
		// invoke works without the stack; the function then sees only template.yaml and env.json.
		d.localEnv, err = map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	// Links in mail point at the local API, as BaseUrl points them at the custom domain in AWS.
	overrides := map[string]string{}
	if api := d.localEnv["API_URL"]; api != "" {
		overrides["BaseUrl"] = api
	}
	if d.tpl, err = samtemplate.Load(filepath.Join(cfg.Root, "template.yaml"), overrides); err != nil {
		return nil, err
	}
	if envJSON == "" {
		envJSON = filepath.Join(cfg.Root, "env.json")
	}
	if d.envFile, err = samtemplate.LoadEnvFile(envJSON); err != nil {
		return nil, err
	}
	return d, nil
}

// runtimeVars are the .local/env variables every function gets beside its declared ones: where
// the local AWS services are and the credentials for them (Lambda hands these to every function).
var runtimeVars = []string{"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SESV2", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}

// functionEnv is fn's environment: template.yaml's variables, then .local/env's values for the
// variables fn declares (TABLE_NAME, TOKEN_DEV_KEY...) plus the runtime ones, then env.json's
// overrides. A variable fn does not declare is never passed, as in AWS.
func (d *deployment) functionEnv(fn *samtemplate.Function) map[string]string {
	table := d.localEnv["TABLE_NAME"]
	env := d.tpl.FunctionEnv(fn, table, nil)
	for k := range env {
		if v, ok := d.localEnv[k]; ok {
			env[k] = v
		}
	}
	for _, k := range runtimeVars {
		if v, ok := d.localEnv[k]; ok {
			env[k] = v
		}
	}
	base := d.tpl.FunctionEnv(fn, table, nil)
	for k, v := range d.tpl.FunctionEnv(fn, table, d.envFile) {
		if v != base[k] {
			env[k] = v
		}
	}
	return env
}

// bootstrap is where fn's host binary lives (make build writes the same path).
func (d *deployment) bootstrap(fn *samtemplate.Function) string {
	return filepath.Join(d.root, "bin", fn.LogicalID, "bootstrap")
}

// hasCode reports whether fn's package exists yet.
func (d *deployment) hasCode(fn *samtemplate.Function) bool {
	_, err := os.Stat(filepath.Join(d.root, fn.Dir, "main.go"))
	return err == nil
}

func (d *deployment) build(ctx context.Context, fn *samtemplate.Function) error {
	return lambdahost.Build(ctx, d.root, "./"+fn.Dir, d.bootstrap(fn))
}

func (d *deployment) hostConfig(fn *samtemplate.Function, logs io.Writer) lambdahost.Config {
	return lambdahost.Config{
		Name: fn.LogicalID, Binary: d.bootstrap(fn), Env: d.functionEnv(fn),
		Timeout: fn.Timeout, MemoryMB: fn.MemoryMB, Region: d.localEnv["AWS_REGION"], Logs: logs,
		LogFormat: fn.LogFormat, LogLevel: fn.LogLevel,
	}
}

// localSendEvents is how the local stack's Send events behave: seconds late, 1 in 50 lost (far
// more than AWS loses), so an unsure send's resend path also shows locally.
var localSendEvents = fault.SendEventsConfig{MinDelay: 200 * time.Millisecond, MaxDelay: 3 * time.Second, LossRate: 0.02, Seed: time.Now().UnixNano()}

func serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	noBuild := fs.Bool("no-build", false, "use the binaries in bin/ as they are (make build) instead of building them")
	duplicate := fs.Bool("duplicate", false, "deliver every stream batch twice (at-least-once drills)")
	envJSON := fs.String("env", "", "env.json with variable overrides (default: env.json at the repository root)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	d, err := loadDeployment(*envJSON)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	// SES's Send events: the functions reach the SES stand-in through a proxy that publishes, for
	// every email the stand-in accepts, the Send event SES would put on the bus (late, a few lost).
	var sesProxy *fault.Proxy
	if ses := d.localEnv["AWS_ENDPOINT_URL_SESV2"]; ses != "" {
		if sesProxy, err = fault.NewProxy(ses, fault.Config{}); err != nil {
			return err
		}
		defer sesProxy.Close()
		d.localEnv["AWS_ENDPOINT_URL_SESV2"] = sesProxy.URL
	}

	var cfgs []lambdahost.Config
	for i := range d.tpl.Functions {
		fn := &d.tpl.Functions[i]
		if !d.hasCode(fn) {
			log.Warn("function has no code yet; not served", "function", fn.LogicalID, "dir", fn.Dir)
			continue
		}
		if !*noBuild {
			start := time.Now()
			if err := d.build(ctx, fn); err != nil {
				return err
			}
			log.Info("built", "function", fn.LogicalID, "took", time.Since(start).Round(time.Millisecond).String())
		}
		cfgs = append(cfgs, d.hostConfig(fn, &prefixWriter{prefix: fn.LogicalID, w: os.Stderr}))
	}
	retryDelay := sources.DefaultRetryDelay
	if v := os.Getenv("CXLOOP_ASYNC_RETRY_DELAY"); v != "" {
		if retryDelay, err = time.ParseDuration(v); err != nil || retryDelay <= 0 {
			return fmt.Errorf("CXLOOP_ASYNC_RETRY_DELAY=%q: a positive duration such as 500ms", v)
		}
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(d.cfg.APIPort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	// Rules and schedules invoke asynchronously, as in AWS: each function's EventInvokeConfig
	// (retries, maximum age), short local delays, failure records in .local/failures.
	cloud, err := local.Start(ctx, local.Options{Template: d.tpl, Functions: cfgs, Listener: ln,
		Region: d.localEnv["AWS_REGION"], Log: log, SES: sesProxy, SendEvents: &localSendEvents,
		Async: true, RetryDelay: retryDelay, FailureDir: filepath.Join(d.cfg.StateDir, "failures"), RunSchedules: true})
	if err != nil {
		ln.Close()
		return err
	}
	defer cloud.Close()
	if table := d.localEnv["TABLE_NAME"]; table != "" {
		cloud.StartStream(local.StreamOptions{DynamoDB: d.localEnv["AWS_ENDPOINT_URL_DYNAMODB"], Table: table, Duplicate: *duplicate})
	} else {
		log.Warn("no TABLE_NAME in .local/env: the table's stream is not polled")
	}
	log.Info("serving", "api", cloud.URL, "functions", cloud.Host.Names(), "routes", len(cloud.API.Routes()),
		"schedules", len(cloud.Scheduler.Schedules), "rules", len(cloud.Bus.Rules))
	select {
	case <-ctx.Done():
		return nil
	case err = <-cloud.Done():
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		return err
	}
}

// prefixWriter prefixes each line a function logs with its name, so the interleaved logs of
// several functions stay readable.
type prefixWriter struct {
	prefix string
	w      io.Writer
	mu     sync.Mutex
	buf    bytes.Buffer
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf.Write(b)
	for {
		line, err := p.buf.ReadString('\n')
		if err != nil {
			// Keep the partial line for the next write.
			rest := line
			p.buf.Reset()
			p.buf.WriteString(rest)
			return len(b), nil
		}
		if _, err := fmt.Fprintf(p.w, "[%s] %s", p.prefix, line); err != nil {
			return len(b), err
		}
	}
}
