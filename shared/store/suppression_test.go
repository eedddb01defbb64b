package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/store"
)

// A suppression holds no address in clear, matches whatever the case, and an item written under
// the old key (the address itself) is still honoured.
func TestSuppressionIsKeyedByAHashAndLegacyItemsStillHold(t *testing.T) {
	t.Parallel()
	s, ctx := ticketStore(t), context.Background()
	if err := s.Suppress(ctx, " Ana.Complains@Example.com", store.SuppressComplaint, time.Now()); err != nil {
		t.Fatal(err)
	}
	out, err := s.DB.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(s.Table)})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range out.Items {
		for k, v := range it {
			if sv, ok := v.(*types.AttributeValueMemberS); ok && strings.Contains(strings.ToLower(sv.Value), "complains@example.com") {
				t.Fatalf("a suppression item holds the address in clear in %s: %v", k, it)
			}
		}
	}
	for _, addr := range []string{"ana.complains@example.com", "ANA.COMPLAINS@EXAMPLE.COM"} {
		if ok, err := s.IsSuppressed(ctx, addr); err != nil || !ok {
			t.Fatalf("IsSuppressed(%q) = %v %v", addr, ok, err)
		}
	}
	p, err := s.LoadPrior(ctx, "nothing", "c", "Ana.Complains@example.com", nil)
	if err != nil || !p.Suppressed {
		t.Fatalf("LoadPrior misses the suppression: %v %v", p, err)
	}
	if ok, _ := s.IsSuppressed(ctx, "someone.else@example.com"); ok {
		t.Fatal("an address never suppressed is suppressed")
	}
}
