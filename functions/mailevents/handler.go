package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/mail/mailtag"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/telemetry"
)

// EventBridge detail types of the SES events this function handles (template.yaml's rule).
const (
	DetailBounce    = "Email Bounced"
	DetailComplaint = "Email Complaint Received"
	DetailSent      = "Email Sent"      // SES accepted the message (eventType "Send")
	DetailDelivered = "Email Delivered" // the recipient's server took it (eventType "Delivery")
)

// Handler records bounces and complaints, and settles unsure sends from Send and Delivery events. Every step
// is idempotent: EventBridge delivers at least once and retries on error, so the same event may
// arrive many times.
type Handler struct {
	Store   *store.Store
	Metrics *telemetry.Metrics // nil: no metrics
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
	Kind       string `json:"kind"`                 // bounce, transient-bounce, complaint, send, delivery, ignored
	Settle     string `json:"settle,omitempty"`     // for a Send or Delivery event: settled, noted, unchanged or late (store.Settle*)
	Suppressed int    `json:"suppressed"`           // addresses put on the suppression list
	Invitation string `json:"invitation,omitempty"` // the invitation the email was for
	Stopped    bool   `json:"stopped"`              // whether this event stopped it (false when already stopped)
}

// Handle processes one EventBridge event. A malformed event is logged and dropped (retrying it
// cannot help); a store error is returned so that EventBridge retries the whole event.
func (h *Handler) Handle(ctx context.Context, ev events.EventBridgeEvent) (Result, error) {
	var d sesEvent
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		slog.ErrorContext(ctx, "malformed SES event: dropped", "id", ev.ID, "detailType", ev.DetailType, "error", err)
		return Result{Kind: "ignored"}, nil
	}
	log := slog.With("messageId", d.Mail.MessageID, "detailType", ev.DetailType)
	invID := tag(d.Mail.Tags, mailtag.Invitation)

	var (
		reason, stop string
		who          []recipient
		at           time.Time
		res          = Result{Invitation: invID}
	)
	switch {
	case ev.DetailType == DetailSent || ev.DetailType == DetailDelivered:
		// Either proves SES accepted the message: a lost Send event alone no longer causes a resend.
		res, err := h.sent(ctx, log, d, invID)
		if ev.DetailType == DetailDelivered {
			res.Kind = "delivery"
		}
		return res, err
	case ev.DetailType == DetailBounce && d.Bounce != nil:
		if d.Bounce.BounceType != "Permanent" {
			// A full mailbox or a greylisting server: SES already retried. Noted, not suppressed.
			log.InfoContext(ctx, "transient bounce noted", "type", d.Bounce.BounceType, "subType", d.Bounce.BounceSubType, "invitation", invID)
			res.Kind = "transient-bounce"
			return res, nil
		}
		res.Kind, reason, stop, who, at = "bounce", store.SuppressBounce, invitation.StopBounced, d.Bounce.BouncedRecipients, d.Bounce.Timestamp
	case ev.DetailType == DetailComplaint && d.Complaint != nil:
		res.Kind, reason, stop, who, at = "complaint", store.SuppressComplaint, invitation.StopComplained, d.Complaint.ComplainedRecipients, d.Complaint.Timestamp
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
	if invID != "" {
		stopped, err := h.Store.StopInvitation(ctx, invID, stop)
		if err != nil {
			return res, fmt.Errorf("%s of %s: %w", res.Kind, d.Mail.MessageID, err)
		}
		res.Stopped = stopped
	}
	log.InfoContext(ctx, "mail event recorded", "kind", res.Kind, "suppressed", res.Suppressed,
		"invitation", invID, "stopped", res.Stopped, "kindTag", tag(d.Mail.Tags, mailtag.Kind))
	return res, nil
}

// sent settles the invitation of a survey email SES accepted, if its send was unsure. Reminders
// and close-the-loop emails carry nothing to settle.
func (h *Handler) sent(ctx context.Context, log *slog.Logger, d sesEvent, invitation string) (Result, error) {
	res := Result{Kind: "send", Invitation: invitation, Settle: store.SettleUnchanged}
	if invitation == "" || tag(d.Mail.Tags, mailtag.Kind) != mailtag.KindInvite || d.Mail.MessageID == "" {
		return res, nil
	}
	outcome, err := h.Store.SettleBySendEvent(ctx, invitation, d.Mail.MessageID, d.Mail.Timestamp)
	if err != nil {
		return res, fmt.Errorf("send event of %s: %w", d.Mail.MessageID, err)
	}
	res.Settle = outcome
	switch outcome {
	case store.SettleSent:
		log.InfoContext(ctx, "unsure invitation settled as sent by SES's Send event", "invitation", invitation)
	case store.SettleLate:
		log.WarnContext(ctx, "Send event came after the resend: the survey went out twice", "invitation", invitation)
	case store.SettleNoted:
		log.InfoContext(ctx, "Send event came while the send was in flight: noted for the resend check", "invitation", invitation)
	}
	h.emit(ctx, outcome)
	return res, nil
}

// emit writes the Send event's EMF metrics: settled unsure sends, and Send events that prove a
// resend doubled an email (docs/EMAIL.md). Unchanged events (the common case) emit nothing.
func (h *Handler) emit(ctx context.Context, outcome string) {
	if h.Metrics == nil || outcome == store.SettleUnchanged || outcome == store.SettleNoted {
		return
	}
	settled, late := 1.0, 0.0
	if outcome == store.SettleLate {
		late = 1
	}
	if err := h.Metrics.Emit(map[string]string{"Function": "MailEventsFunction"},
		telemetry.Metric{Name: "UnsureSettled", Value: settled, Unit: telemetry.Count},
		telemetry.Metric{Name: "SendEventsAfterResend", Value: late, Unit: telemetry.Count},
	); err != nil {
		slog.ErrorContext(ctx, "emit metrics", "error", err)
	}
}

// tag returns the first value of an SES message tag, or "".
func tag(tags map[string][]string, name string) string {
	if v := tags[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}
