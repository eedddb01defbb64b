package main

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/telemetry"
)

// TestTheConfirmationNamesEveryScoreAndTheEmailScoreIsPreselected: the page carries one "Send N"
// button per score for the stylesheet to show under the chosen one, and a score link preselects.
func TestTheConfirmationNamesEveryScoreAndTheEmailScoreIsPreselected(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.invite(testInvite{eventID: "confirm-1", survey: "nps-relationship", locale: "en", contact: "c-confirm", send: true})
	resp := f.do(request("GET", "s", f.surveyToken(inv.ID), "score=9", ""))
	if resp.StatusCode != http.StatusOK || checked(resp.Body) != "9" {
		t.Fatalf("status %d, preselected %q, want 200 and 9", resp.StatusCode, checked(resp.Body))
	}
	checkPage(t, resp)
	for n := 0; n <= 10; n++ {
		if !strings.Contains(resp.Body, `<div class="sel s`+itoa(n)+`">`) || !strings.Contains(resp.Body, ">Send "+itoa(n)+"</button>") {
			t.Errorf("no Send %d confirmation on the page", n)
		}
	}
	for _, want := range []string{"0 = Not at all likely", "10 = Extremely likely", "Nothing is recorded until you do", "Acme Inc.", "Privacy notice", "About your recent order."} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
}

// TestThePageSaysWhatTheSurveyIsAbout: the touchpoint's order id stored on the invitation fills
// the context line, escaped.
func TestThePageSaysWhatTheSurveyIsAbout(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.invite(testInvite{eventID: "about-1", survey: "nps-relationship", locale: "es", contact: "c-about", send: true,
		context: map[string]string{"orderId": "<A&1042>"}})
	resp := f.do(request("GET", "s", f.surveyToken(inv.ID), "", ""))
	if !strings.Contains(resp.Body, "<p>Sobre tu pedido &lt;A&amp;1042&gt;.</p>") {
		t.Errorf("the page does not name the order, escaped:\n%s", resp.Body)
	}
}

// TestALinkOpenedAfterAnsweringShowsTheStoredAnswer: an old score link never preselects a score
// other than the one stored, and the page says what is stored.
func TestALinkOpenedAfterAnsweringShowsTheStoredAnswer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.invite(testInvite{eventID: "stored-1", survey: "nps-relationship", locale: "en", contact: "c-stored", send: true})
	tok := f.surveyToken(inv.ID)
	if resp := f.send(tok, form(3, "")); resp.StatusCode != http.StatusOK {
		t.Fatalf("answer: status %d", resp.StatusCode)
	}
	for _, q := range []string{"score=10", "score=3", "", "score=x"} {
		resp := f.do(request("GET", "s", tok, q, ""))
		if checked(resp.Body) != "3" || !strings.Contains(resp.Body, "We have your answer: 3.") {
			t.Errorf("?%s after answering 3: preselected %q\n%s", q, checked(resp.Body), resp.Body)
		}
	}
	if got := f.get(inv.ID); len(got.Answers) != 1 {
		t.Errorf("opening the links changed the answers: %+v", got.Answers)
	}
}

// TestThanksDependOnTheScoreBand: a 0 and a 10 are thanked differently, and only a score that
// opens a follow-up ticket promises that the team will be in touch.
func TestThanksDependOnTheScoreBand(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		score        int
		want, wantNo string
	}{
		{0, "sorry we let you down. Your answer helps us put it right. Our team will be in touch", "glad"},
		{6, "Our team will be in touch", "glad"},
		{7, "helps us do better", "in touch"},
		{10, "glad it went well", "in touch"},
	}
	for _, tt := range tests {
		inv := f.invite(testInvite{eventID: "band-" + itoa(tt.score), survey: "nps-relationship", locale: "en", contact: "c-band-" + itoa(tt.score), send: true})
		tok := f.surveyToken(inv.ID)
		resp := f.send(tok, form(tt.score, ""))
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, tt.want) || strings.Contains(resp.Body, tt.wantNo) {
			t.Errorf("score %d: status %d, want %q and not %q\n%s", tt.score, resp.StatusCode, tt.want, tt.wantNo, resp.Body)
		}
		// Reloading the thank-you page is a GET: it shows the same page and writes nothing.
		again := f.do(request("GET", "s", tok, "sent=1", ""))
		if again.Body != resp.Body || len(f.get(inv.ID).Answers) != 1 {
			t.Errorf("score %d: reloading the thank-you page changed it or the answer", tt.score)
		}
	}
}

// TestErrorPagesLeadSomewhere: every error page links back to the survey or to the company.
func TestErrorPagesLeadSomewhere(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	pending := f.invite(testInvite{eventID: "lead-1", survey: "nps-relationship", locale: "en", contact: "c-lead", send: false})
	for _, tt := range []struct {
		name, method, tok, body, link string
	}{
		{"not found", "GET", "nope", "", `href="https://www.acme.example/"`},
		{"not sent yet", "POST", f.surveyToken(pending.ID), form(5, ""), `href="` + f.surveyToken(pending.ID) + `"`},
	} {
		resp := f.do(request(tt.method, "s", tt.tok, "", tt.body))
		if resp.StatusCode < 400 || !strings.Contains(resp.Body, tt.link) {
			t.Errorf("%s: status %d, no link %s\n%s", tt.name, resp.StatusCode, tt.link, resp.Body)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestOpeningAScoreLinkCountsAMetricAndWritesNothing: the drop-off metric comes from a log line,
// never from a write on GET.
func TestOpeningAScoreLinkCountsAMetricAndWritesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var emf bytes.Buffer
	f.h.Metrics = &telemetry.Metrics{Namespace: telemetry.Namespace, Out: &emf, Now: f.clock.Now}
	inv := f.invite(testInvite{eventID: "opened-1", survey: "nps-relationship", locale: "en", contact: "c-opened", send: true})
	before := f.get(inv.ID)
	f.do(request("GET", "s", f.surveyToken(inv.ID), "score=4", ""))
	f.do(request("GET", "s", f.surveyToken(inv.ID), "", ""))
	n := 0
	for _, line := range strings.Split(emf.String(), "\n") {
		if strings.Contains(line, `"ScoreLinksOpened"`) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d ScoreLinksOpened metric lines, want 1 (only the score link counts):\n%s", n, emf.String())
	}
	if after := f.get(inv.ID); after.GSI3SK != before.GSI3SK || len(after.Answers) != 0 || after.AnsweredAt != nil {
		t.Errorf("opening the link changed the invitation")
	}
}

// TestTheUnsubscribePageNamesTheSenderAndAMaskedAddress: the customer sees who stops writing to
// which address, without the page showing the whole address to whoever holds the link.
func TestTheUnsubscribePageNamesTheSenderAndAMaskedAddress(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.invite(testInvite{eventID: "unsub-who-1", survey: "nps-relationship", locale: "en", contact: "zoe", send: true})
	resp := f.do(request("GET", "u", f.unsubscribeToken(inv.ID), "", ""))
	if !strings.Contains(resp.Body, "Survey emails from Acme Inc. to z•••@example.com.") || strings.Contains(resp.Body, "zoe@") {
		t.Errorf("the unsubscribe page does not name the sender and the masked address:\n%s", resp.Body)
	}
	for in, want := range map[string]string{"ana@x.example": "a•••@x.example", "é@x": "é•••@x", "broken": "•••", "@x": "•••"} {
		if got := maskAddress(in); got != want {
			t.Errorf("maskAddress(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOnlyAHighScoreIsOfferedTheReviewLink: the catalog's review page appears on the thank-you
// page of the high band only (NPS 9-10, CSAT 4-5), a survey's own reviewUrl wins over the brand's,
// and without either there is no link.
func TestOnlyAHighScoreIsOfferedTheReviewLink(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	brandReview := `<p class="review"><a href="https://reviews.acme.example/write">Would you tell others? Write a review</a></p>`
	csat, _ := f.h.Catalog.Survey("csat-support")
	csat.ReviewURL = "https://reviews.acme.example/support?x=1&y=2"
	csatReview := `<a href="https://reviews.acme.example/support?x=1&amp;y=2">`
	tests := []struct {
		survey  string
		score   int
		want    string // "" wants no review link at all
		noBrand bool   // the catalog without the brand's reviewUrl
	}{
		{"nps-relationship", 10, brandReview, false},
		{"nps-relationship", 9, brandReview, false},
		{"nps-relationship", 8, "", false},
		{"nps-relationship", 0, "", false},
		{"csat-support", 4, csatReview, false},
		{"csat-support", 3, "", false},
		{"nps-relationship", 10, "", true},
	}
	for i, tt := range tests {
		h := f.h
		if tt.noBrand {
			c := *f.h.Catalog
			b := *c.Brand
			b.ReviewURL = ""
			c.Brand = &b
			h = &Handler{Store: f.st, Tokens: f.tokens, Catalog: &c}
		}
		inv := f.invite(testInvite{eventID: "review-" + itoa(i), survey: tt.survey, locale: "en", contact: "c-review-" + itoa(i), send: true})
		tok := f.surveyToken(inv.ID)
		if resp := f.post(tok, form(tt.score, "")); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s %d: answer status %d", tt.survey, tt.score, resp.StatusCode)
		}
		resp, err := h.Handle(f.ctx, request("GET", "s", tok, "sent=1", ""))
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %d: thank-you page %d %v", tt.survey, tt.score, resp.StatusCode, err)
		}
		checkPage(t, resp)
		has := strings.Contains(resp.Body, "reviews.acme.example")
		if tt.want == "" && has || tt.want != "" && !strings.Contains(resp.Body, tt.want) {
			t.Errorf("%s score %d (brand review %v): want %q, review link present %v\n%s", tt.survey, tt.score, !tt.noBrand, tt.want, has, resp.Body)
		}
	}
}

// The pages are parsed on first render, not at init; one that does not parse panics here.
func TestPagesParse(t *testing.T) {
	t.Parallel()
	for _, parse := range []func() *template.Template{surveyPage, messagePage, unsubscribePage} {
		parse()
	}
}
