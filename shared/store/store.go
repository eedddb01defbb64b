// Package store is the only package that talks to DynamoDB. It holds the single table's record
// types, their keys (keys.go, documented in docs/ARCHITECTURE.md) and one file per access pattern
// group. Conditional writes and transactions carry the delivery guarantees, not in-memory state.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/config"
)

// Store reads and writes the cxloop table.
type Store struct {
	DB    *dynamodb.Client
	Table string
	// Now is the clock; tests replace it to move through quiet periods and edit windows.
	Now func() time.Time
	// ResendAfter is how long an unsure first email waits for SES's Send event before it is
	// resent once (UNSURE_RESEND_AFTER_MINUTES); zero means DefaultResendAfter.
	ResendAfter time.Duration
}

// DefaultResendAfter is the safe window of an unsure send when none is configured.
const DefaultResendAfter = time.Hour

func (s *Store) resendAfter() time.Duration {
	if s.ResendAfter > 0 {
		return s.ResendAfter
	}
	return DefaultResendAfter
}

// New returns a Store on table using db.
func New(db *dynamodb.Client, table string) *Store {
	return &Store{DB: db, Table: table, Now: func() time.Time { return time.Now().UTC() }}
}

// NewClient builds a DynamoDB client from cfg, honouring AWS_ENDPOINT_URL_DYNAMODB.
// Extra option functions (a fault injector, a capacity recorder) are applied last.
func NewClient(cfg aws.Config, opts ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, append([]func(*dynamodb.Options){func(o *dynamodb.Options) {
		if ep := config.Endpoint("DYNAMODB"); ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	}}, opts...)...)
}

// FromEnv builds the Store a function uses from its environment (TABLE_NAME and the AWS variables).
func FromEnv(opts ...func(*dynamodb.Options)) (*Store, error) {
	cfg, err := config.AWS()
	if err != nil {
		return nil, err
	}
	table, err := config.Required("TABLE_NAME")
	if err != nil {
		return nil, err
	}
	return New(NewClient(cfg, opts...), table), nil
}

// Domain outcomes of store calls, mapped to decisions or HTTP statuses by the callers.
var (
	ErrNotFound = errors.New("not found")
	// ErrConflict means a conditional write lost: someone else already did it, or the state moved.
	ErrConflict = errors.New("condition failed")
)

// isConditionFailed reports whether err is a failed condition, alone or inside a transaction.
func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return true
	}
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for _, r := range tce.CancellationReasons {
			if aws.ToString(r.Code) == "ConditionalCheckFailed" {
				return true
			}
		}
	}
	return false
}

// txItem is one item of a transaction, named, so that a cancelled transaction is read by what
// failed rather than by position.
type txItem struct {
	name string
	types.TransactWriteItem
}

// txFailure is a cancelled transaction: the cancellation code of each item that had one, by name.
type txFailure map[string]string

// refused reports whether the condition of any of the named items failed.
func (f txFailure) refused(names ...string) bool {
	for _, n := range names {
		if f[n] == "ConditionalCheckFailed" {
			return true
		}
	}
	return false
}

// transact writes items in one transaction. When DynamoDB cancels it, the failure names each item
// that had a cancellation code ("None" left out); for any other error the failure is nil.
func (s *Store) transact(ctx context.Context, items ...txItem) (txFailure, error) {
	tx := make([]types.TransactWriteItem, len(items))
	for i, it := range items {
		tx[i] = it.TransactWriteItem
	}
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
	if err == nil {
		return nil, nil
	}
	codes := cancelReasons(err)
	if len(codes) != len(items) {
		return nil, err
	}
	failed := txFailure{}
	for i, c := range codes {
		if c != "" && c != "None" {
			failed[items[i].name] = c
		}
	}
	return failed, err
}

// cancelReasons returns the per-item cancellation codes of a cancelled transaction ("None",
// "ConditionalCheckFailed", "TransactionConflict", ...), or nil if err is not one.
func cancelReasons(err error) []string {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil
	}
	codes := make([]string, len(tce.CancellationReasons))
	for i, r := range tce.CancellationReasons {
		codes[i] = aws.ToString(r.Code)
	}
	return codes
}

// batchGet reads items by key, 100 per request, retrying unprocessed keys. Missing items are
// left out; the order is DynamoDB's.
func (s *Store) batchGet(ctx context.Context, keys []map[string]types.AttributeValue, consistent bool) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	for start := 0; start < len(keys); start += 100 {
		req := map[string]types.KeysAndAttributes{s.Table: {Keys: keys[start:min(start+100, len(keys))], ConsistentRead: aws.Bool(consistent)}}
		for attempt := 0; len(req) > 0; attempt++ {
			if attempt > 8 {
				return nil, fmt.Errorf("batch get: unprocessed keys after %d attempts", attempt)
			}
			out, err := s.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, fmt.Errorf("batch get: %w", err)
			}
			items = append(items, out.Responses[s.Table]...)
			req = out.UnprocessedKeys
		}
	}
	return items, nil
}

// queryAll runs a query to its last page and decodes every item into T.
func queryAll[T any](ctx context.Context, db *dynamodb.Client, in *dynamodb.QueryInput) ([]T, error) {
	var all []T
	p := dynamodb.NewQueryPaginator(db, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		var page []T
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &page); err != nil {
			return nil, fmt.Errorf("decode: %w", err)
		}
		all = append(all, page...)
	}
	return all, nil
}
