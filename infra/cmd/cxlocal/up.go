package main

import (
	"context"
	"fmt"
	"os"

	"github.com/cxloop/cxloop/infra/local/stack"
)

func init() {
	register("up", "start the local stack in the background and write .local/env (harmless when already up)", up)
	register("status", "list the running local services; exit status 1 when none runs", status)
}

func up(ctx context.Context, args []string) error {
	cfg, err := stack.FromEnv()
	if err != nil {
		return err
	}
	opts := stack.Options{Out: os.Stdout}
	if _, ok := commands["serve"]; ok {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		opts.Serve = []string{exe, "serve"}
	} else {
		fmt.Println("this cxlocal has no serve command yet: the local HTTP API and event sources are not started")
	}
	env, err := stack.Up(ctx, cfg, opts)
	if err != nil {
		return err
	}
	fmt.Printf("\nlocal stack up (stop it with `make down`):\n  API          %s\n  DynamoDB     %s (table %s)\n  SES          %s\n  mail viewer  %s\n  environment  %s\n",
		env["API_URL"], env["AWS_ENDPOINT_URL_DYNAMODB"], env["TABLE_NAME"], env["AWS_ENDPOINT_URL_SESV2"], env["MAIL_VIEWER_URL"], cfg.EnvPath())
	return nil
}

func status(ctx context.Context, args []string) error {
	cfg, err := stack.FromEnv()
	if err != nil {
		return err
	}
	running := stack.Running(cfg)
	for name, pid := range running {
		fmt.Printf("%s running (pid %d)\n", name, pid)
	}
	if len(running) == 0 {
		return fmt.Errorf("the local stack is not running (start it with `make up`)")
	}
	return nil
}
