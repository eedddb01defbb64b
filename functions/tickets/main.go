// TicketsFunction is the operations API and console on /ops/...: tickets, scores, and the privacy
// endpoints (export, erase) behind bearer tokens with roles (docs/CONTRACTS.md 8, docs/OPERATIONS.md).
package main

import (
	"context"
	"net/http"
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
	"github.com/cxloop/cxloop/shared/token"
)

func main() {
	telemetry.Init("TicketsFunction")
	cfg, err := config.AWS()
	telemetry.Must(err)
	st, err := store.FromEnv()
	telemetry.Must(err)
	mailer, err := mail.FromEnv(cfg)
	telemetry.Must(err)
	retention, err := config.Days("TICKET_RETENTION_DAYS", 730)
	telemetry.Must(err)
	auditRetention, err := config.Days("AUDIT_RETENTION_DAYS", 365)
	telemetry.Must(err)
	baseURL, err := config.Required("BASE_URL")
	telemetry.Must(err)
	teams, err := ticket.ParseTeamAddresses(os.Getenv("TEAM_ADDRESSES"), os.Getenv("OPS_NOTIFY_ADDRESS"))
	telemetry.Must(err)
	key, err := secret.Key(context.Background(), cfg)
	telemetry.Must(err)
	signer, err := token.NewSigner(key)
	telemetry.Must(err)
	var oidc *OIDC
	if issuer := os.Getenv("OIDC_ISSUER"); issuer != "" {
		roles, err := ParseGroupRoles(os.Getenv("OIDC_GROUP_ROLES"))
		telemetry.Must(err)
		clientID, err := config.Required("OIDC_CLIENT_ID")
		telemetry.Must(err)
		oidc = &OIDC{Issuer: issuer, ClientID: clientID, GroupsClaim: os.Getenv("OIDC_GROUPS_CLAIM"), GroupRoles: roles,
			SessionKey: key, Client: &http.Client{Timeout: 10 * time.Second}}
	}
	h := &Handler{
		Store:          st,
		Catalog:        catalog.MustShipped(),
		Mail:           mailer,
		Retention:      retention,
		AuditRetention: auditRetention,
		Signer:         signer,
		BaseURL:        baseURL,
		Teams:          teams,
		OIDC:           oidc,
		Meter:          meterFromEnv(cfg, st.Table, baseURL),
	}
	lambda.StartHandlerFunc(h.Handle)
}
