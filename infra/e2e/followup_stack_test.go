package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/storetest"
	"github.com/cxloop/cxloop/shared/ticket"
	"github.com/cxloop/cxloop/shared/web"
)

// ops calls the running stack's /ops API with the stack's admin token.
func (s *surveyStack) ops(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.api+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.env["OPS_TOKEN"])
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode, string(b)
}

// TestADetractorThroughTheLocalStack: `make up`'s own pieces end to end. A customer answers a real
// survey email with a low score (the form posted twice at once), the stack's stream poller hands
// the record to FollowupFunction, the ticket is in the /ops API, resolving it sends the customer the
// close-the-loop email in their language, and erasing the contact leaves nothing personal while
// the score's histogram stays as it was.
func TestADetractorThroughTheLocalStack(t *testing.T) {
	s := newSurveyStack(t)
	m := s.emailedSurvey(t, "order.delivered", "es")
	link := strings.SplitN(m.scoreLinks[2], "?", 2)[0]
	var both sync.WaitGroup
	for range 2 {
		both.Go(func() {
			if code, _, body := s.fetch(t, http.MethodPost, link, "score=2&comment=El+paquete+lleg%C3%B3+tarde"); code >= 400 {
				t.Errorf("POST %s: %d %s", link, code, body)
			}
		})
	}
	both.Wait()

	id := ticket.AnswerID(m.invitationID)
	var tk struct {
		ID, Team, Status, Comment, Priority string
		Score                               int
		Answers                             []json.RawMessage
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, body := s.ops(t, http.MethodGet, "/ops/tickets/"+id, "")
		if code == http.StatusOK {
			if err := json.Unmarshal([]byte(body), &tk); err != nil {
				t.Fatal(err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ticket %s 60 s after the answer (%s): last %d %s", id, describe(m), code, body)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if tk.Team != "customer-success-eu" || tk.Score != 2 || tk.Comment != "El paquete llegó tarde" || len(tk.Answers) != 1 {
		t.Fatalf("ticket = %+v", tk)
	}
	if code, body := s.ops(t, http.MethodGet, "/ops/tickets?team=customer-success-eu", ""); code != 200 || !strings.Contains(body, id) {
		t.Fatalf("the team's queue lacks %s: %d", id, code)
	}
	s.waitForHistogram(t, "nps-relationship", m, metric.Hist{Counts: [metric.MaxScore + 1]int64{2: 1}})

	code, body := s.ops(t, http.MethodPatch, "/ops/tickets/"+id, `{"status":"resolved","closeLoop":true,"note":"Llamamos al cliente."}`)
	if code != 200 || !strings.Contains(body, `"closeLoopSentAt"`) {
		t.Fatalf("resolve with close-the-loop: %d %s", code, body)
	}
	deadline = time.Now().Add(20 * time.Second)
	for {
		var closeLoop int
		for _, e := range storetest.EmailsTo(t, m.address) {
			if strings.Contains(e.Body.Text, "Gracias por contarnos") {
				closeLoop++
			}
		}
		if closeLoop == 1 {
			break
		}
		if closeLoop > 1 || time.Now().After(deadline) {
			t.Fatalf("close-the-loop emails to %s: %d, want 1", m.address, closeLoop)
		}
		time.Sleep(300 * time.Millisecond)
	}

	if code, body := s.ops(t, http.MethodDelete, "/ops/contacts/"+web.PathID(m.contactID), ""); code != 200 {
		t.Fatalf("erase: %d %s", code, body)
	}
	code, body = s.ops(t, http.MethodGet, "/ops/contacts/"+web.PathID(m.contactID)+"/export", "")
	if code != 200 || !strings.Contains(body, m.invitationID) {
		t.Fatalf("export after erasure: %d %s", code, body)
	}
	for _, p := range []string{m.address, "El paquete", "Llamamos", `"eventId"`, `"name"`} { // the contact id (here equal to the event id) stays
		if strings.Contains(body, p) {
			t.Errorf("the export after erasure still holds %q", p)
		}
	}
	// The erasure changed no count: the scorer still finds exactly the one answer.
	s.tryTick(t, "ScoreFunction")
	s.waitForHistogram(t, "nps-relationship", m, metric.Hist{Counts: [metric.MaxScore + 1]int64{2: 1}})
}

// TestAnAnswerWithoutAttributesBecomesATicket: a touchpoint with no attributes at all (so no
// segments) still ends in a ticket through the stack's own stream poller.
func TestAnAnswerWithoutAttributesBecomesATicket(t *testing.T) {
	s := newSurveyStack(t)
	m := s.emailedSurveyWith(t, "order.delivered", "en", false)
	link := strings.SplitN(m.scoreLinks[1], "?", 2)[0]
	if code, _, body := s.fetch(t, http.MethodPost, link, "score=1&comment=Late"); code >= 400 {
		t.Fatalf("POST %s: %d %s", link, code, body)
	}
	id := ticket.AnswerID(m.invitationID)
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, body := s.ops(t, http.MethodGet, "/ops/tickets/"+id, "")
		if code == http.StatusOK {
			var tk struct {
				Score    int
				Comment  string
				Segments map[string]string
			}
			if err := json.Unmarshal([]byte(body), &tk); err != nil {
				t.Fatal(err)
			}
			if tk.Score != 1 || tk.Comment != "Late" || len(tk.Segments) != 0 {
				t.Fatalf("ticket = %s", body)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ticket %s 60 s after an answer without attributes (%s): last %d %s", id, describe(m), code, body)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestTheLinkInATeamEmailOpensTheTicketPage: the team's notification email links the console page
// of the ticket; opened from webmail (a cross-site GET) it asks a signed-out agent to sign in and
// then returns to that page, and opens it directly once signed in.
func TestTheLinkInATeamEmailOpensTheTicketPage(t *testing.T) {
	s := newSurveyStack(t)
	m := s.emailedSurvey(t, "order.delivered", "en")
	link := strings.SplitN(m.scoreLinks[0], "?", 2)[0]
	if code, _, body := s.fetch(t, http.MethodPost, link, "score=0&comment=Never+arrived"); code >= 400 {
		t.Fatalf("POST %s: %d %s", link, code, body)
	}
	id := ticket.AnswerID(m.invitationID)
	var page string
	deadline := time.Now().Add(60 * time.Second)
	for page == "" {
		for _, e := range storetest.EmailsTo(t, "ops@example.com") {
			if u := ticketLink.FindString(e.Body.Text); u != "" && strings.HasSuffix(u, "/"+id) {
				page = u
			}
		}
		if page == "" && time.Now().After(deadline) {
			t.Fatalf("no team email links ticket %s 60 s after the answer (%s)", id, describe(m))
		}
		time.Sleep(500 * time.Millisecond)
	}
	if !strings.HasPrefix(page, s.api+"/ops/ticket/") {
		t.Fatalf("the team email links %s, want the console page under %s", page, s.api)
	}
	path := strings.TrimPrefix(page, s.api)

	get := func(cookie string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, page, nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site") // opened from a webmail tab
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := s.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := get("")
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ops/login?next="+url.QueryEscape(path) {
		t.Fatalf("signed out: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	form := url.Values{"token": {s.env["OPS_TOKEN"]}, "next": {path}}.Encode()
	req, _ := http.NewRequest(http.MethodPost, s.api+"/ops/login", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "null")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	login, err := s.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	login.Body.Close()
	cookie := login.Header.Get("Set-Cookie")
	if login.StatusCode != http.StatusSeeOther || login.Header.Get("Location") != path || !strings.Contains(cookie, "SameSite=Lax") {
		t.Fatalf("login: %d Location %q cookie %q, want a return to %s with a SameSite=Lax cookie", login.StatusCode, login.Header.Get("Location"), cookie, path)
	}
	resp = get(strings.SplitN(cookie, ";", 2)[0])
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Never arrived") {
		t.Fatalf("signed in, from webmail: %d %s", resp.StatusCode, body)
	}
}

var ticketLink = regexp.MustCompile(`https?://\S+/ops/ticket/[^\s"<>]+`)
