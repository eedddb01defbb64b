package fault_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/cxloop/cxloop/infra/local/fault"
	"github.com/cxloop/cxloop/shared/mail"
)

// endpoint returns a local stack endpoint from the environment, failing loudly without it.
func endpoint(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: start the local stack (make up, then source .local/env) or run through make test", name)
	}
	return v
}

func awsConfig(client aws.HTTPClient, attempts int) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("local", "local", ""),
		HTTPClient:       client,
		RetryMaxAttempts: attempts,
	}
}

// table creates a small table for one test and deletes it afterwards.
func table(t *testing.T, db *dynamodb.Client) string {
	t.Helper()
	name := fmt.Sprintf("fault-%d", time.Now().UnixNano())
	_, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("PK"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("PK"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatalf("create table on DynamoDB Local (is it running?): %v", err)
	}
	t.Cleanup(func() { db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)}) })
	return name
}

func put(ctx context.Context, db *dynamodb.Client, tbl, pk string) error {
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tbl),
		Item: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}}})
	return err
}

func exists(t *testing.T, db *dynamodb.Client, tbl, pk string) bool {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(tbl), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item != nil
}

func only(k fault.Kind, op string) func(fault.Call) fault.Kind {
	return func(c fault.Call) fault.Kind {
		if c.Operation == op {
			return k
		}
		return fault.None
	}
}

func TestDynamoDBFaultsReachTheSDKAsTheServiceWouldSendThem(t *testing.T) {
	ep := endpoint(t, "AWS_ENDPOINT_URL_DYNAMODB")
	plain := dynamodb.NewFromConfig(awsConfig(nil, 1), func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(ep) })
	tbl := table(t, plain)
	tests := []struct {
		name    string
		kind    fault.Kind
		check   func(error) bool
		written bool
	}{
		{"a throttled write is a typed throttling error and writes nothing", fault.Throttle, func(err error) bool {
			var a *types.ThrottlingException
			var b *types.ProvisionedThroughputExceededException
			return errors.As(err, &a) || errors.As(err, &b)
		}, false},
		{"a 500 is an InternalServerError and writes nothing", fault.ServerError, func(err error) bool {
			var ise *types.InternalServerError
			return errors.As(err, &ise)
		}, false},
		{"a timeout before the service writes nothing", fault.TimeoutBefore, func(err error) bool { return errors.Is(err, fault.ErrTimeout) }, false},
		{"a timeout after the service wrote loses only the response", fault.TimeoutAfter, func(err error) bool { return errors.Is(err, fault.ErrTimeout) }, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inj := fault.New(nil, fault.Config{Script: only(tc.kind, "PutItem")})
			db := dynamodb.NewFromConfig(awsConfig(&http.Client{Transport: inj}, 1), func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(ep) })
			pk := fmt.Sprintf("item-%d", i)
			err := put(context.Background(), db, tbl, pk)
			if err == nil || !tc.check(err) {
				t.Fatalf("PutItem error = %v, want a %s fault", err, tc.kind)
			}
			if got := exists(t, plain, tbl, pk); got != tc.written {
				t.Errorf("item written = %v, want %v", got, tc.written)
			}
			if got := inj.ByKind()[tc.kind]; got != 1 {
				t.Errorf("counted %d %s faults, want 1", got, tc.kind)
			}
		})
	}
}

func TestTheSDKRetriesInjectedFaultsThroughTheProxy(t *testing.T) {
	ep := endpoint(t, "AWS_ENDPOINT_URL_DYNAMODB")
	plain := dynamodb.NewFromConfig(awsConfig(nil, 1), func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(ep) })
	tbl := table(t, plain)
	p, err := fault.NewProxy(ep, fault.Config{Rate: 0.3, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	db := dynamodb.NewFromConfig(awsConfig(nil, 10), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(p.URL)
		// Short backoff: the test is about retries happening, not about their waits.
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 10
			so.Backoff = retry.NewExponentialJitterBackoff(20 * time.Millisecond)
			so.RateLimiter = ratelimit.None
		})
	})
	for i := range 60 {
		if err := put(context.Background(), db, tbl, fmt.Sprintf("p-%d", i)); err != nil {
			t.Fatalf("put %d failed after retries: %v", i, err)
		}
	}
	for i := range 60 {
		if !exists(t, plain, tbl, fmt.Sprintf("p-%d", i)) {
			t.Errorf("p-%d missing", i)
		}
	}
	faults, calls := p.Injector.Total()
	if faults < 5 || calls < 60+faults {
		t.Errorf("%d faults in %d calls: want at least 5 faults, each followed by a retry", faults, calls)
	}
	t.Log(p.Injector.Summary())
}

func TestTheSameSeedInjectsTheSameFaults(t *testing.T) {
	draw := func() string {
		inj := fault.New(nil, fault.Config{Rate: 0.1, Seed: 42})
		var b strings.Builder
		for range 500 {
			b.WriteString(inj.Decide(fault.Call{Service: "dynamodb", Operation: "PutItem"}).String()[:1])
		}
		return b.String()
	}
	a, b := draw(), draw()
	if a != b {
		t.Fatal("two injectors with one seed drew different faults")
	}
	if n := 500 - strings.Count(a, "n"); n < 30 || n > 75 {
		t.Errorf("%d faults in 500 calls at rate 0.1", n)
	}
}

func TestSESFaultsAreRefusalsOrUnknownOutcomesAsTheMailPackageSeesThem(t *testing.T) {
	ep := endpoint(t, "AWS_ENDPOINT_URL_SESV2")
	tests := []struct {
		name      string
		kind      fault.Kind
		want      error
		delivered bool
	}{
		{"a 429 TooManyRequestsException is a refusal", fault.Throttle, mail.ErrRefused, false},
		{"a 500 is a refusal", fault.ServerError, mail.ErrRefused, false},
		{"a timeout before SES is an unknown outcome", fault.TimeoutBefore, mail.ErrUncertain, false},
		{"a lost response after SES accepted is an unknown outcome", fault.TimeoutAfter, mail.ErrUncertain, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inj := fault.New(nil, fault.Config{Script: only(tc.kind, "SendEmail")})
			c := mail.NewClient(awsConfig(&http.Client{Transport: inj}, 1), "surveys@example.com", "", func(o *sesv2.Options) { o.BaseEndpoint = aws.String(ep) })
			to := fmt.Sprintf("fault-%d-%d@example.com", time.Now().UnixNano(), i)
			_, err := c.Send(context.Background(), mail.Message{To: to, Subject: "s", Text: "t"})
			if !errors.Is(err, tc.want) {
				t.Fatalf("Send error = %v, want %v", err, tc.want)
			}
			if tc.kind == fault.Throttle {
				var tmr *sestypes.TooManyRequestsException
				if !errors.As(err, &tmr) {
					t.Errorf("throttle is %T, want TooManyRequestsException", errors.Unwrap(err))
				}
			}
			if got := sesHas(t, ep, to); got != tc.delivered {
				t.Errorf("in the SES store = %v, want %v", got, tc.delivered)
			}
		})
	}
}

func sesHas(t *testing.T, ep, to string) bool {
	t.Helper()
	resp, err := http.Get(ep + "/store")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := fmt.Fprint(&b, ""); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<16)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return strings.Contains(b.String(), to)
}

func TestAnUpstreamThatActsAndHangsUpIsAnUnknownOutcomeNotARefusal(t *testing.T) {
	var acted atomic.Int64
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		acted.Add(1) // the service did the work, then the connection went away before the answer
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer upstream.Close()
	p, err := fault.NewProxy(upstream.URL, fault.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := mail.NewClient(awsConfig(nil, 1), "surveys@example.com", "", func(o *sesv2.Options) { o.BaseEndpoint = aws.String(p.URL) })
	_, err = c.Send(context.Background(), mail.Message{To: "a@example.com", Subject: "s", Text: "t"})
	if !errors.Is(err, mail.ErrUncertain) {
		t.Fatalf("Send error = %v, want an unknown outcome (a refusal would send the email again)", err)
	}
	if acted.Load() != 1 || p.Injector.UpstreamErrors() != 1 {
		t.Errorf("service acted %d times, proxy counted %d upstream errors; want 1 and 1", acted.Load(), p.Injector.UpstreamErrors())
	}
}
