package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/touchpoint"
	"github.com/cxloop/cxloop/shared/web"
)

// maxBodyBytes bounds POST /touchpoints: 100 events of up to 16 KiB each, with room for JSON.
const maxBodyBytes = touchpoint.MaxBatch*touchpoint.MaxEventBytes + 4096

// Handler decides touchpoints from EventBridge and from POST /touchpoints.
type Handler struct {
	Store         *store.Store
	Catalog       *catalog.Catalog
	DecisionTTL   time.Duration
	InvitationTTL time.Duration
	Now           func() time.Time

	once sync.Once
	mux  *web.Mux
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

// envelope is just enough of either trigger's payload to tell them apart.
type envelope struct {
	DetailType string          `json:"detail-type"`
	Detail     json.RawMessage `json:"detail"`
	RouteKey   string          `json:"routeKey"`
}

// Handle takes an EventBridge Touchpoint event or an HTTP API request.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("unrecognised event: %w", err)
	}
	if env.RouteKey != "" {
		var req web.Request
		if err := json.Unmarshal(raw, &req); err != nil {
			return web.Error(http.StatusBadRequest, "malformed request"), nil
		}
		return h.HTTP(ctx, req), nil
	}
	return h.EventBridge(ctx, env)
}

// EventBridge decides one Touchpoint event. Invalid events are recorded (where they have an
// eventId) and acknowledged, never retried; only store failures return an error, so EventBridge
// retries them (and then dead-letters them, as template.yaml declares).
func (h *Handler) EventBridge(ctx context.Context, env envelope) (Decision, error) {
	if env.DetailType != "Touchpoint" {
		slog.WarnContext(ctx, "ignored event", "detailType", env.DetailType)
		return Decision{Outcome: invitation.OutcomeInvalid, Detail: "detail-type must be Touchpoint"}, nil
	}
	ev, err := touchpoint.Decode(env.Detail)
	d, derr := h.decide(ctx, ev, err)
	if derr != nil {
		slog.ErrorContext(ctx, "decide touchpoint", "eventId", ev.EventID, "error", derr)
		return Decision{}, derr
	}
	logDecision(ctx, d)
	return d, nil
}

// batchResponse is the 202 body of POST /touchpoints: one decision per event, in order.
type batchResponse struct {
	Decisions []Decision `json:"decisions"`
}

// HTTP serves one HTTP API event through ServeHTTP.
func (h *Handler) HTTP(ctx context.Context, req web.Request) web.Response {
	return web.Serve(ctx, h, req)
}

// ServeHTTP serves POST /touchpoints. The route is registered on first use, once.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.once.Do(func() { h.mux = h.routes() })
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) routes() *web.Mux {
	m := web.NewMux(
		func(w http.ResponseWriter, _ *http.Request) {
			web.Error(http.StatusNotFound, "no such route: POST /touchpoints").Write(w)
		},
		func(w http.ResponseWriter, _ *http.Request) {
			web.Error(http.StatusMethodNotAllowed, "use POST").Write(w)
		})
	m.HandleFunc("POST /touchpoints", func(w http.ResponseWriter, r *http.Request) { h.intake(r).Write(w) })
	return m
}

// intake decides a batch of touchpoints posted by a producer holding a producer (or admin) token.
func (h *Handler) intake(req *http.Request) web.Reply {
	ctx := req.Context()
	tok, err := h.Store.LookupAPIToken(ctx, web.Bearer(req))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return web.Error(http.StatusUnauthorized, "a producer token is required: Authorization: Bearer <token>")
	case err != nil:
		slog.ErrorContext(ctx, "look up token", "error", err)
		return web.Error(http.StatusInternalServerError, "internal error")
	case tok.Role != access.Producer && tok.Role != access.Admin:
		return web.Error(http.StatusForbidden, "this token may not post touchpoints")
	}
	body, err := web.Body(req, maxBodyBytes)
	if errors.Is(err, web.ErrTooLarge) {
		return web.Error(http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", maxBodyBytes))
	}
	if err != nil {
		return web.Error(http.StatusBadRequest, err.Error())
	}
	raws, err := splitBatch(body)
	if err != nil {
		return web.Error(http.StatusBadRequest, err.Error())
	}

	out := make([]Decision, len(raws))
	errs := make([]error, len(raws))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, r := range raws {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ev, derr := touchpoint.Decode(r)
			out[i], errs[i] = h.decide(ctx, ev, derr)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			// Decisions are idempotent per eventId: the producer retries the whole batch safely.
			slog.ErrorContext(ctx, "decide touchpoint", "index", i, "error", err)
			return web.Error(http.StatusServiceUnavailable, "could not record every decision; retry the batch")
		}
		logDecision(ctx, out[i])
	}
	return web.JSON(http.StatusAccepted, batchResponse{Decisions: out})
}

// splitBatch accepts one event object or an array of 1..100 of them.
func splitBatch(body []byte) ([]json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, errors.New("empty body: send a touchpoint object or an array of them")
	}
	if body[0] != '[' {
		if body[0] != '{' || !json.Valid(body) {
			// A body that is not JSON at all is the request's fault, not one event's: 400, like
			// any other body that is not JSON. A well-formed object that is not a valid touchpoint
			// gets its `invalid` decision instead.
			return nil, errors.New("body must be a JSON object or array of touchpoints")
		}
		return []json.RawMessage{body}, nil
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		return nil, fmt.Errorf("body is not a JSON array of touchpoints: %w", err)
	}
	if len(raws) == 0 {
		return nil, errors.New("empty batch")
	}
	if len(raws) > touchpoint.MaxBatch {
		return nil, fmt.Errorf("batch of %d touchpoints; at most %d per request", len(raws), touchpoint.MaxBatch)
	}
	return raws, nil
}

func logDecision(ctx context.Context, d Decision) {
	slog.InfoContext(ctx, "decision", "eventId", d.EventID, "outcome", d.Outcome, "survey", d.Survey, "detail", d.Detail)
}
