package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/mail"
	"github.com/cxloop/cxloop/shared/store"
)

// crashAfterClaim claims inv as a dispatcher that then dies before marking, and lets the lease end:
// the next tick finds the claim lapsed and marks the invitation unsure.
func (f *fixture) crashAfterClaim(inv *store.Invitation) {
	f.t.Helper()
	ctx := context.Background()
	due, _, err := f.st.DuePage(ctx, store.DueShard(inv.ID), f.clock.Now(), 10, nil)
	if err != nil || len(due) != 1 {
		f.t.Fatalf("due: %v %d", err, len(due))
	}
	c, err := f.st.ClaimDue(ctx, &due[0], f.clock.Now())
	if err != nil || c.Outcome != store.ClaimInvite {
		f.t.Fatalf("claim: %v %v", err, c)
	}
	// The lease is a non-key attribute: the claim leaves the due key (and the index entry's place)
	// where it was, so the tick below meets the item and must leave it alone.
	if cur := f.get(inv.ID); cur.GSI4SK != due[0].GSI4SK || cur.LeaseUntil == nil || !cur.LeaseUntil.Equal(f.clock.Now().Add(store.DispatchLease)) {
		f.t.Fatalf("after the claim: due key %q (was %q), lease until %v", cur.GSI4SK, due[0].GSI4SK, cur.LeaseUntil)
	}
	if s := f.tick(); s.Claimed != 0 || s.Sent != 0 {
		f.t.Fatalf("a tick during the lease touched the claim: %+v", s)
	}
	if cur := f.get(inv.ID); cur.Status != invitation.StatusSending || cur.SendAttempts != c.Inv.SendAttempts {
		f.t.Fatalf("a tick during the lease changed the claim: status %q, attempts %d", cur.Status, cur.SendAttempts)
	}
	f.clock.Add(store.DispatchLease + time.Second)
	if s := f.tick(); s.Unsure != 1 || s.Sent != 0 {
		f.t.Fatalf("tick after the lease: %+v, want one unsure and nothing sent", s)
	}
	// The dead dispatcher's late mark changes nothing.
	if err := f.st.MarkSent(ctx, c, "late-id", f.clock.Now()); err == nil {
		f.t.Error("a mark after the lease ended succeeded")
	}
}

func TestAnUnsureSendWithoutASendEventIsResentOnceAfterTheWindow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.put(invite{locale: "en", dueIn: -time.Minute, reminder: 3 * day})
	f.crashAfterClaim(inv)
	after := f.get(inv.ID)
	if after.Status != invitation.StatusUnsure || after.SentAt == nil || after.GSI3PK == "" ||
		after.GSI4SK != store.FormatTime(after.SentAt.Add(store.DefaultResendAfter)) {
		t.Fatalf("status %q due %q feed %q: want unsure, due at the end of the window, on the feed", after.Status, after.GSI4SK, after.GSI3PK)
	}
	// Inside the window nothing is sent.
	f.clock.Add(store.DefaultResendAfter - time.Minute)
	if s := f.tick(); s.Claimed != 0 {
		t.Fatalf("tick inside the window: %+v", s)
	}
	f.clock.Add(2 * time.Minute)
	if s := f.tick(); s.Sent != 1 || s.Resent != 1 {
		t.Fatalf("tick after the window: %+v, want the one resend", s)
	}
	resent := f.get(inv.ID)
	if resent.Status != invitation.StatusSent || resent.ResentAt == nil || resent.MessageID == "" || resent.GSI4PK != "" ||
		!resent.SentAt.Equal(*after.SentAt) {
		t.Errorf("after the resend: status %q resentAt %v messageId %q due %q sentAt %v", resent.Status, resent.ResentAt, resent.MessageID, resent.GSI4PK, resent.SentAt)
	}
	// The first email's Send event, only now arriving, proves a double: counted, nothing changes.
	out, err := f.st.SettleBySendEvent(context.Background(), inv.ID, "first-msg", *after.SentAt)
	if err != nil || out != store.SettleLate {
		t.Errorf("late event: %q %v, want %q", out, err, store.SettleLate)
	}
	if again := f.get(inv.ID); again.Status != invitation.StatusSent || again.MessageID != resent.MessageID {
		t.Errorf("a late event changed the resent invitation: %+v", again)
	}
	// Never a third email: no reminder after a resend either.
	f.clock.Add(4 * day)
	f.tick()
	got := f.emails(inv)
	if len(got) != 1 {
		t.Fatalf("%d emails, want exactly the resend", len(got))
	}
}

func TestASendEventSettlesTheUnsureSendAndNothingIsResent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	inv := f.put(invite{locale: "en", dueIn: -time.Minute, reminder: 3 * day})
	f.crashAfterClaim(inv)
	unsure := f.get(inv.ID)
	out, err := f.st.SettleBySendEvent(ctx, inv.ID, "ses-msg-1", f.clock.Now().Add(-store.DispatchLease))
	if err != nil || out != store.SettleSent {
		t.Fatalf("settle: %q %v", out, err)
	}
	after := f.get(inv.ID)
	if after.Status != invitation.StatusSent || after.MessageID != "ses-msg-1" || after.SettledBy != "send-event" ||
		after.GSI4SK != store.FormatTime(unsure.SentAt.Add(3*day)) {
		t.Fatalf("settled: status %q messageId %q settledBy %q due %q", after.Status, after.MessageID, after.SettledBy, after.GSI4SK)
	}
	// A redelivered event changes nothing.
	if out, err := f.st.SettleBySendEvent(ctx, inv.ID, "ses-msg-1", f.clock.Now()); err != nil || out != store.SettleUnchanged {
		t.Fatalf("redelivered: %q %v", out, err)
	}
	if again := f.get(inv.ID); again.SendAttempts != after.SendAttempts || again.GSI4SK != after.GSI4SK || again.Status != after.Status {
		t.Errorf("a redelivered event changed the item: %+v", again)
	}
	// The window passes: nothing is resent. The reminder goes out when planned.
	f.clock.Add(2 * store.DefaultResendAfter)
	if s := f.tick(); s.Claimed != 0 {
		t.Fatalf("tick after the window: %+v, want nothing", s)
	}
	f.clock.Add(3 * day)
	if s := f.tick(); s.Reminders != 1 || s.Resent != 0 {
		t.Fatalf("reminder tick: %+v", s)
	}
	// Send events for the reminder or for unknown invitations change nothing.
	for _, id := range []string{inv.ID, "nosuchinvitation00000000000"} {
		if out, err := f.st.SettleBySendEvent(ctx, id, "ses-msg-2", f.clock.Now()); err != nil || out != store.SettleUnchanged {
			t.Errorf("%s: %q %v", id, out, err)
		}
	}
}

// hangupSES drops the connection after reading every send: an unknown outcome, and nothing sent.
func hangupSES(t *testing.T) (*mail.Client, func() int) {
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	t.Cleanup(srv.Close)
	return sesClient(t, srv.URL), func() int { mu.Lock(); defer mu.Unlock(); return calls }
}

func TestAnUnsureResendIsNeverSentAThirdTime(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.put(invite{dueIn: -time.Minute, reminder: 3 * day})
	var calls func() int
	f.h.Mail, calls = hangupSES(t)
	if s := f.tick(); s.Unsure != 1 {
		t.Fatalf("first send: %+v, want unsure", s)
	}
	f.clock.Add(store.DefaultResendAfter + time.Minute)
	if s := f.tick(); s.Unsure != 1 || s.Claimed != 1 {
		t.Fatalf("resend: %+v, want claimed and unsure again", s)
	}
	after := f.get(inv.ID)
	if after.Status != invitation.StatusUnsure || after.ResentAt == nil || after.GSI4SK != store.FormatTime(after.ResentAt.Add(store.DefaultResendAfter)) {
		t.Fatalf("after an unsure resend: status %q resentAt %v due %q, want unsure, resent, due at the end of its window", after.Status, after.ResentAt, after.GSI4SK)
	}
	// No Send event in its window either: stopped with the reason, never sent a third time.
	f.clock.Add(store.DefaultResendAfter + time.Minute)
	if s := f.tick(); s.Stopped != 1 || s.Claimed != 0 {
		t.Fatalf("tick after the resend's window: %+v, want it stopped", s)
	}
	stopped := f.get(inv.ID)
	if stopped.Stopped != invitation.StopUnsure || stopped.GSI4PK != "" {
		t.Fatalf("after the resend's window: stopped %q due %q, want %q and nothing due", stopped.Stopped, stopped.GSI4PK, invitation.StopUnsure)
	}
	for range 3 {
		f.clock.Add(2 * day)
		f.tick()
	}
	if n := calls(); n != 2 {
		t.Errorf("%d sends, want 2 (the first and the one resend)", n)
	}
}

// An unsure resend that SES did accept is settled by its Send event within the window: sent, and
// nothing is stopped.
func TestAnUnsureResendIsSettledByItsSendEvent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.put(invite{dueIn: -time.Minute, reminder: 3 * day})
	f.h.Mail, _ = hangupSES(t)
	f.tick()
	f.clock.Add(store.DefaultResendAfter + time.Minute)
	f.tick()
	after := f.get(inv.ID)
	if out, err := f.st.SettleBySendEvent(context.Background(), inv.ID, "ses-msg-2", *after.ResentAt); err != nil || out != store.SettleSent {
		t.Fatalf("settle the resend: %q %v", out, err)
	}
	f.clock.Add(store.DefaultResendAfter + time.Minute)
	if s := f.tick(); s.Stopped != 0 || s.Claimed != 0 {
		t.Fatalf("tick after the window: %+v, want nothing", s)
	}
	if got := f.get(inv.ID); got.Status != invitation.StatusSent || got.Stopped != "" || got.MessageID != "ses-msg-2" || got.GSI4PK != "" {
		t.Fatalf("settled resend: status %q stopped %q messageId %q due %q", got.Status, got.Stopped, got.MessageID, got.GSI4PK)
	}
}

func TestAResendGoesOnlyToWhoStillWantsIt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		during func(f *fixture, inv *store.Invitation)
		want   string
	}{
		{"answered", func(f *fixture, inv *store.Invitation) {
			f.set(inv.PK, inv.SK, map[string]any{"stopped": invitation.StopAnswered, "score": 9})
		}, invitation.StopAnswered},
		{"unsubscribed", func(f *fixture, inv *store.Invitation) {
			f.set("CONTACT#"+inv.ContactID, "STATE", map[string]any{"unsubscribedAt": f.clock.Now()})
		}, invitation.StopUnsubscribed},
		{"suppressed", func(f *fixture, inv *store.Invitation) {
			if err := f.st.Suppress(context.Background(), strings.ToUpper(inv.Email), store.SuppressBounce, f.clock.Now()); err != nil {
				t.Fatal(err)
			}
		}, invitation.StopSuppressed},
		{"erased", func(f *fixture, inv *store.Invitation) {
			f.set(inv.PK, inv.SK, map[string]any{"GSI1PK": "CONTACT#" + inv.ContactID, "GSI1SK": "DEC#" + store.FormatTime(inv.OccurredAt) + "#" + inv.ID})
			if _, err := f.st.EraseContact(context.Background(), inv.ContactID); err != nil {
				t.Fatal(err)
			}
		}, invitation.StopErased},
		{"link expired", func(f *fixture, inv *store.Invitation) {
			f.clock.Add(2 * day)
		}, invitation.StopExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			inv := f.put(invite{dueIn: -time.Minute, expiry: day})
			f.crashAfterClaim(inv)
			tt.during(f, inv)
			f.clock.Add(store.DefaultResendAfter + time.Minute)
			if s := f.tick(); s.Sent != 0 {
				t.Fatalf("tick after the window: %+v, want nothing sent", s)
			}
			after := f.get(inv.ID)
			if after.Stopped != tt.want || after.GSI4PK != "" {
				t.Errorf("stopped %q due %q, want %q and nothing due", after.Stopped, after.GSI4PK, tt.want)
			}
			f.tick()
			if n := len(emailIDs(f, inv)); n != 0 {
				t.Errorf("%d emails, want none", n)
			}
		})
	}
}

// emailIDs lists the ids of the emails the stand-in holds for inv's address (the test keeps the
// address: an erasure removes it from the item).
func emailIDs(f *fixture, inv *store.Invitation) []string {
	var out []string
	for _, e := range f.emails(inv) {
		out = append(out, e.MessageID)
	}
	return out
}

func TestAPermanentRefusalStopsTheInvitationAtOnce(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"MessageRejected", "BadRequestException"} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			inv := f.put(invite{dueIn: -time.Minute, reminder: 3 * day})
			var mu sync.Mutex
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				calls++
				mu.Unlock()
				w.Header().Set("X-Amzn-ErrorType", code)
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte(`{"message":"Illegal address"}`))
			}))
			t.Cleanup(srv.Close)
			f.h.Mail = sesClient(t, srv.URL)
			if s := f.tick(); s.Rejected != 1 || s.Refused != 0 {
				t.Fatalf("tick: %+v, want one rejected", s)
			}
			after := f.get(inv.ID)
			if after.Stopped != invitation.StopRejected || after.GSI4PK != "" || after.Status != invitation.StatusPending ||
				!strings.Contains(after.LastSendError, code) {
				t.Fatalf("stopped %q due %q status %q error %q", after.Stopped, after.GSI4PK, after.Status, after.LastSendError)
			}
			for range 3 {
				f.clock.Add(time.Hour)
				f.tick()
			}
			mu.Lock()
			defer mu.Unlock()
			if calls != 1 {
				t.Errorf("%d send attempts, want 1", calls)
			}
		})
	}
}

// A Send event can beat the dispatcher's own mark: SES accepted the email, the event came within
// a second, and SendEmail's answer was then lost. The event is noted while the send is in flight,
// the send ends unsure, and at the end of the window the noted message id settles it: one email.
func TestASendEventThatComesWhileTheSendIsInFlightPreventsTheResend(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	inv := f.put(invite{locale: "en", dueIn: -time.Minute, reminder: 3 * day})
	due, _, err := f.st.DuePage(ctx, store.DueShard(inv.ID), f.clock.Now(), 10, nil)
	if err != nil || len(due) != 1 {
		t.Fatalf("due: %v %d", err, len(due))
	}
	c, err := f.st.ClaimDue(ctx, &due[0], f.clock.Now())
	if err != nil || c.Outcome != store.ClaimInvite {
		t.Fatalf("claim: %v %v", err, c)
	}
	// The event arrives while the claim is still sending.
	out, err := f.st.SettleBySendEvent(ctx, inv.ID, "ses-early", f.clock.Now())
	if err != nil || out != store.SettleNoted {
		t.Fatalf("event during the send: %q %v, want %q", out, err, store.SettleNoted)
	}
	if again, err := f.st.SettleBySendEvent(ctx, inv.ID, "ses-early", f.clock.Now()); err != nil || again != store.SettleUnchanged {
		t.Fatalf("redelivered event during the send: %q %v, want unchanged", again, err)
	}
	// SendEmail's answer is lost: the dispatcher dies, the lease ends, the send is unsure.
	f.clock.Add(store.DispatchLease + time.Second)
	if s := f.tick(); s.Unsure != 1 || s.Sent != 0 {
		t.Fatalf("tick after the lease: %+v, want one unsure", s)
	}
	f.clock.Add(store.DefaultResendAfter + time.Minute)
	if s := f.tick(); s.Settled != 1 || s.Sent != 0 || s.Resent != 0 {
		t.Fatalf("tick after the window: %+v, want the unsure send settled and nothing sent", s)
	}
	got := f.get(inv.ID)
	if got.Status != invitation.StatusSent || got.MessageID != "ses-early" || got.SettledBy != "send-event" || got.ResentAt != nil ||
		got.GSI4SK != store.FormatTime(got.SentAt.Add(3*day)) {
		t.Fatalf("after the window: status %q messageId %q settledBy %q resentAt %v due %q, want sent with the reminder due", got.Status, got.MessageID, got.SettledBy, got.ResentAt, got.GSI4SK)
	}
	if n := len(f.emails(inv)); n != 0 {
		t.Fatalf("%d emails from the dispatcher's fake SES, want none (the first went out through SES before the answer was lost)", n)
	}
	// The reminder still goes out when planned, once.
	f.clock.Add(3 * day)
	if s := f.tick(); s.Reminders != 1 || s.Resent != 0 {
		t.Fatalf("reminder tick: %+v", s)
	}
}

// An event for the resend, noted while the resend was in flight, settles it when its window ends:
// SES had it, so it is sent, not stopped.
func TestAResendWhoseEventCameInFlightEndsSentNotStopped(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	inv := f.put(invite{dueIn: -time.Minute, reminder: 3 * day})
	f.h.Mail, _ = hangupSES(t)
	f.tick() // the first send: unsure
	f.clock.Add(store.DefaultResendAfter + time.Minute)
	due, _, err := f.st.DuePage(ctx, store.DueShard(inv.ID), f.clock.Now(), 10, nil)
	if err != nil || len(due) != 1 {
		t.Fatalf("due: %v %d", err, len(due))
	}
	c, err := f.st.ClaimDue(ctx, &due[0], f.clock.Now())
	if err != nil || c.Outcome != store.ClaimResend {
		t.Fatalf("resend claim: %v %v", err, c)
	}
	if out, err := f.st.SettleBySendEvent(ctx, inv.ID, "ses-resend", f.clock.Now()); err != nil || out != store.SettleNoted {
		t.Fatalf("event during the resend: %q %v", out, err)
	}
	if err := f.st.MarkUnsure(ctx, c, errors.New("answer lost"), f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(store.DefaultResendAfter + time.Minute)
	if s := f.tick(); s.Stopped != 0 || s.Retired != 1 {
		t.Fatalf("tick after the resend's window: %+v, want it retired as sent", s)
	}
	got := f.get(inv.ID)
	if got.Status != invitation.StatusSent || got.Stopped != "" || got.MessageID != "ses-resend" || got.GSI4PK != "" {
		t.Fatalf("after the window: status %q stopped %q messageId %q due %q", got.Status, got.Stopped, got.MessageID, got.GSI4PK)
	}
}
