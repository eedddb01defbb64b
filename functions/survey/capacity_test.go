package main

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/storetest"
	"github.com/cxloop/cxloop/shared/web"
)

// TestEachRequestCostsAFixedSmallNumberOfDynamoDBCalls: the page is one read (eventually
// consistent: make bench reports its units); an answer is one read and one conditional write; a
// repeat, which writes nothing, reads again strongly consistent before it says so; the thank-you
// page is one read too; nothing scans or counts.
func TestEachRequestCostsAFixedSmallNumberOfDynamoDBCalls(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.invite(testInvite{eventID: "cost", survey: "nps-relationship", locale: "en", contact: "c-cost", send: true})
	tok := f.surveyToken(inv.ID)

	meter := f.meter(t)

	steps := []struct {
		name       string
		req        func() int
		gets, upds int
	}{
		{"the survey page", func() int { return f.do(request("GET", "s", tok, "score=9", "")).StatusCode }, 1, 0},
		{"the first answer", func() int { return f.post(tok, form(9, "Great")).StatusCode }, 1, 1},
		{"a repeat", func() int { return f.post(tok, form(9, "Great")).StatusCode }, 2, 0},
		{"an edit", func() int { return f.post(tok, form(7, "Good")).StatusCode }, 1, 1},
		{"the thank-you page", func() int { return f.do(request("GET", "s", tok, "sent=1", "")).StatusCode }, 1, 0},
	}
	for _, s := range steps {
		meter.Reset()
		if status := s.req(); status != http.StatusOK && status != http.StatusSeeOther {
			t.Fatalf("%s: status %d", s.name, status)
		}
		u := meter.Usage()
		if u.Calls["GetItem"] != s.gets || u.Calls["UpdateItem"] != s.upds || len(u.Calls) > 2 {
			t.Errorf("%s: calls %v, want %d GetItem and %d UpdateItem", s.name, u.Calls, s.gets, s.upds)
		}
		t.Logf("%s: calls %v, write units reported by DynamoDB Local %.1f", s.name, u.Calls, u.Write)
	}
}

// TestABurstOfAnswersOnOneSurveyIsIndependentSingleItemWrites: 200 customers answering one survey
// at once make 200 single-item writes, none retried (no shared item, no transaction to conflict),
// spread over the change feed's shards.
func TestABurstOfAnswersOnOneSurveyIsIndependentSingleItemWrites(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const n = 200
	toks := make([]string, n)
	ids := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			inv := f.invite(testInvite{eventID: fmt.Sprintf("burst-%d", i), survey: "nps-relationship", locale: "en", contact: fmt.Sprintf("c-burst-%d", i), send: true})
			ids[i], toks[i] = inv.ID, f.surveyToken(inv.ID)
		})
	}
	wg.Wait()

	meter := f.meter(t)

	start := time.Now()
	statuses := make([]int, n)
	for i := range n {
		wg.Go(func() {
			resp, err := f.h.Handle(f.ctx, request("POST", "s", toks[i], "", form(i%11, "")))
			if err == nil {
				statuses[i] = resp.StatusCode
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	for i, s := range statuses {
		if s != http.StatusSeeOther {
			t.Fatalf("answer %d: status %d", i, s)
		}
	}
	if u := meter.Usage(); u.Calls["UpdateItem"] != n || u.Calls["GetItem"] != n {
		t.Errorf("calls %v, want exactly %d GetItem and %d UpdateItem (no retried write)", u.Calls, n, n)
	}
	shards := map[string]int{}
	for _, id := range ids {
		shards[f.get(id).GSI3PK]++
	}
	busiest := 0
	for _, c := range shards {
		busiest = max(busiest, c)
	}
	if len(shards) < store.Shards/2 || busiest > n/4 {
		t.Errorf("feed partitions %v: the burst is not spread", shards)
	}
	t.Logf("%d answers at once on one survey in %v on DynamoDB Local; %d feed partitions, the busiest took %d", n, took.Round(time.Millisecond), len(shards), busiest)
}

// TestTheUnsubscribePagesCostAFewReads: the confirm page reads the invitation and the opt-outs
// (the contact's, then the address's), never writes; resubscribing adds one conditional update,
// one delete (the address's opt-out) and the reads that let the page tell the truth.
func TestTheUnsubscribePagesCostAFewReads(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.invite(testInvite{eventID: "cost-unsub", survey: "nps-relationship", locale: "en", contact: "c-cost-unsub", send: true})
	tok := f.unsubscribeToken(inv.ID)
	meter := f.meter(t)
	steps := []struct {
		name string
		req  web.Request
		want map[string]int
	}{
		{"the confirm page of a subscribed contact", request("GET", "u", tok, "", ""), map[string]int{"GetItem": 3}},
		{"the one-click unsubscribe", fromOrigin(tok, "List-Unsubscribe=One-Click", ""), nil}, // store.Unsubscribe's own cost
		{"the page of an unsubscribed contact", request("GET", "u", tok, "", ""), map[string]int{"GetItem": 2}},
		{"resubscribing", fromOrigin(tok, "resubscribe=1", "https://api.example"), map[string]int{"GetItem": 4, "UpdateItem": 1, "DeleteItem": 1}},
	}
	for _, s := range steps {
		meter.Reset()
		if resp := f.do(s.req); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", s.name, resp.StatusCode)
		}
		u := meter.Usage()
		if s.want != nil && fmt.Sprint(u.Calls) != fmt.Sprint(s.want) {
			t.Errorf("%s: calls %v, want %v", s.name, u.Calls, s.want)
		}
		t.Logf("%s: calls %v", s.name, u.Calls)
	}
}

// meter points the handler at a store whose client counts every DynamoDB call, and returns the meter.
func (f *fixture) meter(t *testing.T) *storetest.CapacityMeter {
	env := storetest.Env(t)
	meter := &storetest.CapacityMeter{}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	metered := store.New(store.NewClient(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(env["AWS_ENDPOINT_URL_DYNAMODB"]) }, meter.Option()), f.st.Table)
	metered.Now = f.clock.Now
	f.h.Store = metered
	return meter
}
