// DispatchFunction sends due invitations and reminders through SES v2, each at most once
// (docs/CONTRACTS.md 7, docs/EMAIL.md). It runs on a ScheduleV2 tick every minute.
package main

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/config"
	"github.com/cxloop/cxloop/shared/mail"
	"github.com/cxloop/cxloop/shared/secret"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/telemetry"
	"github.com/cxloop/cxloop/shared/token"
)

func main() {
	telemetry.Init("DispatchFunction")
	cfg, err := config.AWS()
	telemetry.Must(err)
	st, err := store.FromEnv()
	telemetry.Must(err)
	baseURL, err := config.Required("BASE_URL")
	telemetry.Must(err)
	mailer, err := mail.FromEnv(cfg)
	telemetry.Must(err)
	rate, err := config.Int("SEND_RATE_PER_TICK", 500)
	telemetry.Must(err)
	window, err := config.Int("UNSURE_RESEND_AFTER_MINUTES", int(store.DefaultResendAfter/time.Minute))
	telemetry.Must(err)
	st.ResendAfter = time.Duration(window) * time.Minute
	key, err := secret.Key(context.Background(), cfg)
	telemetry.Must(err)
	signer, err := token.NewSigner(key)
	telemetry.Must(err)
	h := &Handler{
		Store:   st,
		Mail:    mailer,
		Signer:  signer,
		Catalog: catalog.MustShipped(),
		BaseURL: baseURL,
		Rate:    rate,
		Metrics: telemetry.NewMetrics(),
	}
	telemetry.Must(h.Check())
	lambda.StartHandlerFunc(h.Handle)
}
