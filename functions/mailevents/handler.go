package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cxloop/cxloop/shared/mail/mailtag"
	"github.com/cxloop/cxloop/shared/store"
)

// EventBridge detail types of the SES events this function handles (template.yaml's rule).
const (
	DetailBounce    = "Email Bounced"
	DetailComplaint = "Email Complaint Received"
)

// Handler records bounces and complaints. Every step is idempotent: EventBridge delivers at least
// once and retries on error, so the same event may arrive many times.
type Handler struct {
	Store *store.Store
}

// sesEvent is the part of an SES event record (the EventBridge detail) this function reads.
type sesEvent struct {
	EventType string `json:"eventType"`
	Bounce    *struct {
		BounceType        string      `json:"bounceType"` // Permanent, Transient, Undetermined
		BounceSubType     string      `json:"bounceSubType"`
		BouncedRecipients []recipient `json:"bouncedRecipients"`
		Timestamp         time.Time   `json:"timestamp"`
	} `json:"bounce"`
	Complaint *struct {
		ComplainedRecipients  []recipient `json:"complainedRecipients"`
		ComplaintFeedbackType string      `json:"complaintFeedbackType"`
		Timestamp             time.Time   `json:"timestamp"`
	} `json:"complaint"`
	Mail struct {
		MessageID string              `json:"messageId"`
		Timestamp time.Time           `json:"timestamp"`
		Tags      map[string][]string `json:"tags"`
	} `json:"mail"`
}

type recipient struct {
	EmailAddress string `json:"emailAddress"`
}

// Result says what one event changed.
type Result struct {
	Kind       string `json:"kind"`                 // bounce, transient-bounce, complaint, ignored
	Suppressed int    `json:"suppressed"`           // addresses put on the suppression list
	Invitation string `json:"invitation,omitempty"` // the invitation the email was for
	Stopped    bool   `json:"stopped"`              // whether this event stopped it (false when already stopped)
}

// Handle processes one EventBridge event. A malformed event is logged and dropped (retrying it
// cannot help); a store error is returned so that EventBridge retries the whole event.
func (h *Handler) Handle(ctx context.Context, ev events.EventBridgeEvent) (Result, error) {
	var d sesEvent
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		slog.ErrorContext(ctx, "malformed SES event: dropped", "id", ev.ID, "detailType", ev.DetailType, "err", err)
		return Result{Kind: "ignored"}, nil
	}
	log := slog.With("messageId", d.Mail.MessageID, "detailType", ev.DetailType)
	invitation := tag(d.Mail.Tags, mailtag.Invitation)

	var (
		reason, stop string
		who          []recipient
		at           time.Time
		res          = Result{Invitation: invitation}
	)
	switch {
	case ev.DetailType == DetailBounce && d.Bounce != nil:
		if d.Bounce.BounceType != "Permanent" {
			// A full mailbox or a greylisting server: SES already retried. Noted, not suppressed.
			log.InfoContext(ctx, "transient bounce noted", "type", d.Bounce.BounceType, "subType", d.Bounce.BounceSubType, "invitation", invitation)
			res.Kind = "transient-bounce"
			return res, nil
		}
		res.Kind, reason, stop, who, at = "bounce", store.SuppressBounce, store.StopBounced, d.Bounce.BouncedRecipients, d.Bounce.Timestamp
	case ev.DetailType == DetailComplaint && d.Complaint != nil:
		res.Kind, reason, stop, who, at = "complaint", store.SuppressComplaint, store.StopComplained, d.Complaint.ComplainedRecipients, d.Complaint.Timestamp
	default:
		log.WarnContext(ctx, "not a bounce or complaint: ignored", "eventType", d.EventType)
		return Result{Kind: "ignored"}, nil
	}
	if at.IsZero() {
		at = ev.Time
	}

	for _, r := range who {
		if r.EmailAddress == "" {
			continue
		}
		if err := h.Store.Suppress(ctx, r.EmailAddress, reason, at); err != nil {
			return res, fmt.Errorf("%s of %s: %w", res.Kind, d.Mail.MessageID, err)
		}
		res.Suppressed++
	}
	if invitation != "" {
		stopped, err := h.Store.StopInvitation(ctx, invitation, stop)
		if err != nil {
			return res, fmt.Errorf("%s of %s: %w", res.Kind, d.Mail.MessageID, err)
		}
		res.Stopped = stopped
	}
	log.InfoContext(ctx, "mail event recorded", "kind", res.Kind, "suppressed", res.Suppressed,
		"invitation", invitation, "stopped", res.Stopped, "kindTag", tag(d.Mail.Tags, mailtag.Kind))
	return res, nil
}

// tag returns the first value of an SES message tag, or "".
func tag(tags map[string][]string, name string) string {
	if v := tags[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}
