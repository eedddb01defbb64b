package storetest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Email is one message captured by aws-ses-v2-local (GET /store).
type Email struct {
	MessageID   string   `json:"messageId"`
	From        string   `json:"from"`
	ReplyTo     []string `json:"replyTo"`
	Destination struct {
		To  []string `json:"to"`
		Cc  []string `json:"cc"`
		Bcc []string `json:"bcc"`
	} `json:"destination"`
	Subject string `json:"subject"`
	Body    struct {
		HTML string `json:"html"`
		Text string `json:"text"`
	} `json:"body"`
	Headers []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"headers"`
	// At is when the stand-in accepted the message, in epoch seconds.
	At int64 `json:"at"`
}

// Header returns the value of the first header named name (case-insensitive), or "".
func (e Email) Header(name string) string {
	for _, h := range e.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// SentTo reports whether addr is among the To, Cc or Bcc recipients (case-insensitive, and
// matching "Name <addr>" forms).
func (e Email) SentTo(addr string) bool {
	for _, list := range [][]string{e.Destination.To, e.Destination.Cc, e.Destination.Bcc} {
		for _, a := range list {
			if strings.EqualFold(a, addr) || strings.HasSuffix(strings.ToLower(a), "<"+strings.ToLower(addr)+">") {
				return true
			}
		}
	}
	return false
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

// Emails returns every message in the SES stand-in's store, oldest first. The store is shared by
// every test and package: tests that run in parallel should send to their own addresses and use
// EmailsTo rather than ClearEmails.
func Emails(t testing.TB) []Email {
	t.Helper()
	url := Env(t)["SES_STORE_URL"]
	if url == "" {
		t.Fatalf("storetest: SES_STORE_URL is not set; %s", hint)
	}
	resp, err := httpClient.Get(url)
	if err != nil {
		t.Fatalf("storetest: read the SES store at %s: %v; %s", url, err, hint)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("storetest: GET %s: %s", url, resp.Status)
	}
	var body struct {
		Emails []Email `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("storetest: decode the SES store: %v", err)
	}
	return body.Emails
}

// EmailsTo returns the stored messages with addr among the recipients.
func EmailsTo(t testing.TB, addr string) []Email {
	t.Helper()
	var out []Email
	for _, e := range Emails(t) {
		if e.SentTo(addr) {
			out = append(out, e)
		}
	}
	return out
}

// ClearEmails empties the SES stand-in's store (POST /clear-store).
func ClearEmails(t testing.TB) {
	t.Helper()
	url := strings.TrimSuffix(Env(t)["SES_STORE_URL"], "/store") + "/clear-store"
	resp, err := httpClient.Post(url, "application/json", nil)
	if err != nil {
		t.Fatalf("storetest: clear the SES store at %s: %v; %s", url, err, hint)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("storetest: POST %s: %s", url, resp.Status)
	}
}
