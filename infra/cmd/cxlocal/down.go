package main

import (
	"context"
	"os"

	"github.com/cxloop/cxloop/infra/local/stack"
)

func init() {
	register("down", "stop what `up` started (by pid) and remove .local/env", down)
}

func down(ctx context.Context, args []string) error {
	cfg, err := stack.FromEnv()
	if err != nil {
		return err
	}
	return stack.Down(cfg, os.Stdout)
}
