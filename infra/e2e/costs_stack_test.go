package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/cxloop/cxloop/shared/access"
)

// On the local stack the Costs API meters with the local host's counters: the functions'
// invocations and durations and the HTTP API's requests since the stack started, the request
// units estimated (DynamoDB Local meters none). The rig's TicketsFunction reads them through the
// local API, as a deployed one reads CloudWatch.
func TestTheCostsAPIMetersWithTheLocalHostsCountersLocally(t *testing.T) {
	r := consoleRig(t)
	tok, err := r.Store.CreateAPIToken(context.Background(), access.Viewer, "costs")
	if err != nil {
		t.Fatal(err)
	}
	get := func() map[string]any {
		req, _ := http.NewRequest(http.MethodGet, r.BaseURL+"/ops/costs", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /ops/costs: %d %s", resp.StatusCode, body)
		}
		var out map[string]any
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	get() // the first call is itself an invocation and a request the second one sees
	out := get()
	usage, _ := out["usage"].(map[string]any)
	if out["usageSource"] != "local host" {
		t.Fatalf("usage source %v, want the local host's counters: %v", out["usageSource"], out)
	}
	if n, _ := usage["lambdaRequests"].(float64); n < 1 {
		t.Fatalf("the local host counted no invocation: %v", usage)
	}
	if n, _ := usage["httpRequests"].(float64); n < 1 {
		t.Fatalf("the local API counted no request: %v", usage)
	}
	if gbs, _ := usage["lambdaGBSeconds"].(float64); gbs <= 0 {
		t.Fatalf("no duration metered: %v", usage)
	}
}
