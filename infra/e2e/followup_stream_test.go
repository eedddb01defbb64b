package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/infra/local/lambdahost"
	"github.com/cxloop/cxloop/infra/local/rig"
	"github.com/cxloop/cxloop/infra/local/sources"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/score"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/ticket"
)

// hookReceiver is the webhook endpoint of the follow-up tests: it verifies every signature with
// the key a receiver derives from the deployment's secret and keeps what it accepted.
type hookReceiver struct {
	*httptest.Server
	key    []byte
	mu     sync.Mutex
	bodies []map[string]any
	bad    int
}

func newHookReceiver(t *testing.T, master string) *hookReceiver {
	h := &hookReceiver{key: ticket.WebhookKey([]byte(master))}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if err := ticket.Verify(h.key, body, r.Header.Get(ticket.SignatureHeader), time.Now()); err != nil {
			h.bad++
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		h.bodies = append(h.bodies, m)
	}))
	t.Cleanup(h.Close)
	return h
}

// byType counts accepted webhooks per type and ticket id.
func (h *hookReceiver) byType() (map[string]map[string]int, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]map[string]int{}
	for _, b := range h.bodies {
		typ, _ := b["type"].(string)
		tk, _ := b["ticket"].(map[string]any)
		id, _ := tk["id"].(string)
		if out[typ] == nil {
			out[typ] = map[string]int{}
		}
		out[typ][id]++
	}
	return out, h.bad
}

// startPoller runs one more stream poller on the rig's table, delivering every batch twice: with
// the rig's own poller, every record reaches FollowupFunction four times, two of them concurrently.
func startPoller(t *testing.T, r *rig.Rig) *sources.Poller {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	db, streams := sources.Clients(aws.Config{Region: lambdahost.DefaultRegion,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}, os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"))
	p := &sources.Poller{DB: db, Streams: streams, Table: r.Table, Invoke: r.Host,
		Targets: sources.StreamTargetsFromTemplate(r.Template), Duplicate: true,
		PollInterval: 100 * time.Millisecond, RetryDelay: 100 * time.Millisecond}
	go func() {
		defer close(done)
		p.Run(ctx) //nolint:errcheck // ends with ctx
	}()
	t.Cleanup(func() { cancel(); <-done })
	return p
}

// TestFollowupThroughTheStreamPoller drives the real bootstraps: customers answer survey emails
// through SurveyFunction (each form posted twice at once), the table's stream reaches
// FollowupFunction through two pollers that each deliver every batch twice, and a webhook
// receiver verifies every signature.
func TestFollowupThroughTheStreamPoller(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	hooks := newHookReceiver(t, rig.DevKey)
	teamAddr := fmt.Sprintf("team-%d@followup.example.com", time.Now().UnixNano())
	teams, _ := json.Marshal(map[string]string{"support": teamAddr, "support-enterprise": teamAddr})
	r := startRig(t, rig.Options{Vars: map[string]string{"WEBHOOK_URL": hooks.URL, "TEAM_ADDRESSES": string(teams)}})
	r.StartStreams(true)
	second := startPoller(t, r)

	// Three customers answer: scores 1, 2 and 3 (csat-support opens tickets at <= 2).
	u := newRun(t, r, 3)
	var batch []map[string]any
	for i := range 3 {
		batch = append(batch, u.detail(i))
	}
	u.post(ctx, batch)
	u.dispatch(ctx)
	emails, err := r.Emails(ctx, u.domain)
	if err != nil || len(emails) != 3 {
		t.Fatalf("survey emails = %d %v, want 3", len(emails), err)
	}
	answered := u.answer(ctx, emails, 3)
	if len(answered) != 3 {
		t.Fatalf("answered %v", answered)
	}
	tickets := u.awaitTickets(ctx, 2)
	if len(tickets) != 2 {
		t.Fatalf("tickets = %d, want 2 (one per low answer, each delivered four times)", len(tickets))
	}
	var first ticket.Ticket
	for _, tk := range tickets {
		if tk.ContactID == "cust-0" {
			first = tk
		}
		wantTeam := map[string]string{"cust-0": "support", "cust-1": "support-enterprise"}[tk.ContactID] // plan pro / enterprise
		if tk.Team != wantTeam || tk.Cause != ticket.CauseAnswer || len(tk.Answers) != 1 {
			t.Errorf("ticket %s: team %s, cause %s, %d answers", tk.ID, tk.Team, tk.Cause, len(tk.Answers))
		}
	}
	if first.ID == "" {
		t.Fatalf("no ticket for cust-0 (score 1): %+v", tickets)
	}

	// A second low answer from cust-0 (an invitation answered later, as SurveyFunction writes it)
	// attaches to the open ticket.
	secondAnswer(t, r, first)
	waitFor(t, "the second answer to attach", func() bool {
		tk, err := r.Store.GetTicket(ctx, first.ID)
		return err == nil && len(tk.Answers) == 2
	})

	// A breach yields one aggregate ticket.
	below := 50.0
	b := score.Breach{Survey: surveyID, Rule: "csat-e2e", Metric: "csat", Window: "7d", WindowEnd: time.Now().UTC().Format("2006-01-02"),
		Value: 33.3, N: 3, MarginOfError: 53.3, Below: &below, CatalogVersion: "e2e", MetricVersion: 1, DetectedAt: time.Now().UTC()}
	if ok, err := r.Store.RecordBreach(ctx, b, time.Hour); err != nil || !ok {
		t.Fatalf("record breach: %v %v", ok, err)
	}
	breachID := ticket.BreachID(b.Survey, b.Rule, b.Window, b.WindowEnd)
	waitFor(t, "the breach ticket", func() bool { _, err := r.Store.GetTicket(ctx, breachID); return err == nil })

	// Every new ticket notified once: team email and a verified webhook; none for the attachment.
	// Both pollers have delivered every batch (twice each) before anything is counted, so a late
	// duplicate would show.
	if err := r.StreamsDrained(ctx); err != nil {
		t.Fatalf("the rig's stream poller did not drain: %v", err)
	}
	if err := second.Drained(ctx); err != nil {
		t.Fatalf("the second stream poller did not drain: %v", err)
	}
	all, _ := r.Tickets(ctx)
	if len(all) != 3 {
		t.Fatalf("tickets = %d, want 3 (two answers, one breach): %+v", len(all), all)
	}
	got, bad := hooks.byType()
	if bad != 0 || len(got["ticket.created"]) != 3 {
		t.Fatalf("webhooks: %v, %d refused signatures; want ticket.created once for each of 3 tickets", got, bad)
	}
	for id, n := range got["ticket.created"] {
		if n != 1 {
			t.Errorf("ticket %s: %d webhooks, want 1", id, n)
		}
	}
	team, err := r.Emails(ctx, teamAddr)
	if err != nil || len(team) != 3 {
		t.Fatalf("team emails = %d %v, want 3", len(team), err)
	}

	// An overdue ticket escalates once, however many SLA ticks run at once.
	makeOverdue(t, r, first.ID)
	var ticks sync.WaitGroup
	for range 3 {
		ticks.Go(func() {
			if _, err := r.Tick(ctx, "FollowupFunction"); err != nil {
				t.Error(err)
			}
		})
	}
	ticks.Wait()
	if _, err := r.Tick(ctx, "FollowupFunction"); err != nil {
		t.Fatal(err)
	}
	tk, err := r.Store.GetTicket(ctx, first.ID)
	if err != nil || tk.Escalated == nil || tk.Priority != ticket.PriorityUrgent {
		t.Fatalf("after the SLA ticks: %+v %v (was %s, raised for the repeat answer, then escalated)", tk, err, first.Priority)
	}
	got, _ = hooks.byType()
	if len(got["ticket.escalated"]) != 1 || got["ticket.escalated"][first.ID] != 1 {
		t.Fatalf("escalation webhooks = %v, want one for %s", got["ticket.escalated"], first.ID)
	}
	t.Logf("tickets %d, webhooks %v, team emails %d", len(all), got, len(team))
}

// secondAnswer writes a second answered invitation of the same contact and survey.
func secondAnswer(t *testing.T, r *rig.Rig, first ticket.Ticket) {
	t.Helper()
	now := time.Now().UTC()
	score := 1
	id := store.EventKey(fmt.Sprintf("%s-second", r.Table))
	inv := store.Invitation{PK: "EVENT#" + id, SK: "EVENT", Kind: store.KindInvitation, ID: id, EventID: r.Table + "-second",
		Touchpoint: "support.case.closed", OccurredAt: now, ContactID: first.ContactID, Email: first.Email, Name: "Ana",
		Outcome: invitation.OutcomeInvited, DecidedAt: now, Survey: surveyID, Status: invitation.StatusDone, Stopped: invitation.StopAnswered,
		Answers: []store.Answer{{Score: 1, At: now.UnixMilli()}}, Score: &score, Comment: "still broken",
		FirstAnsweredAt: &now, AnsweredAt: &now, GSI1PK: "CONTACT#" + first.ContactID, GSI1SK: "DEC#" + store.FormatTime(now) + "#" + id}
	item, err := attributevalue.MarshalMap(inv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Store.DB.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(r.Table), Item: item}); err != nil {
		t.Fatal(err)
	}
}

// makeOverdue moves a ticket's SLA due time (and its queue key) an hour into the past: the local
// run cannot wait the 24 hours of the rule.
func makeOverdue(t *testing.T, r *rig.Rig, id string) {
	t.Helper()
	due := time.Now().UTC().Add(-time.Hour)
	e, err := expression.NewBuilder().WithUpdate(expression.Set(expression.Name("slaDue"), expression.Value(due)).
		Set(expression.Name("GSI2SK"), expression.Value(store.FormatTime(due)+"#"+id))).Build()
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Store.DB.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: aws.String(r.Table),
		Key:              map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "TICKET#" + id}, "SK": &types.AttributeValueMemberS{Value: "TICKET"}},
		UpdateExpression: e.Update(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	if err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(300 * time.Millisecond)
	}
}
