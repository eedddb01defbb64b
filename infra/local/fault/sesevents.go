package fault

import (
	"encoding/json"
	"math/rand"
	"strings"
	"sync"
	"time"
)

// DetailEmailSent is the EventBridge detail-type of SES's Send event.
const DetailEmailSent = "Email Sent"

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
// (detail-type "Email Sent", the detail SES publishes: eventType, mail with messageId, timestamp,
// destination and tags, the ses:configuration-set tag included) handed to Publish after its
// delay, unless it is lost. The stand-in's acceptance is seen even when a fault then loses the
// response, which is exactly the case Send events exist for.
type SendEvents struct {
	Publish func(detailType string, detail []byte)
	cfg     SendEventsConfig

	mu        sync.Mutex
	rng       *rand.Rand
	wg        sync.WaitGroup
	published int
	lost      map[string]bool
}

// NewSendEvents returns a publisher calling publish for each Send event.
func NewSendEvents(publish func(detailType string, detail []byte), cfg SendEventsConfig) *SendEvents {
	if cfg.MaxDelay < cfg.MinDelay {
		cfg.MaxDelay = cfg.MinDelay
	}
	return &SendEvents{Publish: publish, cfg: cfg, rng: rand.New(rand.NewSource(cfg.Seed)), lost: map[string]bool{}}
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
	detail, err := sendDetail(in, out.MessageId, time.Now().UTC())
	if err != nil {
		return
	}
	s.mu.Lock()
	lose := s.rng.Float64() < s.cfg.LossRate
	delay := s.cfg.MinDelay
	if span := s.cfg.MaxDelay - s.cfg.MinDelay; span > 0 {
		delay += time.Duration(s.rng.Int63n(int64(span)))
	}
	if lose {
		s.lost[out.MessageId] = true
	} else {
		s.published++
	}
	s.mu.Unlock()
	if lose {
		return
	}
	s.wg.Add(1)
	time.AfterFunc(delay, func() {
		defer s.wg.Done()
		s.Publish(DetailEmailSent, detail)
	})
}

// sendDetail is the detail of the Send event for message id, accepted at at.
func sendDetail(in sendEmailRequest, id string, at time.Time) ([]byte, error) {
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
	return json.Marshal(map[string]any{
		"eventType": "Send",
		"mail": map[string]any{
			"timestamp": at.Format("2006-01-02T15:04:05.000Z"), "source": in.FromEmailAddress,
			"messageId": id, "destination": in.Destination.ToAddresses, "headersTruncated": false,
			"commonHeaders": map[string]any{"from": []string{in.FromEmailAddress}, "to": in.Destination.ToAddresses,
				"messageId": id, "subject": subject},
			"tags": tags,
		},
		"send": map[string]any{},
	})
}

// Wait blocks until every Send event not lost has been handed to Publish.
func (s *SendEvents) Wait() { s.wg.Wait() }

// Counts returns how many Send events were published (or are due) and how many were lost.
func (s *SendEvents) Counts() (published, lost int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.published, len(s.lost)
}

// Lost reports whether the Send event of message id was lost.
func (s *SendEvents) Lost(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lost[id]
}
