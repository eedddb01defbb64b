// Package telemetry gives every function the same structured output: slog JSON logs carrying the
// Lambda request id and the function name, and CloudWatch metrics as Embedded Metric Format
// lines on stdout (CloudWatch extracts them from the log stream; no PutMetricData call, no
// latency, no IAM permission).
package telemetry

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Init makes a JSON logger on stdout the slog default, tagged with function, and returns it.
// It always logs JSON (lambdacontext.NewLogger switches to text unless AWS_LAMBDA_LOG_FORMAT is
// JSON, which is true in AWS but not under the local runtime host). The level follows
// AWS_LAMBDA_LOG_LEVEL, which LoggingConfig.ApplicationLogLevel sets.
func Init(function string) *slog.Logger {
	l := slog.New(NewHandler(os.Stdout, function, level(os.Getenv("AWS_LAMBDA_LOG_LEVEL"))))
	slog.SetDefault(l)
	return l
}

// NewHandler returns a JSON slog handler writing to w that adds "function" to every record and
// "requestId" to records logged with an invocation's context (slog.InfoContext(ctx, ...)).
// Keys follow Lambda's JSON log format: "timestamp", "level", "message".
func NewHandler(w io.Writer, function string, lvl slog.Leveler) slog.Handler {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lvl, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		return redact(lambdacontext.ReplaceAttr(groups, a))
	}})
	return &requestHandler{Handler: h.WithAttrs([]slog.Attr{slog.String("function", function)})}
}

func level(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// requestHandler adds the Lambda request id from the context.
type requestHandler struct{ slog.Handler }

func (h *requestHandler) Handle(ctx context.Context, r slog.Record) error {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		r.AddAttrs(slog.String("requestId", lc.AwsRequestID))
	}
	return h.Handler.Handle(ctx, r)
}

func (h *requestHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &requestHandler{h.Handler.WithAttrs(attrs)}
}

func (h *requestHandler) WithGroup(name string) slog.Handler {
	return &requestHandler{h.Handler.WithGroup(name)}
}

// Must ends a function's init when err is not nil: the error is logged and the process exits, so
// Lambda reports an init failure instead of serving with a broken configuration.
func Must(err error) {
	if err != nil {
		slog.Error("init", "err", err)
		os.Exit(1)
	}
}

// address matches an email address anywhere in a string.
var address = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+`)

// Redacted stands in for an email address in a log line.
const Redacted = "[address]"

// redact keeps email addresses out of the logs (docs/SECURITY.md): the code logs contact and
// event ids, never addresses, names or comments, but an error from SES or DynamoDB may quote the
// recipient, so every string and error value is scrubbed on its way out.
func redact(a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); address.MatchString(s) {
			a.Value = slog.StringValue(address.ReplaceAllString(s, Redacted))
		}
	case slog.KindAny:
		switch v := a.Value.Any().(type) {
		case error:
			if s := v.Error(); address.MatchString(s) {
				a.Value = slog.StringValue(address.ReplaceAllString(s, Redacted))
			}
		case fmt.Stringer:
			if s := v.String(); address.MatchString(s) {
				a.Value = slog.StringValue(address.ReplaceAllString(s, Redacted))
			}
		}
	}
	return a
}
