// TouchpointFunction decides whether a touchpoint leads to a survey invitation (DESIGN.md 3).
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/config"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/telemetry"
)

func main() {
	telemetry.Init("TouchpointFunction")
	st, err := store.FromEnv()
	must(err)
	decisionTTL, err := config.Days("DECISION_RETENTION_DAYS", 90)
	must(err)
	invitationTTL, err := config.Days("INVITATION_RETENTION_DAYS", 400)
	must(err)
	h := &Handler{Store: st, Catalog: catalog.MustShipped(), DecisionTTL: decisionTTL, InvitationTTL: invitationTTL}
	lambda.StartHandlerFunc(h.Handle)
}

func must(err error) {
	if err != nil {
		slog.Error("init", "err", err)
		os.Exit(1)
	}
}
