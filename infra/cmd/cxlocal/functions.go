package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cxloop/cxloop/infra/local/samtemplate"
	"github.com/cxloop/cxloop/infra/local/stack"
)

func init() {
	register("functions", "list LogicalId and package dir of each function in template.yaml whose main.go exists (make build)", functions)
}

func functions(ctx context.Context, args []string) error {
	root, err := stack.FindRoot()
	if err != nil {
		return err
	}
	tpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"), nil)
	if err != nil {
		return err
	}
	for _, fn := range tpl.Functions {
		if _, err := os.Stat(filepath.Join(root, fn.Dir, "main.go")); err == nil {
			fmt.Printf("%s %s\n", fn.LogicalID, fn.Dir)
		}
	}
	return nil
}
