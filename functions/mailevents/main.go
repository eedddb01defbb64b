// MailEventsFunction turns SES events (EventBridge, from the configuration set's event
// destination) into suppressions and stopped invitations (bounces, complaints), and settles
// invitations whose send outcome was unknown (Send events) (docs/EMAIL.md).
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/telemetry"
)

func main() {
	telemetry.Init("MailEventsFunction")
	st, err := store.FromEnv()
	telemetry.Must(err)
	h := &Handler{Store: st, Metrics: telemetry.NewMetrics()}
	lambda.StartHandlerFunc(h.Handle)
}
