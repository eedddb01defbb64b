package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"github.com/cxloop/cxloop/infra/local/lambdahost"
)

func init() {
	register("invoke", "[-n N] [-env env.json] [-no-build] FN EVENT: run a function's real bootstrap once (or N times) on EVENT (a file, or - for stdin)", invoke)
}

// errFunctionFailed makes cxlocal exit non-zero after a function error (already printed).
var errFunctionFailed = errors.New("the function returned an error")

// invoke is the stand-in for `sam local invoke`: it builds FN's bootstrap for this machine, runs
// it under the local Runtime API host with template.yaml's environment plus .local/env and
// env.json, prints each result on stdout (one JSON document per line) and the function's logs and
// REPORT lines (with the init duration of the cold start) on stderr.
func invoke(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	n := fs.Int("n", 1, "invoke the same event this many times (the first is a cold start)")
	envJSON := fs.String("env", "", "env.json with variable overrides (default: env.json at the repository root)")
	noBuild := fs.Bool("no-build", false, "use bin/<FN>/bootstrap as it is")
	var pos []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		pos, rest = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
	if len(pos) != 2 || *n < 1 {
		return fmt.Errorf("usage: cxlocal invoke [-n N] [-env env.json] FN EVENT")
	}
	id, eventPath := pos[0], pos[1]
	d, err := loadDeployment(*envJSON)
	if err != nil {
		return err
	}
	fn, ok := d.tpl.Function(id)
	if !ok {
		return fmt.Errorf("no function %s in template.yaml", id)
	}
	event, err := readEvent(d.root, eventPath)
	if err != nil {
		return err
	}
	event = expandEvent(event, d.localEnv)
	if !*noBuild {
		if err := d.build(ctx, fn); err != nil {
			return err
		}
	}
	f := lambdahost.New(d.hostConfig(fn, os.Stderr))
	defer f.Close()
	failed := false
	for i := 0; i < *n; i++ {
		res, err := f.Invoke(ctx, event)
		if err != nil {
			return err
		}
		fmt.Println(string(res.Payload))
		if res.Failed() {
			failed = true
			fmt.Fprintf(os.Stderr, "function error (%s) on invoke %d of %d\n", res.ErrorType, i+1, *n)
		}
	}
	if failed {
		return errFunctionFailed
	}
	return nil
}

func readEvent(root, path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(os.Stdin)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !filepath.IsAbs(path) {
		// make runs from the root; a relative path from elsewhere is tried against the root too.
		b, err = os.ReadFile(filepath.Join(root, path))
	}
	if err != nil {
		return nil, fmt.Errorf("read event: %w", err)
	}
	return b, nil
}

var placeholder = regexp.MustCompile(`\$\{([A-Z][A-Z0-9_]*)\}`)

// expandEvent replaces ${NAME} in a sample event with NAME from .local/env (the sample API events
// carry ${PRODUCER_TOKEN} and ${OPS_TOKEN}, which differ per stack). Unknown names stay as they are.
func expandEvent(event []byte, env map[string]string) []byte {
	return placeholder.ReplaceAllFunc(event, func(m []byte) []byte {
		if v, ok := env[string(m[2:len(m)-1])]; ok {
			return []byte(v)
		}
		return m
	})
}
