package mail

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/cxloop/cxloop/shared/config"
)

// sesEndpoint returns the SES stand-in's address or fails the test with how to start it.
func sesEndpoint(t *testing.T) string {
	t.Helper()
	ep := config.Endpoint("SESV2")
	if ep == "" {
		t.Fatal("AWS_ENDPOINT_URL_SESV2 is not set: start the local stack (`make up`, or " +
			"`node infra/node_modules/aws-ses-v2-local/dist/cli.js --port 8005`) and export it")
	}
	resp, err := http.Get(ep + "/health-check")
	if err != nil {
		t.Fatalf("SES stand-in at %s is not answering (%v): start it with `make up`", ep, err)
	}
	resp.Body.Close()
	return ep
}

func testConfig(t *testing.T) aws.Config {
	t.Helper()
	for k, v := range map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"} {
		if os.Getenv(k) == "" {
			t.Setenv(k, v)
		}
	}
	cfg, err := config.AWS()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// storedEmail is the SES stand-in's record of one sent email (GET /store).
type storedEmail struct {
	MessageID   string `json:"messageId"`
	Subject     string `json:"subject"`
	Destination struct {
		To []string `json:"to"`
	} `json:"destination"`
	Body struct {
		HTML string `json:"html"`
		Text string `json:"text"`
	} `json:"body"`
	Headers []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"headers"`
}

func TestSendDeliversToTheStandIn(t *testing.T) {
	ep := sesEndpoint(t)
	c := NewClient(testConfig(t), "surveys@example.com", "cxloop-test")
	m, err := Render(npsInvite())
	if err != nil {
		t.Fatal(err)
	}
	m.To = "send-test-ana@example.com"
	m.Tags = map[string]string{TagInvitation: "abc123", TagKind: KindInvite}
	id, err := c.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(ep + "/store")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var store struct{ Emails []storedEmail }
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		t.Fatal(err)
	}
	for _, e := range store.Emails {
		if e.MessageID != id {
			continue
		}
		if e.Subject != m.Subject || e.Body.Text != m.Text || e.Body.HTML != m.HTML {
			t.Errorf("stored email differs from the sent one")
		}
		if len(e.Headers) != 2 || e.Headers[1].Value != "List-Unsubscribe=One-Click" {
			t.Errorf("headers = %+v", e.Headers)
		}
		return
	}
	t.Fatalf("message %s not in the stand-in's store", id)
}

func TestSendClassifiesFailures(t *testing.T) {
	throttle := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-ErrorType", "TooManyRequestsException")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"message":"Maximum sending rate exceeded."}`))
	}))
	defer throttle.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer broken.Close()
	hangup := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the request, then drop the connection: SES may have accepted it.
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer hangup.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()

	answer := func(status int, code string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Amzn-ErrorType", code)
			w.WriteHeader(status)
			w.Write([]byte(`{"message":"refused"}`))
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}

	tests := []struct {
		name     string
		endpoint string
		want     error
		rejected bool
	}{
		{"throttling is a refusal", throttle.URL, ErrRefused, false},
		{"MessageRejected is a permanent rejection", answer(400, "MessageRejected"), ErrRejected, true},
		{"BadRequestException (an address SES refuses) is a permanent rejection", answer(400, "BadRequestException"), ErrRejected, true},
		{"a paused account is a refusal, not a rejection", answer(400, "SendingPausedException"), ErrRefused, false},
		{"a daily quota reached is a refusal, not a rejection", answer(400, "LimitExceededException"), ErrRefused, false},
		{"a server error is a refusal", broken.URL, ErrRefused, false},
		{"a connection that was never made is a refusal", closed, ErrRefused, false},
		{"a connection dropped after the request was written is uncertain", hangup.URL, ErrUncertain, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewClient(testConfig(t), "surveys@example.com", "", func(o *sesv2.Options) {
				o.BaseEndpoint = aws.String(tt.endpoint)
			})
			_, err := c.Send(context.Background(), Message{To: "x@example.com", Subject: "s", Text: "t"})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if errors.Is(err, ErrRejected) != tt.rejected {
				t.Fatalf("err = %v: rejected %v, want %v", err, !tt.rejected, tt.rejected)
			}
			if tt.rejected && !errors.Is(err, ErrRefused) {
				t.Fatalf("a rejection must also be a refusal (nothing was sent): %v", err)
			}
		})
	}
}
