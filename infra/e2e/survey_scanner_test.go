package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestLinkScannersFollowingEveryLinkOfARealEmailRecordNothing does what mail security scanners
// and prefetchers do: GET and HEAD every link of a real survey email, many times, through the
// local HTTP API. The invitation must have no answer and the contact must stay subscribed.
func TestLinkScannersFollowingEveryLinkOfARealEmailRecordNothing(t *testing.T) {
	t.Parallel()
	s := newSurveyStack(t)
	m := s.emailedSurvey(t, "order.delivered", "en") // nps-relationship, 0..10
	if len(m.scoreLinks) != 11 {
		t.Fatalf("the email has score links %v, want 0..10", m.scoreLinks)
	}
	before := s.invitation(t, m.invitationID)
	links := []string{m.unsubscribe}
	for _, l := range m.scoreLinks {
		links = append(links, l)
	}
	for round := 0; round < 5; round++ {
		for _, l := range links {
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				status, h, body := s.fetch(t, method, l, "")
				if status != http.StatusOK {
					t.Fatalf("%s %s: %d", method, l, status)
				}
				if method == http.MethodHead && body != "" {
					t.Fatalf("HEAD %s returned a body", l)
				}
				if h.Get("Cache-Control") != "no-store" || h.Get("X-Robots-Tag") != "noindex" || h.Get("Referrer-Policy") != "no-referrer" || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
					t.Fatalf("%s %s: page headers %v", method, l, h)
				}
			}
		}
	}
	after := s.invitation(t, m.invitationID)
	if len(after.Answers) != 0 || after.AnsweredAt != nil || after.Stopped != "" || after.GSI3SK != before.GSI3SK {
		t.Fatalf("following links changed %s: answers %+v stopped %q feed %s -> %s", describe(m), after.Answers, after.Stopped, before.GSI3SK, after.GSI3SK)
	}
	if s.unsubscribed(t, m) {
		t.Fatalf("following the unsubscribe link unsubscribed the contact")
	}
}
