package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/cxloop/cxloop/infra/local/stack"
	"github.com/cxloop/cxloop/shared/store"
)

func init() {
	register("token", "ROLE [NAME]: print a new API token for ROLE (producer, viewer, agent, admin)", token)
}

func token(ctx context.Context, args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return fmt.Errorf("usage: cxlocal token ROLE [NAME]")
	}
	role, name := args[0], "local "+args[0]
	if len(args) == 2 {
		name = args[1]
	}
	_, env, err := runningStack()
	if err != nil {
		return err
	}
	raw, err := store.New(stack.Client(env["AWS_ENDPOINT_URL_DYNAMODB"]), env["TABLE_NAME"]).CreateAPIToken(ctx, strings.ToLower(role), name)
	if err != nil {
		return err
	}
	fmt.Println(raw)
	return nil
}
