package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/cxloop/cxloop/shared/metric"
)

// TestTwentySimultaneousPostsCountOnceAndAnEditMovesTheCount posts one answer of a real email's
// invitation 20 times at once through the local HTTP API (a customer hammering the button, a
// client retrying), then changes it within the edit window. The invitation holds one answer per
// change, and the scorer's histogram holds the current answer exactly once.
func TestTwentySimultaneousPostsCountOnceAndAnEditMovesTheCount(t *testing.T) {
	t.Parallel()
	s := newSurveyStack(t)
	m := s.emailedSurvey(t, "support.case.closed", "en") // csat-support, 1..5
	link, _, _ := strings.Cut(m.scoreLinks[3], "?")
	post := func(score, comment string) int {
		status, h, _ := s.fetch(t, http.MethodPost, link, url.Values{"score": {score}, "comment": {comment}}.Encode())
		if status == http.StatusSeeOther {
			// Post/redirect/get: the thank-you page is a GET of the same link.
			loc := h.Get("Location")
			if !strings.HasSuffix(loc, "?sent=1") {
				t.Errorf("POST %s: 303 to %q, want the link with ?sent=1", score, loc)
			}
			if st, _, body := s.fetch(t, http.MethodGet, link+"?sent=1", ""); st != http.StatusOK || !strings.Contains(body, "Thank you!") {
				t.Errorf("POST %s: the thank-you page is %d without the thanks", score, st)
			}
		}
		return status
	}

	var wg sync.WaitGroup
	statuses := make([]int, 20)
	for i := range statuses {
		wg.Go(func() { statuses[i] = post("3", "It was fine") })
	}
	wg.Wait()
	for i, st := range statuses {
		if st != http.StatusSeeOther {
			t.Errorf("simultaneous POST %d: status %d", i, st)
		}
	}
	inv := s.invitation(t, m.invitationID)
	if len(inv.Answers) != 1 || *inv.Score != 3 {
		t.Fatalf("after 20 simultaneous POSTs: answers %+v, want exactly one 3", inv.Answers)
	}

	// The customer changes their mind: the edit is one more entry and the current score moves.
	if st := post("5", "Actually it was great"); st != http.StatusSeeOther {
		t.Fatalf("edit: status %d", st)
	}
	if st := post("5", "Actually it was great"); st != http.StatusSeeOther {
		t.Fatalf("repeat of the edit: status %d", st)
	}
	inv = s.invitation(t, m.invitationID)
	if len(inv.Answers) != 2 || inv.Answers[1].Score != 5 || *inv.Score != 5 {
		t.Fatalf("after the edit: answers %+v score %d", inv.Answers, *inv.Score)
	}

	// The histogram holds the current answer once: 5 counted, 3 not.
	var want metric.Hist
	want.Counts[5] = 1
	s.waitForHistogram(t, "csat-support", m, want)
}
