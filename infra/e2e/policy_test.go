package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/infra/local/fault"
	"github.com/cxloop/cxloop/infra/local/rig"
	"github.com/cxloop/cxloop/infra/local/samtemplate"
	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/storetest"
	"github.com/cxloop/cxloop/shared/web"
)

// grants records what one function asked DynamoDB to do, as IAM (action, resource) pairs.
type grants struct {
	mu   sync.Mutex
	seen map[[2]string]int
}

func (g *grants) add(action, resource string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.seen[[2]string{action, resource}]++
}

// observe turns one DynamoDB request into the IAM actions it needs: a transaction needs the
// action of each of its parts, a query on an index needs Query on that index.
func (g *grants) observe(c fault.Call, _ int, _ []byte) {
	var body struct {
		IndexName     string
		TransactItems []map[string]json.RawMessage
	}
	_ = json.Unmarshal(c.Body, &body)
	switch c.Operation {
	case "TransactWriteItems":
		for _, it := range body.TransactItems {
			for part := range it {
				g.add("dynamodb:"+map[string]string{"Put": "PutItem", "Update": "UpdateItem",
					"Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}[part], "Table")
			}
		}
	case "Query", "Scan":
		res := "Table"
		if body.IndexName != "" {
			res = "Table/index/" + body.IndexName
		}
		g.add("dynamodb:"+c.Operation, res)
	default:
		g.add("dynamodb:"+c.Operation, "Table")
	}
}

// TestEveryCallAFunctionMakesIsAllowedByItsTemplatePolicy runs the whole loop (touchpoints,
// dispatch, answers, scoring, stream follow-up, SLA tick, bounces, unsubscribe, the ops API) with
// every function behind its own DynamoDB proxy, and checks each DynamoDB call it made against the
// function's policy statements in template.yaml; and that every function that can send mail or
// read the token secret is allowed to. A call the template forgot is a failure here, not an
// AccessDenied in production.
func TestEveryCallAFunctionMakesIsAllowedByItsTemplatePolicy(t *testing.T) {
	t.Parallel()
	// With SES's Send events, so that MailEventsFunction's reads for them are checked too.
	r := startRig(t, rig.Options{ProxyPerFunction: true, SendEvents: &fault.SendEventsConfig{MaxDelay: 100 * time.Millisecond}})
	calls := map[string]*grants{}
	for fn, p := range r.FuncDDB {
		g := &grants{seen: map[[2]string]int{}}
		calls[fn] = g
		p.Observe = g.observe // set before any traffic
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	u := newRun(t, r, 10)
	u.touchpoints(ctx, 2)
	u.dispatch(ctx)
	r.SendEventsDelivered()
	emails, err := r.Emails(ctx, "@"+u.domain)
	if err != nil {
		t.Fatal(err)
	}
	r.StartStreams(false)
	answered := u.answer(ctx, emails, 2)
	u.score(ctx, len(answered))
	low := 0
	for _, s := range answered {
		if s <= 2 {
			low++
		}
	}
	tickets := u.awaitTickets(ctx, low)
	if _, err := r.Tick(ctx, "FollowupFunction"); err != nil { // the SLA check
		t.Fatal(err)
	}
	bounce, err := os.ReadFile("../../events/mailevents-bounce.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Invoke(ctx, "MailEventsFunction", json.RawMessage(bounce)); err != nil {
		t.Fatal(err)
	}
	if len(emails) > 0 {
		unsubscribe(ctx, t, r, emails[0])
		resubscribe(ctx, t, r, emails[0]) // SurveyFunction's DeleteItem of the opt-out
	}
	admin, err := r.Store.CreateAPIToken(ctx, access.Admin, storetest.UniqueName("policy test"))
	if err != nil {
		t.Fatal(err)
	}
	requests := [][2]string{
		{"GET", "/ops/tickets?status=open"},
		{"GET", "/ops/scores?survey=csat-support"},
		{"GET", "/ops/contacts/" + web.PathID("cust-3") + "/export"},
		{"DELETE", "/ops/contacts/" + web.PathID("cust-4")},
	}
	if len(tickets) > 0 {
		requests = append(requests, [2]string{"GET", "/ops/tickets/" + tickets[0].ID},
			[2]string{"PATCH", "/ops/tickets/" + tickets[0].ID + `|{"status":"resolved","note":"called the customer"}`})
	}
	for _, rq := range requests {
		path, body, _ := strings.Cut(rq[1], "|")
		req, _ := http.NewRequestWithContext(ctx, rq[0], r.BaseURL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 400 {
			t.Errorf("%s %s answered %d", rq[0], path, resp.StatusCode)
		}
	}

	for _, fn := range r.Template.Functions {
		g := calls[fn.LogicalID]
		if g == nil || len(g.seen) == 0 {
			t.Errorf("%s made no DynamoDB call in the whole loop: the test no longer exercises it", fn.LogicalID)
			continue
		}
		var used []string
		for ar, n := range g.seen {
			used = append(used, fmt.Sprintf("%s on %s (%dx)", ar[0], ar[1], n))
			if !fn.Allows(ar[0], ar[1]) {
				t.Errorf("%s calls %s on %s, which template.yaml does not allow it", fn.LogicalID, ar[0], ar[1])
			}
		}
		sort.Strings(used)
		t.Logf("%s: %s", fn.LogicalID, strings.Join(used, ", "))
		for _, st := range fn.Policies {
			for _, a := range st.Actions {
				for _, res := range st.Resources {
					if strings.HasPrefix(a, "dynamodb:") && g.seen[[2]string{a, res}] == 0 {
						t.Logf("%s: %s on %s is allowed but was not used by this loop", fn.LogicalID, a, res)
					}
				}
			}
		}
	}

	// What goes to SES and Secrets Manager is known from the code a function links in.
	root := r.Template.Root
	for _, fn := range r.Template.Functions {
		deps := goDeps(t, root, fn.Dir)
		if deps["github.com/cxloop/cxloop/shared/mail"] && !fn.Allows("ses:SendEmail", sesIdentity(fn)) {
			t.Errorf("%s links shared/mail but may not ses:SendEmail", fn.LogicalID)
		}
		if deps["github.com/cxloop/cxloop/shared/secret"] && !fn.Allows("secretsmanager:GetSecretValue", "TokenSecret") {
			t.Errorf("%s reads the token secret but may not secretsmanager:GetSecretValue", fn.LogicalID)
		}
	}
}

// sesIdentity is the resource of the sending identity as template.yaml's statements resolve it.
func sesIdentity(fn samtemplate.Function) string {
	for _, st := range fn.Policies {
		for _, res := range st.Resources {
			if strings.Contains(res, ":identity/") {
				return res
			}
		}
	}
	return "arn:aws:ses:identity/(none declared)"
}

var unsubscribeLink = regexp.MustCompile(`/u/([A-Za-z0-9_-]{20,})`)

// unsubscribe posts RFC 8058's one-click body to the email's List-Unsubscribe link.
func unsubscribe(ctx context.Context, t *testing.T, r *rig.Rig, e rig.Email) {
	t.Helper()
	m := unsubscribeLink.FindStringSubmatch(e.Body.Text + e.Body.HTML)
	if m == nil {
		t.Fatalf("email to %s has no unsubscribe link", e.To())
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.BaseURL+"/u/"+m[1], strings.NewReader("List-Unsubscribe=One-Click"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		t.Errorf("one-click unsubscribe answered %d", resp.StatusCode)
	}
}

// resubscribe posts the unsubscribe page's resubscribe form, from the API's own origin.
func resubscribe(ctx context.Context, t *testing.T, r *rig.Rig, e rig.Email) {
	t.Helper()
	m := unsubscribeLink.FindStringSubmatch(e.Body.Text + e.Body.HTML)
	if m == nil {
		t.Fatalf("email to %s has no unsubscribe link", e.To())
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.BaseURL+"/u/"+m[1], strings.NewReader("resubscribe=1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", strings.TrimRight(r.BaseURL, "/"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("resubscribe answered %d", resp.StatusCode)
	}
}

// goDeps lists the packages a function's binary links.
func goDeps(t *testing.T, root, dir string) map[string]bool {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "./"+filepath.ToSlash(dir))
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./%s: %v", dir, err)
	}
	deps := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		deps[p] = true
	}
	return deps
}
