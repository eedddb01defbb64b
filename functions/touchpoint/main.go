// TouchpointFunction decides whether a touchpoint leads to a survey invitation (docs/CONTRACTS.md 3).
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/config"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/telemetry"
)

func main() {
	telemetry.Init("TouchpointFunction")
	st, err := store.FromEnv()
	telemetry.Must(err)
	decisionTTL, err := config.Days("DECISION_RETENTION_DAYS", 90)
	telemetry.Must(err)
	invitationTTL, err := config.Days("INVITATION_RETENTION_DAYS", 400)
	telemetry.Must(err)
	h := &Handler{Store: st, Catalog: catalog.MustShipped(), DecisionTTL: decisionTTL, InvitationTTL: invitationTTL}
	lambda.StartHandlerFunc(h.Handle)
}
