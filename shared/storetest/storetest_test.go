package storetest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/storetest"
)

func TestAPITokensRoundTripThroughTheLocalTable(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	ctx := context.Background()
	raw, err := st.CreateAPIToken(ctx, access.Agent, "test agent")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := st.LookupAPIToken(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Role != access.Agent || rec.Name != "test agent" {
		t.Errorf("record %+v", rec)
	}
	if _, err := st.LookupAPIToken(ctx, raw+"x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unknown token: %v, want ErrNotFound", err)
	}
	if _, err := st.CreateAPIToken(ctx, "root", "x"); err == nil {
		t.Error("an unknown role was accepted")
	}
}

func TestTheCloneHasTheLiveTablesSchema(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	ctx := context.Background()
	live, err := st.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(storetest.Env(t)["TABLE_NAME"])})
	if err != nil {
		t.Fatal(err)
	}
	clone, err := st.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(st.Table)})
	if err != nil {
		t.Fatal(err)
	}
	indexes := func(d *dynamodb.DescribeTableOutput) map[string]string {
		m := map[string]string{}
		for _, g := range d.Table.GlobalSecondaryIndexes {
			m[aws.ToString(g.IndexName)] = string(g.Projection.ProjectionType)
		}
		return m
	}
	if c, l := indexes(clone), indexes(live); len(l) == 0 || !maps.Equal(c, l) {
		t.Errorf("clone's GSIs %v, live %v", c, l)
	}
	if clone.Table.StreamSpecification == nil || clone.Table.StreamSpecification.StreamViewType != live.Table.StreamSpecification.StreamViewType {
		t.Errorf("clone stream %+v", clone.Table.StreamSpecification)
	}
	ttl, err := st.DB.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(st.Table)})
	if err != nil || aws.ToString(ttl.TimeToLiveDescription.AttributeName) != "ttl" {
		t.Errorf("clone ttl %+v %v", ttl, err)
	}
}

func TestTheCloneIsDeletedWhenTheTestEnds(t *testing.T) {
	t.Parallel()
	var name string
	t.Run("uses a table", func(t *testing.T) { name = storetest.New(t).Table })
	_, err := storetest.Client(t).DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err == nil {
		t.Errorf("table %s still exists after its test ended", name)
	}
}

func TestEmailsReadsWhatTheSESStandInAccepted(t *testing.T) {
	t.Parallel()
	// The SES store is shared with other packages' tests: send to a unique address and filter.
	to := "storetest-" + storetest.TableName(t)[len("test-"):] + "@example.com"
	msg := map[string]any{
		"FromEmailAddress": "surveys@example.com",
		"Destination":      map[string]any{"ToAddresses": []string{"Ana <" + to + ">"}},
		"Content": map[string]any{"Simple": map[string]any{
			"Subject": map[string]any{"Data": "How did we do?"},
			"Body":    map[string]any{"Text": map[string]any{"Data": "plain"}, "Html": map[string]any{"Data": "<p>html</p>"}},
			"Headers": []map[string]any{{"Name": "List-Unsubscribe", "Value": "<https://x/u/t>"}},
		}},
	}
	body, _ := json.Marshal(msg)
	url := strings.TrimSuffix(storetest.Env(t)["SES_STORE_URL"], "/store") + "/v2/email/outbound-emails"
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	// The stand-in wants some AWS authorization header; it does not check the signature.
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/ses/aws4_request")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("send: %s", resp.Status)
	}
	got := storetest.EmailsTo(t, to)
	if len(got) != 1 {
		t.Fatalf("%d emails to %s, want 1", len(got), to)
	}
	e := got[0]
	if e.Subject != "How did we do?" || e.Body.Text != "plain" || e.Body.HTML != "<p>html</p>" || e.MessageID == "" {
		t.Errorf("email %+v", e)
	}
	if e.Header("list-unsubscribe") != "<https://x/u/t>" {
		t.Errorf("headers %+v", e.Headers)
	}
	if len(storetest.EmailsTo(t, "other-"+to)) != 0 {
		t.Error("EmailsTo matched another address")
	}
}
