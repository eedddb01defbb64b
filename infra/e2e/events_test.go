package e2e_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/infra/local/rig"
	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/storetest"
)

// TestEverySampleEventRunsThroughItsFunctionsRealBootstrap invokes each events/*.json (the files
// `make invoke` and the docs use) on the built bootstrap of the function its name starts with,
// the way `make invoke` does (${PRODUCER_TOKEN} and ${OPS_TOKEN} filled in): none may fail, no
// HTTP sample may answer 5xx, and the authenticated ones must be let in. A sample that drifts
// from its function's contract fails here.
func TestEverySampleEventRunsThroughItsFunctionsRealBootstrap(t *testing.T) {
	t.Parallel()
	r := startRig(t, rig.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	producer, err := r.Store.CreateAPIToken(ctx, access.Producer, storetest.UniqueName("sample events producer"))
	if err != nil {
		t.Fatal(err)
	}
	admin, err := r.Store.CreateAPIToken(ctx, access.Admin, storetest.UniqueName("sample events admin"))
	if err != nil {
		t.Fatal(err)
	}
	byPrefix := map[string]string{}
	for _, fn := range r.Template.Functions {
		byPrefix[filepath.Base(fn.Dir)] = fn.LogicalID
	}
	files, err := filepath.Glob(filepath.Join(r.Template.Root, "events", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample events: %v", err)
	}
	covered := map[string]bool{}
	for _, path := range files {
		name := filepath.Base(path)
		prefix, _, _ := strings.Cut(name, "-")
		fn, ok := byPrefix[strings.TrimSuffix(prefix, ".json")]
		if !ok {
			t.Errorf("%s: no function in template.yaml for prefix %q", name, prefix)
			continue
		}
		covered[fn] = true
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		raw = []byte(strings.NewReplacer("${PRODUCER_TOKEN}", producer, "${OPS_TOKEN}", admin).Replace(string(raw)))
		res, err := r.InvokeResult(ctx, fn, json.RawMessage(raw))
		if err != nil {
			t.Fatalf("%s on %s: %v", name, fn, err)
		}
		if res.Failed() {
			t.Errorf("%s on %s: function error %s: %s", name, fn, res.ErrorType, res.Payload)
			continue
		}
		var http struct {
			StatusCode int `json:"statusCode"`
		}
		_ = json.Unmarshal(res.Payload, &http)
		switch {
		case http.StatusCode >= 500:
			t.Errorf("%s on %s answered %d", name, fn, http.StatusCode)
		case http.StatusCode == 401 || http.StatusCode == 403:
			t.Errorf("%s on %s was refused (%d): its token placeholder is not filled", name, fn, http.StatusCode)
		}
		t.Logf("%s -> %s: %.100s", name, fn, res.Payload)
	}
	for _, fn := range r.Template.Functions {
		if !covered[fn.LogicalID] {
			t.Errorf("%s has no sample event in events/", fn.LogicalID)
		}
	}
}
