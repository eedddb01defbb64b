package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cxloop/cxloop/infra/local/stack"
	"github.com/cxloop/cxloop/shared/store"
)

func init() {
	register("token", "ROLE [NAME]: print a new API token for ROLE (producer, viewer, agent, admin); NAME is unique", token)
}

func token(ctx context.Context, args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return fmt.Errorf("usage: cxlocal token ROLE [NAME]")
	}
	// Without a name, a fresh one each time: names are unique, and this is run again and again.
	role, name := args[0], fmt.Sprintf("local %s %d", args[0], time.Now().Unix())
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
