package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/storetest"
)

// surveyStack is the running local stack (`make up`) as the survey tests see it: the HTTP API
// serving the real bootstraps, the live table, and the SES stand-in's mail store.
type surveyStack struct {
	env   map[string]string
	api   string
	store *store.Store
	http  *http.Client
}

func newSurveyStack(t *testing.T) *surveyStack {
	t.Helper()
	env := storetest.Env(t)
	s := &surveyStack{env: env, api: strings.TrimSuffix(env["API_URL"], "/"), http: &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if s.api == "" || env["PRODUCER_TOKEN"] == "" {
		t.Fatal("the local stack's env has no API_URL or PRODUCER_TOKEN; start it with `make up`")
	}
	// The survey route must answer with SurveyFunction's own 404 page for an unknown token.
	resp, err := s.http.Get(s.api + "/s/not-a-token")
	if err != nil {
		t.Fatalf("the local HTTP API at %s does not answer (%v); start the stack with `make up`", s.api, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "<html") {
		t.Fatalf("GET %s/s/not-a-token: %s, want SurveyFunction's 404 page (is bin/SurveyFunction/bootstrap built? `make build`)\n%s", s.api, resp.Status, body)
	}
	s.store = store.New(storetest.Client(t), env["TABLE_NAME"])
	return s
}

// surveyMail is one survey email as the customer received it.
type surveyMail struct {
	eventID, invitationID, contactID, address string
	plan                                      string         // a segment value unique to the test
	scoreLinks                                map[int]string // score -> the link of that score
	unsubscribe                               string         // from the List-Unsubscribe header
	email                                     storetest.Email
}

var scoreLink = regexp.MustCompile(`href="([^"]+/s/[A-Za-z0-9_-]+\?score=(\d+))"`)

// emailedSurvey sends a touchpoint for a new contact through the API and returns the survey email
// the dispatcher sent for it, read back from the SES stand-in. The touchpoint happened long enough
// ago for its invitation to be due at once; the dispatcher's schedule is ticked so the test does
// not wait for the minute.
func (s *surveyStack) emailedSurvey(t *testing.T, touchpoint, locale string) *surveyMail {
	t.Helper()
	return s.emailedSurveyWith(t, touchpoint, locale, true)
}

// emailedSurveyWith is emailedSurvey with or without the event's segment attributes.
func (s *surveyStack) emailedSurveyWith(t *testing.T, touchpoint, locale string, withAttributes bool) *surveyMail {
	t.Helper()
	// A contact the survey's sampling keeps (sampling is a fixed function of contact and survey).
	sv, rule, ok := catalog.MustShipped().Match(touchpoint)
	if !ok {
		t.Fatalf("no survey for touchpoint %s", touchpoint)
	}
	stamp := strconv.FormatInt(time.Now().UnixNano(), 36)
	for i := 0; !catalog.Sampled(rule.SampleRate, "e2e-survey-"+stamp, sv.ID); i++ {
		stamp = strconv.FormatInt(time.Now().UnixNano(), 36) + strconv.Itoa(i)
	}
	m := &surveyMail{eventID: "e2e-survey-" + stamp, contactID: "e2e-survey-" + stamp, address: "e2e-survey-" + stamp + "@example.com", plan: "e2e-" + stamp}
	m.invitationID = store.EventKey(m.eventID)
	detail := map[string]any{
		"eventId":    m.eventID,
		"touchpoint": touchpoint,
		"occurredAt": time.Now().UTC().Add(-3 * time.Hour).Format(time.RFC3339),
		"contact":    map[string]any{"id": m.contactID, "email": m.address, "name": "Ana", "locale": locale},
		"attributes": map[string]any{"plan": m.plan, "channel": "web", "region": "eu", "orderId": "A-" + stamp, "caseId": "C-" + stamp},
	}
	if !withAttributes {
		delete(detail, "attributes")
	}
	raw, _ := json.Marshal(detail)
	req, _ := http.NewRequest(http.MethodPost, s.api+"/touchpoints", bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+s.env["PRODUCER_TOKEN"])
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatalf("POST /touchpoints: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || !strings.Contains(string(body), "invited") {
		t.Fatalf("POST /touchpoints: %s %s, want 202 with an invited decision", resp.Status, body)
	}

	deadline := time.Now().Add(150 * time.Second)
	for next := time.Now(); ; time.Sleep(500 * time.Millisecond) {
		if mails := storetest.EmailsTo(t, m.address); len(mails) > 0 {
			m.email = mails[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no survey email to %s within 150 s of the touchpoint (invitation %s)", m.address, m.invitationID)
		}
		if time.Now().After(next) {
			s.tick(t, "DispatchFunction")
			next = time.Now().Add(15 * time.Second)
		}
	}
	m.scoreLinks = map[int]string{}
	for _, l := range scoreLink.FindAllStringSubmatch(m.email.Body.HTML, -1) {
		n, _ := strconv.Atoi(l[2])
		m.scoreLinks[n] = html.UnescapeString(l[1])
	}
	lu := m.email.Header("List-Unsubscribe")
	if !strings.HasPrefix(lu, "<") || !strings.HasSuffix(lu, ">") || m.email.Header("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("email lacks the one-click unsubscribe headers: %+v", m.email.Headers)
	}
	m.unsubscribe = strings.Trim(lu, "<>")
	if len(m.scoreLinks) == 0 {
		t.Fatalf("no score links in the email:\n%s", m.email.Body.HTML)
	}
	return m
}

// tick fires a function's schedule now (the local stack's POST /_local/schedules/{function}).
func (s *surveyStack) tick(t *testing.T, function string) {
	t.Helper()
	if err := s.tryTick(t, function); err != nil {
		t.Fatal(err)
	}
}

func (s *surveyStack) tryTick(t *testing.T, function string) error {
	t.Helper()
	resp, err := s.http.Post(s.api+"/_local/schedules/"+function, "application/json", nil)
	if err != nil {
		return fmt.Errorf("tick %s: %w", function, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("tick %s: %s %s", function, resp.Status, body)
		t.Log(err)
	}
	return err
}

func (s *surveyStack) invitation(t *testing.T, id string) *store.Invitation {
	t.Helper()
	inv, err := s.store.GetInvitation(context.Background(), id)
	if err != nil {
		t.Fatalf("read invitation %s: %v", id, err)
	}
	return inv
}

func (s *surveyStack) unsubscribed(t *testing.T, m *surveyMail) bool {
	t.Helper()
	p, err := s.store.LoadPrior(context.Background(), m.invitationID, m.contactID, "", nil)
	if err != nil {
		t.Fatalf("read contact %s: %v", m.contactID, err)
	}
	return p.Contact.Unsubscribed()
}

// waitForHistogram ticks the scorer until the day's histogram of the test's own segment (a plan
// value no other test uses) holds exactly want, or fails after the settle delay and a margin.
func (s *surveyStack) waitForHistogram(t *testing.T, survey string, m *surveyMail, want metric.Hist) {
	t.Helper()
	dim := metric.SegmentDim("plan", m.plan)
	day := time.Now().UTC().Format(store.DayKey)
	deadline := time.Now().Add(150 * time.Second)
	var got metric.Hist
	for {
		// Two tests may tick at once; a run that loses the scorer's watermark race is retried
		// by the next tick, so a failed tick is only logged.
		s.tryTick(t, "ScoreFunction")
		days, _, err := s.store.ReadDayCounts(context.Background(), survey, day, day)
		if err != nil {
			t.Fatalf("read histograms: %v", err)
		}
		got = days[day][dim]
		if got.Counts == want.Counts {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("histogram of %s %s on %s: %v, want %v", survey, dim, day, got.Counts, want.Counts)
		}
		time.Sleep(10 * time.Second)
	}
}

// get fetches url with method and returns the status and body.
func (s *surveyStack) fetch(t *testing.T, method, url, body string) (int, http.Header, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func describe(m *surveyMail) string {
	return fmt.Sprintf("invitation %s (event %s, contact %s)", m.invitationID, m.eventID, m.contactID)
}
