package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cxloop/cxloop/infra/local/rig"
	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/score"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/storetest"
	"github.com/cxloop/cxloop/shared/ticket"
)

// consoleRig runs the real TicketsFunction bootstrap behind the local HTTP API on a table of its
// own (infra/local/rig), so the test owns every ticket it sees.
func consoleRig(t *testing.T) *rig.Rig {
	t.Helper()
	if os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") == "" || os.Getenv("AWS_ENDPOINT_URL_SESV2") == "" {
		t.Fatal("the local stack is not running: make up && . .local/env (make test starts it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := rig.Start(ctx, rig.Options{})
	if err != nil {
		t.Fatalf("start rig: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// seedTickets opens one ticket per team as FollowupFunction would, and writes a score trend.
func seedTickets(t *testing.T, st *store.Store) (eu, support string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	open := func(inv, survey, team, comment string, score int) string {
		d := ticket.Ticket{ID: ticket.AnswerID(inv), Cause: ticket.CauseAnswer, Survey: survey, Touchpoint: "order.delivered",
			ContactID: "c-" + inv, Email: inv + "@example.com", Name: "Ana", Segments: map[string]string{"region": "eu"},
			InvitationID: inv, Score: &score, Comment: comment, Priority: ticket.PriorityHigh, Team: team,
			CreatedAt: now, SLADue: now.Add(48 * time.Hour),
			History: []ticket.Event{{At: now, Actor: "customer", Action: "opened", Text: "low answer"}}}
		a := ticket.Answer{InvitationID: inv, Score: score, Comment: comment, At: now}
		if _, _, err := st.OpenAnswerTicket(ctx, d, a, now, now); err != nil {
			t.Fatal(err)
		}
		return d.ID
	}
	eu = open("console-eu", "nps-relationship", "customer-success-eu", "The parcel arrived two days late.", 3)
	support = open("console-support", "csat-support", "support", "Nobody called back.", 1)
	for i, v := range []float64{42, 35, 28, 31} {
		snap := score.Snapshot{Survey: "nps-relationship", Metric: "nps", CatalogVersion: "e2e", MetricVersion: 1,
			RunAt: now.Add(time.Duration(i-4) * 24 * time.Hour), Day: now.Format("2006-01-02"),
			Scores: []score.Row{{Window: "7d", Dim: metric.Overall, Score: metric.Score{N: int64(40 + 10*i), Value: v, MarginOfError: 24 - 3*float64(i)}}}}
		if err := st.PutSnapshot(ctx, snap); err != nil {
			t.Fatal(err)
		}
	}
	return eu, support
}

// TestAnAgentWorksATicketInTheConsoleInChromium: log in with a pasted token, filter the queue,
// open a ticket, assign it, add a note, resolve it; screenshots of every page and axe-core on each.
func TestAnAgentWorksATicketInTheConsoleInChromium(t *testing.T) {
	r := consoleRig(t)
	eu, support := seedTickets(t, r.Store)
	tok, err := r.Store.CreateAPIToken(context.Background(), access.Agent, storetest.UniqueName("maria"))
	if err != nil {
		t.Fatal(err)
	}
	b := newSurveyBrowser(t)
	base := r.BaseURL

	// Not signed in: the console sends the browser to the login form.
	if st := b.open(base + "/ops/"); st != 200 {
		t.Fatalf("GET /ops/ ended on %d", st)
	}
	if path := eval[string](b, "location.pathname"); path != "/ops/login" {
		t.Fatalf("not signed in, /ops/ shows %s, want the login form", path)
	}
	b.axe("console login page")

	b.do("paste the token", chromedp.SendKeys(chromedp.CSS("#token"), tok))
	if st := b.submit("main form button"); st != 200 {
		t.Fatalf("sign in ended on %d", st)
	}
	if path := eval[string](b, "location.pathname"); path != "/ops/" {
		t.Fatalf("after sign-in the browser is on %s", path)
	}
	if c := eval[string](b, "document.cookie"); c != "" {
		t.Fatalf("the session cookie is readable by script: %q", c)
	}
	queue := eval[string](b, "document.querySelector('main').innerText")
	if !strings.Contains(queue, eu) || !strings.Contains(queue, support) {
		t.Fatalf("the queue lacks a ticket:\n%s", queue)
	}

	// Filter the queue by team.
	b.do("choose a team", chromedp.SetValue(chromedp.CSS("#team"), "customer-success-eu"))
	if st := b.submit("form.filters button"); st != 200 {
		t.Fatalf("filter ended on %d", st)
	}
	queue = eval[string](b, "document.querySelector('main').innerText")
	if !strings.Contains(queue, eu) || strings.Contains(queue, support) {
		t.Fatalf("the filtered queue shows the wrong tickets:\n%s", queue)
	}
	if q := eval[string](b, "location.search"); !strings.Contains(q, "team=customer-success-eu") {
		t.Fatalf("the filter is not in the address: %q", q)
	}
	// A row says who, what score on what scale and what they wrote, and on a phone the queue is a
	// list of cards, not a table scrolled sideways.
	for _, want := range []string{"Ana", "3/10", "The parcel arrived two days late.", "order.delivered", "nobody"} {
		if !strings.Contains(queue, want) {
			t.Errorf("the queue row lacks %q:\n%s", want, queue)
		}
	}
	for v, rowDisplay := range map[viewport]string{phone: "block", desktop: "table-row"} {
		b.size(v)
		if wide := eval[bool](b, "document.documentElement.scrollWidth > window.innerWidth"); wide {
			t.Errorf("the queue scrolls sideways at %d px", v.width)
		}
		if d := eval[string](b, "getComputedStyle(document.querySelector('table.queue tbody tr')).display"); d != rowDisplay {
			t.Errorf("at %d px a queue row displays as %q, want %q (cards on a phone, a table on a desktop)", v.width, d, rowDisplay)
		}
	}
	b.axe("console queue page")

	// Open the ticket, assign it, add a note, resolve it (each a POST then a redirect).
	if st := b.submit(`a[href="/ops/ticket/` + eu + `"]`); st != 200 {
		t.Fatalf("open the ticket: %d", st)
	}
	page := eval[string](b, "document.querySelector('main').innerText")
	if !strings.Contains(page, "The parcel arrived two days late.") || !strings.Contains(page, "Score 3") {
		t.Fatalf("the ticket page lacks the answer:\n%s", page)
	}
	b.size(phone)
	b.axe("console ticket page")

	b.do("type the assignee", chromedp.SendKeys(chromedp.CSS("#assignee"), "maria"))
	if st := b.submit("#assign-form button"); st != 200 {
		t.Fatalf("assign: %d", st)
	}
	b.do("type a note", chromedp.SendKeys(chromedp.CSS("#note"), "Called her: a refund is on its way."))
	if st := b.submit("#note-form button"); st != 200 {
		t.Fatalf("note: %d", st)
	}
	// The close-the-loop email is the agent's choice: offered, never pre-ticked.
	if eval[bool](b, "!!document.querySelector('#closeloop') && document.querySelector('#closeloop').checked") {
		t.Fatal("the close-the-loop checkbox is ticked before the agent chose it")
	}
	if st := b.submit("#status-resolved button"); st != 200 {
		t.Fatalf("resolve: %d", st)
	}
	page = eval[string](b, "document.querySelector('main').innerText")
	for _, want := range []string{"resolved · maria", "assigned to maria", "Called her: a refund is on its way.", "assigned -> resolved"} {
		if !strings.Contains(page, want) {
			t.Errorf("the resolved ticket page lacks %q:\n%s", want, page)
		}
	}
	tk, err := r.Store.GetTicket(context.Background(), eu)
	if err != nil || tk.Status != ticket.StatusResolved || tk.Assignee != "maria" {
		t.Fatalf("stored ticket: %+v %v", tk, err)
	}
	b.shoot("console-ticket-resolved")
	b.axe("resolved ticket page")

	// The scores page draws the trend with its margin of error.
	if st := b.open(base + "/ops/trends?window=7d"); st != 200 {
		t.Fatalf("trends: %d", st)
	}
	if n := eval[int](b, "document.querySelectorAll('svg polygon, svg polyline').length"); n < 2 {
		t.Fatalf("the trend chart has %d band/line shapes", n)
	}
	b.axe("console scores page")

	for _, u := range b.requested() {
		if !strings.HasPrefix(u, base) && !strings.HasPrefix(u, "data:") {
			t.Errorf("the console loaded %s from elsewhere", u)
		}
	}
	for _, m := range b.messages() {
		if strings.Contains(m, "Content Security Policy") || strings.Contains(m, "error") {
			t.Errorf("browser message: %s", m)
		}
	}
}
