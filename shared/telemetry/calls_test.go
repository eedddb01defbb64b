package telemetry

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestEveryLogCallCarriesItsContextAndOneErrorKey reads the functions' and shared packages' code:
// a log call without the invocation's context loses its requestId (lambdacontext's handler takes
// it from the context), and an error logged under another key than "error" escapes a query on
// that key. Init's own failure is the one call made before any invocation.
func TestEveryLogCallCarriesItsContextAndOneErrorKey(t *testing.T) {
	fset := token.NewFileSet()
	levels := map[string]bool{"Debug": true, "Info": true, "Warn": true, "Error": true}
	checked := 0
	for _, root := range []string{"../../functions", "../../shared"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				name := sel.Sel.Name
				if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "slog" && levels[name] {
					t.Errorf("%s: slog.%s has no context: use slog.%sContext(ctx, ...)", fset.Position(call.Pos()), name, name)
				}
				if !levels[strings.TrimSuffix(name, "Context")] || !strings.HasSuffix(name, "Context") {
					return true
				}
				checked++
				for _, a := range call.Args {
					if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						if key, _ := strconv.Unquote(lit.Value); key == "err" {
							t.Errorf("%s: an error logged as %q: the key is \"error\"", fset.Position(lit.Pos()), key)
						}
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 20 {
		t.Fatalf("found only %d log calls: the walk missed the code", checked)
	}
}
