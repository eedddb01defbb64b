package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/cxloop/cxloop/infra/local/lambdahost"
	"github.com/cxloop/cxloop/infra/local/rig"
	"github.com/cxloop/cxloop/infra/local/samtemplate"
)

// Names of the two yardsticks in the cold-start table.
const (
	helloName = "hello world (aws-lambda-go)"
	naiveName = "naive (LoadDefaultConfig + DynamoDB + SES clients)"
	floorName = "floor (DynamoDB client, one GetItem on the first invocation)"
)

// startWork is what each function does at start beyond what every function does (report.go):
// its other clients' package init and the calls its first sample event makes. Measured, by hand,
// with GODEBUG=inittrace=1 and a proxy counting requests; update it when a function changes.
var startWork = map[string]string{
	"DispatchFunction": "SES v2 (`sesv2/schemas` 0.5 ms, 582 KB, 3,541 allocations) and the Secrets Manager package " +
		"(0.1 ms); its first tick reads the first page of the 4 due-index shards, all at once: one round of 4 queries, " +
		"about 4 ms here (16 shards, 4 at a time, took four rounds and about 10 ms).",
	"FollowupFunction":   "SES v2 and Secrets Manager as dispatch; its first record decodes the stream batch and makes one Query.",
	"MailEventsFunction": "nothing else at init; its first event makes one UpdateItem.",
	"ScoreFunction": "nothing else at init; its first run reads the three surveys' watermarks, together (they were read " +
		"in turn, three round trips in a row).",
	"SurveyFunction": "the Secrets Manager package; the sample link's signature does not verify under the bench's key, so " +
		"its first GET makes no DynamoDB call and parses and renders the error page only (a good link reads the invitation, " +
		"one or two GetItems).",
	"TicketsFunction": "SES v2 (close-the-loop emails), CloudWatch (`cloudwatch/schemas` 0.4 ms, 376 KB, 2,099 " +
		"allocations, plus its endpoint table 0.1-0.2 ms, for the Costs page only; the client itself is built on that " +
		"page's first call) and Secrets Manager; its first request (an export) looks up the API token, one GetItem. " +
		"Console pages are parsed on first use.",
	"TouchpointFunction": "nothing else at init; its first request (an API batch) looks up the producer token, one GetItem.",
}

// coldTarget is one binary started again and again.
type coldTarget struct {
	Name  string
	Cfg   lambdahost.Config
	Event []byte // the first invocation's event (a sample from events/; {} for the yardsticks)
	Size  int64
	Inits []time.Duration
	// Firsts are init plus the first invocation, every start of every run; RunP50s the p50 of
	// each run's.
	Firsts  []time.Duration
	RunP50s []time.Duration
}

// P50 and P95 of the init durations (nearest rank).
func (c *coldTarget) P50() time.Duration { return percentile(c.Inits, 50) }
func (c *coldTarget) P95() time.Duration { return percentile(c.Inits, 95) }

// ColdStart is init plus the first invocation: the median of the runs' p50s (one run is too noisy
// on a shared machine).
func (c *coldTarget) ColdStart() time.Duration { return percentile(c.RunP50s, 50) }

// FirstP95 is the p95 of init plus the first invocation over every start.
func (c *coldTarget) FirstP95() time.Duration { return percentile(c.Firsts, 95) }

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (p*len(s)+99)/100 - 1
	return s[max(0, min(i, len(s)-1))]
}

// coldStarts builds every function and the two baselines with the deployed flags and, runs times,
// starts each n times under the local runtime host, alternating binaries in every round (a
// different order each round, so no binary always follows the same one). Init is process start
// to the first /runtime/invocation/next poll, as the host measures it; the cold start adds the
// first invocation, with the function's first sample event from events/. Each function gets its
// template environment (TOKEN_DEV_KEY of 64 characters, endpoints on 127.0.0.1) so it initializes
// fully; its table does not exist, so the first invocation makes its first DynamoDB call and gets
// a quick refusal, as a call to AWS costs a round trip whatever it answers.
func coldStarts(ctx context.Context, root string, env benchEnv, n, runs int) ([]*coldTarget, error) {
	tpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"), nil)
	if err != nil {
		return nil, err
	}
	bins, err := rig.BuildAll(ctx, root, tpl)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "cxloop-baselines-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	common := map[string]string{
		"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
		"AWS_ENDPOINT_URL_DYNAMODB": env.DynamoDB, "AWS_ENDPOINT_URL_SESV2": env.SES,
	}
	var targets []*coldTarget
	for _, b := range []struct{ name, pkg string }{{helloName, "hello"}, {naiveName, "naive"}, {floorName, "oneread"}} {
		out := filepath.Join(dir, b.pkg, "bootstrap")
		if err := lambdahost.Build(ctx, root, "./infra/bench/baselines/"+b.pkg, out); err != nil {
			return nil, err
		}
		e := map[string]string{"TABLE_NAME": "cxloop-bench"}
		for k, v := range common {
			e[k] = v
		}
		targets = append(targets, &coldTarget{Name: b.name, Cfg: lambdahost.Config{Name: b.pkg, Binary: out, Env: e}, Event: []byte("{}")})
	}
	for i := range tpl.Functions {
		fn := &tpl.Functions[i]
		bin, ok := bins[fn.LogicalID]
		if !ok {
			continue
		}
		e := tpl.FunctionEnv(fn, "cxloop-bench", samtemplate.EnvFile{"Parameters": {
			"TOKEN_DEV_KEY": rig.DevKey, "BASE_URL": "http://127.0.0.1:9/", "STAGE": "bench"}})
		for k, v := range common {
			e[k] = v
		}
		event, err := sampleEvent(root, fn.Dir)
		if err != nil {
			return nil, err
		}
		// The template's timeout, as Lambda gives it: under the host's 3 s default the dispatcher
		// saw its deadline near and claimed nothing, so its first tick went unmeasured.
		targets = append(targets, &coldTarget{Name: fn.LogicalID, Cfg: lambdahost.Config{
			Name: fn.LogicalID, Binary: bin, Env: e, MemoryMB: fn.MemoryMB, Timeout: fn.Timeout}, Event: event})
	}
	for _, t := range targets {
		st, err := os.Stat(t.Cfg.Binary)
		if err != nil {
			return nil, err
		}
		t.Size = st.Size()
		t.Cfg.Logs = io.Discard
	}
	// One unmeasured start each, so the page cache holds every binary before the first sample.
	for _, t := range targets {
		if _, _, err := startOnce(ctx, t); err != nil {
			return nil, fmt.Errorf("%s: %w", t.Name, err)
		}
	}
	for range runs {
		firsts := make([][]time.Duration, len(targets))
		for round := range n {
			for j := range targets {
				k := (j + round) % len(targets)
				t := targets[k]
				init, first, err := startOnce(ctx, t)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", t.Name, err)
				}
				t.Inits = append(t.Inits, init)
				t.Firsts = append(t.Firsts, first)
				firsts[k] = append(firsts[k], first)
			}
		}
		for k, t := range targets {
			t.RunP50s = append(t.RunP50s, percentile(firsts[k], 50))
		}
	}
	return targets, nil
}

// startOnce starts one fresh process of t, invokes it once with its event, and returns the init
// duration and init plus that first invocation. A function error is a result like any other.
func startOnce(ctx context.Context, t *coldTarget) (init, first time.Duration, err error) {
	f := lambdahost.New(t.Cfg)
	defer f.Close()
	ds, err := f.Warm(ctx, 1)
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if _, err := f.Invoke(ctx, t.Event); err != nil {
		return 0, 0, err
	}
	return ds[0], ds[0] + time.Since(start), nil
}

// sampleEvent is the first of events/<package>-*.json for the function in dir, with its token
// placeholders left as they are (the invocation is then refused, after the same work).
func sampleEvent(root, dir string) ([]byte, error) {
	files, err := filepath.Glob(filepath.Join(root, "events", filepath.Base(dir)+"-*.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no sample event for %s in events/ (%v)", dir, err)
	}
	slices.Sort(files)
	return os.ReadFile(files[0])
}
