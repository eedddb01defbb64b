package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/infra/local/rig"
	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/storetest"
	"github.com/cxloop/cxloop/shared/token"
)

// TestFaultBadInputIsAnsweredWithAClearRefusal sends malformed events, forms, tokens and API
// requests to the real functions: each gets a 4xx (never a 5xx, never a crash) or, for
// touchpoints, a recorded `invalid` decision that EventBridge does not retry.
func TestFaultBadInputIsAnsweredWithAClearRefusal(t *testing.T) {
	r := startRig(t, rig.Options{})
	ctx := context.Background()
	u := newRun(t, r, 0)
	viewer, err := r.Store.CreateAPIToken(ctx, access.Viewer, storetest.UniqueName("bad-input"))
	if err != nil {
		t.Fatal(err)
	}

	// One real invitation, emailed, for the survey form cases.
	d := u.detail(7)
	u.deliver(ctx, eventBridge(d))
	if _, err := r.Tick(ctx, "DispatchFunction"); err != nil {
		t.Fatal(err)
	}
	es, err := r.Emails(ctx, d["contact"].(map[string]any)["email"].(string))
	if err != nil || len(es) != 1 || es[0].SurveyToken() == "" {
		t.Fatalf("want one emailed invitation with a link: %d emails, %v", len(es), err)
	}
	tok := es[0].SurveyToken()
	signer, err := token.NewSigner([]byte(rig.DevKey))
	if err != nil {
		t.Fatal(err)
	}
	id := store.EventKey(d["eventId"].(string))
	expired := signer.Sign(token.Survey, id, time.Now().Add(-time.Hour))
	tampered := tok[:len(tok)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(tok, "AA")]
	batch := func(n int) string {
		evs := make([]map[string]any, n)
		for i := range evs {
			evs[i] = u.detail(5000 + i)
		}
		b, _ := json.Marshal(evs)
		return string(b)
	}
	form := "application/x-www-form-urlencoded"

	httpCases := []struct {
		name, method, path, auth, ctype, body string
		want                                  int
	}{
		{"a touchpoint POST without a token is 401", "POST", "/touchpoints", "", "application/json", batch(1), 401},
		{"a touchpoint POST with a viewer token is 403", "POST", "/touchpoints", viewer, "application/json", batch(1), 403},
		{"a touchpoint POST that is not JSON is 400", "POST", "/touchpoints", u.token, "application/json", "eventId=1", 400},
		{"a touchpoint POST of an empty array is 400", "POST", "/touchpoints", u.token, "application/json", "[]", 400},
		{"a touchpoint POST of a JSON string is 400", "POST", "/touchpoints", u.token, "application/json", `"hello"`, 400},
		{"a touchpoint POST of 101 events is 400", "POST", "/touchpoints", u.token, "application/json", batch(101), 400},
		{"a touchpoint POST over the size limit is 413", "POST", "/touchpoints", u.token, "application/json", "[" + strings.Repeat(" ", 2<<20) + "]", 413},
		{"a GET of /touchpoints is refused", "GET", "/touchpoints", u.token, "", "", 404},
		{"a survey link that is not a token is 404", "GET", "/s/not-a-token", "", "", "", 404},
		{"a tampered survey token is 404", "GET", "/s/" + tampered, "", "", "", 404},
		{"an expired survey token is 410", "GET", "/s/" + expired, "", "", "", 410},
		{"an unsubscribe link with a survey token's signature changed is 404", "POST", "/u/" + tampered, "", form, "", 404},
		{"a survey POST without a score is 400", "POST", "/s/" + tok, "", form, "comment=hi", 400},
		{"a survey POST with a score off the scale is 400", "POST", "/s/" + tok, "", form, "score=11", 400},
		{"a survey POST with a score that is not a number is 400", "POST", "/s/" + tok, "", form, "score=abc", 400},
		{"a survey POST with two scores is 400", "POST", "/s/" + tok, "", form, "score=1&score=2", 400},
		{"a survey POST with a comment over 1000 characters is 400", "POST", "/s/" + tok, "", form, "score=3&comment=" + strings.Repeat("x", 1001), 400},
		{"a survey POST that is not url-encoding is 400", "POST", "/s/" + tok, "", form, "score=%zz", 400},
		{"a survey POST over the size limit is 413", "POST", "/s/" + tok, "", form, "score=3&comment=" + strings.Repeat("x", 20000), 413},
		{"the ops API without a token is 401", "GET", "/ops/tickets", "", "", "", 401},
		{"a ticket change with a viewer token is 403", "PATCH", "/ops/tickets/a-nothing", viewer, "application/json", `{"status":"resolved"}`, 403},
		{"an unknown path is 404", "GET", "/nothing-here", "", "", "", 404},
	}
	for _, tc := range httpCases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(ctx, tc.method, r.BaseURL+tc.path, strings.NewReader(tc.body))
			if tc.auth != "" {
				req.Header.Set("Authorization", "Bearer "+tc.auth)
			}
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("%s %s answered %d, want %d: %.200s", tc.method, tc.path, resp.StatusCode, tc.want, body)
			}
		})
	}
	// The form cases left the answer unrecorded.
	if inv, err := r.Store.GetInvitation(ctx, id); err != nil || inv.Score != nil {
		t.Errorf("bad forms recorded an answer: %+v, %v", inv, err)
	}

	events := []struct {
		name    string
		edit    func(ev map[string]any, d map[string]any)
		outcome string
		stored  bool // the decision is recorded under the eventId
	}{
		{"an event without an eventId is invalid and not retried", func(ev, d map[string]any) { delete(d, "eventId") }, invitation.OutcomeInvalid, false},
		{"an event with an unparseable occurredAt is recorded invalid", func(ev, d map[string]any) { d["occurredAt"] = "yesterday" }, invitation.OutcomeInvalid, true},
		{"an event without contact.email is recorded invalid", func(ev, d map[string]any) { delete(d["contact"].(map[string]any), "email") }, invitation.OutcomeInvalid, true},
		{"an event with a malformed email is recorded invalid", func(ev, d map[string]any) { d["contact"].(map[string]any)["email"] = "not-an-address" }, invitation.OutcomeInvalid, true},
		{"an event whose attributes are not an object is recorded invalid", func(ev, d map[string]any) { d["attributes"] = []int{1} }, invitation.OutcomeInvalid, true},
		{"an event for an unknown touchpoint is recorded no-rule", func(ev, d map[string]any) { d["touchpoint"] = "order.teleported" }, invitation.OutcomeNoRule, true},
		{"an event of another detail-type is invalid and not retried", func(ev, d map[string]any) { ev["detail-type"] = "Something" }, invitation.OutcomeInvalid, false},
		{"an event whose detail is a string is invalid and not retried", func(ev, d map[string]any) { ev["detail"] = "{}" }, invitation.OutcomeInvalid, false},
	}
	for i, tc := range events {
		t.Run(tc.name, func(t *testing.T) {
			d := u.detail(9000 + i)
			ev := eventBridge(d)
			eventID := fmt.Sprint(d["eventId"])
			tc.edit(ev, d)
			res, err := r.InvokeResult(ctx, "TouchpointFunction", ev)
			if err != nil {
				t.Fatal(err)
			}
			if res.Failed() {
				t.Fatalf("the function failed (EventBridge would retry a bad event): %s", res.Payload)
			}
			var got struct{ Outcome, Detail string }
			if err := json.Unmarshal(res.Payload, &got); err != nil || got.Outcome != tc.outcome {
				t.Fatalf("decision %s, want %s", res.Payload, tc.outcome)
			}
			if tc.outcome == invitation.OutcomeInvalid && got.Detail == "" {
				t.Errorf("an invalid decision without a reason: %s", res.Payload)
			}
			if tc.stored {
				inv, err := r.Store.GetInvitation(ctx, store.EventKey(eventID))
				if err != nil || inv.Outcome != tc.outcome {
					t.Errorf("recorded decision %+v (%v), want %s", inv, err, tc.outcome)
				}
			}
		})
	}

	// A batch with one bad event among good ones: 202, one decision each, the bad one invalid.
	evs := []map[string]any{u.detail(9100), u.detail(9101)}
	delete(evs[1]["contact"].(map[string]any), "email")
	b, _ := json.Marshal(evs)
	req, _ := http.NewRequestWithContext(ctx, "POST", r.BaseURL+"/touchpoints", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+u.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Decisions []struct{ Outcome string } }
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if resp.StatusCode != 202 || len(out.Decisions) != 2 || out.Decisions[0].Outcome != invitation.OutcomeInvited || out.Decisions[1].Outcome != invitation.OutcomeInvalid {
		t.Errorf("mixed batch: %d %+v, want 202 with invited and invalid", resp.StatusCode, out.Decisions)
	}
}
