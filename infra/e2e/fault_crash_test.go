package e2e_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cxloop/cxloop/infra/local/fault"
	"github.com/cxloop/cxloop/infra/local/lambdahost"
	"github.com/cxloop/cxloop/infra/local/rig"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
)

// crashOnce hangs the first call matching match until the process making it dies.
type crashOnce struct {
	armed atomic.Bool
	match func(fault.Call) bool
	hit   atomic.Int64
}

func (c *crashOnce) script(call fault.Call) fault.Kind {
	if c.armed.Load() && c.match != nil && c.match(call) && c.armed.CompareAndSwap(true, false) {
		c.hit.Add(1)
		return fault.Hang
	}
	return fault.None
}

// TestFaultACrashBetweenClaimAndMarkIsResolvedWithoutADuplicateEmail kills the dispatcher's process
// (SIGKILL, as a crashed execution environment ends) while one invitation is claimed and not yet
// marked: once while its SendEmail is in flight and SES never got it, once after SES accepted
// it while the mark is in flight. Later ticks, two at once, must never send it again.
func TestFaultACrashBetweenClaimAndMarkIsResolvedWithoutADuplicateEmail(t *testing.T) {
	ses, ddb := &crashOnce{}, &crashOnce{}
	r := startRig(t, rig.Options{
		SESFaults: fault.Config{Script: ses.script},
		DDBFaults: fault.Config{Script: ddb.script},
	})
	ctx := context.Background()
	u := newRun(t, r, 0)

	tests := []struct {
		name      string
		arm       func(id, email string)
		delivered int // emails SES holds for the invitation in the end
	}{
		{"killed while SES had not got the email", func(id, email string) {
			ses.match = func(c fault.Call) bool { return c.Operation == "SendEmail" && bytes.Contains(c.Body, []byte(email)) }
			ses.armed.Store(true)
		}, 0},
		{"killed after SES accepted, while the mark was in flight", func(id, email string) {
			ddb.match = func(c fault.Call) bool {
				return c.Operation == "UpdateItem" && bytes.Contains(c.Body, []byte("EVENT#"+id)) && bytes.Contains(c.Body, []byte("messageId"))
			}
			ddb.armed.Store(true)
		}, 1},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := u.detail(1000 + i)
			email := d["contact"].(map[string]any)["email"].(string)
			id := store.EventKey(d["eventId"].(string))
			tc.arm(id, email)
			u.deliver(ctx, eventBridge(d))
			if inv, err := r.Store.GetInvitation(ctx, id); err != nil || inv.Status != invitation.StatusPending {
				t.Fatalf("touchpoint decided %+v (%v), want a pending invitation", inv, err)
			}

			// The tick claims the invitation, then hangs in the armed call; the process is killed there.
			done := make(chan lambdahost.Result, 1)
			go func() {
				res, err := r.InvokeResult(ctx, "DispatchFunction", tickEvent())
				if err != nil {
					t.Error(err)
				}
				done <- res
			}()
			deadline := time.Now().Add(20 * time.Second)
			for ses.hit.Load()+ddb.hit.Load() != int64(i+1) {
				if time.Now().After(deadline) {
					t.Fatal("the tick never reached the armed call")
				}
				time.Sleep(10 * time.Millisecond)
			}
			if n, err := r.Kill("DispatchFunction"); err != nil || n == 0 {
				t.Fatalf("kill the dispatcher: %d killed, %v", n, err)
			}
			if res := <-done; !res.Failed() {
				t.Fatalf("the killed tick answered %s", res.Payload)
			}
			inv, err := r.Store.GetInvitation(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if inv.Status != invitation.StatusSending {
				t.Fatalf("after the crash the invitation is %q, want sending (claimed, not marked)", inv.Status)
			}
			twoTicks(ctx, t, r) // while the lease holds: nothing to do
			if n := emailsTo(ctx, t, r, email); n != tc.delivered {
				t.Errorf("during the lease SES holds %d emails, want %d", n, tc.delivered)
			}
			lapse(ctx, t, r)
			for range 3 {
				twoTicks(ctx, t, r)
			}
			inv, err = r.Store.GetInvitation(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if inv.Status != invitation.StatusUnsure || !strings.Contains(inv.LastSendError, "lease") {
				t.Errorf("after the lease the invitation is %q (%q), want unsure with the lease named", inv.Status, inv.LastSendError)
			}
			if n := emailsTo(ctx, t, r, email); n != tc.delivered {
				t.Errorf("SES holds %d emails for the invitation, want %d: never resent", n, tc.delivered)
			}
		})
	}
}

func tickEvent() []byte {
	return []byte(`{"version":"0","id":"crash-tick","detail-type":"Scheduled Event","source":"aws.scheduler","account":"000000000000","time":"` +
		time.Now().UTC().Format(time.RFC3339) + `","region":"us-east-1","resources":[],"detail":"{}"}`)
}

func twoTicks(ctx context.Context, t *testing.T, r *rig.Rig) {
	t.Helper()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, err := r.Tick(ctx, "DispatchFunction"); err != nil {
				t.Errorf("tick: %v", err)
			}
		})
	}
	wg.Wait()
}

// lapse lets the claim's lease end: in the soak it waits the real lease, in the short suite it
// moves the due keys as if the time had passed (rig.ElapseWaits).
func lapse(ctx context.Context, t *testing.T, r *rig.Rig) {
	t.Helper()
	if soak {
		time.Sleep(store.DispatchLease + 5*time.Second)
		return
	}
	if _, err := r.ElapseWaits(ctx); err != nil {
		t.Fatal(err)
	}
}

func emailsTo(ctx context.Context, t *testing.T, r *rig.Rig, addr string) int {
	t.Helper()
	es, err := r.Emails(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}
