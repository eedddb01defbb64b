package fault

import (
	"encoding/json"
	"math/rand"
	"strings"
	"sync"
	"time"
)

// EventBridge detail-types of SES's Send and Delivery events.
const (
	DetailEmailSent      = "Email Sent"
	DetailEmailDelivered = "Email Delivered"
)

// SendEventsConfig says how SES's Send events behave locally. SES publishes them to EventBridge
// asynchronously and on a best-effort basis: each comes after a delay in [MinDelay, MaxDelay],
// and a share LossRate never comes at all.
type SendEventsConfig struct {
	MinDelay, MaxDelay time.Duration
	LossRate           float64
	Seed               int64
}

// SendEvents plays the part of SES's event publishing for the SES stand-in: set Observe as the
// SES Proxy's Observe, and every SendEmail the stand-in accepted (HTTP 200) becomes a Send event
// and, a little later, a Delivery event (detail-types "Email Sent" and "Email Delivered", the
// detail SES publishes: eventType, mail with messageId, timestamp, destination and tags, the
// ses:configuration-set tag included), each handed to Publish after its delay unless it is lost. The stand-in's acceptance is seen even when a fault then loses the
// response, which is exactly the case Send events exist for.
type SendEvents struct {
	Publish func(detailType string, detail []byte)
	cfg     SendEventsConfig

	mu        sync.Mutex
	rng       *rand.Rand
	wg        sync.WaitGroup
	published int
	lost      map[string]bool // Send event lost, by message id
	undeliv   map[string]bool // Delivery event lost, by message id
}

// NewSendEvents returns a publisher calling publish for each Send event.
func NewSendEvents(publish func(detailType string, detail []byte), cfg SendEventsConfig) *SendEvents {
	if cfg.MaxDelay < cfg.MinDelay {
		cfg.MaxDelay = cfg.MinDelay
	}
	return &SendEvents{Publish: publish, cfg: cfg, rng: rand.New(rand.NewSource(cfg.Seed)), lost: map[string]bool{}, undeliv: map[string]bool{}}
}

// sendEmailRequest is the part of an SES v2 SendEmail request a Send event repeats.
type sendEmailRequest struct {
	FromEmailAddress     string
	ConfigurationSetName string
	Destination          struct{ ToAddresses []string }
	EmailTags            []struct{ Name, Value string }
	Content              struct {
		Simple *struct{ Subject struct{ Data string } }
	}
}

// Observe turns an accepted SendEmail into a Send event.
func (s *SendEvents) Observe(c Call, status int, body []byte) {
	if c.Operation != "SendEmail" || status != 200 {
		return
	}
	var out struct{ MessageId string }
	var in sendEmailRequest
	if json.Unmarshal(body, &out) != nil || out.MessageId == "" || json.Unmarshal(c.Body, &in) != nil {
		return
	}
	now := time.Now().UTC()
	send, err := eventDetail(in, out.MessageId, now, "Send")
	if err != nil {
		return
	}
	delivery, err := eventDetail(in, out.MessageId, now, "Delivery")
	if err != nil {
		return
	}
	// The Send event, then the Delivery event a little later; each lost on its own.
	s.mu.Lock()
	loseSend, loseDelivery := s.rng.Float64() < s.cfg.LossRate, s.rng.Float64() < s.cfg.LossRate
	sendDelay := s.delay()
	deliveryDelay := sendDelay + s.delay()
	if loseSend {
		s.lost[out.MessageId] = true
	} else {
		s.published++
	}
	if loseDelivery {
		s.undeliv[out.MessageId] = true
	}
	s.mu.Unlock()
	if !loseSend {
		s.after(sendDelay, DetailEmailSent, send)
	}
	if !loseDelivery {
		s.after(deliveryDelay, DetailEmailDelivered, delivery)
	}
}

// delay draws one event's delay in [MinDelay, MaxDelay]; the caller holds mu.
func (s *SendEvents) delay() time.Duration {
	d := s.cfg.MinDelay
	if span := s.cfg.MaxDelay - s.cfg.MinDelay; span > 0 {
		d += time.Duration(s.rng.Int63n(int64(span)))
	}
	return d
}

func (s *SendEvents) after(d time.Duration, detailType string, detail []byte) {
	s.wg.Add(1)
	time.AfterFunc(d, func() {
		defer s.wg.Done()
		s.Publish(detailType, detail)
	})
}

// eventDetail is the detail of the Send or Delivery event for message id, accepted at at.
func eventDetail(in sendEmailRequest, id string, at time.Time, eventType string) ([]byte, error) {
	tags := map[string][]string{"ses:source-ip": {"127.0.0.1"}}
	if _, domain, ok := strings.Cut(in.FromEmailAddress, "@"); ok {
		tags["ses:from-domain"] = []string{domain}
	}
	if in.ConfigurationSetName != "" {
		tags["ses:configuration-set"] = []string{in.ConfigurationSetName}
	}
	for _, t := range in.EmailTags {
		tags[t.Name] = []string{t.Value}
	}
	subject := ""
	if in.Content.Simple != nil {
		subject = in.Content.Simple.Subject.Data
	}
	detail := map[string]any{
		"eventType": eventType,
		"mail": map[string]any{
			"timestamp": at.Format("2006-01-02T15:04:05.000Z"), "source": in.FromEmailAddress,
			"messageId": id, "destination": in.Destination.ToAddresses, "headersTruncated": false,
			"commonHeaders": map[string]any{"from": []string{in.FromEmailAddress}, "to": in.Destination.ToAddresses,
				"messageId": id, "subject": subject},
			"tags": tags,
		},
	}
	if eventType == "Send" {
		detail["send"] = map[string]any{}
	} else {
		detail["delivery"] = map[string]any{"timestamp": at.Add(time.Second).Format("2006-01-02T15:04:05.000Z"),
			"processingTimeMillis": 1000, "recipients": in.Destination.ToAddresses,
			"smtpResponse": "250 2.0.0 OK", "reportingMTA": "a8-1.smtp-out.amazonses.com"}
	}
	return json.Marshal(detail)
}

// Wait blocks until every event not lost has been handed to Publish.
func (s *SendEvents) Wait() { s.wg.Wait() }

// Counts returns how many Send events were published (or are due) and how many were lost.
func (s *SendEvents) Counts() (published, lost int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.published, len(s.lost)
}

// Lost reports whether every event of message id was lost (its Send and its Delivery event):
// nothing told MailEventsFunction that SES had it.
func (s *SendEvents) Lost(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lost[id] && s.undeliv[id]
}
