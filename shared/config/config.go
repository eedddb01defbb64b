// Package config reads the environment variables declared in template.yaml and builds the AWS
// configuration the functions share. It does not call config.LoadDefaultConfig: in Lambda the
// credentials and region are already in the environment, and loading the shared config files costs
// milliseconds of cold start (docs/PERFORMANCE.md).
package config

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// AWS builds an aws.Config from the Lambda environment: AWS_REGION and the execution role's
// credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
func AWS() (aws.Config, error) {
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		return aws.Config{}, fmt.Errorf("AWS_REGION is not set")
	}
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if key == "" || secret == "" {
		return aws.Config{}, fmt.Errorf("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set")
	}
	return aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(key, secret, os.Getenv("AWS_SESSION_TOKEN"))),
		// Standard retry mode with the SDK's defaults: throttling and 5xx are retried with backoff.
		RetryMaxAttempts: 3,
	}, nil
}

// Endpoint returns the service-specific endpoint override (AWS_ENDPOINT_URL_<SERVICE>), or the
// general AWS_ENDPOINT_URL, or "" for the real AWS endpoint. This is how the same binary talks to
// DynamoDB Local and the SES stand-in.
func Endpoint(service string) string {
	if v := os.Getenv("AWS_ENDPOINT_URL_" + service); v != "" {
		return v
	}
	return os.Getenv("AWS_ENDPOINT_URL")
}

// Required returns the value of a declared variable, or an error naming it.
func Required(name string) (string, error) {
	v := os.Getenv(name)
	if v == "" {
		return "", fmt.Errorf("environment variable %s is required", name)
	}
	return v, nil
}

// Int returns a declared integer variable, or def when it is empty.
func Int(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("environment variable %s: %q is not an integer", name, v)
	}
	return n, nil
}

// Days returns a declared whole-days variable as a duration, or def days when it is empty.
func Days(name string, def int) (time.Duration, error) {
	n, err := Int(name, def)
	if err != nil {
		return 0, err
	}
	return time.Duration(n) * 24 * time.Hour, nil
}
