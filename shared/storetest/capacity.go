package storetest

import (
	"context"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// CapacityMeter counts a client's DynamoDB requests per operation and sums the capacity units they
// report. Calls report capacity only when they ask for it (ReturnConsumedCapacity TOTAL, which the
// scorer's calls always do). Install it with store.NewClient(cfg, meter.Option()).
type CapacityMeter struct {
	mu    sync.Mutex
	calls map[string]int
	units map[string]float64
	read  float64
	write float64
}

// Option returns the client option that records every call through the meter.
func (m *CapacityMeter) Option() func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("cxloopCapacityMeter",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					out, md, err := next.HandleInitialize(ctx, in)
					m.record(awsmiddleware.GetOperationName(ctx), out.Result)
					return out, md, err
				}), middleware.After)
		})
	}
}

func (m *CapacityMeter) record(op string, result any) {
	var cc []types.ConsumedCapacity
	switch r := result.(type) {
	case *dynamodb.QueryOutput:
		cc = one(r.ConsumedCapacity)
	case *dynamodb.GetItemOutput:
		cc = one(r.ConsumedCapacity)
	case *dynamodb.PutItemOutput:
		cc = one(r.ConsumedCapacity)
	case *dynamodb.UpdateItemOutput:
		cc = one(r.ConsumedCapacity)
	case *dynamodb.TransactWriteItemsOutput:
		cc = r.ConsumedCapacity
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.calls == nil {
		m.calls, m.units = map[string]int{}, map[string]float64{}
	}
	m.calls[op]++
	for _, c := range cc {
		m.units[op] += deref(c.CapacityUnits)
		if c.ReadCapacityUnits != nil || c.WriteCapacityUnits != nil {
			m.read += deref(c.ReadCapacityUnits)
			m.write += deref(c.WriteCapacityUnits)
			continue
		}
		// Some responses report only the total: reads and writes are told apart by the operation.
		if op == "Query" || op == "GetItem" {
			m.read += deref(c.CapacityUnits)
		} else {
			m.write += deref(c.CapacityUnits)
		}
	}
}

func one(c *types.ConsumedCapacity) []types.ConsumedCapacity {
	if c == nil {
		return nil
	}
	return []types.ConsumedCapacity{*c}
}

func deref(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}

// Usage is a snapshot of a meter: requests per operation and the capacity units reported.
type Usage struct {
	Calls map[string]int
	// Units is the capacity reported per operation (reads and writes together).
	Units map[string]float64
	Read  float64
	Write float64
}

// Usage returns what the meter recorded so far.
func (m *CapacityMeter) Usage() Usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := Usage{Calls: map[string]int{}, Units: map[string]float64{}, Read: m.read, Write: m.write}
	for k, v := range m.calls {
		u.Calls[k] = v
	}
	for k, v := range m.units {
		u.Units[k] = v
	}
	return u
}

// Reset forgets what the meter recorded.
func (m *CapacityMeter) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls, m.units, m.read, m.write = nil, nil, 0, 0
}
