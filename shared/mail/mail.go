// Package mail is the only package that talks to SES v2: it renders the survey emails
// (render.go, embedded templates) and sends them (this file). Send classifies SES's answers so
// that the dispatcher can keep its promises: a refused send stays due, an accepted one is never
// sent again, and one whose fate is unknown is treated as sent.
package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"os"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/cxloop/cxloop/shared/config"
	"github.com/cxloop/cxloop/shared/mail/mailtag"
)

// Outcomes of Send besides success.
var (
	// ErrRefused means SES did not accept the message: it answered with an error (throttling,
	// a 4xx or 5xx), or the connection was never made. Nothing was sent; try again later.
	ErrRefused = errors.New("refused by SES")
	// ErrUncertain means the request may have reached SES but no answer came back (a timeout or a
	// reset after the request was written). The message may have been accepted: a caller that
	// promises at-most-once must treat it as sent.
	ErrUncertain = errors.New("SES outcome unknown")
	// ErrRejected means SES refused this message for good: the address or the content is
	// invalid (BadRequestException, MessageRejected). Sending it again cannot help. It also
	// matches ErrRefused (nothing was sent).
	ErrRejected = errors.New("rejected by SES")
)

// rejectedCodes are SendEmail's error codes that concern the message itself (SES v2 API
// reference, SendEmail errors): the same request would be refused again. Account-wide refusals
// (SendingPausedException, AccountSuspendedException, MailFromDomainNotVerifiedException,
// NotFoundException), throttling (TooManyRequestsException, LimitExceededException) and 5xx are
// not here: they pass, and the invitation waits for them.
var rejectedCodes = map[string]bool{"MessageRejected": true, "BadRequestException": true}

// Header is one extra message header (List-Unsubscribe, ...).
type Header struct {
	Name, Value string
}

// Message is one email to one recipient.
type Message struct {
	// FromName is the sender's display name ("Acme Customer Care"); empty sends from the bare address.
	FromName string
	To       string
	// ReplyTo is where the recipient's reply goes ("" replies to the sender).
	ReplyTo string
	Subject string
	HTML    string
	Text    string
	Headers []Header
	// Tags tie SES's events (bounces, complaints) back to the record that caused the send.
	// SES allows ASCII letters, digits, '_' and '-' in names and values.
	Tags map[string]string
}

// Tag names set on survey emails; MailEventsFunction reads them back from the event's mail.tags.
const (
	TagInvitation = mailtag.Invitation
	TagSurvey     = mailtag.Survey
	TagKind       = mailtag.Kind // KindInvite or KindReminder
)

// Values of TagKind.
const (
	KindInvite   = mailtag.KindInvite
	KindReminder = mailtag.KindReminder
)

// Client sends email through SES v2 from one address and configuration set.
type Client struct {
	SES *sesv2.Client
	// From is the sender address (SENDER_ADDRESS), on the verified domain.
	From string
	// ConfigurationSet carries reputation metrics and the bounce/complaint event destination.
	ConfigurationSet string
}

// NewClient builds a Client from cfg, honouring AWS_ENDPOINT_URL_SESV2. The SDK's own retries are
// turned off: a retried SendEmail whose first attempt timed out after SES accepted it would send
// the email twice. The dispatcher's next tick is the retry, with the invitation still due.
// Extra option functions (a test endpoint) are applied last.
func NewClient(cfg aws.Config, from, configurationSet string, opts ...func(*sesv2.Options)) *Client {
	ses := sesv2.NewFromConfig(cfg, append([]func(*sesv2.Options){func(o *sesv2.Options) {
		o.RetryMaxAttempts = 1
		if ep := config.Endpoint("SESV2"); ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	}}, opts...)...)
	return &Client{SES: ses, From: from, ConfigurationSet: configurationSet}
}

// FromEnv builds the Client a function uses from its environment: SENDER_ADDRESS (required) and
// CONFIGURATION_SET, both declared in template.yaml.
func FromEnv(cfg aws.Config) (*Client, error) {
	from, err := config.Required("SENDER_ADDRESS")
	if err != nil {
		return nil, err
	}
	return NewClient(cfg, from, os.Getenv("CONFIGURATION_SET")), nil
}

// from is the From header: the sender address with the display name, RFC 2047-encoded when it is
// not ASCII (SES takes a display name in FromEmailAddress in that form).
func (c *Client) from(name string) string {
	if name == "" {
		return c.From
	}
	return (&netmail.Address{Name: name, Address: c.From}).String()
}

// Send sends m and returns SES's message id. Errors wrap ErrRefused or ErrUncertain.
func (c *Client) Send(ctx context.Context, m Message) (string, error) {
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(c.from(m.FromName)),
		Destination:      &types.Destination{ToAddresses: []string{m.To}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(m.Subject), Charset: aws.String("UTF-8")},
			Body: &types.Body{
				Html: &types.Content{Data: aws.String(m.HTML), Charset: aws.String("UTF-8")},
				Text: &types.Content{Data: aws.String(m.Text), Charset: aws.String("UTF-8")},
			},
		}},
	}
	if m.ReplyTo != "" {
		in.ReplyToAddresses = []string{m.ReplyTo}
	}
	if m.HTML == "" {
		in.Content.Simple.Body.Html = nil
	}
	if m.Text == "" {
		in.Content.Simple.Body.Text = nil
	}
	for _, h := range m.Headers {
		in.Content.Simple.Headers = append(in.Content.Simple.Headers,
			types.MessageHeader{Name: aws.String(h.Name), Value: aws.String(h.Value)})
	}
	if c.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(c.ConfigurationSet)
	}
	for _, name := range sortedKeys(m.Tags) {
		in.EmailTags = append(in.EmailTags, types.MessageTag{Name: aws.String(name), Value: aws.String(m.Tags[name])})
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("send email: %w: %w", ErrRefused, err) // never started
	}
	out, err := c.SES.SendEmail(ctx, in)
	if err != nil {
		if rejected(err) {
			return "", fmt.Errorf("send email: %w: %w: %w", ErrRejected, ErrRefused, err)
		}
		return "", fmt.Errorf("send email: %w: %w", classify(err), err)
	}
	return aws.ToString(out.MessageId), nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// rejected reports an HTTP 400 answer whose error code says the message itself is refused.
func rejected(err error) bool {
	var re *smithyhttp.ResponseError
	var api smithy.APIError
	return errors.As(err, &re) && re.HTTPStatusCode() == 400 && errors.As(err, &api) && rejectedCodes[api.ErrorCode()]
}

// classify tells a refusal (SES answered no, or we never reached it) from an unknown outcome.
func classify(err error) error {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != 0 {
		return ErrRefused // SES answered: whatever it said, it did not accept the message
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return ErrRefused // the request never left
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return ErrRefused
	}
	return ErrUncertain
}
