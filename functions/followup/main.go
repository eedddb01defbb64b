// FollowupFunction opens follow-up tickets for low answers and breaches from the table's stream,
// notifies the teams, and escalates overdue tickets on its SLA schedule (docs/CONTRACTS.md 7 and 8,
// docs/OPERATIONS.md).
package main

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/config"
	"github.com/cxloop/cxloop/shared/mail"
	"github.com/cxloop/cxloop/shared/secret"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/telemetry"
	"github.com/cxloop/cxloop/shared/ticket"
)

func main() {
	telemetry.Init("FollowupFunction")
	cfg, err := config.AWS()
	telemetry.Must(err)
	st, err := store.FromEnv()
	telemetry.Must(err)
	mailer, err := mail.FromEnv(cfg)
	telemetry.Must(err)
	teams, err := ParseTeamAddresses(os.Getenv("TEAM_ADDRESSES"))
	telemetry.Must(err)
	key, err := secret.Key(context.Background(), cfg)
	telemetry.Must(err)
	h := &Handler{
		Store:         st,
		Catalog:       catalog.MustShipped(),
		Mail:          mailer,
		TeamAddresses: teams,
		OpsAddress:    os.Getenv("OPS_NOTIFY_ADDRESS"),
		WebhookURL:    os.Getenv("WEBHOOK_URL"),
		WebhookKey:    ticket.WebhookKey(key),
		HTTP:          NewWebhookClient(3*time.Second, allowLoopbackWebhooks),
		BaseURL:       os.Getenv("BASE_URL"),
	}
	lambda.StartHandlerFunc(h.Handle)
}

// ParseTeamAddresses reads TEAM_ADDRESSES: a JSON object team -> email address, or empty.
func ParseTeamAddresses(raw string) (map[string]string, error) {
	a, err := ticket.ParseTeamAddresses(raw, "")
	return a.Teams, err
}
