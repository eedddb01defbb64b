package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/telemetry"
	"github.com/cxloop/cxloop/shared/token"
	"github.com/cxloop/cxloop/shared/web"
)

func encode(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func form(score int, comment string) string {
	return url.Values{"score": {fmt.Sprint(score)}, "comment": {comment}}.Encode()
}

// checkPage asserts what every page must be: the security headers, small, no script, nothing
// loaded from anywhere.
func checkPage(t *testing.T, resp web.Response) {
	t.Helper()
	referrer := "no-referrer"
	if strings.Contains(resp.Body, `name="resubscribe"`) {
		// The resubscribe form must carry the page's Origin, which no-referrer would make "null".
		referrer = "same-origin"
	}
	for k, want := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Content-Security-Policy": web.PageCSP,
		"Referrer-Policy":         referrer,
		"Cache-Control":           "no-store",
		"X-Robots-Tag":            "noindex",
	} {
		if got := resp.Headers[k]; got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if n := len(resp.Body); n > 20*1024 {
		t.Errorf("page is %d bytes, over 20 KB", n)
	}
	low := strings.ToLower(resp.Body)
	for _, bad := range []string{"<script", "http://", "@import", "url("} {
		if strings.Contains(low, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	// The only source is the brand's logo, inline: the page is one request.
	if n, inline := strings.Count(low, "src="), strings.Count(low, `<img src="data:image/png;base64,`); n != inline || n > 1 {
		t.Errorf("page has %d src= attributes, %d of them the inline logo", n, inline)
	}
	// Absolute addresses are only links out (the brand's website and privacy notice), never resources.
	if n, links := strings.Count(low, "https://"), strings.Count(low, `href="https://`); n != links {
		t.Errorf("page has %d https:// addresses, only %d of them links", n, links)
	}
}

var checkedRadio = regexp.MustCompile(`<input type="radio" id="score-(\d+)" name="score" value="\d+" required checked>`)

// checked returns the preselected score on a survey page, or "" if none.
func checked(body string) string {
	if m := checkedRadio.FindAllStringSubmatch(body, -1); len(m) == 1 {
		return m[0][1]
	} else if len(m) > 1 {
		return "several"
	}
	return ""
}

func TestTheSurveyPageAsksTheQuestionInTheInvitationsLanguageWithTheEmailsScorePreselected(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name, survey, locale, query string
		wantLang, wantQuestion      string
		wantChecked                 string
		wantRadios                  int
	}{
		{"nps in Spanish with 9 from the email", "nps-relationship", "es-MX", "score=9", "es", "¿Qué probabilidad hay", "9", 11},
		{"csat in English with 1", "csat-support", "en", "score=1", "en", "How satisfied are you", "1", 5},
		{"ces in French with 7", "ces-onboarding", "fr", "score=7", "fr", "L&#39;entreprise m&#39;a facilité", "7", 7},
		{"ces for a German contact falls back to English", "ces-onboarding", "de", "score=4", "en", "The company made it easy", "4", 7},
		{"a score outside the scale preselects nothing", "csat-support", "en", "score=9", "en", "How satisfied", "", 5},
		{"garbage in the score preselects nothing", "csat-support", "en", "score=%3Cb%3E", "en", "How satisfied", "", 5},
		{"no score preselects nothing", "nps-relationship", "en", "", "en", "How likely are you", "", 11},
	}
	for i, tt := range tests {
		inv := f.invite(testInvite{eventID: fmt.Sprintf("page-%d", i), survey: tt.survey, locale: tt.locale, contact: fmt.Sprintf("c-page-%d", i), send: true})
		resp := f.do(request("GET", "s", f.surveyToken(inv.ID), tt.query, ""))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d\n%s", tt.name, resp.StatusCode, resp.Body)
		}
		checkPage(t, resp)
		b := resp.Body
		t.Logf("%s: %d bytes", tt.name, len(b))
		if !strings.Contains(b, `<html lang="`+tt.wantLang+`">`) || !strings.Contains(b, tt.wantQuestion) {
			t.Errorf("%s: want lang %s and question %q in\n%s", tt.name, tt.wantLang, tt.wantQuestion, b)
		}
		if got := checked(b); got != tt.wantChecked {
			t.Errorf("%s: preselected %q, want %q", tt.name, got, tt.wantChecked)
		}
		if n := strings.Count(b, `type="radio"`); n != tt.wantRadios {
			t.Errorf("%s: %d radios, want %d", tt.name, n, tt.wantRadios)
		}
		for _, must := range []string{"<fieldset", "<legend>", `<textarea id="comment" name="comment"`, fmt.Sprintf(`maxlength="%d"`, MaxComment), `<button type="submit">`, `<form method="post"`, `href="../u/`} {
			if !strings.Contains(b, must) {
				t.Errorf("%s: page lacks %q", tt.name, must)
			}
		}
	}
}

func TestGetAndHeadOfEveryLinkRecordNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.invite(sampleInvitation)
	before := f.get(inv.ID)
	// What a link scanner or prefetcher does: every score link of the email, and the unsubscribe
	// link, fetched with GET and HEAD, many times.
	get, head := event(t, "survey-get"), event(t, "survey-head")
	uget := event(t, "survey-unsubscribe-get")
	for round := 0; round < 5; round++ {
		for score := 0; score <= 10; score++ {
			for _, req := range []web.Request{get, head} {
				req.QueryStringParameters = map[string]string{"score": fmt.Sprint(score)}
				req.RawQueryString = "score=" + fmt.Sprint(score)
				resp := f.do(req)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s score %d: status %d %s", req.RequestContext.HTTP.Method, score, resp.StatusCode, resp.Body)
				}
				if req.RequestContext.HTTP.Method == "HEAD" && resp.Body != "" {
					t.Fatalf("HEAD returned a body")
				}
			}
		}
		for _, m := range []string{"GET", "HEAD"} {
			uget.RequestContext.HTTP.Method = m
			if resp := f.do(uget); resp.StatusCode != http.StatusOK {
				t.Fatalf("%s unsubscribe: status %d", m, resp.StatusCode)
			}
		}
	}
	after := f.get(inv.ID)
	if len(after.Answers) != 0 || after.AnsweredAt != nil || after.Score != nil || after.Stopped != "" || after.GSI3SK != before.GSI3SK {
		t.Fatalf("reading links changed the invitation: %+v", after)
	}
	prior, err := f.st.LoadPrior(f.ctx, inv.ID, inv.ContactID, "", nil)
	if err != nil || prior.Contact.Unsubscribed() {
		t.Fatalf("reading the unsubscribe link unsubscribed the contact (%v)", err)
	}
}

func TestAPostRecordsTheAnswerStopsRemindersAndMovesTheChangeFeed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.invite(sampleInvitation)
	var emf bytes.Buffer
	f.h.Metrics = &telemetry.Metrics{Namespace: telemetry.Namespace, Out: &emf, Now: f.clock.Now}
	resp := f.do(event(t, "survey-post")) // base64 body, as API Gateway sends it
	resp = f.follow(event(t, "survey-post").PathParameters["token"], resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%s", resp.StatusCode, resp.Body)
	}
	checkPage(t, resp)
	if !strings.Contains(resp.Body, "¡Gracias!") || !strings.Contains(resp.Body, "Fast delivery, friendly driver.") {
		t.Errorf("thank-you page lacks the Spanish thanks or the comment:\n%s", resp.Body)
	}
	got := f.get(inv.ID)
	now := f.clock.Now()
	// Each submit keeps its comment and the locale it was written in, for the theme counts.
	if want := (store.Answer{Score: 9, At: now.UnixMilli(), Comment: "Fast delivery, friendly driver.", Lang: got.Locale}); len(got.Answers) != 1 || got.Answers[0] != want {
		t.Fatalf("answers %+v, want one %+v", got.Answers, want)
	}
	if got.Score == nil || *got.Score != 9 || got.Comment != "Fast delivery, friendly driver." {
		t.Errorf("current answer %v %q", got.Score, got.Comment)
	}
	if got.GSI4PK != "" || got.GSI4SK != "" {
		t.Errorf("the answered invitation is still due (%s / %s): its reminder could go out", got.GSI4PK, got.GSI4SK)
	}
	if got.Stopped != invitation.StopAnswered || got.AnsweredAt == nil || !got.AnsweredAt.Equal(now) || got.FirstAnsweredAt == nil || !got.FirstAnsweredAt.Equal(now) {
		t.Errorf("stopped %q answeredAt %v firstAnsweredAt %v", got.Stopped, got.AnsweredAt, got.FirstAnsweredAt)
	}
	if line := emf.String(); !strings.Contains(line, `"Answers":1`) || !strings.Contains(line, `"Outcome":"first"`) || !strings.Contains(line, `"Survey":"nps-relationship"`) {
		t.Errorf("metric line %q", line)
	}
	wantFeed := fmt.Sprintf("FEED#nps-relationship#%02d", store.Shard(inv.ID))
	if got.GSI3PK != wantFeed || got.GSI3SK != store.FormatTime(now) {
		t.Errorf("change feed %s / %s, want %s / %s", got.GSI3PK, got.GSI3SK, wantFeed, store.FormatTime(now))
	}
}

func TestTwentySimultaneousPostsOfOneInvitationAppendOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.invite(testInvite{eventID: "double-click", survey: "nps-relationship", locale: "en", contact: "c-dc", send: true})
	tok := f.surveyToken(inv.ID)
	var wg sync.WaitGroup
	statuses := make([]int, 20)
	for i := range statuses {
		wg.Go(func() {
			resp, err := f.h.Handle(f.ctx, request("POST", "s", tok, "", form(3, "slow")))
			if err == nil {
				statuses[i] = resp.StatusCode
			}
		})
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusSeeOther {
			t.Errorf("POST %d: status %d", i, s)
		}
	}
	if got := f.get(inv.ID); len(got.Answers) != 1 || *got.Score != 3 {
		t.Fatalf("answers %+v score %v, want exactly one answer 3", got.Answers, got.Score)
	}
}

// Fifty different answers posted to one link at once (a customer tapping around, a script):
// contention on the one item is never a server error, and what is stored is one of the answers,
// with every append a real change.
func TestFiftySimultaneousDifferentAnswersNeverFail(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.invite(testInvite{eventID: "fifty-different", survey: "nps-relationship", locale: "en", contact: "c-fifty", send: true})
	tok := f.surveyToken(inv.ID)
	var wg sync.WaitGroup
	statuses := make([]int, 50)
	for i := range statuses {
		wg.Go(func() {
			resp, err := f.h.Handle(f.ctx, request("POST", "s", tok, "", form(i%11, fmt.Sprintf("answer %d", i))))
			if err != nil {
				t.Errorf("POST %d: %v", i, err)
				return
			}
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	ok := 0
	for i, s := range statuses {
		switch s {
		case http.StatusSeeOther: // saved: post/redirect/get to the thank-you page
			ok++
		case http.StatusConflict:
		default:
			t.Errorf("POST %d: status %d, want 303 or 409", i, s)
		}
	}
	got := f.get(inv.ID)
	if ok == 0 || got.Score == nil || len(got.Answers) == 0 || len(got.Answers) > ok {
		t.Fatalf("%d posts answered 303; stored %d answers, score %v", ok, len(got.Answers), got.Score)
	}
	t.Logf("50 different answers at once: %d saved (303), %d asked to send again (409), %d appends", ok, 50-ok, len(got.Answers))
}

func TestAnEditWithinTheWindowMovesTheScoreAndARepeatChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.invite(testInvite{eventID: "edit", survey: "csat-support", locale: "en", contact: "c-edit", send: true})
	tok := f.surveyToken(inv.ID)
	first := f.clock.Now()
	steps := []struct {
		name      string
		after     time.Duration
		score     int
		comment   string
		wantCount int
		wantScore int
	}{
		{"the first answer", 0, 2, "", 1, 2},
		{"the same answer again a minute later", time.Minute, 2, "", 1, 2},
		{"a new score an hour later", time.Hour, 4, "", 2, 4},
		{"the same score with a comment", time.Hour, 4, "Solved quickly.", 3, 4},
		{"a repeat of that", time.Minute, 4, "Solved quickly.", 3, 4},
		{"a change just inside the window", 24*time.Hour - 2*time.Hour - 2*time.Minute - time.Millisecond, 5, "Solved quickly.", 4, 5},
	}
	for _, s := range steps {
		f.clock.Advance(s.after)
		resp := f.send(tok, form(s.score, s.comment))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d\n%s", s.name, resp.StatusCode, resp.Body)
		}
		got := f.get(inv.ID)
		if len(got.Answers) != s.wantCount || *got.Score != s.wantScore || got.Comment != s.comment {
			t.Fatalf("%s: answers %+v score %d comment %q", s.name, got.Answers, *got.Score, got.Comment)
		}
		if !got.FirstAnsweredAt.Equal(first) || got.GSI3SK != store.FormatTime(*got.AnsweredAt) {
			t.Fatalf("%s: firstAnsweredAt %v (want %v), feed %s answeredAt %v", s.name, got.FirstAnsweredAt, first, got.GSI3SK, got.AnsweredAt)
		}
	}
	// The GET page shows the current answer and until when it can change.
	resp := f.do(request("GET", "s", tok, "", ""))
	if checked(resp.Body) != "5" || !strings.Contains(resp.Body, "Solved quickly.") || !strings.Contains(resp.Body, formatUntil(first.Add(24*time.Hour))) {
		t.Errorf("page of an answered invitation:\n%s", resp.Body)
	}
}

func TestAfterTheEditWindowTheAnswerIsFinal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.invite(testInvite{eventID: "final", survey: "nps-relationship", locale: "es", contact: "c-final", send: true})
	tok := f.surveyToken(inv.ID)
	if resp := f.send(tok, form(10, "Parfait")); resp.StatusCode != http.StatusOK {
		t.Fatalf("first answer: %d", resp.StatusCode)
	}
	f.clock.Advance(f.h.Catalog.EditWindow.Duration)
	resp := f.send(tok, form(0, "Changed my mind"))
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("edit after the window: status %d, want 409", resp.StatusCode)
	}
	checkPage(t, resp)
	for _, want := range []string{"Tu respuesta es definitiva", "<dd>10</dd>", "Parfait"} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("final page lacks %q:\n%s", want, resp.Body)
		}
	}
	page := f.do(request("GET", "s", tok, "score=0", ""))
	if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, "Tu respuesta es definitiva") || strings.Contains(page.Body, "<form") {
		t.Errorf("GET after the window: status %d\n%s", page.StatusCode, page.Body)
	}
	if got := f.get(inv.ID); len(got.Answers) != 1 || *got.Score != 10 {
		t.Fatalf("the final answer changed: %+v", got.Answers)
	}
	// Repeating the final answer itself is not an edit: it is thanked, not refused.
	if resp := f.send(tok, form(10, "Parfait")); resp.StatusCode != http.StatusOK {
		t.Errorf("repeat of the final answer: status %d", resp.StatusCode)
	}
}

func TestBadLinksGetFriendlyPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.invite(testInvite{eventID: "links", survey: "nps-relationship", locale: "en", contact: "c-links", send: true})
	pending := f.invite(testInvite{eventID: "links-pending", survey: "csat-support", locale: "en", contact: "c-links-2"})
	spanish := f.invite(testInvite{eventID: "links-es", survey: "csat-support", locale: "es", contact: "c-links-3", send: true})
	good := f.surveyToken(inv.ID)
	tampered := []byte(good)
	tampered[10] ^= 1
	if tampered[10] == '-' || tampered[10] == '_' || tampered[10] > 'z' {
		tampered[10] = 'A'
	}
	now := f.clock.Now()
	tests := []struct {
		name, method, page, tok, body string
		want                          int
		wantText                      string
	}{
		{"a tampered token", "GET", "s", string(tampered), "", 404, "Link not found"},
		{"garbage", "GET", "s", "not-a-token", "", 404, "Link not found"},
		{"an unsubscribe token on the survey page", "GET", "s", f.unsubscribeToken(inv.ID), "", 404, "Link not found"},
		{"a survey token on the unsubscribe page", "POST", "u", good, "List-Unsubscribe=One-Click", 404, "Link not found"},
		{"a genuine token of an unknown invitation", "GET", "s", f.surveyToken(store.EventKey("nobody")), "", 404, "Link not found"},
		{"an expired token", "GET", "s", f.tokens.Sign(token.Survey, inv.ID, now.Add(-time.Second)), "", 410, "This survey has closed"},
		{"an expired token posted", "POST", "s", f.tokens.Sign(token.Survey, inv.ID, now.Add(-time.Second)), form(5, ""), 410, "This survey has closed"},
		{"an expired token of a Spanish invitation", "GET", "s", f.tokens.Sign(token.Survey, spanish.ID, now.Add(-time.Second)), "", 410, "Esta encuesta ha terminado"},
		{"an expired unsubscribe token", "POST", "u", f.tokens.Sign(token.Unsubscribe, inv.ID, now.Add(-time.Second)), "List-Unsubscribe=One-Click", 410, "use the unsubscribe link in a more recent survey email"},
		{"an answer to an invitation not sent yet", "POST", "s", f.surveyToken(pending.ID), form(5, ""), 503, "try again in a minute"},
	}
	for _, tt := range tests {
		resp := f.do(request(tt.method, tt.page, tt.tok, "", tt.body))
		if resp.StatusCode != tt.want || !strings.Contains(resp.Body, tt.wantText) {
			t.Errorf("%s: status %d, want %d with %q\n%s", tt.name, resp.StatusCode, tt.want, tt.wantText, resp.Body)
		}
		checkPage(t, resp)
	}
	if got := f.get(inv.ID); len(got.Answers) != 0 {
		t.Errorf("a bad link recorded an answer: %+v", got.Answers)
	}
	if prior, _ := f.st.LoadPrior(f.ctx, inv.ID, inv.ContactID, "", nil); prior.Contact.Unsubscribed() {
		t.Errorf("a survey token unsubscribed the contact")
	}
}

func TestTheInvitationsOwnLinkExpiryClosesTheSurvey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.invite(testInvite{eventID: "expiring", survey: "csat-support", locale: "es", contact: "c-exp", send: true})
	f.clock.Advance(inv.LinkExpiresAt.Sub(f.clock.Now()))
	// The token outlives the invitation's link here, so the invitation's own expiry decides.
	tok := f.tokens.Sign(token.Survey, inv.ID, f.clock.Now().Add(time.Hour))
	for _, m := range []string{"GET", "POST"} {
		resp := f.do(request(m, "s", tok, "", form(5, "")))
		if resp.StatusCode != http.StatusGone || !strings.Contains(resp.Body, "Esta encuesta ha terminado") {
			t.Errorf("%s: status %d\n%s", m, resp.StatusCode, resp.Body)
		}
	}
	if got := f.get(inv.ID); len(got.Answers) != 0 {
		t.Errorf("an expired invitation took an answer")
	}
}

func TestAFormToFixIsShownAgainWithTheProblemAndRecordsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.invite(testInvite{eventID: "forms", survey: "csat-support", locale: "en", contact: "c-forms", send: true})
	tok := f.surveyToken(inv.ID)
	tests := []struct {
		name, body string
		want       int
		wantText   string
	}{
		{"no score", "comment=hello", 400, "Please choose a score."},
		{"a score above the scale", form(6, "keep me"), 400, "Please choose one of the scores shown."},
		{"a negative score", "score=-1", 400, "Please choose one of the scores shown."},
		{"two scores", "score=1&score=5", 400, "We could not read the form"},
		{"a comment one character too long", form(3, strings.Repeat("é", MaxComment+1)), 400, "please shorten it to 1000 characters"},
		{"a body over the form limit", "score=3&comment=" + strings.Repeat("a", MaxForm), 413, "Your answer is too long"},
		{"a broken url-encoding", "score=3&comment=%zz", 400, "We could not read the form"},
	}
	for _, tt := range tests {
		resp := f.post(tok, tt.body)
		if resp.StatusCode != tt.want || !strings.Contains(resp.Body, tt.wantText) {
			t.Errorf("%s: status %d, want %d with %q\n%s", tt.name, resp.StatusCode, tt.want, tt.wantText, resp.Body)
		}
		checkPage(t, resp)
	}
	// The customer's comment survives the round trip.
	if resp := f.post(tok, form(6, "keep me")); !strings.Contains(resp.Body, ">keep me</textarea>") || !strings.Contains(resp.Body, `role="alert"`) {
		t.Errorf("the form lost the comment or the alert:\n%s", resp.Body)
	}
	// A CRLF comment of exactly MaxComment characters as the browser counts them is accepted.
	body := form(3, strings.Repeat("ab\r\n", MaxComment/3)+"a")
	if resp := f.send(tok, body); resp.StatusCode != http.StatusOK {
		t.Errorf("a %d-character comment with CRLF newlines: status %d", MaxComment, resp.StatusCode)
	}
	if got := f.get(inv.ID); len(got.Answers) != 1 || strings.Contains(got.Comment, "\r") {
		t.Errorf("answers %+v comment %q", got.Answers, got.Comment)
	}
}
