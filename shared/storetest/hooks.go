package storetest

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// BeforeFirstUpdateOf is a client option (for Client) that runs during once, right before the
// client's first UpdateItem of an item with partition key pk: a test places a concurrent write
// at an exact point of a store call (an erasure between its fence and its mark of that item).
func BeforeFirstUpdateOf(pk string, during func()) func(*dynamodb.Options) {
	var once sync.Once
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("storetestBeforeFirstUpdateOf",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if u, ok := in.Parameters.(*dynamodb.UpdateItemInput); ok {
						if k, ok := u.Key["PK"].(*types.AttributeValueMemberS); ok && k.Value == pk {
							once.Do(during)
						}
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.Before)
		})
	}
}
