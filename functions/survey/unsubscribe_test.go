package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/store"
)

func TestOneClickUnsubscribeStopsEveryPendingInvitationOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sent := f.invite(sampleInvitation) // the events' invitation: contact cust-42
	f.clock.Advance(time.Minute)
	pending := f.invite(invitation{eventID: "cust-42-case", survey: "csat-support", locale: "es", contact: "cust-42"})
	answered := f.invite(invitation{eventID: "cust-42-answered", survey: "ces-onboarding", locale: "es", contact: "cust-42", send: true})
	if resp := f.post(f.surveyToken(answered.ID), form(6, "")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("answer: %d", resp.StatusCode)
	}
	other := f.invite(invitation{eventID: "someone-else", survey: "csat-support", locale: "en", contact: "cust-43"})

	confirm := f.do(event(t, "survey-unsubscribe-get"))
	if confirm.StatusCode != http.StatusOK || !strings.Contains(confirm.Body, `<form method="post">`) || !strings.Contains(confirm.Body, "Darme de baja") {
		t.Fatalf("confirm page: %d\n%s", confirm.StatusCode, confirm.Body)
	}
	checkPage(t, confirm)
	for i := 0; i < 3; i++ { // a mail client's one-click POST, repeated
		resp := f.do(event(t, "survey-unsubscribe-post"))
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "Te has dado de baja") {
			t.Fatalf("one-click POST %d: status %d\n%s", i, resp.StatusCode, resp.Body)
		}
		checkPage(t, resp)
	}
	prior, err := f.st.LoadPrior(f.ctx, sent.ID, "cust-42", "", nil)
	if err != nil || !prior.Contact.Unsubscribed() {
		t.Fatalf("contact not unsubscribed (%v)", err)
	}
	// The address opts out too: the same person under another contact id is not surveyed.
	stored, err := f.st.GetInvitation(f.ctx, sent.ID)
	if err != nil {
		t.Fatal(err)
	}
	if opted, err := f.st.OptedOut(f.ctx, stored.Email); err != nil || !opted {
		t.Fatalf("address %q not opted out (%v)", stored.Email, err)
	}
	for _, tt := range []struct {
		name        string
		id          string
		wantStopped string
		wantDue     bool
	}{
		{"the sent invitation", sent.ID, store.StopUnsubscribed, false},
		{"the pending invitation", pending.ID, store.StopUnsubscribed, false},
		{"the answered invitation keeps its reason", answered.ID, store.StopAnswered, false},
		{"another contact's invitation", other.ID, "", true},
	} {
		got := f.get(tt.id)
		if got.Stopped != tt.wantStopped || (got.GSI2PK != "") != tt.wantDue {
			t.Errorf("%s: stopped %q due %q", tt.name, got.Stopped, got.GSI2PK)
		}
	}
	// The answer of the answered invitation is untouched, and answering after unsubscribing works.
	if resp := f.do(event(t, "survey-post")); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("answer after unsubscribing: %d", resp.StatusCode)
	}
	if got := f.get(sent.ID); got.Stopped != store.StopUnsubscribed || len(got.Answers) != 1 {
		t.Errorf("after answering: stopped %q answers %+v", got.Stopped, got.Answers)
	}
}
