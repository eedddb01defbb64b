// Package telemetry gives every function the same structured output: slog JSON logs carrying the
// Lambda request id and the function name, and CloudWatch metrics as Embedded Metric Format
// lines on stdout (CloudWatch extracts them from the log stream; no PutMetricData call, no
// latency, no IAM permission).
package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"regexp"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Init makes lambdacontext's slog handler, tagged with function and scrubbed of addresses, the
// slog default, and returns the logger. Lambda sets AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL
// from the function's LoggingConfig (template.yaml: JSON, INFO), and so does the local runtime
// host; the handler reads them, names keys as Lambda's JSON format does ("timestamp", "level",
// "message") and adds "requestId" to every record logged with an invocation's context.
func Init(function string) *slog.Logger {
	l := slog.New(NewHandler(lambdacontext.NewLogHandler(), function))
	slog.SetDefault(l)
	return l
}

// NewHandler wraps h so that every record carries "function" and no email address.
func NewHandler(h slog.Handler, function string) slog.Handler {
	return redacting{h}.WithAttrs([]slog.Attr{slog.String("function", function)})
}

// redacting scrubs email addresses from the message and every attribute before h sees them.
type redacting struct{ h slog.Handler }

func (r redacting) Enabled(ctx context.Context, l slog.Level) bool { return r.h.Enabled(ctx, l) }

func (r redacting) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, scrub(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redact(a))
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r redacting) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = redact(a)
	}
	return redacting{r.h.WithAttrs(clean)}
}

func (r redacting) WithGroup(name string) slog.Handler { return redacting{r.h.WithGroup(name)} }

// Must ends a function's init when err is not nil: the error is logged and the process exits, so
// Lambda reports an init failure instead of serving with a broken configuration.
func Must(err error) {
	if err != nil {
		slog.ErrorContext(context.Background(), "init", "error", err)
		os.Exit(1)
	}
}

// address matches an email address anywhere in a string.
var address = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+`)

// Redacted stands in for an email address in a log line.
const Redacted = "[address]"

// redact keeps email addresses out of the logs (docs/SECURITY.md): the code logs contact and
// event ids, never addresses, names or comments, but an error from SES or DynamoDB may quote the
// recipient, so every string and error value is scrubbed on its way out, inside groups too.
func redact(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(scrub(v.String()))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]slog.Attr, len(group))
		for i, g := range group {
			clean[i] = redact(g)
		}
		a.Value = slog.GroupValue(clean...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			if s := x.Error(); address.MatchString(s) {
				a.Value = slog.StringValue(scrub(s))
			}
		case fmt.Stringer:
			if s := x.String(); address.MatchString(s) {
				a.Value = slog.StringValue(scrub(s))
			}
		}
	}
	return a
}

func scrub(s string) string {
	if !address.MatchString(s) {
		return s
	}
	return address.ReplaceAllString(s, Redacted)
}
