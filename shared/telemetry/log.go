// Package telemetry gives every function the same structured output: slog JSON logs carrying the
// Lambda request id and the function name, and CloudWatch metrics as Embedded Metric Format
// lines on stdout (CloudWatch extracts them from the log stream; no PutMetricData call, no
// latency, no IAM permission).
package telemetry

import (
	"context"
	"io"
	"log/slog"
	"os"

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
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lvl, ReplaceAttr: lambdacontext.ReplaceAttr})
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
