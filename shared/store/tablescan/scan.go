// Package tablescan reads the whole table with a parallel Scan: the what-if replay's dataset
// (LoadReplay) and the Costs page's counts (Counts). It is kept out of shared/store so that the
// functions, which never scan, do not link what-if, cost and their YAML reader.
package tablescan

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/cxloop/cxloop/shared/store"
)

// Cost is what a whole-table Scan read and paid for.
type Cost struct {
	Pages     int
	Scanned   int     // items read (and paid for), before the filter on kind
	ReadUnits float64 // as DynamoDB reported them (ReturnConsumedCapacity TOTAL)
}

func (c *Cost) add(o Cost) {
	c.Pages += o.Pages
	c.Scanned += o.Scanned
	c.ReadUnits += o.ReadUnits
}

// scanAll reads the whole table with a parallel Scan of segments segments, each paginated, with
// ex's filter and projection, and hands every page's items, decoded as T, to page with its
// segment number (pages of one segment come in order; segments run at once). It returns what
// the Scan read and paid for, or the first error.
func scanAll[T any](ctx context.Context, s *store.Store, ex expression.Expression, segments int, page func(seg int, items []T)) (Cost, error) {
	costs := make([]Cost, segments)
	errs := make([]error, segments)
	var wg sync.WaitGroup
	for seg := range segments {
		wg.Go(func() {
			in := &dynamodb.ScanInput{
				TableName: aws.String(s.Table), Segment: aws.Int32(int32(seg)), TotalSegments: aws.Int32(int32(segments)),
				FilterExpression: ex.Filter(), ProjectionExpression: ex.Projection(),
				ExpressionAttributeNames: ex.Names(), ExpressionAttributeValues: ex.Values(),
				ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
			}
			for p := dynamodb.NewScanPaginator(s.DB, in); p.HasMorePages(); {
				out, err := p.NextPage(ctx)
				if err != nil {
					errs[seg] = fmt.Errorf("scan segment %d: %w", seg, err)
					return
				}
				costs[seg].Pages++
				costs[seg].Scanned += int(out.ScannedCount)
				if out.ConsumedCapacity != nil {
					costs[seg].ReadUnits += aws.ToFloat64(out.ConsumedCapacity.CapacityUnits)
				}
				var items []T
				if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
					errs[seg] = fmt.Errorf("decode scan segment %d: %w", seg, err)
					return
				}
				page(seg, items)
			}
		})
	}
	wg.Wait()
	var total Cost
	for i := range segments {
		if errs[i] != nil {
			return Cost{}, errs[i]
		}
		total.add(costs[i])
	}
	return total, nil
}
