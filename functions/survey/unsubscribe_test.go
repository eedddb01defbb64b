package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/web"
)

func TestOneClickUnsubscribeStopsEveryPendingInvitationOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sent := f.invite(sampleInvitation) // the events' invitation: contact cust-42
	f.clock.Advance(time.Minute)
	pending := f.invite(testInvite{eventID: "cust-42-case", survey: "csat-support", locale: "es", contact: "cust-42"})
	answered := f.invite(testInvite{eventID: "cust-42-answered", survey: "ces-onboarding", locale: "es", contact: "cust-42", send: true})
	if resp := f.post(f.surveyToken(answered.ID), form(6, "")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("answer: %d", resp.StatusCode)
	}
	other := f.invite(testInvite{eventID: "someone-else", survey: "csat-support", locale: "en", contact: "cust-43"})

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
		{"the sent invitation", sent.ID, invitation.StopUnsubscribed, false},
		{"the pending invitation", pending.ID, invitation.StopUnsubscribed, false},
		{"the answered invitation keeps its reason", answered.ID, invitation.StopAnswered, false},
		{"another contact's invitation", other.ID, "", true},
	} {
		got := f.get(tt.id)
		if got.Stopped != tt.wantStopped || (got.GSI4PK != "") != tt.wantDue {
			t.Errorf("%s: stopped %q due %q", tt.name, got.Stopped, got.GSI4PK)
		}
	}
	// The answer of the answered invitation is untouched, and answering after unsubscribing works.
	if resp := f.do(event(t, "survey-post")); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("answer after unsubscribing: %d", resp.StatusCode)
	}
	if got := f.get(sent.ID); got.Stopped != invitation.StopUnsubscribed || len(got.Answers) != 1 {
		t.Errorf("after answering: stopped %q answers %+v", got.Stopped, got.Answers)
	}
}

// fromOrigin is a POST to /u/{token} as a browser sends it from a page of origin (the API's host
// is api.example behind https), "" for none.
func fromOrigin(tok, body, origin string) web.Request {
	req := request("POST", "u", tok, "", body)
	req.Headers["host"] = "api.example"
	req.Headers["x-forwarded-proto"] = "https"
	if origin != "" {
		req.Headers["origin"] = origin
	}
	return req
}

// TestResubscribeLiftsOnlyTheContactsOwnOptOut: after unsubscribing, the page offers to
// resubscribe; a resubscribe POST from another origin (or none) changes nothing, one from the
// page itself lifts the contact's unsubscribe and its address's opt-out, so the dispatcher's gate
// lets mail out again; a one-click POST unsubscribes again.
func TestResubscribeLiftsOnlyTheContactsOwnOptOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.invite(testInvite{eventID: "resub-1", survey: "nps-relationship", locale: "en", contact: "resub-ann", send: true})
	tok := f.unsubscribeToken(inv.ID)
	blocked := func() string {
		t.Helper()
		why, err := f.st.MailBlocked(f.ctx, inv.ContactID, inv.Email)
		if err != nil {
			t.Fatal(err)
		}
		return why
	}
	if resp := f.do(fromOrigin(tok, "List-Unsubscribe=One-Click", "")); resp.StatusCode != http.StatusOK ||
		!strings.Contains(resp.Body, "You are unsubscribed") || !strings.Contains(resp.Body, `<input type="hidden" name="resubscribe" value="1">`) {
		t.Fatalf("unsubscribe: %d\n%s", resp.StatusCode, resp.Body)
	} else {
		checkPage(t, resp)
	}
	if why := blocked(); why != invitation.StopUnsubscribed {
		t.Fatalf("after unsubscribing the gate says %q", why)
	}
	// Opening the link again shows the state and the offer, and writes nothing.
	if resp := f.do(request("GET", "u", tok, "", "")); !strings.Contains(resp.Body, "You are unsubscribed") || !strings.Contains(resp.Body, "Subscribe again") {
		t.Errorf("the page of an unsubscribed contact:\n%s", resp.Body)
	}
	for _, origin := range []string{"", "null", "https://evil.example", "http://api.example", "https://api.example.evil.example"} {
		resp := f.do(fromOrigin(tok, "resubscribe=1", origin))
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Body, `href="`+tok+`"`) {
			t.Errorf("origin %q: status %d, want 403 with a link back\n%s", origin, resp.StatusCode, resp.Body)
		}
		if why := blocked(); why != invitation.StopUnsubscribed {
			t.Fatalf("origin %q resubscribed the contact (gate %q)", origin, why)
		}
	}
	// The page's own form.
	for i := 0; i < 2; i++ { // repeating it changes nothing
		resp := f.do(fromOrigin(tok, "resubscribe=1", "https://api.example"))
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "You are subscribed again") || !strings.Contains(resp.Body, "Unsubscribe</button>") {
			t.Fatalf("resubscribe %d: %d\n%s", i, resp.StatusCode, resp.Body)
		}
		checkPage(t, resp)
	}
	if why := blocked(); why != "" {
		t.Fatalf("after resubscribing the gate still says %q", why)
	}
	if opted, _ := f.st.OptedOut(f.ctx, inv.Email); opted {
		t.Error("the address is still opted out")
	}
	prior, err := f.st.LoadPrior(f.ctx, "resub-next", inv.ContactID, "", nil)
	if err != nil || prior.Contact.Unsubscribed() {
		t.Errorf("the touchpoint rules still see an unsubscribed contact (%v)", err)
	}
	// The sample event (`make invoke`), from the page of surveys.example.com, does the same for
	// the events' own invitation.
	f.invite(sampleInvitation)
	f.do(event(t, "survey-unsubscribe-post"))
	if resp := f.do(event(t, "survey-resubscribe-post")); resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "Te has vuelto a suscribir") {
		t.Errorf("events/survey-resubscribe-post.json: %d\n%s", resp.StatusCode, resp.Body)
	}
	// Changing their mind again: any other POST unsubscribes.
	f.do(fromOrigin(tok, "List-Unsubscribe=One-Click", ""))
	if why := blocked(); why != invitation.StopUnsubscribed {
		t.Errorf("unsubscribing again: gate %q", why)
	}
}

// TestResubscribeNeverUndoesABounceOrComplaint: a suppressed address stays suppressed after the
// contact resubscribes, and the page says why no email will come.
func TestResubscribeNeverUndoesABounceOrComplaint(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tt := range []struct{ reason, says string }{
		{store.SuppressBounce, "earlier email to this address bounced"},
		{store.SuppressComplaint, "was reported as spam"},
	} {
		inv := f.invite(testInvite{eventID: "resub-" + tt.reason, survey: "nps-relationship", locale: "en", contact: "resub-" + tt.reason, send: true})
		tok := f.unsubscribeToken(inv.ID)
		if err := f.st.Suppress(f.ctx, inv.Email, tt.reason, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		f.do(fromOrigin(tok, "List-Unsubscribe=One-Click", ""))
		resp := f.do(fromOrigin(tok, "resubscribe=1", "https://api.example"))
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "We still cannot email this address") ||
			!strings.Contains(resp.Body, tt.says) || strings.Contains(resp.Body, "You are subscribed again") {
			t.Errorf("%s: %d\n%s", tt.reason, resp.StatusCode, resp.Body)
		}
		checkPage(t, resp)
		why, err := f.st.MailBlocked(f.ctx, inv.ContactID, inv.Email)
		if err != nil || why != invitation.StopSuppressed {
			t.Errorf("%s: the gate says %q (%v), want %q", tt.reason, why, err, invitation.StopSuppressed)
		}
		if reason, err := f.st.SuppressionReason(f.ctx, inv.Email); err != nil || reason != tt.reason {
			t.Errorf("%s: the suppression now says %q (%v)", tt.reason, reason, err)
		}
		// The opt-out itself was lifted (it is the contact's own); only the suppression holds.
		if opted, _ := f.st.OptedOut(f.ctx, inv.Email); opted {
			t.Errorf("%s: the address's own opt-out was not lifted", tt.reason)
		}
	}
}
