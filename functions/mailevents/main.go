// MailEventsFunction turns SES bounce and complaint events (EventBridge, from the configuration
// set's event destination) into suppressions and stopped invitations (docs/EMAIL.md).
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
	h := &Handler{Store: st}
	lambda.StartHandlerFunc(h.Handle)
}
