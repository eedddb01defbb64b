package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/mail"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/storetest"
	"github.com/cxloop/cxloop/shared/token"
)

const testBaseURL = "https://surveys.example.test"

// clock is a test clock the store and the handler read.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// fixture is one test's world: its own table, a clock, a handler sending to the SES stand-in.
type fixture struct {
	t     *testing.T
	st    *store.Store
	clock *clock
	h     *Handler
	// erasing is the invitation an erasure test watches.
	erasing string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := storetest.New(t)
	c := &clock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	st.Now = c.Now
	env := storetest.Env(t)
	signer, err := token.NewSigner([]byte("test-key-test-key-test-key-test-key-0123"))
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{
		Store:   st,
		Mail:    sesClient(t, env["AWS_ENDPOINT_URL_SESV2"]),
		Signer:  signer,
		Catalog: catalog.MustShipped(),
		BaseURL: testBaseURL,
		Rate:    100,
	}
	if err := h.Check(); err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, st: st, clock: c, h: h}
}

// sesClient is a mail client on endpoint (the stand-in, or a refusing test server).
func sesClient(t *testing.T, endpoint string) *mail.Client {
	t.Helper()
	if endpoint == "" {
		t.Fatal("AWS_ENDPOINT_URL_SESV2 is not set: start the local stack with `make up`")
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	return mail.NewClient(cfg, "surveys@example.test", "cxloop-test", func(o *sesv2.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
}

// refusingSES is an SES endpoint that answers every send with status and counts the calls.
func refusingSES(t *testing.T, status int) (*mail.Client, *int) {
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		if status == http.StatusTooManyRequests {
			w.Header().Set("X-Amzn-ErrorType", "TooManyRequestsException")
		}
		w.WriteHeader(status)
		w.Write([]byte(`{"message":"refused by the test"}`))
	}))
	t.Cleanup(srv.Close)
	return sesClient(t, srv.URL), &calls
}

// invite describes an invitation the test puts directly (the touchpoint function's output).
type invite struct {
	survey   string
	locale   string
	name     string
	dueIn    time.Duration // from the clock's now; negative is overdue
	reminder time.Duration // after due; 0 means no reminder
	expiry   time.Duration // link lifetime from due
}

// put writes a pending invitation item with its due key, as TouchpointFunction does, and returns
// it with a unique recipient address.
func (f *fixture) put(in invite) *store.Invitation {
	f.t.Helper()
	if in.survey == "" {
		in.survey = "nps-relationship"
	}
	if in.expiry == 0 {
		in.expiry = 14 * 24 * time.Hour
	}
	b := make([]byte, 6)
	rand.Read(b)
	suffix := hex.EncodeToString(b)
	now := f.clock.Now()
	due := now.Add(in.dueIn)
	id := store.EventKey("evt-" + suffix)
	inv := &store.Invitation{
		PK: "EVENT#" + id, SK: "EVENT", Kind: store.KindInvitation,
		ID: id, EventID: "evt-" + suffix, Touchpoint: "order.delivered", OccurredAt: now.Add(-2 * time.Hour),
		ContactID: "cust-" + suffix, Email: "ana-" + suffix + "@example.test", Name: in.name, Locale: in.locale,
		Outcome: invitation.OutcomeInvited, DecidedAt: now.Add(-2 * time.Hour), Survey: in.survey,
		CatalogVersion: "test", MetricVersion: 1, Status: invitation.StatusPending,
		DueAt: due, LinkExpiresAt: due.Add(in.expiry),
		GSI4PK: fmt.Sprintf("DUE#%02d", store.DueShard(id)), GSI4SK: store.FormatTime(due),
	}
	if in.reminder > 0 {
		r := due.Add(in.reminder)
		inv.ReminderDueAt = &r
	}
	item, err := attributevalue.MarshalMap(inv)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.st.DB.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(f.st.Table), Item: item}); err != nil {
		f.t.Fatal(err)
	}
	return inv
}

// tick runs one dispatch tick and fails the test on an error.
func (f *fixture) tick() Summary {
	f.t.Helper()
	sum, err := f.h.Handle(context.Background(), nil)
	if err != nil {
		f.t.Fatalf("tick: %v", err)
	}
	return sum
}

// get reads the invitation back.
func (f *fixture) get(id string) *store.Invitation {
	f.t.Helper()
	inv, err := f.st.GetInvitation(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return inv
}

// set writes attributes on an item directly (what another function would have done).
func (f *fixture) set(pk, sk string, attrs map[string]any) {
	f.t.Helper()
	var upd expression.UpdateBuilder
	for k, v := range attrs {
		upd = upd.Set(expression.Name(k), expression.Value(v))
	}
	e, err := expression.NewBuilder().WithUpdate(upd).Build()
	if err != nil {
		f.t.Fatal(err)
	}
	k, _ := attributevalue.MarshalMap(map[string]string{"PK": pk, "SK": sk})
	if _, err := f.st.DB.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(f.st.Table), Key: k, UpdateExpression: e.Update(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
	}); err != nil {
		f.t.Fatal(err)
	}
}

// emails returns what the SES stand-in received for the invitation's address.
func (f *fixture) emails(inv *store.Invitation) []storetest.Email {
	f.t.Helper()
	return storetest.EmailsTo(f.t, inv.Email)
}

// tokenOf returns the token in a link BASE/<kind>/<token>[?...].
func tokenOf(link, kind string) string {
	rest, ok := strings.CutPrefix(link, testBaseURL+"/"+kind+"/")
	if !ok {
		return ""
	}
	tok, _, _ := strings.Cut(rest, "?")
	return tok
}
