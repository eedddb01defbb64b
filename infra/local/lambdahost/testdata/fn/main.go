// Command fn is the test function for the local Lambda host, HTTP API and event sources. It
// answers by the event's "action" field, or echoes the event it got (with its environment).
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// ValidationError is a named error type, so the errorType Lambda reports is "ValidationError".
type ValidationError struct{ Field string }

func (e ValidationError) Error() string { return "invalid field " + e.Field }

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var ev struct {
		Version string `json:"version"`
		RawPath string `json:"rawPath"`
		Action  string `json:"action"`
		SleepMS int    `json:"sleepMs"`
		Reply   any    `json:"reply"`
		Records []struct {
			D struct {
				SequenceNumber string
				Keys           struct {
					PK struct{ S string } `json:"PK"`
				}
			} `json:"dynamodb"`
		} `json:"Records"`
	}
	_ = json.Unmarshal(raw, &ev)
	if ev.SleepMS > 0 {
		time.Sleep(time.Duration(ev.SleepMS) * time.Millisecond)
	}
	// A stream record whose key starts with "fail" is reported as a batch item failure.
	for _, r := range ev.Records {
		if strings.HasPrefix(r.D.Keys.PK.S, "fail") {
			return map[string]any{"batchItemFailures": []map[string]string{{"itemIdentifier": r.D.SequenceNumber}}}, nil
		}
	}
	if ev.Version == "2.0" {
		switch ev.RawPath {
		case "/reply":
			return map[string]any{
				"statusCode":        201,
				"headers":           map[string]string{"X-Test": "yes", "Content-Type": "application/octet-stream"},
				"multiValueHeaders": map[string][]string{"X-Multi": {"a", "b"}},
				"cookies":           []string{"a=1; Path=/", "b=2; HttpOnly"},
				"body":              base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 255}),
				"isBase64Encoded":   true,
			}, nil
		case "/fail":
			ev.Action = "error"
		}
	}
	switch ev.Action {
	case "error":
		return nil, ValidationError{Field: "contact.email"}
	case "plain-error":
		return nil, errors.New("plain failure")
	case "panic":
		panic("handler exploded")
	case "exit":
		os.Exit(3)
	case "reply":
		return ev.Reply, nil
	}
	lc, _ := lambdacontext.FromContext(ctx)
	deadline, _ := ctx.Deadline()
	return map[string]any{
		"event":     raw,
		"pid":       os.Getpid(),
		"requestId": lc.AwsRequestID,
		"arn":       lc.InvokedFunctionArn,
		"function":  os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
		"greeting":  os.Getenv("GREETING"),
		"region":    os.Getenv("AWS_REGION"),
		"handler":   os.Getenv("_HANDLER"),
		"deadline":  fmt.Sprint(time.Until(deadline).Round(time.Second)),
	}, nil
}

func main() {
	lambda.Start(handle)
}
