package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/theme"
	"github.com/cxloop/cxloop/shared/ticket"
)

// seedThemes writes answered invitations with comments the way the survey page leaves them and
// folds them into the theme counts through the store calls the scorer uses (ApplyRunThemes after
// TermDays), so the report reads what a scoring run would have written.
func seedThemes(t *testing.T, f *fix, survey string, day time.Time, answers []seedAnswer) {
	t.Helper()
	ctx := context.Background()
	sv, _ := f.h.Catalog.Survey(survey)
	lo, hi := sv.Bands()
	c := theme.Counter{Matcher: theme.NewMatcher(sv.Declared()), Bands: theme.Bands{LowMax: lo, HighMin: hi}}
	td := theme.Delta{}
	for i, a := range answers {
		id := fmt.Sprintf("inv-th-%03d", i)
		at := day.Add(time.Duration(i) * time.Minute)
		score := a.score
		inv := store.Invitation{PK: "EVENT#" + id, SK: "EVENT", Kind: store.KindInvitation, ID: id, EventID: id, Survey: survey,
			Touchpoint: "order.delivered", ContactID: a.contact, Outcome: invitation.OutcomeInvited, DecidedAt: at, Status: invitation.StatusSent,
			SentAt: &at, Locale: "en", Score: &score, Comment: a.comment, AnsweredAt: &at,
			Answers: []store.Answer{{Score: a.score, At: at.UnixMilli(), Comment: a.comment, Lang: "en"}},
			GSI1PK:  "CONTACT#" + a.contact, GSI1SK: "DEC#" + store.FormatTime(at) + "#" + id,
			GSI3PK: fmt.Sprintf("FEED#%s#%02d", survey, store.Shard(id)), GSI3SK: store.FormatTime(at)}
		item, err := attributevalue.MarshalMap(inv)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.h.Store.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.h.Store.Table), Item: item}); err != nil {
			t.Fatal(err)
		}
		c.AddItem(td, theme.Item{Answers: []theme.Answer{{Score: a.score, At: at.UnixMilli(), Comment: a.comment, Lang: "en"}},
			Dims: metric.Dims("order.delivered", nil)}, 0, at.UnixMilli()+1)
	}
	td.Prune()
	var days []string
	for d := range td {
		days = append(days, d)
	}
	stored, err := f.h.Store.TermDays(ctx, survey, days)
	if err != nil {
		t.Fatal(err)
	}
	terms := map[string]theme.TermDay{}
	for d, s := range stored {
		terms[d] = s.Merge(td[d].Terms)
	}
	if err := f.h.Store.ApplyRunThemes(ctx, survey, metric.Delta{}, td, terms, time.Time{}, day.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
}

type seedAnswer struct {
	score   int
	comment string
	contact string
}

// themeCorpus is 40 detractors (16 about a late courier, the last one, cust-15, giving a phone
// number) and 40
// promoters praising fast, friendly service.
func themeCorpus() []seedAnswer {
	var out []seedAnswer
	for i := range 40 {
		c := "the app keeps crashing"
		switch {
		case i == 15: // the newest of the courier comments, so it is an example
			c = "The courier was late, call me on 600123456"
		case i < 16:
			c = "courier late again"
		case i < 28:
			c = "too expensive for what it is"
		}
		out = append(out, seedAnswer{score: i % 7, comment: c, contact: fmt.Sprintf("cust-%02d", i)})
	}
	for i := range 40 {
		c := "fast friendly service"
		if i%2 == 0 {
			c = "great app, fast delivery"
		}
		out = append(out, seedAnswer{score: 9 + i%2, comment: c, contact: fmt.Sprintf("fan-%02d", i)})
	}
	return out
}

func TestThemesReportDeclaredAndFoundThemesWithMaskedExamples(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	now := f.h.Store.Now().UTC()
	seedThemes(t, f, "nps-relationship", now.Truncate(24*time.Hour).Add(time.Hour), themeCorpus())

	get := func(role, query string) ThemesReport {
		t.Helper()
		resp := f.call(t, "GET", "/ops/themes?"+query, f.tokens[role], "", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
		}
		var rep ThemesReport
		if err := json.Unmarshal([]byte(resp.Body), &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	rep := get(access.Viewer, "survey=nps-relationship&window=7d")
	if rep.Comments != 80 || rep.Low != 40 || rep.High != 40 {
		t.Fatalf("comments %d, low %d, high %d; want 80, 40, 40", rep.Comments, rep.Low, rep.High)
	}
	var delivery *DeclaredLine
	for i := range rep.Declared {
		if rep.Declared[i].Theme == "delivery" {
			delivery = &rep.Declared[i]
		}
	}
	// 16 of 40 detractors mention courier/late: 40%; promoters say "delivery" 20 times.
	if delivery == nil || delivery.Low != 16 || delivery.LowShare != 40 || delivery.High != 20 || len(delivery.Trend) != 4 || delivery.Trend[3].Share != 40 {
		t.Fatalf("delivery = %+v", delivery)
	}
	found := map[string]FoundLine{}
	for _, l := range rep.Found {
		found[l.Term] = l
	}
	late, ok := found["courier late"]
	if !ok || late.Z < MinZ || late.Low != 16 || len(late.Examples) != ExamplesPerTerm {
		t.Fatalf("found = %+v, want the phrase 'courier late' with two examples", rep.Found)
	}
	if len(rep.Praised) == 0 || rep.Praised[0].Z > -MinZ {
		t.Errorf("praised = %+v", rep.Praised)
	}
	for _, l := range rep.Found {
		if strings.ContainsAny(l.Term, "0123456789") {
			t.Errorf("a number became a theme: %q", l.Term)
		}
	}
	// The viewer never reads the phone number; the agent reads the comment as written.
	viewerText, agentText := examplesOf(rep, "courier late"), examplesOf(get(access.Agent, "survey=nps-relationship&window=7d"), "courier late")
	if strings.Contains(viewerText, "600123456") || !strings.Contains(agentText, "600123456") {
		t.Errorf("viewer examples %q, agent examples %q: want the number masked for the viewer only", viewerText, agentText)
	}

	// Reading example comments is recorded under the reader's name, without the comments.
	viewer, err := f.h.Store.LookupAPIToken(context.Background(), f.tokens[access.Viewer])
	if err != nil {
		t.Fatal(err)
	}
	trail, err := f.h.Store.AuditTrail(context.Background(), viewer.Name, 20)
	if err != nil {
		t.Fatal(err)
	}
	recorded := false
	for _, e := range trail {
		if e.Action == "theme examples" && strings.Contains(e.Subject, "survey=nps-relationship") && e.Count >= ExamplesPerTerm {
			recorded = true
		}
		if strings.Contains(fmt.Sprintf("%+v", e), "courier") {
			t.Errorf("an audit entry holds a comment: %+v", e)
		}
	}
	if !recorded {
		t.Errorf("the viewer's read of example comments is not in the audit trail: %+v", trail)
	}

	csv := f.call(t, "GET", "/ops/themes?survey=nps-relationship&window=7d&format=csv", f.tokens[access.Viewer], "", nil)
	if csv.StatusCode != http.StatusOK || !strings.Contains(csv.Body, "declared,delivery,36,16,20,40,") || !strings.Contains(csv.Body, "found-low,courier late,") {
		t.Errorf("CSV %d:\n%s", csv.StatusCode, csv.Body)
	}
	page := f.call(t, "GET", "/ops/themes/page?survey=nps-relationship&window=7d", f.tokens[access.Viewer], "", nil)
	if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, "<h1>Themes</h1>") || !strings.Contains(page.Body, "courier late") ||
		!strings.Contains(page.Body, "40.0% ±") || strings.Contains(page.Body, "600123456") {
		t.Errorf("page %d:\n%s", page.StatusCode, page.Body)
	}
	for _, bad := range []string{"window=2d", "survey=nope", "touchpoint=a&segment=b=c"} {
		if r := f.call(t, "GET", "/ops/themes?"+bad, f.tokens[access.Viewer], "", nil); r.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", bad, r.StatusCode)
		}
	}
	if r := f.call(t, "GET", "/ops/themes", f.tokens[access.Producer], "", nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("a producer token: status %d, want 403", r.StatusCode)
	}
}

func examplesOf(rep ThemesReport, term string) string {
	var b strings.Builder
	for _, l := range rep.Found {
		if l.Term == term {
			for _, e := range l.Examples {
				b.WriteString(e.Comment + "\n")
			}
		}
	}
	return b.String()
}

func TestErasingAContactRemovesItsCommentFromTheExamples(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	now := f.h.Store.Now().UTC()
	seedThemes(t, f, "nps-relationship", now.Truncate(24*time.Hour).Add(time.Hour), themeCorpus())
	// cust-15 wrote the only comment with a phone number: erase them and no example quotes it.
	before := f.call(t, "GET", "/ops/themes?survey=nps-relationship&window=7d", f.tokens[access.Agent], "", nil)
	if !strings.Contains(before.Body, "600123456") {
		t.Fatalf("the comment is not among the examples before erasure:\n%s", before.Body)
	}
	if r := f.call(t, "DELETE", "/ops/contacts/"+base64.RawURLEncoding.EncodeToString([]byte("cust-15")), f.tokens[access.Admin], "", nil); r.StatusCode != http.StatusOK {
		t.Fatalf("erase: %d %s", r.StatusCode, r.Body)
	}
	after := f.call(t, "GET", "/ops/themes?survey=nps-relationship&window=7d", f.tokens[access.Agent], "", nil)
	if strings.Contains(after.Body, "600123456") || strings.Contains(after.Body, "call me") {
		t.Errorf("the erased contact's comment is still an example:\n%s", after.Body)
	}
	var rep ThemesReport
	_ = json.Unmarshal([]byte(after.Body), &rep)
	if rep.Low != 40 {
		t.Errorf("low-band comments after erasure = %d: the anonymous counts stay", rep.Low)
	}
}

func TestTheQueueFiltersOnATheme(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	ctx := context.Background()
	at := time.Now().UTC()
	for i, themes := range [][]string{{"delivery"}, {"price", "delivery"}, {"price"}, nil} {
		score := 2
		inv := fmt.Sprintf("inv-tag-%d", i)
		d := ticket.Ticket{ID: "T-tag-" + inv, Cause: "answer", Survey: "nps-relationship", ContactID: fmt.Sprintf("tag-%d", i),
			InvitationID: inv, Score: &score, Comment: "c", Priority: "high", Team: "customer-success", CreatedAt: at,
			SLADue: at.Add(48 * time.Hour), Themes: themes, History: []ticket.Event{{At: at, Actor: "customer", Action: "opened"}}}
		if _, _, err := f.h.Store.OpenAnswerTicket(ctx, d, ticket.Answer{InvitationID: inv, Score: 2, At: at}, at, at); err != nil {
			t.Fatal(err)
		}
	}
	resp := f.call(t, "GET", "/ops/tickets?theme=delivery", f.tokens[access.Viewer], "", nil)
	var page struct {
		Tickets []ticket.Ticket `json:"tickets"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &page); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	if len(page.Tickets) != 2 {
		t.Fatalf("theme=delivery gave %d tickets, want the 2 tagged delivery: %s", len(page.Tickets), resp.Body)
	}
	html := f.call(t, "GET", "/ops/?theme=price", f.tokens[access.Viewer], "", nil)
	if html.StatusCode != http.StatusOK || !strings.Contains(html.Body, `<option value="price" selected>`) ||
		!strings.Contains(html.Body, "themes: price, delivery") || strings.Contains(html.Body, "themes: delivery<") {
		t.Errorf("queue page %d:\n%s", html.StatusCode, html.Body)
	}
}
