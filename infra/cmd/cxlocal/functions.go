package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cxloop/cxloop/infra/local/stack"
)

func init() {
	register("functions", "list LogicalId and package dir of each function in template.yaml whose main.go exists (make build)", functions)
}

func functions(ctx context.Context, args []string) error {
	tpl, err := stack.Template()
	if err != nil {
		return err
	}
	for _, fn := range tpl.Functions {
		if _, err := os.Stat(filepath.Join(tpl.Root, fn.Dir, "main.go")); err == nil {
			fmt.Printf("%s %s\n", fn.LogicalID, fn.Dir)
		}
	}
	return nil
}
