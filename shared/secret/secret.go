// Package secret resolves the HMAC key for survey links and webhook signatures once, at init:
// from Secrets Manager (TOKEN_SECRET_ARN) in AWS, or from TOKEN_DEV_KEY locally.
package secret

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/cxloop/cxloop/shared/config"
)

// MinKeyBytes is the shortest key accepted: HMAC-SHA256 wants at least 32 bytes of key.
const MinKeyBytes = 32

// Key returns the signing key. TOKEN_DEV_KEY wins when set (local runs, tests); otherwise the
// secret named by TOKEN_SECRET_ARN is read with cfg.
func Key(ctx context.Context, cfg aws.Config) ([]byte, error) {
	if dev := os.Getenv("TOKEN_DEV_KEY"); dev != "" {
		return check([]byte(dev))
	}
	arn := os.Getenv("TOKEN_SECRET_ARN")
	if arn == "" {
		return nil, errors.New("neither TOKEN_DEV_KEY nor TOKEN_SECRET_ARN is set")
	}
	client := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		if ep := config.Endpoint("SECRETS_MANAGER"); ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("read token secret: %w", err)
	}
	return check([]byte(aws.ToString(out.SecretString)))
}

func check(k []byte) ([]byte, error) {
	if len(k) < MinKeyBytes {
		return nil, fmt.Errorf("token key is %d bytes, want at least %d", len(k), MinKeyBytes)
	}
	return k, nil
}
