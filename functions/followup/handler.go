package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/mail"
	"github.com/cxloop/cxloop/shared/store"
)

// Sender sends one email (mail.Client in production, the same client on the SES stand-in in tests).
type Sender interface {
	Send(ctx context.Context, m mail.Message) (string, error)
}

// Handler holds the FollowupFunction's dependencies.
type Handler struct {
	Store         *store.Store
	Catalog       *catalog.Catalog
	Mail          Sender
	TeamAddresses map[string]string // team -> address (TEAM_ADDRESSES)
	OpsAddress    string            // fallback address (OPS_NOTIFY_ADDRESS)
	WebhookURL    string            // "" disables the webhook
	WebhookKey    []byte
	HTTP          *http.Client
	BaseURL       string // the console's base, for links in notifications
	// Backoff is the wait before each webhook retry (default 250ms, 1s): three attempts in all.
	Backoff []time.Duration
	// RetryRounds are the waits before later rounds of a failed webhook (DefaultRetryRounds).
	RetryRounds []time.Duration
	// Now is the clock (tests move it past SLA due times).
	Now func() time.Time
}

// Notifications of a ticket, claimed once each.
const (
	NotifyNew        = "new"
	NotifyEscalation = "escalation"
)

// Handle accepts both triggers of the function: a batch of stream records (answers and breaches)
// and the SLA schedule's tick (any other event).
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(raw, &probe); err == nil && probe.Records != nil {
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("decode stream batch: %w", err)
		}
		return h.HandleStream(ctx, ev), nil
	}
	return h.CheckSLA(ctx)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

// HandleStream processes a batch in order and reports the records that failed by their sequence
// number, so only those (and what follows them) are retried; every step is idempotent, so a
// redelivered record changes nothing. Notifications go out after the batch's tickets are written,
// concurrently. A failed send never fails a record (it is recorded on the ticket); a notification
// that could not start fails the record that opened its ticket, with its claim free, so the
// stream's retry sends it.
func (h *Handler) HandleStream(ctx context.Context, ev events.DynamoDBEvent) events.DynamoDBEventResponse {
	resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
	var notify []string
	seq := map[string]string{} // ticket -> the first record that asked for its notification
	for _, r := range ev.Records {
		id, err := h.record(ctx, r)
		if err != nil {
			slog.ErrorContext(ctx, "followup record failed", "seq", r.Change.SequenceNumber, "event", r.EventName, "error", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
			continue
		}
		if id != "" {
			if _, ok := seq[id]; !ok {
				seq[id] = r.Change.SequenceNumber
				notify = append(notify, id)
			}
		}
	}
	for _, id := range h.notifyAll(ctx, notify, NotifyNew) {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: seq[id]})
	}
	return resp
}

// record handles one stream record and returns the id of a ticket that may need its new-ticket
// notification (claimed once, so a redelivery that finds it done sends nothing).
func (h *Handler) record(ctx context.Context, r events.DynamoDBEventRecord) (string, error) {
	var head struct {
		Kind string `dynamodbav:"kind"`
	}
	if err := store.DecodeStreamImage(r.Change.NewImage, &head); err != nil {
		return "", fmt.Errorf("decode record: %w", err)
	}
	switch head.Kind {
	case store.KindInvitation:
		return h.answer(ctx, r)
	case store.KindBreach:
		if r.EventName != string(events.DynamoDBOperationTypeInsert) {
			return "", nil
		}
		return h.breach(ctx, r)
	}
	return "", nil // not ours (the filter lets only these through; be lenient anyway)
}

// notifyAll sends notification kind for each ticket, at most four at a time, and returns the
// tickets whose notification could not start and should be tried again.
func (h *Handler) notifyAll(ctx context.Context, ids []string, kind string) []string {
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var again []string
	for _, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := h.notify(ctx, id, kind); err != nil {
				slog.ErrorContext(ctx, "notification not sent, to be tried again", "ticket", id, "kind", kind, "error", err)
				mu.Lock()
				again = append(again, id)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return again
}
