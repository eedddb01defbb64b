// ScoreFunction scores every survey from its per-day histograms on a schedule: it folds the
// answers new since its last run into the histograms, writes a snapshot when a score changed,
// records threshold breaches and emits the scores as CloudWatch EMF metrics (docs/CONTRACTS.md 5).
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/config"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/telemetry"
)

func main() {
	telemetry.Init("ScoreFunction")
	st, err := store.FromEnv()
	telemetry.Must(err)
	settle, err := config.Int("SCORE_SETTLE_SECONDS", 60)
	telemetry.Must(err)
	h := &Handler{Store: st, Catalog: catalog.MustShipped(), Metrics: telemetry.NewMetrics(),
		Settle: time.Duration(settle) * time.Second, Now: func() time.Time { return time.Now().UTC() }}
	lambda.StartHandlerFunc(h.Handle)
}
