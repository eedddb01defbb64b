package main

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/cxloop/cxloop/shared/invitation"
	"github.com/cxloop/cxloop/shared/store"
	"github.com/cxloop/cxloop/shared/storetest"
)

// withoutContacts plays an eventually consistent read that has not yet seen the contact's state:
// DynamoDB Local always answers consistently, so the contact's item is taken out of every
// BatchGetItem answer (the prior state the rules read) before the store sees it. Strongly
// consistent single reads (GetItem) are left alone.
func withoutContacts(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("staleContact",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if got, ok := out.Result.(*dynamodb.BatchGetItemOutput); ok {
					for table, items := range got.Responses {
						kept := items[:0]
						for _, it := range items {
							if pk, ok := it["PK"].(*types.AttributeValueMemberS); ok && strings.HasPrefix(pk.Value, "CONTACT#") {
								continue
							}
							kept = append(kept, it)
						}
						got.Responses[table] = kept
					}
				}
				return out, md, err
			}), middleware.After)
	})
}

// A retry whose eventually consistent read misses its own earlier delivery's claim sees the cap
// full and would be refused as daily-cap; the handler reads the contact's claim consistently
// (OwnClaim) before refusing, finds it is the claimant, and finishes the invitation on the slot
// it already holds.
func TestARetryWhoseReadMissedItsOwnClaimStillInvites(t *testing.T) {
	t.Parallel()
	f, _, event := crashedAtAFullCap(t, "missed")
	stale := store.New(storetest.Client(t, withoutContacts), f.st.Table)
	stale.Now = f.st.Now
	h := &Handler{Store: stale, Catalog: f.h.Catalog, DecisionTTL: f.h.DecisionTTL, InvitationTTL: f.h.InvitationTTL, Now: f.h.Now}

	// The played staleness is what the handler reads: the contact's claim is not in the prior state.
	key := store.EventKey("missed-1")
	slot := store.NewCapShard("capped", 2, testNow, key)
	prior, err := stale.LoadPrior(context.Background(), key, "missed-contact-1", "", &slot)
	if err != nil {
		t.Fatal(err)
	}
	if st := prior.State(); st.Claimed || !st.Contact.LastInviteAt.IsZero() || st.CapUsed != 2 {
		t.Fatalf("prior state %+v, want the full cap without the contact's claim", st)
	}

	out, err := h.Handle(context.Background(), event(1))
	if err != nil {
		t.Fatalf("handle: %v", err)
	}
	if d := out.(Decision); d.Outcome != invitation.OutcomeInvited {
		t.Fatalf("the retry after a read that missed its claim: %+v, want invited", d)
	}
	if n := capCount(t, f, "capped", 2, key); n != 2 {
		t.Fatalf("cap counter %d after the retry, want 2 (no second slot)", n)
	}
	if n := f.invitations(t, "missed-contact-1"); n != 1 {
		t.Fatalf("%d invitations, want 1", n)
	}
}
