package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
)

// claimOne puts a due invitation and takes its claim, as a dispatcher does before sending.
func claimOne(t *testing.T, f *fixture) (*store.Invitation, *store.Claim) {
	t.Helper()
	inv := f.put(invite{locale: "en", name: "Ana Erasable", dueIn: -time.Minute})
	// On the contact's index, as TouchpointFunction writes it (EraseContact finds it there).
	f.set(inv.PK, inv.SK, map[string]any{"GSI1PK": "CONTACT#" + inv.ContactID, "GSI1SK": "DEC#" + store.FormatTime(inv.OccurredAt) + "#" + inv.ID})
	due, _, err := f.st.DuePage(context.Background(), store.DueShard(inv.ID), f.clock.Now(), 10, nil)
	if err != nil || len(due) != 1 {
		t.Fatalf("due: %v %d", err, len(due))
	}
	c, err := f.st.ClaimDue(context.Background(), &due[0], f.clock.Now())
	if err != nil || c.Outcome != store.ClaimInvite {
		t.Fatalf("claim: %v %v", err, c)
	}
	return inv, c
}

// eraseAsync erases the contact and closes the channel when EraseContact returned.
func eraseAsync(t *testing.T, f *fixture, contact string) chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := f.st.EraseContact(context.Background(), contact); err != nil {
			t.Error(err)
		}
	}()
	// Wait until the erasure reached the invitation.
	for range 500 {
		if inv, err := f.st.GetInvitation(context.Background(), f.erasing); err == nil && inv.ErasedAt != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return done
}

func returned(done chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

func TestAnErasureDuringAClaimStopsTheSendBeforeItStarts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv, c := claimOne(t, f)
	f.erasing = inv.ID
	done := eraseAsync(t, f, inv.ContactID)
	time.Sleep(300 * time.Millisecond)
	if returned(done) {
		t.Fatal("erase returned while a claim of the contact was in flight")
	}
	// The dispatcher that holds the claim (its copy of the item still has the address) goes on.
	h := f.h
	h.send(context.Background(), &tick{now: f.clock.Now()}, c, slog.Default())
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("erase did not return after the claim settled")
	}
	if got := f.emails(inv); len(got) != 0 {
		t.Fatalf("%d emails went to an erased contact", len(got))
	}
	after := f.get(inv.ID)
	if after.Stopped != invitation.StopErased || after.Email != "" || after.Name != "" || after.GSI4PK != "" {
		t.Fatalf("after: stopped %q email %q name %q due %q", after.Stopped, after.Email, after.Name, after.GSI4PK)
	}
	if s := f.tick(); s.Claimed != 0 || s.Sent != 0 {
		t.Fatalf("a later tick touched the erased invitation: %+v", s)
	}
}

func TestAnErasureWaitsForASendAlreadyUnderWay(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv, c := claimOne(t, f)
	ctx := context.Background()
	// The dispatcher checked before the erasure and is sending.
	if reason, err := f.st.Blocked(ctx, c.Inv); err != nil || reason != "" {
		t.Fatalf("blocked = %q %v", reason, err)
	}
	msg, err := f.h.message(c)
	if err != nil {
		t.Fatal(err)
	}
	f.erasing = inv.ID
	done := eraseAsync(t, f, inv.ContactID)
	time.Sleep(300 * time.Millisecond)
	if returned(done) {
		t.Fatal("erase returned while a send to the contact was under way")
	}
	id, err := f.h.Mail.Send(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	if returned(done) {
		t.Fatal("erase returned before the send it waits for was marked")
	}
	if err := f.st.MarkSent(ctx, c, id, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("erase did not return after the send was marked")
	}
	after := f.get(inv.ID)
	if after.Email != "" || after.Name != "" || after.MessageID != id || after.GSI4PK != "" {
		t.Fatalf("after: email %q name %q message %q due %q", after.Email, after.Name, after.MessageID, after.GSI4PK)
	}
}

func TestAClaimThatMissedItsSendWindowIsReleasedNotSent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv, c := claimOne(t, f)
	f.clock.Add(store.SendStartWindow + time.Second)
	f.h.send(context.Background(), &tick{now: f.clock.Now()}, c, slog.Default())
	if got := f.emails(inv); len(got) != 0 {
		t.Fatalf("%d emails from a claim past its send window", len(got))
	}
	after := f.get(inv.ID)
	if after.Status != invitation.StatusPending || after.GSI4PK == "" || after.Stopped != "" {
		t.Fatalf("after: status %q due %q stopped %q, want pending and still due", after.Status, after.GSI4PK, after.Stopped)
	}
}

func TestAnAddressThatOptedOutUnderAnotherContactIDIsNotMailed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.put(invite{locale: "en", dueIn: -time.Minute})
	// The same person unsubscribed from an email sent under another contact id.
	if _, err := f.st.Unsubscribe(context.Background(), "old-crm-id-"+inv.ContactID, "  "+strings.ToUpper(inv.Email)); err != nil {
		t.Fatal(err)
	}
	if s := f.tick(); s.Sent != 0 || s.Stopped != 1 {
		t.Fatalf("tick: %+v, want one stopped and nothing sent", s)
	}
	if got := f.emails(inv); len(got) != 0 {
		t.Fatalf("%d emails to an opted-out address", len(got))
	}
	if after := f.get(inv.ID); after.Stopped != invitation.StopUnsubscribed {
		t.Fatalf("stopped = %q, want unsubscribed", after.Stopped)
	}
}
