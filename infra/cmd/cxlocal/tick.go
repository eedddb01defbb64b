package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

func init() {
	register("tick", "fire a function's schedule now on the running local stack: cxlocal tick ScoreFunction", tick)
}

// tick fires one function's schedule through the local scheduler, as its next scheduled tick
// would, and prints what the function returned.
func tick(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: cxlocal tick <LogicalId> (a function with a schedule in template.yaml)")
	}
	_, env, err := runningStack()
	if err != nil {
		return err
	}
	out, err := post(ctx, env["API_URL"]+"/_local/schedules/"+args[0], nil)
	if err != nil {
		return err
	}
	var results []struct {
		FunctionError string
		ErrorType     string
		Duration      time.Duration
	}
	if err := json.Unmarshal([]byte(out), &results); err != nil {
		return fmt.Errorf("%s: unexpected answer from the local scheduler: %s", args[0], out)
	}
	for _, r := range results {
		if r.FunctionError != "" {
			return fmt.Errorf("%s failed: %s %s (see .local/logs/serve.log)", args[0], r.ErrorType, r.FunctionError)
		}
		fmt.Printf("%s ran (%v)\n", args[0], r.Duration.Round(time.Millisecond))
	}
	return nil
}
