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
)

// coldTarget is one binary started again and again.
type coldTarget struct {
	Name  string
	Cfg   lambdahost.Config
	Size  int64
	Inits []time.Duration
}

// P50 and P95 of the init durations (nearest rank).
func (c *coldTarget) P50() time.Duration { return percentile(c.Inits, 50) }
func (c *coldTarget) P95() time.Duration { return percentile(c.Inits, 95) }

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (p*len(s)+99)/100 - 1
	return s[max(0, min(i, len(s)-1))]
}

// coldStarts builds every function and the two baselines with the deployed flags and starts each
// n times under the local runtime host, alternating binaries in every round (a different order
// each round, so no binary always follows the same one). Init is process start to the first
// /runtime/invocation/next poll, as the host measures it. Each function gets its template
// environment (TOKEN_DEV_KEY of 64 characters, endpoints on 127.0.0.1) so it initializes fully.
func coldStarts(ctx context.Context, root string, env benchEnv, n int) ([]*coldTarget, error) {
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
	for _, b := range []struct{ name, pkg string }{{helloName, "hello"}, {naiveName, "naive"}} {
		out := filepath.Join(dir, b.pkg, "bootstrap")
		if err := lambdahost.Build(ctx, root, "./infra/bench/baselines/"+b.pkg, out); err != nil {
			return nil, err
		}
		targets = append(targets, &coldTarget{Name: b.name, Cfg: lambdahost.Config{Name: b.pkg, Binary: out, Env: common}})
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
		targets = append(targets, &coldTarget{Name: fn.LogicalID, Cfg: lambdahost.Config{
			Name: fn.LogicalID, Binary: bin, Env: e, MemoryMB: fn.MemoryMB}})
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
		if _, err := startOnce(ctx, t.Cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", t.Name, err)
		}
	}
	for round := range n {
		for j := range targets {
			t := targets[(j+round)%len(targets)]
			d, err := startOnce(ctx, t.Cfg)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", t.Name, err)
			}
			t.Inits = append(t.Inits, d)
		}
	}
	return targets, nil
}

// startOnce starts one fresh process of cfg and returns its init duration.
func startOnce(ctx context.Context, cfg lambdahost.Config) (time.Duration, error) {
	f := lambdahost.New(cfg)
	defer f.Close()
	ds, err := f.Warm(ctx, 1)
	if err != nil {
		return 0, err
	}
	return ds[0], nil
}
