// Package storetest gives integration tests a *store.Store on a fresh table in the running local
// stack (`make up`). Each call clones the live TABLE_NAME table's schema (keys, GSIs, stream, TTL)
// read back with DescribeTable, so the schema stays declared once, in template.yaml. A stack that
// is not running fails the test with how to start it; it is never skipped.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/store"
)

// envKeys are the variables read from the process environment before falling back to the file.
var envKeys = []string{"API_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SESV2", "SES_STORE_URL",
	"MAIL_VIEWER_URL", "TABLE_NAME", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
	"TOKEN_DEV_KEY", "PRODUCER_TOKEN", "OPS_TOKEN"}

const hint = "start the local stack with `make up` (from the repository root)"

// Env returns the local stack's variables: from the process environment when it names the
// stack (make test exports .local/env), else from .local/env ($CXLOOP_STATE_DIR/env when set)
// found by walking up from the working directory to the repository root.
func Env(t testing.TB) map[string]string {
	t.Helper()
	env, err := loadEnv()
	if err != nil {
		t.Fatalf("storetest: %v; %s", err, hint)
	}
	return env
}

func loadEnv() (map[string]string, error) {
	if os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") != "" && os.Getenv("TABLE_NAME") != "" {
		env := map[string]string{}
		for _, k := range envKeys {
			env[k] = os.Getenv(k)
		}
		return env, nil
	}
	path, err := envPath()
	if err != nil {
		return nil, err
	}
	env, err := readEnv(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	for _, k := range []string{"AWS_ENDPOINT_URL_DYNAMODB", "TABLE_NAME"} {
		if env[k] == "" {
			return nil, fmt.Errorf("%s has no %s", path, k)
		}
	}
	return env, nil
}

func envPath() (string, error) {
	if dir := os.Getenv("CXLOOP_STATE_DIR"); dir != "" {
		return filepath.Join(dir, "env"), nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ".local", "env"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory, so no .local/env")
		}
		dir = parent
	}
}

func readEnv(path string) (map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			env[k] = v
		}
	}
	return env, nil
}

// Client returns a DynamoDB client for the local stack, with opts applied after its endpoint.
func Client(t testing.TB, opts ...func(*dynamodb.Options)) *dynamodb.Client {
	t.Helper()
	env := Env(t)
	region := env["AWS_REGION"]
	if region == "" {
		region = "us-east-1"
	}
	cfg := aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	endpoint := func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(env["AWS_ENDPOINT_URL_DYNAMODB"]) }
	return store.NewClient(cfg, append([]func(*dynamodb.Options){endpoint}, opts...)...)
}

// New returns a Store on a new, uniquely named table with the live table's schema, deleted when
// the test ends.
func New(t testing.TB) *store.Store {
	t.Helper()
	env := Env(t)
	db := Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := TableName(t)
	if err := Clone(ctx, db, env["TABLE_NAME"], name); err != nil {
		t.Fatalf("storetest: %v; %s", err, hint)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			t.Errorf("storetest: delete table %s: %v", name, err)
		}
	})
	return store.New(db, name)
}

var unsafe = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// TableName returns a unique table name that says which test made it.
func TableName(t testing.TB) string {
	b := make([]byte, 4)
	rand.Read(b)
	base := unsafe.ReplaceAllString(t.Name(), "-")
	if len(base) > 180 {
		base = base[:180]
	}
	return "test-" + base + "-" + hex.EncodeToString(b)
}

// Clone creates table dst with src's keys, indexes, stream and TTL, and waits until it is active.
func Clone(ctx context.Context, db *dynamodb.Client, src, dst string) error {
	desc, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(src)})
	if err != nil {
		return fmt.Errorf("describe the live table %s (is the local stack up?): %w", src, err)
	}
	s := desc.Table
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(dst),
		AttributeDefinitions: s.AttributeDefinitions,
		KeySchema:            s.KeySchema,
		BillingMode:          types.BillingModePayPerRequest,
		StreamSpecification:  s.StreamSpecification,
	}
	for _, g := range s.GlobalSecondaryIndexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection})
	}
	if _, err := db.CreateTable(ctx, in); err != nil {
		return fmt.Errorf("create table %s: %w", dst, err)
	}
	if err := dynamodb.NewTableExistsWaiter(db).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(dst)}, 20*time.Second,
		func(o *dynamodb.TableExistsWaiterOptions) {
			o.MinDelay = 50 * time.Millisecond
			o.MaxDelay = 500 * time.Millisecond
		}); err != nil {
		return fmt.Errorf("wait for table %s: %w", dst, err)
	}
	ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(src)})
	if err != nil {
		return fmt.Errorf("describe TTL of %s: %w", src, err)
	}
	if d := ttl.TimeToLiveDescription; d != nil && d.AttributeName != nil && d.TimeToLiveStatus == types.TimeToLiveStatusEnabled {
		if _, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(dst),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: d.AttributeName, Enabled: aws.Bool(true)}}); err != nil {
			return fmt.Errorf("enable TTL on %s: %w", dst, err)
		}
	}
	return nil
}

// UniqueName is base with a random suffix: API token names are unique in a table, and tests
// that run again against the same local stack create their tokens again.
func UniqueName(base string) string {
	b := make([]byte, 3)
	rand.Read(b)
	return base + " " + hex.EncodeToString(b)
}
