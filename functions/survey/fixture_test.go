package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/storetest"
	"github.com/cxloop/cxloop/shared/token"
	"github.com/cxloop/cxloop/shared/web"
)

// clock is a settable clock shared by the store and the handler.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// fixture is a handler on a fresh table of the local stack, with the local dev key, so the
// tokens in events/survey-*.json are genuine.
type fixture struct {
	t      *testing.T
	ctx    context.Context
	st     *store.Store
	h      *Handler
	clock  *clock
	tokens *token.Signer
}

// eventsNow is the time the sample events were made for (their requestContext.timeEpoch).
var eventsNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	key := storetest.Env(t)["TOKEN_DEV_KEY"]
	if key == "" {
		t.Fatal("the local stack's env has no TOKEN_DEV_KEY; start it with `make up`")
	}
	signer, err := token.NewSigner([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.New(t)
	c := &clock{t: eventsNow}
	st.Now = c.Now
	return &fixture{t: t, ctx: context.Background(), st: st, clock: c, tokens: signer,
		h: &Handler{Store: st, Tokens: signer, Catalog: catalog.MustShipped()}}
}

// testInvite describes a test invitation.
type testInvite struct {
	eventID, survey, locale, contact string
	send                             bool // false leaves it pending (due, not sent)
	context                          map[string]string
}

// invite creates an invitation the way the touchpoint function does and, when asked, sends it the
// way the dispatcher does (claim, then mark sent), so the item has exactly the production shape.
func (f *fixture) invite(in testInvite) *store.Invitation {
	f.t.Helper()
	now := f.clock.Now()
	sv, ok := f.h.Catalog.Survey(in.survey)
	if !ok {
		f.t.Fatalf("no survey %s", in.survey)
	}
	rule := sv.Touchpoints[0]
	reminder := now.Add(rule.ReminderAfter.Duration)
	inv := &store.Invitation{
		ID: store.EventKey(in.eventID), EventID: in.eventID, Touchpoint: rule.Event, OccurredAt: now,
		ContactID: in.contact, Email: in.contact + "@example.com", Locale: sv.Locale(in.locale),
		Outcome: invitation.OutcomeInvited, DecidedAt: now, Survey: sv.ID,
		CatalogVersion: f.h.Catalog.Version, MetricVersion: 1, Status: invitation.StatusPending,
		DueAt: now, ReminderDueAt: &reminder, LinkExpiresAt: now.Add(rule.LinkExpiry.Duration),
		Context: in.context,
	}
	got, err := f.st.Invite(f.ctx, inv, store.InviteClaim{Fingerprint: in.eventID})
	if err != nil {
		f.t.Fatalf("invite %s: %v", in.eventID, err)
	}
	if !in.send {
		return got
	}
	c, err := f.st.ClaimDue(f.ctx, got, now)
	if err != nil || c.Outcome != store.ClaimInvite {
		f.t.Fatalf("claim %s: %v %v", in.eventID, c, err)
	}
	if err := f.st.MarkSent(f.ctx, c, "msg-"+in.eventID, now); err != nil {
		f.t.Fatalf("mark sent %s: %v", in.eventID, err)
	}
	return f.get(got.ID)
}

// sampleInvitation is the invitation the tokens in events/survey-*.json were signed for.
var sampleInvitation = testInvite{eventID: "order-1234-delivered", survey: "nps-relationship", locale: "es", contact: "cust-42", send: true}

func (f *fixture) get(id string) *store.Invitation {
	f.t.Helper()
	inv, err := f.st.GetInvitation(f.ctx, id)
	if err != nil {
		f.t.Fatalf("get invitation %s: %v", id, err)
	}
	return inv
}

func (f *fixture) surveyToken(id string) string {
	return f.tokens.Sign(token.Survey, id, f.clock.Now().Add(14*24*time.Hour))
}

func (f *fixture) unsubscribeToken(id string) string {
	return f.tokens.Sign(token.Unsubscribe, id, f.clock.Now().Add(14*24*time.Hour))
}

// event reads events/<name>.json, the same file `make invoke` uses.
func event(t *testing.T, name string) web.Request {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var req web.Request
	if err := json.Unmarshal(raw, &req); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return req
}

// request makes a request like API Gateway's: method on /s/{token} or /u/{token}, a query string,
// and a form body base64-encoded as HTTP APIs deliver it.
func request(method, page, tok, query, body string) web.Request {
	req := web.Request{
		Version:        "2.0",
		RouteKey:       method + " /" + page + "/{token}",
		RawPath:        "/" + page + "/" + tok,
		RawQueryString: query,
		Headers:        map[string]string{"accept-language": "en"},
		PathParameters: map[string]string{"token": tok},
	}
	req.RequestContext.HTTP.Method = method
	req.RequestContext.HTTP.Path = req.RawPath
	if query != "" {
		req.QueryStringParameters = map[string]string{}
		for _, kv := range strings.Split(query, "&") {
			k, v, _ := strings.Cut(kv, "=")
			req.QueryStringParameters[k] = v
		}
	}
	if body != "" {
		req.Headers["content-type"] = "application/x-www-form-urlencoded"
		req.Body, req.IsBase64Encoded = encode(body), true
	}
	return req
}

func (f *fixture) do(req web.Request) web.Response {
	f.t.Helper()
	resp, err := f.h.Handle(f.ctx, req)
	if err != nil {
		f.t.Fatalf("Handle returned an error: %v", err)
	}
	return resp
}

// send submits the survey form as a browser does: a 303 back to the link with ?sent=1, followed
// with a GET; anything else is returned as it came.
func (f *fixture) send(tok, body string) web.Response {
	f.t.Helper()
	return f.follow(tok, f.post(tok, body))
}

// follow takes a POST's 303 to the thank-you page the way a browser does.
func (f *fixture) follow(tok string, resp web.Response) web.Response {
	f.t.Helper()
	if resp.StatusCode != http.StatusSeeOther {
		return resp
	}
	if loc := resp.Headers["Location"]; loc != tok+"?sent=1" {
		f.t.Fatalf("303 to %q, want %q", loc, tok+"?sent=1")
	}
	return f.do(request("GET", "s", tok, "sent=1", ""))
}

// post submits the survey form.
func (f *fixture) post(tok, body string) web.Response {
	f.t.Helper()
	return f.do(request("POST", "s", tok, "", body))
}
