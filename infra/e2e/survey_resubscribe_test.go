package e2e

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/storetest"
)

// postUnsubscribeLink POSTs body to the email's unsubscribe link, with origin as the browser's
// Origin header ("" for none, as a mail client's one-click sends it), and returns status and page.
func (s *surveyStack) postUnsubscribeLink(t *testing.T, m *surveyMail, body, origin string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, m.unsubscribe, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", body, err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(page)
}

// inviteAgain creates a new invitation of the same survey for the mail's contact, due now, the
// way the touchpoint function stores one (the store's claim refuses an unsubscribed contact).
func (s *surveyStack) inviteAgain(t *testing.T, m *surveyMail) *store.Invitation {
	t.Helper()
	sv, rule, _ := catalog.MustShipped().Match("order.delivered")
	now := time.Now().UTC()
	event := m.eventID + "-again"
	inv := &store.Invitation{
		ID: store.EventKey(event), EventID: event, Touchpoint: rule.Event, OccurredAt: now,
		ContactID: m.contactID, Email: m.address, Name: "Ana", Locale: "en",
		Outcome: invitation.OutcomeInvited, DecidedAt: now, Survey: sv.ID,
		CatalogVersion: catalog.MustShipped().Version, MetricVersion: 1, Status: invitation.StatusPending,
		DueAt: now, LinkExpiresAt: now.Add(rule.LinkExpiry.Duration),
	}
	got, err := s.store.Invite(context.Background(), inv, store.InviteClaim{Fingerprint: event})
	if err != nil {
		t.Fatalf("a second invitation for %s: %v", m.contactID, err)
	}
	return got
}

// dispatchUntil ticks the dispatcher until done reports true or 150 s pass.
func (s *surveyStack) dispatchUntil(t *testing.T, done func() bool) bool {
	t.Helper()
	for deadline := time.Now().Add(150 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		s.tryTick(t, "DispatchFunction")
		if done() {
			return true
		}
	}
	return false
}

// TestResubscribingSendsAgainButASuppressionHolds: through the local API and the real dispatcher.
// A contact who unsubscribed and then resubscribed from the page gets the next survey email; a
// contact whose address bounced gets none after resubscribing, and the page says why.
func TestResubscribingSendsAgainButASuppressionHolds(t *testing.T) {
	t.Parallel()
	s := newSurveyStack(t)
	api, _ := url.Parse(s.api)
	origin := api.Scheme + "://" + api.Host

	// Opted out, then back in: the next invitation goes out.
	m := s.emailedSurvey(t, "order.delivered", "en")
	if status, _ := s.postUnsubscribeLink(t, m, "List-Unsubscribe=One-Click", ""); status != http.StatusOK || !s.unsubscribed(t, m) {
		t.Fatalf("one-click unsubscribe: %d", status)
	}
	if status, _ := s.postUnsubscribeLink(t, m, "resubscribe=1", "https://elsewhere.example"); status != http.StatusForbidden || !s.unsubscribed(t, m) {
		t.Fatalf("a resubscribe from another origin answered %d", status)
	}
	if status, page := s.postUnsubscribeLink(t, m, "resubscribe=1", origin); status != http.StatusOK || !strings.Contains(page, "You are subscribed again") {
		t.Fatalf("resubscribe: %d\n%s", status, page)
	}
	again := s.inviteAgain(t, m)
	if !s.dispatchUntil(t, func() bool { return len(storetest.EmailsTo(t, m.address)) == 2 }) {
		t.Fatalf("no second email to %s after resubscribing (invitation %s: %+v)", m.address, again.ID, s.invitation(t, again.ID))
	}

	// Bounced: resubscribing lifts the opt-out but never the suppression; nothing goes out.
	b := s.emailedSurvey(t, "order.delivered", "en")
	if err := s.store.Suppress(context.Background(), b.address, store.SuppressBounce, time.Now()); err != nil {
		t.Fatal(err)
	}
	s.postUnsubscribeLink(t, b, "List-Unsubscribe=One-Click", "")
	status, page := s.postUnsubscribeLink(t, b, "resubscribe=1", origin)
	if status != http.StatusOK || !strings.Contains(page, "We still cannot email this address") || !strings.Contains(page, "bounced") {
		t.Fatalf("resubscribe of a bounced address: %d\n%s", status, page)
	}
	held := s.inviteAgain(t, b)
	if !s.dispatchUntil(t, func() bool { return s.invitation(t, held.ID).Stopped != "" }) {
		t.Fatalf("the dispatcher never decided on invitation %s", held.ID)
	}
	if inv := s.invitation(t, held.ID); inv.Stopped != invitation.StopSuppressed || inv.SentAt != nil {
		t.Errorf("invitation to the bounced address: stopped %q, sent %v; want suppressed, never sent", inv.Stopped, inv.SentAt)
	}
	if n := len(storetest.EmailsTo(t, b.address)); n != 1 {
		t.Errorf("%d emails to the bounced address, want the first only", n)
	}
}
