// Package lambdatest builds the local Lambda host's test function (infra/local/lambdahost/testdata/fn)
// for the tests of the host, the HTTP API and the event sources.
package lambdatest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/cxloop/cxloop/infra/local/lambdahost"
)

var (
	once  sync.Once
	built string
	err   error
)

// Binary builds the test function once per test binary and returns the bootstrap's path.
// The echo action returns the event, the function's name, GREETING and the request id;
// {"action":"error"} fails with errorType ValidationError, "panic" panics, "exit" exits,
// {"action":"reply","reply":X} returns X, and a DynamoDB stream record whose key PK starts with
// "fail" is reported as a batch item failure.
func Binary(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		src := filepath.Join(filepath.Dir(file), "..", "testdata", "fn")
		// One build per test binary (go's cache makes it quick), renamed into one shared path so
		// nothing piles up in the temp dir; processes already running keep their old file.
		dir := filepath.Join(os.TempDir(), "cxloop-lambdatest")
		if err = os.MkdirAll(dir, 0o755); err != nil {
			return
		}
		tmp := filepath.Join(dir, fmt.Sprintf("bootstrap-%d", os.Getpid()))
		if err = lambdahost.Build(context.Background(), src, ".", tmp); err != nil {
			return
		}
		built = filepath.Join(dir, "bootstrap")
		err = os.Rename(tmp, built)
	})
	if err != nil {
		t.Fatalf("build test function: %v", err)
	}
	return built
}
