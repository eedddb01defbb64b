package main

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/storetest"
)

// TestEachRequestCostsAFixedSmallNumberOfDynamoDBCalls: the page is one read; an answer is one
// read and one conditional write; a repeat is one read; nothing scans or counts.
func TestEachRequestCostsAFixedSmallNumberOfDynamoDBCalls(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv := f.invite(invitation{eventID: "cost", survey: "nps-relationship", locale: "en", contact: "c-cost", send: true})
	tok := f.surveyToken(inv.ID)

	env := storetest.Env(t)
	meter := &store.CapacityMeter{}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	metered := store.New(store.NewClient(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(env["AWS_ENDPOINT_URL_DYNAMODB"]) }, meter.Option()), f.st.Table)
	metered.Now = f.clock.Now
	f.h.Store = metered

	steps := []struct {
		name       string
		req        func() int
		gets, upds int
	}{
		{"the survey page", func() int { return f.do(request("GET", "s", tok, "score=9", "")).StatusCode }, 1, 0},
		{"the first answer", func() int { return f.post(tok, form(9, "Great")).StatusCode }, 1, 1},
		{"a repeat", func() int { return f.post(tok, form(9, "Great")).StatusCode }, 1, 0},
		{"an edit", func() int { return f.post(tok, form(7, "Good")).StatusCode }, 1, 1},
	}
	for _, s := range steps {
		meter.Reset()
		if status := s.req(); status != http.StatusOK {
			t.Fatalf("%s: status %d", s.name, status)
		}
		u := meter.Usage()
		if u.Calls["GetItem"] != s.gets || u.Calls["UpdateItem"] != s.upds || len(u.Calls) > 2 {
			t.Errorf("%s: calls %v, want %d GetItem and %d UpdateItem", s.name, u.Calls, s.gets, s.upds)
		}
		t.Logf("%s: calls %v, write units reported by DynamoDB Local %.1f", s.name, u.Calls, u.Write)
	}
}
