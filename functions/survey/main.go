package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cxloop/cxloop/shared/catalog"
	"github.com/cxloop/cxloop/shared/config"
	"github.com/cxloop/cxloop/shared/secret"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/telemetry"
	"github.com/cxloop/cxloop/shared/token"
)

func main() {
	telemetry.Init("SurveyFunction")
	h, err := newHandler(context.Background())
	telemetry.Must(err)
	lambda.StartHandlerFunc(h.Handle)
}

// newHandler builds the handler's dependencies from the environment, once per cold start.
func newHandler(ctx context.Context) (*Handler, error) {
	cfg, err := config.AWS()
	if err != nil {
		return nil, err
	}
	st, err := store.FromEnv()
	if err != nil {
		return nil, err
	}
	key, err := secret.Key(ctx, cfg)
	if err != nil {
		return nil, err
	}
	signer, err := token.NewSigner(key)
	if err != nil {
		return nil, err
	}
	cat, err := catalog.Shipped()
	if err != nil {
		return nil, err
	}
	return &Handler{Store: st, Tokens: signer, Catalog: cat, Metrics: telemetry.NewMetrics()}, nil
}
