package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cxloop/cxloop/infra/local/fault"
	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/storetest"
)

// A close-the-loop claim that fails after the SDK's retries (its write may have landed with the
// answer lost) sends nothing and says so on the ticket: the delivery is recorded as failed and
// the history notes it, so the agent knows the customer got no email.
func TestAFailedCloseTheLoopClaimIsRecordedNotSilent(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	ctx := context.Background()
	stamp := time.Now().UnixNano()
	addr := fmt.Sprintf("closeloop-claim-%d@example.com", stamp)
	id := f.openTicket(t, fmt.Sprintf("inv-clc-%d", stamp), fmt.Sprintf("cust-clc-%d", stamp), addr)

	inj := fault.New(nil, fault.Config{Script: func(c fault.Call) fault.Kind {
		if c.Operation == "PutItem" && strings.Contains(string(c.Body), `"NOTIFY#closeloop"`) {
			return fault.TimeoutAfter
		}
		return fault.None
	}})
	db := storetest.Client(t, func(o *dynamodb.Options) {
		o.HTTPClient = &http.Client{Transport: inj}
		o.RetryMaxAttempts = 1
	})
	st := store.New(db, f.h.Store.Table)
	f.h.Store = st

	resp := f.call(t, "PATCH", "/ops/tickets/"+id, f.tokens[access.Agent], `{"status":"resolved","closeLoop":true}`, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("resolve = %d %s", resp.StatusCode, resp.Body)
	}
	if got := storetest.EmailsTo(t, addr); len(got) != 0 {
		t.Fatalf("%d close-the-loop emails went out under a failed claim", len(got))
	}
	tk, err := st.GetTicket(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d := tk.Notifications["closeloop"]; d.Email != "failed" || !strings.Contains(d.Error, "claim") {
		t.Fatalf("close-the-loop delivery = %+v, want failed on its claim (faults: %s)", d, inj.Summary())
	}
	last := tk.History[len(tk.History)-1]
	if last.Action != "closeloop" || !strings.Contains(last.Text, "failed") {
		t.Fatalf("last history event = %+v, want the failed close-the-loop noted", last)
	}
}
