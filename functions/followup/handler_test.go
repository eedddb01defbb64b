package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/config"
	"github.com/cxloop/cxloop/shared/mail"
	"github.com/cxloop/cxloop/shared/storetest"
	"github.com/cxloop/cxloop/shared/ticket"
)

var key = []byte("test-webhook-key-0123456789abcdef")

// receiver is a webhook endpoint that verifies every signature and counts what it accepted.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	bodies   []WebhookBody
	bad      int
	failures atomic.Int32 // answer 503 this many more times
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if r.failures.Add(-1) >= 0 {
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := ticket.Verify(key, body, req.Header.Get(ticket.SignatureHeader), time.Now()); err != nil {
			r.bad++
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var b WebhookBody
		if err := json.Unmarshal(body, &b); err != nil {
			r.bad++
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.bodies = append(r.bodies, b)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got() ([]WebhookBody, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]WebhookBody(nil), r.bodies...), r.bad
}

// fixture builds a Handler on a fresh table, the SES stand-in and a webhook receiver. Each test
// gets its own team address so parallel tests can count their own emails.
func fixture(t *testing.T) (*Handler, *receiver, string) {
	t.Helper()
	st := storetest.New(t)
	env := storetest.Env(t)
	cfg, err := config.AWS()
	if err != nil {
		t.Fatalf("aws config: %v (export the local stack's .local/env)", err)
	}
	if env["AWS_ENDPOINT_URL_SESV2"] == "" {
		t.Fatal("no SES stand-in: start the local stack with `make up`")
	}
	addr := fmt.Sprintf("cs-%d@example.com", time.Now().UnixNano())
	rcv := newReceiver(t)
	h := &Handler{
		Store:         st,
		Catalog:       catalog.MustShipped(),
		Mail:          mail.NewClient(cfg, "surveys@example.com", ""),
		TeamAddresses: map[string]string{"customer-success-eu": addr, "customer-success": addr},
		OpsAddress:    "ops@example.com",
		WebhookURL:    rcv.srv.URL,
		WebhookKey:    key,
		BaseURL:       "https://cx.example.com",
		Backoff:       []time.Duration{10 * time.Millisecond, 20 * time.Millisecond},
	}
	return h, rcv, addr
}

func loadEvent(t *testing.T, name string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile("../../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// answerEvent is events/followup-answer-low.json with the invitation, contact and score replaced.
func answerEvent(t *testing.T, inv, contact string, score int, at time.Time) json.RawMessage {
	t.Helper()
	s := string(loadEvent(t, "followup-answer-low.json"))
	s = strings.ReplaceAll(s, "q5c3mvd2k7xw4ujz6hb3f7y2aa", inv)
	s = strings.ReplaceAll(s, "cust-42", contact)
	s = strings.ReplaceAll(s, `"score": {"N": "3"}`, fmt.Sprintf(`"score": {"N": "%d"}`, score))
	s = strings.ReplaceAll(s, `"answeredAt": {"S": "2026-11-23T10:00:00Z"}`, `"answeredAt": {"S": "`+at.Format(time.RFC3339Nano)+`"}`)
	return json.RawMessage(s)
}

func stream(t *testing.T, h *Handler, ev json.RawMessage) events.DynamoDBEventResponse {
	t.Helper()
	out, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	resp, ok := out.(events.DynamoDBEventResponse)
	if !ok {
		t.Fatalf("stream batch answered %T", out)
	}
	return resp
}

func TestADetractorAnswerYieldsOneTicketDeliveredTwiceAndConcurrently(t *testing.T) {
	t.Parallel()
	h, rcv, addr := fixture(t)
	ev := answerEvent(t, "inv-detractor-1", "cust-1", 3, time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 4 { // the same record, delivered to four concurrent invocations
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := h.Handle(context.Background(), ev)
			if err != nil {
				t.Error(err)
				return
			}
			failed.Add(int32(len(out.(events.DynamoDBEventResponse).BatchItemFailures)))
		}()
	}
	wg.Wait()
	for failed.Load() > 0 { // a transaction conflict is reported and redelivered, like the real poller does
		failed.Store(int32(len(stream(t, h, ev).BatchItemFailures)))
	}
	if resp := stream(t, h, ev); len(resp.BatchItemFailures) != 0 { // and once more, later
		t.Fatalf("redelivery failed: %+v", resp)
	}

	list, err := h.Store.ListTickets(context.Background(), "", "", 0)
	if err != nil || len(list) != 1 {
		t.Fatalf("tickets = %d %v, want exactly 1", len(list), err)
	}
	tk := list[0]
	if tk.ID != ticket.AnswerID("inv-detractor-1") || tk.Team != "customer-success-eu" || tk.Priority != ticket.PriorityHigh ||
		tk.Comment != "The parcel arrived two days late." || tk.Email != "ana@example.com" {
		t.Fatalf("ticket = %+v", tk)
	}
	teamMails := storetest.EmailsTo(t, addr)
	if n := len(teamMails); n != 1 {
		t.Fatalf("team got %d emails, want 1", n)
	}
	// The link people open is the console page, not the JSON API.
	page := "https://cx.example.com/ops/ticket/" + tk.ID
	if !strings.Contains(teamMails[0].Body.Text, page) || strings.Contains(teamMails[0].Body.Text, "/ops/tickets/") {
		t.Fatalf("team email does not link the console page %s:\n%s", page, teamMails[0].Body.Text)
	}
	hooks, bad := rcv.got()
	if len(hooks) != 1 || bad != 0 || hooks[0].Type != "ticket.created" || hooks[0].Ticket.ID != tk.ID || hooks[0].Ticket.URL != page {
		t.Fatalf("webhook got %d verified bodies and %d bad ones: %+v", len(hooks), bad, hooks)
	}
	raw, _ := json.Marshal(hooks[0])
	if strings.Contains(string(raw), "ana@example.com") {
		t.Fatalf("the webhook body carries the contact's email: %s", raw)
	}
	got, _ := h.Store.GetTicket(context.Background(), tk.ID)
	if d := got.Notifications[NotifyNew]; d.Email != StateSent || d.Webhook != StateDelivered || d.WebhookAttempts != 1 {
		t.Fatalf("delivery = %+v", d)
	}
}

func TestASecondLowAnswerFromTheSameContactAttaches(t *testing.T) {
	t.Parallel()
	h, rcv, addr := fixture(t)
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	stream(t, h, answerEvent(t, "inv-a", "cust-2", 2, at))
	second := answerEvent(t, "inv-b", "cust-2", 1, at.Add(time.Hour))
	stream(t, h, second)
	stream(t, h, second)
	list, _ := h.Store.ListTickets(context.Background(), "", "", 0)
	if len(list) != 1 || len(list[0].Answers) != 2 || list[0].Priority != ticket.PriorityUrgent {
		t.Fatalf("tickets = %+v, want one with both answers, raised to urgent", list)
	}
	if n := len(storetest.EmailsTo(t, addr)); n != 1 {
		t.Fatalf("team got %d emails, want 1 (attaching notifies nobody)", n)
	}
	if hooks, _ := rcv.got(); len(hooks) != 1 {
		t.Fatalf("webhook got %d, want 1", len(hooks))
	}
}

func TestAnEditAboveTheRuleAddsANoteAndKeepsTheTicket(t *testing.T) {
	t.Parallel()
	h, _, _ := fixture(t)
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	stream(t, h, answerEvent(t, "inv-e", "cust-3", 3, at))
	// The edit: old image has score 3, new image score 9 with a later answeredAt.
	s := string(answerEvent(t, "inv-e", "cust-3", 9, at.Add(5*time.Minute)))
	s = strings.Replace(s, `"status": {"S": "sent"}`, `"status": {"S": "sent"}, "score": {"N": "3"}, "answeredAt": {"S": "2026-11-23T10:00:00Z"}`, 1)
	stream(t, h, json.RawMessage(s))
	stream(t, h, json.RawMessage(s))
	tk, err := h.Store.GetTicket(context.Background(), ticket.AnswerID("inv-e"))
	if err != nil || tk.Status != ticket.StatusOpen {
		t.Fatalf("ticket after the edit: %v %v", tk, err)
	}
	edits := 0
	for _, e := range tk.History {
		if e.Action == "edited" && strings.Contains(e.Text, "score to 9") {
			edits++
		}
	}
	if edits != 1 {
		t.Fatalf("history = %+v, want one edit note", tk.History)
	}
}

func TestABreachYieldsOneAggregateTicket(t *testing.T) {
	t.Parallel()
	h, rcv, addr := fixture(t)
	ev := loadEvent(t, "followup-breach.json")
	stream(t, h, ev)
	stream(t, h, ev)
	list, _ := h.Store.ListTickets(context.Background(), "", "", 0)
	if len(list) != 1 || list[0].Cause != ticket.CauseBreach || list[0].Breach.N != 40 || list[0].Priority != ticket.PriorityUrgent {
		t.Fatalf("tickets = %+v", list)
	}
	mails := storetest.EmailsTo(t, addr)
	if len(mails) != 1 || !strings.Contains(mails[0].Body.Text, "12.5 ± 22.1 (n=40), below 20") {
		t.Fatalf("team emails = %+v", mails)
	}
	if hooks, bad := rcv.got(); len(hooks) != 1 || bad != 0 || hooks[0].Ticket.Breach == nil {
		t.Fatalf("webhook = %+v (%d bad)", hooks, bad)
	}
}

func TestAThemeBreachOpensATicketNamingTheTheme(t *testing.T) {
	t.Parallel()
	h, _, addr := fixture(t)
	ev := loadEvent(t, "followup-theme-breach.json")
	stream(t, h, ev)
	stream(t, h, ev)
	list, _ := h.Store.ListTickets(context.Background(), "", "", 0)
	want := "theme delivery 7d to 2026-11-22: 40.0% ± 21.5 of 20 low-band comments mention it, above 30%"
	if len(list) != 1 || list[0].Cause != ticket.CauseBreach || list[0].Breach == nil || list[0].Breach.Detail != want {
		t.Fatalf("tickets = %+v, want one breach ticket saying %q", list, want)
	}
	if mails := storetest.EmailsTo(t, addr); len(mails) != 1 || !strings.Contains(mails[0].Body.Text, want) {
		t.Fatalf("team emails = %+v", mails)
	}
	if got := list[0].Themes; len(got) != 1 || got[0] != "delivery" {
		t.Errorf("breach ticket themes = %v, want [delivery]", got)
	}
}

func TestAnAnswerTicketIsTaggedWithTheDeclaredThemesOfItsComment(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, comment, want string }{
		{"a Spanish comment about a late parcel is tagged delivery", "El paquete llegó con retraso y es caro", "delivery,price"},
		{"a comment in English under a Spanish locale matches no Spanish word", "The parcel arrived two days late.", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h, _, _ := fixture(t)
			ev := strings.ReplaceAll(string(loadEvent(t, "followup-answer-low.json")), "The parcel arrived two days late.", c.comment)
			stream(t, h, json.RawMessage(ev))
			list, err := h.Store.ListTickets(context.Background(), "", "", 0)
			if err != nil || len(list) != 1 {
				t.Fatalf("tickets = %v %v", list, err)
			}
			if got := strings.Join(list[0].Themes, ","); got != c.want {
				t.Errorf("themes = %q, want %q", got, c.want)
			}
		})
	}
}

func TestAFailingWebhookIsRetriedAndNeverBlocksTheTicket(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		failures int32
		state    string
		attempts int
	}{
		{"two failures then success is delivered on the third attempt", 2, StateDelivered, 3},
		{"a receiver that keeps failing is recorded as failed after three attempts", 100, StateFailed, 3},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, rcv, _ := fixture(t)
			rcv.failures.Store(c.failures)
			inv := fmt.Sprintf("inv-hook-%d", i)
			if resp := stream(t, h, answerEvent(t, inv, "cust-9", 0, time.Now())); len(resp.BatchItemFailures) != 0 {
				t.Fatalf("the record failed because of the webhook: %+v", resp)
			}
			tk, err := h.Store.GetTicket(context.Background(), ticket.AnswerID(inv))
			if err != nil {
				t.Fatal(err)
			}
			if d := tk.Notifications[NotifyNew]; d.Webhook != c.state || d.WebhookAttempts != c.attempts || d.Email != StateSent {
				t.Fatalf("delivery = %+v", d)
			}
		})
	}
}

func TestABadRecordIsReportedBySequenceNumber(t *testing.T) {
	t.Parallel()
	h, _, _ := fixture(t)
	good := answerEvent(t, "inv-good", "cust-5", 3, time.Now())
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(good, &ev); err != nil {
		t.Fatal(err)
	}
	bad := ev.Records[0]
	bad.Change.SequenceNumber = "200"
	bad.Change.NewImage = map[string]events.DynamoDBAttributeValue{
		"kind": events.NewStringAttribute("invitation"), "score": events.NewStringAttribute("not a number"),
		"answeredAt": events.NewStringAttribute("2026-11-23T10:00:00Z")}
	ev.Records = append(ev.Records, bad)
	raw, _ := json.Marshal(ev)
	resp := stream(t, h, raw)
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "200" {
		t.Fatalf("failures = %+v, want only sequence number 200", resp.BatchItemFailures)
	}
	if _, err := h.Store.GetTicket(context.Background(), ticket.AnswerID("inv-good")); err != nil {
		t.Fatalf("the good record of the batch was not processed: %v", err)
	}
}

func TestAnOverdueTicketEscalatesOnce(t *testing.T) {
	t.Parallel()
	h, rcv, addr := fixture(t)
	created := time.Now().UTC()
	stream(t, h, answerEvent(t, "inv-late", "cust-6", 4, created))
	later := created.Add(49 * time.Hour) // the rule's SLA is 48 hours
	h.Now = func() time.Time { return later }
	h.Store.Now = h.Now
	sla := loadEvent(t, "followup-sla.json")
	for range 2 {
		if _, err := h.Handle(context.Background(), sla); err != nil {
			t.Fatal(err)
		}
	}
	tk, _ := h.Store.GetTicket(context.Background(), ticket.AnswerID("inv-late"))
	if tk.Escalated == nil || tk.Priority != ticket.PriorityUrgent {
		t.Fatalf("ticket = priority %s, escalated %v", tk.Priority, tk.Escalated)
	}
	mails := storetest.EmailsTo(t, addr)
	escalations := 0
	for _, m := range mails {
		if strings.Contains(m.Subject, "Overdue") {
			escalations++
		}
	}
	if len(mails) != 2 || escalations != 1 {
		t.Fatalf("team emails: %d, escalations %d; want the new-ticket one and one escalation", len(mails), escalations)
	}
	if hooks, _ := rcv.got(); len(hooks) != 2 || hooks[1].Type != "ticket.escalated" {
		t.Fatalf("webhooks = %+v", hooks)
	}
}

func TestAFailedWebhookIsRetriedOnALaterTickOnce(t *testing.T) {
	t.Parallel()
	h, rcv, _ := fixture(t)
	h.RetryRounds = []time.Duration{time.Minute, time.Hour}
	rcv.failures.Store(3) // the whole first round fails
	start := time.Now().UTC()
	h.Now = func() time.Time { return start }
	stream(t, h, answerEvent(t, "inv-retry", "cust-7", 2, start))
	id := ticket.AnswerID("inv-retry")
	tk, _ := h.Store.GetTicket(context.Background(), id)
	if d := tk.Notifications[NotifyNew]; d.Webhook != StateFailed || d.WebhookAttempts != 3 {
		t.Fatalf("first round: %+v", d)
	}

	// Too early: nothing happens.
	sla := loadEvent(t, "followup-sla.json")
	if _, err := h.Handle(context.Background(), sla); err != nil {
		t.Fatal(err)
	}
	if hooks, _ := rcv.got(); len(hooks) != 0 {
		t.Fatalf("retried before the round was due: %v", hooks)
	}
	// Due: three ticks at once deliver it once; later ticks do nothing more.
	h.Now = func() time.Time { return start.Add(2 * time.Minute) }
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if _, err := h.Handle(context.Background(), sla); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	h.Now = func() time.Time { return start.Add(3 * time.Hour) }
	if _, err := h.Handle(context.Background(), sla); err != nil {
		t.Fatal(err)
	}
	hooks, bad := rcv.got()
	if len(hooks) != 1 || bad != 0 || hooks[0].Ticket.ID != id {
		t.Fatalf("webhooks after the retry = %d (%d bad), want 1", len(hooks), bad)
	}
	tk, _ = h.Store.GetTicket(context.Background(), id)
	if d := tk.Notifications[NotifyNew]; d.Webhook != StateDelivered || d.WebhookAttempts != 4 || d.Error != "" {
		t.Fatalf("after the retry: %+v", d)
	}
}

func TestAWebhookThatKeepsFailingGivesUpAfterTheLastRound(t *testing.T) {
	t.Parallel()
	h, rcv, _ := fixture(t)
	h.RetryRounds = []time.Duration{time.Minute, time.Minute}
	rcv.failures.Store(1000)
	start := time.Now().UTC()
	h.Now = func() time.Time { return start }
	stream(t, h, answerEvent(t, "inv-giveup", "cust-8", 2, start))
	sla := loadEvent(t, "followup-sla.json")
	for i := 1; i <= 4; i++ {
		h.Now = func() time.Time { return start.Add(time.Duration(i) * 2 * time.Minute) }
		if _, err := h.Handle(context.Background(), sla); err != nil {
			t.Fatal(err)
		}
	}
	tk, _ := h.Store.GetTicket(context.Background(), ticket.AnswerID("inv-giveup"))
	// One round at creation and two retry rounds of three attempts each, then no more.
	if d := tk.Notifications[NotifyNew]; d.Webhook != StateFailed || d.WebhookAttempts != 9 {
		t.Fatalf("delivery = %+v, want failed after 9 attempts", d)
	}
}

func TestAContactWithAnEarlierTicketIsARepeatDetractor(t *testing.T) {
	t.Parallel()
	h, _, _ := fixture(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	stream(t, h, answerEvent(t, "inv-r1", "cust-r", 3, at))
	if _, err := h.Store.UpdateTicket(ctx, ticket.AnswerID("inv-r1"), ticket.Change{Actor: "agent", Status: ticket.StatusResolved}); err != nil {
		t.Fatal(err)
	}
	stream(t, h, answerEvent(t, "inv-r2", "cust-r", 4, at.Add(24*time.Hour)))
	first, _ := h.Store.GetTicket(ctx, ticket.AnswerID("inv-r1"))
	second, err := h.Store.GetTicket(ctx, ticket.AnswerID("inv-r2"))
	if err != nil {
		t.Fatalf("the low answer after the resolved ticket opened none: %v", err)
	}
	if first.Priority != ticket.PriorityHigh || first.Repeat || second.Priority != ticket.PriorityUrgent || !second.Repeat {
		t.Fatalf("priorities: first %s (repeat %v), second %s (repeat %v); want high, then urgent as a repeat detractor",
			first.Priority, first.Repeat, second.Priority, second.Repeat)
	}
}

// A webhook URL a deployed build may not reach (here plain http to this machine) is refused once,
// recorded as refused with no retry round, and the team email still goes out.
func TestARefusedWebhookTargetIsRecordedAndTheTeamEmailStillSent(t *testing.T) {
	t.Parallel()
	h, rcv, _ := fixture(t)
	h.HTTP = NewWebhookClient(2*time.Second, false)
	inv := "inv-hook-refused"
	if resp := stream(t, h, answerEvent(t, inv, "cust-refused", 0, time.Now())); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("the record failed because of the webhook: %+v", resp)
	}
	tk, err := h.Store.GetTicket(context.Background(), ticket.AnswerID(inv))
	if err != nil {
		t.Fatal(err)
	}
	d := tk.Notifications[NotifyNew]
	if d.Webhook != StateRefused || d.WebhookAttempts != 1 || d.Email != StateSent || !strings.Contains(d.Error, "https only") {
		t.Fatalf("delivery = %+v, want the webhook refused once and the email sent", d)
	}
	if bodies, _ := rcv.got(); len(bodies) != 0 {
		t.Fatalf("the receiver got %d webhooks", len(bodies))
	}
	due, err := h.Store.DueWebhookRetries(context.Background(), time.Now().Add(365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range due {
		if r.TicketID == tk.ID {
			t.Fatalf("a refused webhook was scheduled for retry: %+v", r)
		}
	}
}

// A webhook receiver that hangs cannot cost the invocation its deadline: attempts stop while a
// reserve is left, the team email has gone, and the rest is left to the scheduled retry rounds.
func TestAHangingWebhookIsBudgetedByTheInvocationsDeadline(t *testing.T) {
	t.Parallel()
	h, _, team := fixture(t)
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); hang.Close() })
	h.WebhookURL = hang.URL
	inv := "inv-hook-hang"
	ctx, cancel := context.WithTimeout(context.Background(), webhookReserve+2*time.Second)
	defer cancel()
	start := time.Now()
	out, err := h.Handle(ctx, answerEvent(t, inv, "cust-hang", 0, time.Now()))
	took := time.Since(start)
	if err != nil || ctx.Err() != nil {
		t.Fatalf("the batch ran into its deadline: %v %v after %v", err, ctx.Err(), took)
	}
	if resp, ok := out.(events.DynamoDBEventResponse); !ok || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("the record failed: %+v", out)
	}
	tk, err := h.Store.GetTicket(context.Background(), ticket.AnswerID(inv))
	if err != nil {
		t.Fatal(err)
	}
	d := tk.Notifications[NotifyNew]
	if d.Email != StateSent || d.Webhook != StateFailed || !strings.Contains(d.Error, "deadline") {
		t.Fatalf("delivery = %+v, want the email sent and the webhook left to the retry", d)
	}
	due, err := h.Store.DueWebhookRetries(context.Background(), time.Now().Add(365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	scheduled := false
	for _, r := range due {
		scheduled = scheduled || r.TicketID == tk.ID
	}
	if !scheduled {
		t.Fatal("the webhook left by the deadline was not scheduled for a retry round")
	}
	if emails := storetest.EmailsTo(t, team); len(emails) == 0 {
		t.Fatal("no team email")
	}
	t.Logf("a hanging receiver: the batch finished in %v of its %v", took.Round(time.Millisecond), webhookReserve+2*time.Second)
}
