package sources_test

import (
	"context"
	"encoding/json"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/infra/local/lambdahost"
	"github.com/cxloop/cxloop/infra/local/lambdahost/lambdatest"
	"github.com/cxloop/cxloop/infra/local/samtemplate"
)

// recorder invokes the test function and keeps every payload each function received.
type recorder struct {
	host *lambdahost.Host
	mu   sync.Mutex
	got  map[string][][]byte
}

func newRecorder(t *testing.T, functions ...string) *recorder {
	t.Helper()
	bin := lambdatest.Binary(t)
	var cfgs []lambdahost.Config
	for _, fn := range functions {
		cfgs = append(cfgs, lambdahost.Config{Name: fn, Binary: bin, Logs: io.Discard, Timeout: 10 * time.Second})
	}
	r := &recorder{host: lambdahost.NewHost(cfgs...), got: map[string][][]byte{}}
	t.Cleanup(func() { _ = r.host.Close() })
	return r
}

func (r *recorder) Invoke(ctx context.Context, fn string, payload []byte) (lambdahost.Result, error) {
	r.mu.Lock()
	r.got[fn] = append(r.got[fn], payload)
	r.mu.Unlock()
	return r.host.Invoke(ctx, fn, payload)
}

func (r *recorder) payloads(fn string) [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.got[fn]...)
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func loadTemplate(t *testing.T) *samtemplate.Template {
	t.Helper()
	tpl, err := samtemplate.Load("../../../template.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}
