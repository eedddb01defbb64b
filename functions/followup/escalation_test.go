package main

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cxloop/cxloop/infra/local/fault"
	"github.com/cxloop/cxloop/shared/storetest"
	"github.com/cxloop/cxloop/shared/ticket"
)

// overdueEmails counts the team's escalation emails.
func overdueEmails(t *testing.T, addr string) int {
	t.Helper()
	n := 0
	for _, m := range storetest.EmailsTo(t, addr) {
		if strings.Contains(m.Subject, "Overdue") {
			n++
		}
	}
	return n
}

// overdueTicket opens an answer ticket through the stream (its new-ticket email sent) and moves
// the handler's clock past the ticket's SLA (48 hours for the shipped rule).
func overdueTicket(t *testing.T, h *Handler, inv string) string {
	t.Helper()
	created := time.Now().UTC()
	if resp := stream(t, h, answerEvent(t, inv, "cust-"+inv, 4, created)); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("open the ticket: %+v", resp)
	}
	later := created.Add(49 * time.Hour)
	h.Now = func() time.Time { return later }
	h.Store.Now = h.Now
	return ticket.AnswerID(inv)
}

// A write whose answer is lost is retried by the SDK; the retry of an applied claim or escalation
// fails its condition, and must still be read as this call's own write, or the notification it
// was taken for is never sent (a claim "held by another" is left alone).
func TestAWriteWhoseAnswerIsLostStillNotifiesOnce(t *testing.T) {
	t.Parallel()
	t.Run("the new ticket's claim", func(t *testing.T) {
		t.Parallel()
		h, rcv, addr := fixture(t)
		var hit atomic.Bool
		inj := faultyAttempts(t, h, 3, func(c fault.Call) fault.Kind {
			if on(c, "PutItem", `"NOTIFY#new"`) && hit.CompareAndSwap(false, true) {
				return fault.TimeoutAfter
			}
			return fault.None
		})
		ev := answerEvent(t, "inv-lost-claim", "cust-lost-claim", 2, time.Now())
		if resp := stream(t, h, ev); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("the delivery failed (%+v); the SDK's retry should have kept its own claim", resp)
		}
		if !hit.Load() {
			t.Fatalf("the fault never fired: %s", inj.Summary())
		}
		if n := len(storetest.EmailsTo(t, addr)); n != 1 {
			t.Fatalf("team got %d emails, want 1 (faults: %s)", n, inj.Summary())
		}
		if hooks, _ := rcv.got(); len(hooks) != 1 {
			t.Fatalf("webhook got %d bodies, want 1", len(hooks))
		}
	})
	for _, c := range []struct {
		name string
		op   string
		key  string
	}{
		{"the escalation's claim", "PutItem", `"NOTIFY#escalation"`},
		{"the escalation itself", "UpdateItem", `escalatedAt`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h, _, addr := fixture(t)
			id := overdueTicket(t, h, "inv-lost-"+strings.ReplaceAll(c.key, `"`, ""))
			var hit atomic.Bool
			inj := faultyAttempts(t, h, 3, func(call fault.Call) fault.Kind {
				if on(call, c.op, c.key) && hit.CompareAndSwap(false, true) {
					return fault.TimeoutAfter
				}
				return fault.None
			})
			res, err := h.CheckSLA(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !hit.Load() {
				t.Fatalf("the fault never fired: %s", inj.Summary())
			}
			if res.Escalated != 1 || overdueEmails(t, addr) != 1 {
				t.Fatalf("tick = %+v, escalation emails %d; want one escalation notified once (faults: %s)",
					res, overdueEmails(t, addr), inj.Summary())
			}
			tk, _ := h.Store.GetTicket(context.Background(), id)
			if d := tk.Notifications[NotifyEscalation]; d.Email != StateSent {
				t.Fatalf("escalation delivery = %+v", d)
			}
			if res, _ := h.CheckSLA(context.Background()); res.Overdue != 0 || overdueEmails(t, addr) != 1 {
				t.Fatalf("a second tick = %+v, escalation emails %d", res, overdueEmails(t, addr))
			}
		})
	}
}

// An escalation whose notification could not start (the ticket's read failing after the SDK's
// retries) is notified by the next tick, once; the tick after finds nothing to do.
func TestAnEscalationWhoseNotificationCouldNotStartIsNotifiedByTheNextTick(t *testing.T) {
	t.Parallel()
	h, rcv, addr := fixture(t)
	id := overdueTicket(t, h, "inv-esc-retry")
	var escalated, failed atomic.Bool
	faulty(t, h, func(c fault.Call) fault.Kind {
		if on(c, "UpdateItem", "escalatedAt") {
			escalated.Store(true)
		}
		if escalated.Load() && on(c, "GetItem", `"TICKET#`, `"TICKET"`) && failed.CompareAndSwap(false, true) {
			return fault.ServerError
		}
		return fault.None
	})
	ctx := context.Background()
	first, err := h.CheckSLA(ctx)
	if err != nil || first.Escalated != 1 || overdueEmails(t, addr) != 0 || !failed.Load() {
		t.Fatalf("first tick = %+v %v, escalation emails %d, fault fired %v; want escalated, not notified",
			first, err, overdueEmails(t, addr), failed.Load())
	}
	second, err := h.CheckSLA(ctx)
	if err != nil || second.Escalated != 0 || second.Renotified != 1 || overdueEmails(t, addr) != 1 {
		t.Fatalf("second tick = %+v %v, escalation emails %d; want the escalation notified once", second, err, overdueEmails(t, addr))
	}
	if hooks, _ := rcv.got(); len(hooks) != 2 || hooks[1].Type != "ticket.escalated" {
		t.Fatalf("webhooks = %+v", hooks)
	}
	third, err := h.CheckSLA(ctx)
	if err != nil || third.Overdue != 0 || overdueEmails(t, addr) != 1 {
		t.Fatalf("third tick = %+v %v, escalation emails %d; want nothing left", third, err, overdueEmails(t, addr))
	}
	tk, _ := h.Store.GetTicket(ctx, id)
	if d := tk.Notifications[NotifyEscalation]; d.Email != StateSent || d.Webhook != StateDelivered {
		t.Fatalf("escalation delivery = %+v", d)
	}
}

// A claim whose holder ended between the claim and its record (a killed invocation) is never
// sent again: once it is older than any invocation runs, the outcome is recorded as unknown on
// the ticket, which takes the escalation off the tick's list.
func TestAStaleClaimIsRecordedAsUnknownNotSentAgain(t *testing.T) {
	t.Parallel()
	h, _, addr := fixture(t)
	id := overdueTicket(t, h, "inv-stale-claim")
	ctx := context.Background()
	due, err := h.Store.OverdueTickets(ctx, h.now())
	if err != nil || len(due) != 1 {
		t.Fatalf("overdue = %v %v", due, err)
	}
	if ok, err := h.Store.Escalate(ctx, &due[0]); err != nil || !ok {
		t.Fatalf("escalate = %v %v", ok, err)
	}
	if _, ok, err := h.Store.ClaimNotification(ctx, id, NotifyEscalation); err != nil || !ok {
		t.Fatalf("claim = %v %v", ok, err) // the killed invocation's claim: nothing sent or recorded
	}
	soon, err := h.CheckSLA(ctx)
	if err != nil || soon.Renotified != 1 || overdueEmails(t, addr) != 0 {
		t.Fatalf("tick while the claim may be live = %+v %v, escalation emails %d", soon, err, overdueEmails(t, addr))
	}
	if tk, _ := h.Store.GetTicket(ctx, id); tk.Notified(NotifyEscalation) {
		t.Fatalf("a live claim's notification was recorded: %+v", tk.Notifications)
	}
	late := h.now().Add(staleClaim + time.Minute)
	h.Now = func() time.Time { return late }
	h.Store.Now = h.Now
	if _, err := h.CheckSLA(ctx); err != nil {
		t.Fatal(err)
	}
	tk, _ := h.Store.GetTicket(ctx, id)
	if d := tk.Notifications[NotifyEscalation]; d.Email != StateUnknown || !strings.Contains(d.Error, "not sent again") {
		t.Fatalf("stale claim's delivery = %+v, want unknown", d)
	}
	if res, err := h.CheckSLA(ctx); err != nil || res.Overdue != 0 || overdueEmails(t, addr) != 0 {
		t.Fatalf("tick after = %+v %v, escalation emails %d", res, err, overdueEmails(t, addr))
	}
}
