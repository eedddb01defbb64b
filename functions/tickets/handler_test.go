package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/config"
	"github.com/cxloop/cxloop/shared/mail"
	"github.com/cxloop/cxloop/shared/metric"
	"github.com/cxloop/cxloop/shared/score"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/storetest"
	"github.com/cxloop/cxloop/shared/ticket"
	"github.com/cxloop/cxloop/shared/token"
	"github.com/cxloop/cxloop/shared/web"
)

type fix struct {
	h      *Handler
	tokens map[string]string // role -> raw token
}

func fixture(t *testing.T) *fix {
	t.Helper()
	st := storetest.New(t)
	cfg, err := config.AWS()
	if err != nil {
		t.Fatalf("aws config: %v (export the local stack's .local/env)", err)
	}
	f := &fix{h: &Handler{Store: st, Catalog: catalog.MustShipped(), Mail: mail.NewClient(cfg, "surveys@example.com", ""),
		Retention: 730 * 24 * time.Hour, Signer: testSigner(t), BaseURL: "https://surveys.example.com"}, tokens: map[string]string{}}
	for _, role := range []string{access.Producer, access.Viewer, access.Agent, access.Admin} {
		raw, err := st.CreateAPIToken(context.Background(), role, role+"-test")
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[role] = raw
	}
	return f
}

// call sends one request like API Gateway would (form bodies base64-encoded).
func (f *fix) call(t *testing.T, method, target, token string, body string, headers map[string]string) web.Response {
	t.Helper()
	u, _ := url.Parse(target)
	req := web.Request{RawPath: u.Path, RawQueryString: u.RawQuery, Headers: map[string]string{},
		QueryStringParameters: map[string]string{}}
	req.RequestContext.HTTP.Method = method
	req.RequestContext.HTTP.Path = u.Path
	req.RequestContext.DomainName = "ops.example.com"
	req.Headers["host"] = "ops.example.com"
	for k, v := range u.Query() {
		req.QueryStringParameters[k] = strings.Join(v, ",")
	}
	if token != "" {
		req.Headers["authorization"] = "Bearer " + token
	}
	for k, v := range headers {
		req.Headers[strings.ToLower(k)] = v
	}
	if body != "" {
		if strings.HasPrefix(req.Headers["content-type"], "application/x-www-form-urlencoded") {
			req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(body)), true
		} else {
			req.Body = body
		}
	}
	resp, err := f.h.Handle(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// openTicket writes a low-answer ticket for contact with email addr.
func (f *fix) openTicket(t *testing.T, inv, contact, addr string) string {
	t.Helper()
	inv = store.EventKey(inv) // an invitation id, as the unsubscribe link signs it
	at := time.Now().UTC()
	score := 2
	d := ticket.Ticket{ID: ticket.AnswerID(inv), Cause: ticket.CauseAnswer, Survey: "nps-relationship", Touchpoint: "order.delivered",
		ContactID: contact, Email: addr, Name: "Ana Lopez", Locale: "es", Segments: map[string]string{"region": "eu"},
		InvitationID: inv, Score: &score, Comment: "late again", Priority: "high", Team: "customer-success-eu",
		CreatedAt: at, SLADue: at.Add(48 * time.Hour),
		History: []ticket.Event{{At: at, Actor: "customer", Action: "opened"}}}
	a := ticket.Answer{InvitationID: inv, Score: 2, Comment: "late again", At: at}
	if _, _, err := f.h.Store.OpenAnswerTicket(context.Background(), d, a, at, at); err != nil {
		t.Fatal(err)
	}
	return d.ID
}

func TestAuth(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	id := f.openTicket(t, "inv-auth", "cust-auth", "auth@example.com")
	hash := sha256.Sum256([]byte(f.tokens[access.Admin]))
	cases := []struct {
		name, method, path, token string
		body                      string
		want                      int
	}{
		{"no token is 401", "GET", "/ops/tickets", "", "", 401},
		{"an unknown token is 401", "GET", "/ops/tickets", "cx_" + strings.Repeat("0", 64), "", 401},
		{"the stored hash of a token is not a token", "GET", "/ops/tickets", hex.EncodeToString(hash[:]), "", 401},
		{"the stored key of a token is not a token", "GET", "/ops/tickets", "APITOKEN#" + hex.EncodeToString(hash[:]), "", 401},
		{"a producer token may not read tickets", "GET", "/ops/tickets", f.tokens[access.Producer], "", 403},
		{"a viewer reads tickets", "GET", "/ops/tickets", f.tokens[access.Viewer], "", 200},
		{"a viewer reads one ticket", "GET", "/ops/tickets/" + id, f.tokens[access.Viewer], "", 200},
		{"a viewer may not update a ticket", "PATCH", "/ops/tickets/" + id, f.tokens[access.Viewer], `{"note":"x"}`, 403},
		{"an agent updates a ticket", "PATCH", "/ops/tickets/" + id, f.tokens[access.Agent], `{"note":"x"}`, 200},
		{"an agent may not export a contact", "GET", "/ops/contacts/" + web.PathID("cust-auth") + "/export", f.tokens[access.Agent], "", 403},
		{"an agent may not erase a contact", "DELETE", "/ops/contacts/" + web.PathID("cust-auth"), f.tokens[access.Agent], "", 403},
		{"an admin exports a contact", "GET", "/ops/contacts/" + web.PathID("cust-auth") + "/export", f.tokens[access.Admin], "", 200},
		{"no token on a console page redirects to the login form", "GET", "/ops/", "", "", 303},
		{"a producer may not see the console", "GET", "/ops/", f.tokens[access.Producer], "", 403},
		{"an unknown ticket is 404", "GET", "/ops/tickets/a-nope", f.tokens[access.Viewer], "", 404},
		{"an unknown path is 404", "GET", "/ops/nothing/here", f.tokens[access.Viewer], "", 404},
		{"a wrong method is 405", "PUT", "/ops/tickets/" + id, f.tokens[access.Admin], "", 405},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := f.call(t, c.method, c.path, c.token, c.body, nil)
			if resp.StatusCode != c.want {
				t.Fatalf("%s %s = %d %s, want %d", c.method, c.path, resp.StatusCode, resp.Body, c.want)
			}
			if c.want == 401 && strings.Contains(resp.Body, "ticket") {
				t.Fatalf("a 401 leaks data: %s", resp.Body)
			}
		})
	}
}

func TestTicketAPI(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	addr := fmt.Sprintf("ana-%d@example.com", time.Now().UnixNano())
	id := f.openTicket(t, "inv-api", "cust-api", addr)
	agent := f.tokens[access.Agent]

	resp := f.call(t, "GET", "/ops/tickets?status=open&team=customer-success-eu", agent, "", nil)
	var list struct{ Tickets []ticket.Ticket }
	if err := json.Unmarshal([]byte(resp.Body), &list); err != nil || len(list.Tickets) != 1 || list.Tickets[0].ID != id {
		t.Fatalf("filtered list = %s", resp.Body)
	}
	if resp := f.call(t, "GET", "/ops/tickets?team=support", agent, "", nil); !strings.Contains(resp.Body, `"tickets":[]`) {
		t.Fatalf("another team's list = %s", resp.Body)
	}
	if resp := f.call(t, "GET", "/ops/tickets?status=done", agent, "", nil); resp.StatusCode != 400 {
		t.Fatalf("unknown status = %d", resp.StatusCode)
	}
	steps := []struct {
		name, body string
		status     int
		check      func(ticket.Ticket) bool
	}{
		{"assigning an open ticket moves it to assigned", `{"assignee":"maria"}`, 200, func(t ticket.Ticket) bool { return t.Status == "assigned" && t.Assignee == "maria" }},
		{"a note is added to the history", `{"note":"Called, she wants a refund"}`, 200, func(t ticket.Ticket) bool { return t.History[len(t.History)-1].Text == "Called, she wants a refund" }},
		{"closing before resolving is refused", `{"status":"closed"}`, 409, nil},
		{"an unknown field is refused", `{"priority":"low"}`, 400, nil},
		{"resolving with closeLoop sends the customer the email", `{"status":"resolved","closeLoop":true}`, 200, func(t ticket.Ticket) bool { return t.Status == "resolved" && t.CloseLoop != nil }},
		{"resolving again is refused", `{"status":"resolved"}`, 409, nil},
		{"closing sets the retention", `{"status":"closed"}`, 200, func(t ticket.Ticket) bool { return t.Status == "closed" && t.Closed != nil }},
	}
	for _, s := range steps {
		resp := f.call(t, "PATCH", "/ops/tickets/"+id, agent, s.body, nil)
		if resp.StatusCode != s.status {
			t.Fatalf("%s: %d %s", s.name, resp.StatusCode, resp.Body)
		}
		if s.check != nil {
			var tk ticket.Ticket
			if err := json.Unmarshal([]byte(resp.Body), &tk); err != nil || !s.check(tk) {
				t.Fatalf("%s: %s", s.name, resp.Body)
			}
		}
	}
	mails := storetest.EmailsTo(t, addr)
	if len(mails) != 1 || !strings.Contains(mails[0].Body.Text, "Hola Ana Lopez") || !strings.Contains(mails[0].Body.Text, "Gracias") {
		t.Fatalf("close-the-loop emails to the customer = %+v", mails)
	}
	lu := mails[0].Header("List-Unsubscribe")
	if !strings.HasPrefix(lu, "<https://surveys.example.com/u/") || mails[0].Header("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("close-the-loop unsubscribe headers = %q %q", lu, mails[0].Header("List-Unsubscribe-Post"))
	}
}

func TestScoresAsJSONAndCSV(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	run := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for i, v := range []float64{30, 25} {
		snap := score.Snapshot{Survey: "nps-relationship", Metric: "nps", CatalogVersion: "v", MetricVersion: 1,
			RunAt: run.Add(time.Duration(i) * time.Hour), Day: "2026-11-23",
			Scores: []score.Row{
				{Window: "7d", Dim: metric.Overall, Score: metric.Score{N: 40, Value: v, MarginOfError: 20}},
				{Window: "7d", Dim: metric.SegmentDim("plan", "pro"), Score: metric.Score{N: 10, Value: -10, MarginOfError: 50}},
				{Window: "30d", Dim: metric.Overall, Score: metric.Score{N: 90, Value: 33, MarginOfError: 12}},
			}}
		if err := f.h.Store.PutSnapshot(context.Background(), snap); err != nil {
			t.Fatal(err)
		}
	}
	viewer := f.tokens[access.Viewer]
	resp := f.call(t, "GET", "/ops/scores?survey=nps-relationship&window=7d", viewer, "", nil)
	var out struct{ Scores []ScoreLine }
	if err := json.Unmarshal([]byte(resp.Body), &out); err != nil || len(out.Scores) != 1 || out.Scores[0].Value != 25 {
		t.Fatalf("overall 7d = %s", resp.Body)
	}
	resp = f.call(t, "GET", "/ops/scores?survey=nps-relationship&window=7d&segment=plan=pro", viewer, "", map[string]string{"Accept": "text/csv"})
	lines := strings.Split(strings.TrimSpace(resp.Body), "\n")
	if resp.Headers["Content-Type"] != "text/csv; charset=utf-8" || len(lines) != 2 || !strings.HasPrefix(lines[1], "nps-relationship,nps,7d,seg:plan=pro,10,-10,") {
		t.Fatalf("csv = %q %v", resp.Body, resp.Headers)
	}
	if resp := f.call(t, "GET", "/ops/scores?segment=plan", viewer, "", nil); resp.StatusCode != 400 {
		t.Fatalf("a malformed segment = %d", resp.StatusCode)
	}
	page := f.call(t, "GET", "/ops/trends?window=7d", viewer, "", nil)
	if page.StatusCode != 200 || !strings.Contains(page.Body, "<svg") || !strings.Contains(page.Body, "<polygon") || !strings.Contains(page.Body, "25.0 ± 20.0") {
		t.Fatalf("trends page = %d %s", page.StatusCode, page.Body)
	}
}

func TestEraseThenExportThroughTheAPI(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	addr := fmt.Sprintf("erase-%d@example.com", time.Now().UnixNano())
	id := f.openTicket(t, "inv-erase", "cust-erase", addr)
	admin := f.tokens[access.Admin]
	f.call(t, "PATCH", "/ops/tickets/"+id, f.tokens[access.Agent], `{"note":"Ana Lopez said she moved"}`, nil)
	if resp := f.call(t, "GET", "/ops/contacts/"+web.PathID("cust-erase")+"/export", admin, "", nil); !strings.Contains(resp.Body, addr) || !strings.Contains(resp.Body, "late again") {
		t.Fatalf("export before erasure = %s", resp.Body)
	}
	if resp := f.call(t, "DELETE", "/ops/contacts/"+web.PathID("cust-erase"), admin, "", nil); resp.StatusCode != 200 || !strings.Contains(resp.Body, `"tickets":1`) {
		t.Fatalf("erase = %d %s", resp.StatusCode, resp.Body)
	}
	resp := f.call(t, "GET", "/ops/contacts/"+web.PathID("cust-erase")+"/export", admin, "", nil)
	for _, p := range []string{addr, "Ana Lopez", "late again", "moved"} {
		if strings.Contains(resp.Body, p) {
			t.Errorf("export after erasure contains %q: %s", p, resp.Body)
		}
	}
}

func TestConsole(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	id := f.openTicket(t, "inv-console", "cust-console", "console@example.com")
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}

	if resp := f.call(t, "POST", "/ops/login", "", "token="+url.QueryEscape(f.tokens[access.Producer]), form); resp.StatusCode != 401 || len(resp.Cookies) != 0 {
		t.Fatalf("a producer token signs in: %d %v", resp.StatusCode, resp.Cookies)
	}
	// Login CSRF: a form on another site posting a valid token must not sign the browser in.
	for name, h := range map[string]map[string]string{
		"another site's Origin":                {"Origin": "https://evil.example"},
		"a post the browser marks cross-site":  {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
		"an opaque origin nothing vouches for": {"Origin": "null"},
	} {
		h["Content-Type"] = form["Content-Type"]
		if resp := f.call(t, "POST", "/ops/login", "", "token="+url.QueryEscape(f.tokens[access.Agent]), h); resp.StatusCode != 403 || len(resp.Cookies) != 0 {
			t.Fatalf("login from %s = %d %v, want 403 and no cookie", name, resp.StatusCode, resp.Cookies)
		}
	}
	sameSite := map[string]string{"Content-Type": form["Content-Type"], "Origin": "null", "Sec-Fetch-Site": "same-origin"}
	if resp := f.call(t, "POST", "/ops/login", "", "token="+url.QueryEscape(f.tokens[access.Agent]), sameSite); resp.StatusCode != 303 || len(resp.Cookies) != 1 {
		t.Fatalf("login from the console's own form (no-referrer: Origin null, Sec-Fetch-Site same-origin) = %d", resp.StatusCode)
	}
	resp := f.call(t, "POST", "/ops/login", "", "token="+url.QueryEscape(f.tokens[access.Agent]), form)
	if resp.StatusCode != 303 || len(resp.Cookies) != 1 {
		t.Fatalf("login = %d %v", resp.StatusCode, resp.Cookies)
	}
	c := resp.Cookies[0]
	for _, attr := range []string{"HttpOnly", "Secure", "SameSite=Lax", "Path=/ops"} {
		if !strings.Contains(c, attr) {
			t.Fatalf("cookie %q lacks %s", c, attr)
		}
	}
	session := map[string]string{"Cookie": strings.SplitN(c, ";", 2)[0]}

	// A link from the team email opened in a webmail tab: a cross-site top-level GET. Signed in,
	// it opens the ticket page; signed out, the login form returns to that page afterwards.
	fromWebmail := map[string]string{"Cookie": session["Cookie"], "Sec-Fetch-Site": "cross-site"}
	if p := f.call(t, "GET", "/ops/ticket/"+id, "", "", fromWebmail); p.StatusCode != 200 || !strings.Contains(p.Body, id) {
		t.Fatalf("the ticket link opened from webmail, signed in = %d", p.StatusCode)
	}
	out := f.call(t, "GET", "/ops/ticket/"+id+"?from=mail", "", "", map[string]string{"Sec-Fetch-Site": "cross-site"})
	wantLogin := "/ops/login?next=" + url.QueryEscape("/ops/ticket/"+id+"?from=mail")
	if out.StatusCode != 303 || out.Headers["Location"] != wantLogin {
		t.Fatalf("the ticket link signed out = %d %q, want 303 to %s", out.StatusCode, out.Headers["Location"], wantLogin)
	}
	lp := f.call(t, "GET", wantLogin, "", "", nil)
	if lp.StatusCode != 200 || !strings.Contains(lp.Body, `name="next" value="/ops/ticket/`+id+`?from=mail"`) {
		t.Fatalf("the login page does not carry the page to return to: %s", lp.Body)
	}
	back := f.call(t, "POST", "/ops/login", "", "token="+url.QueryEscape(f.tokens[access.Agent])+"&next="+url.QueryEscape("/ops/ticket/"+id+"?from=mail"), sameSite)
	if back.StatusCode != 303 || back.Headers["Location"] != "/ops/ticket/"+id+"?from=mail" || len(back.Cookies) != 1 {
		t.Fatalf("login with next = %d %q", back.StatusCode, back.Headers["Location"])
	}
	offsite := f.call(t, "POST", "/ops/login", "", "token="+url.QueryEscape(f.tokens[access.Agent])+"&next="+url.QueryEscape("//evil.example/ops/"), sameSite)
	if offsite.StatusCode != 303 || offsite.Headers["Location"] != "/ops/" {
		t.Fatalf("login with an off-site next = %d %q, want the queue", offsite.StatusCode, offsite.Headers["Location"])
	}

	q := f.call(t, "GET", "/ops/?team=customer-success-eu", "", "", session)
	if q.StatusCode != 200 || !strings.Contains(q.Body, id) || q.Headers["Content-Security-Policy"] != web.PageCSP {
		t.Fatalf("queue = %d %v %s", q.StatusCode, q.Headers, q.Body)
	}
	if strings.Contains(q.Body, "<script") || strings.Contains(q.Body, "http://") || strings.Contains(q.Body, "https://") {
		t.Fatal("the console page loads a script or a third-party asset")
	}
	withOrigin := map[string]string{"Cookie": session["Cookie"], "Content-Type": form["Content-Type"], "Origin": "https://evil.example"}
	if resp := f.call(t, "POST", "/ops/ticket/"+id, "", "action=note&note=x", withOrigin); resp.StatusCode != 403 {
		t.Fatalf("a cross-site form post = %d", resp.StatusCode)
	}
	crossSite := map[string]string{"Cookie": session["Cookie"], "Content-Type": form["Content-Type"], "Origin": "null", "Sec-Fetch-Site": "cross-site"}
	if resp := f.call(t, "POST", "/ops/ticket/"+id, "", "action=note&note=x", crossSite); resp.StatusCode != 403 {
		t.Fatalf("a form post the browser marks cross-site = %d", resp.StatusCode)
	}
	post := map[string]string{"Cookie": session["Cookie"], "Content-Type": form["Content-Type"], "Origin": "https://ops.example.com"}
	for _, body := range []string{"action=assign&assignee=maria", "action=note&note=" + url.QueryEscape("Refund <b>sent</b>"), "action=status&status=resolved"} {
		resp := f.call(t, "POST", "/ops/ticket/"+id, "", body, post)
		if resp.StatusCode != 303 || resp.Headers["Location"] != "/ops/ticket/"+id {
			t.Fatalf("form %s = %d %s", body, resp.StatusCode, resp.Body)
		}
	}
	page := f.call(t, "GET", "/ops/ticket/"+id, "", "", session)
	if !strings.Contains(page.Body, "resolved · maria") || !strings.Contains(page.Body, "Refund &lt;b&gt;sent&lt;/b&gt;") {
		t.Fatalf("ticket page = %s", page.Body)
	}
	if resp := f.call(t, "POST", "/ops/logout", "", "", post); resp.StatusCode != 303 || !strings.Contains(resp.Cookies[0], "Max-Age=0") {
		t.Fatalf("logout = %d %v", resp.StatusCode, resp.Cookies)
	}
}

// The console pages are parsed on first use, not at init; one that does not parse panics here.
func TestConsolePagesParse(t *testing.T) {
	t.Parallel()
	for _, parse := range pages {
		parse()
	}
	costsTemplate()
	themesTemplate()
}

func TestSafeNextKeepsOnlyConsolePagesOfThisOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, next, want string }{
		{"a ticket page is kept", "/ops/ticket/a-x", "/ops/ticket/a-x"},
		{"its query is kept", "/ops/?team=support&status=open", "/ops/?team=support&status=open"},
		{"empty is nothing", "", ""},
		{"another site is refused", "https://evil.example/ops/", ""},
		{"a protocol-relative URL is refused", "//evil.example/ops/", ""},
		{"a backslash some browsers read as a slash is refused", "/ops/\\evil.example", ""},
		{"a page outside the console is refused", "/survey/x", ""},
		{"a doubled slash inside is refused", "/ops//evil.example", ""},
		{"climbing out of /ops is refused", "/ops/../survey/x", ""},
		{"the login page itself is refused (no loop)", "/ops/login", ""},
		{"a javascript URL is refused", "javascript:alert(1)", ""},
		{"a newline is refused", "/ops/\r\nSet-Cookie: x=1", ""},
		{"a fragment is refused", "/ops/#x", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := safeNext(tc.next); got != tc.want {
				t.Errorf("safeNext(%q) = %q, want %q", tc.next, got, tc.want)
			}
		})
	}
}

// Contact ids are the producer's and may hold any character intake accepts; in the path they
// travel as web.PathID, so export and erase find exactly that contact, and an unknown one is 404.
func TestContactIDsWithAnyCharacterAreExportedAndErased(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	admin := f.tokens[access.Admin]
	for i, id := range []string{"ana maría", "niño/42", "100%", "who?x=1", "ünï çødé"} {
		addr := fmt.Sprintf("odd-%d@example.com", i)
		f.openTicket(t, fmt.Sprintf("inv-odd-%d", i), id, addr)
		resp := f.call(t, "GET", "/ops/contacts/"+web.PathID(id)+"/export", admin, "", nil)
		if resp.StatusCode != 200 || !strings.Contains(resp.Body, addr) {
			t.Fatalf("export of contact %q = %d %s", id, resp.StatusCode, resp.Body)
		}
		resp = f.call(t, "DELETE", "/ops/contacts/"+web.PathID(id), admin, "", nil)
		if resp.StatusCode != 200 || !strings.Contains(resp.Body, `"tickets":1`) {
			t.Fatalf("erase of contact %q = %d %s", id, resp.StatusCode, resp.Body)
		}
	}
	for name, tc := range map[string]struct {
		method, path string
		want         int
	}{
		"export of an unknown contact": {"GET", "/ops/contacts/" + web.PathID("nobody") + "/export", 404},
		"erase of an unknown contact":  {"DELETE", "/ops/contacts/" + web.PathID("nobody"), 404},
		"an id that is not base64url":  {"GET", "/ops/contacts/cust%20x/export", 400},
	} {
		if resp := f.call(t, tc.method, tc.path, admin, "", nil); resp.StatusCode != tc.want {
			t.Errorf("%s: %d %s, want %d", name, resp.StatusCode, resp.Body, tc.want)
		}
	}
}

// One rule for what each role sees, on every page and API that shows a ticket: viewers never see
// the contact's email or name, agents and admins see what the page shows of them.
func TestViewersSeeContactsMaskedEverywhere(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	id := f.openTicket(t, "inv-mask", "cust-mask", "masked.person@example.com")
	const email, name = "masked.person@example.com", "Ana Lopez"
	routes := []struct {
		path  string
		shows []string // what an agent or admin sees of the contact there
	}{
		{"/ops/tickets?team=customer-success-eu", []string{email, name}},
		{"/ops/tickets/" + id, []string{email, name}},
		{"/ops/?team=customer-success-eu", nil},
		{"/ops/ticket/" + id, []string{name}},
	}
	for _, role := range []string{access.Viewer, access.Agent, access.Admin} {
		for _, r := range routes {
			t.Run(role+" "+r.path, func(t *testing.T) {
				resp := f.call(t, "GET", r.path, f.tokens[role], "", nil)
				if resp.StatusCode != 200 || !strings.Contains(resp.Body, id) {
					t.Fatalf("status %d, ticket %s shown: %v", resp.StatusCode, id, strings.Contains(resp.Body, id))
				}
				for _, want := range r.shows {
					switch got := strings.Contains(resp.Body, want); {
					case role == access.Viewer && got:
						t.Fatalf("a viewer sees %q", want)
					case role == access.Viewer && !strings.Contains(resp.Body, Masked):
						t.Fatalf("a viewer sees no mask where %q would be", want)
					case role != access.Viewer && !got:
						t.Fatalf("%s does not see %q", role, want)
					}
				}
				if role == access.Viewer && (strings.Contains(resp.Body, email) || strings.Contains(resp.Body, name)) {
					t.Fatal("a viewer sees the contact")
				}
			})
		}
	}
}

func TestTheLoginPageNamesTheToolThatMakesTokens(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	resp := f.call(t, "GET", "/ops/login", "", "", nil)
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, "cxloop token create") {
		t.Fatalf("login page = %d, does not name `cxloop token create`", resp.StatusCode)
	}
}

func testSigner(t *testing.T) *token.Signer {
	t.Helper()
	s, err := token.NewSigner([]byte("test-key-test-key-test-key-test-key-0123"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Close-the-loop honours every opt-out: the contact unsubscribed, the address opted out under
// another contact id, the address suppressed, the contact erased. Nothing is sent, and the
// ticket says why.
func TestCloseTheLoopHonoursOptOutsSuppressionAndErasure(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	ctx := context.Background()
	agent := f.tokens[access.Agent]
	stamp := time.Now().UnixNano()
	cases := []struct {
		name  string
		block func(contact, addr string)
		want  string
	}{
		{"the contact unsubscribed", func(contact, addr string) {
			if _, err := f.h.Store.Unsubscribe(ctx, contact, ""); err != nil {
				t.Fatal(err)
			}
		}, "none"},
		{"the address opted out under another contact id", func(_, addr string) {
			if _, err := f.h.Store.Unsubscribe(ctx, "another-id-of-the-same-person", strings.ToUpper(addr)); err != nil {
				t.Fatal(err)
			}
		}, "none"},
		{"the address is suppressed", func(_, addr string) {
			if err := f.h.Store.Suppress(ctx, addr, store.SuppressComplaint, time.Now()); err != nil {
				t.Fatal(err)
			}
		}, "none"},
		{"the contact was erased", func(contact, _ string) {
			if _, err := f.h.Store.EraseContact(ctx, contact); err != nil {
				t.Fatal(err)
			}
		}, ""},
	}
	for i, c := range cases {
		contact := fmt.Sprintf("cust-cl-%d-%d", i, stamp)
		addr := fmt.Sprintf("closeloop-%d-%d@example.com", i, stamp)
		id := f.openTicket(t, fmt.Sprintf("inv-cl-%d-%d", i, stamp), contact, addr)
		c.block(contact, addr)
		resp := f.call(t, "PATCH", "/ops/tickets/"+id, agent, `{"status":"resolved","closeLoop":true}`, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: resolve = %d %s", c.name, resp.StatusCode, resp.Body)
		}
		if got := storetest.EmailsTo(t, addr); len(got) != 0 {
			t.Errorf("%s: %d close-the-loop emails went out", c.name, len(got))
		}
		tk, err := f.h.Store.GetTicket(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if d := tk.Notifications["closeloop"]; d.Email != c.want || tk.CloseLoop != nil {
			t.Errorf("%s: close-the-loop delivery %+v, sent at %v", c.name, d, tk.CloseLoop)
		}
	}
}
