package main

import (
	"context"
	"os"

	"github.com/cxloop/cxloop/infra/localstack"
)

func init() {
	register("down", "stop what `up` started (by pid) and remove .local/env", down)
}

func down(ctx context.Context, args []string) error {
	cfg, err := localstack.FromEnv()
	if err != nil {
		return err
	}
	return localstack.Down(cfg, os.Stdout)
}
